"""The month's aggregation and top-N as one DuckDB query over the same day files, for comparison.

DuckDB sees raw listener ids (no validation, pseudonyms or canonical hashing), so it times the
aggregation alone; its pair count and weight sum must equal the pandas run's.
"""

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import duckdb

QUERY = """
WITH weights AS (
    SELECT listener_id, artist_id, sum(seconds) AS weight
    FROM read_parquet($files)
    WHERE seconds >= $min_seconds AND seconds > 0
      AND listener_id IN (SELECT listener_id FROM subscribers)
    GROUP BY listener_id, artist_id
), ranked AS (
    SELECT *, row_number() OVER (PARTITION BY listener_id
                                 ORDER BY weight DESC, artist_id) AS rank
    FROM weights
)
SELECT count(DISTINCT listener_id), count(*), sum(weight) FROM ranked WHERE rank <= $top_n
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--listeners", type=int, default=30_000)
    parser.add_argument("--top-n", type=int, default=9)
    parser.add_argument("--min-seconds", type=int, default=30)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    files = [str(p) for p in sorted(args.folder.glob("*.parquet"))]
    started = time.perf_counter()
    con = duckdb.connect()
    con.execute(f"SET threads = {args.threads}")
    con.execute("CREATE TABLE subscribers (listener_id VARCHAR)")
    con.executemany("INSERT INTO subscribers VALUES (?)",
                    [[f"user-{i:06d}"] for i in range(args.listeners) if i % 10])
    listeners, pairs, weight = con.execute(QUERY, {
        "files": files, "min_seconds": args.min_seconds, "top_n": args.top_n}).fetchone()
    wall = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    json.dump({"engine": f"duckdb {duckdb.__version__}", "wall_s": round(wall, 2),
               "peak_rss_mib": round(peak_mib), "allocated_listeners": listeners,
               "allocation_pairs": pairs, "weight_sum": int(weight)}, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
