"""The month's aggregation as DuckDB does it, over the same day files: two reference figures.

``alone``: one query that reads the Parquet days (three columns), keeps the counted plays of the
subscribers (registered in bulk as an Arrow table), sums them per listener and artist and ranks
the top N: the floor of the aggregation.

``with_extras``: DuckDB doing, per day, what the pipeline must also do and the query above does
not: read every column, validate (missing values, blank ids, negative seconds, plays off the
file's day), pseudonymise (each distinct listener hashed once in Python, joined), render the
canonical lines in canonical order and hash them (SHA-256 in Python over the answer's buffers),
count the anchor's figures; then the top N over the per-day sums.

``alone_kept``: the query of ``alone`` over the canonical day files kept at ``listens submit``
(CSV, listeners already pseudonymised; the subscribers' pseudonyms registered in bulk): the floor of
the month-end reconciliation, which reads those files.

Each must give the pipeline's pair count and weight sum; ``with_extras`` must give its day hashes
(``days_sha256``: SHA-256 over the days' hex hashes in day order).
"""

import argparse
import datetime as dt
import hashlib
import json
import resource
import sys
import time
from pathlib import Path
from typing import Callable

import duckdb
import pyarrow as pa

from admin.pseudonym import Pseudonymiser

SECRET = b"bench-secret"  # as reconcile_bench.py

ALONE = """
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

SETUP = """
SET TimeZone = 'UTC';
CREATE MACRO quoted(x) AS CASE WHEN contains(x, ',') OR contains(x, '"') OR contains(x, chr(13))
                                    OR contains(x, chr(10))
                               THEN concat('"', replace(x, '"', '""'), '"') ELSE x END;
CREATE TABLE pseudonyms (listener_id VARCHAR, listener VARCHAR);
CREATE TABLE weights (listener VARCHAR, artist_id VARCHAR, weight BIGINT);
"""

PROBLEMS = """
SELECT count(*) FILTER (WHERE played_at IS NULL OR played_at < $start OR played_at >= $end)
     + count(*) FILTER (WHERE listener_id IS NULL OR trim(listener_id) = '')
     + count(*) FILTER (WHERE artist_id IS NULL OR trim(artist_id) = '')
     + count(*) FILTER (WHERE track_id IS NULL OR trim(track_id) = '')
     + count(*) FILTER (WHERE seconds IS NULL OR seconds < 0)
FROM day
"""

LINES = """
SELECT concat(strftime(d.played_at::TIMESTAMP, '%Y-%m-%dT%H:%M:%S.%fZ,'), quoted(p.listener), ',',
              quoted(d.artist_id), ',', quoted(d.track_id), ',', d.seconds, chr(10))
FROM day d JOIN pseudonyms p USING (listener_id)
ORDER BY d.played_at, p.listener, d.artist_id, d.track_id, d.seconds
"""

COUNTS = """
SELECT count(*), count(DISTINCT listener_id),
       count(*) FILTER (WHERE seconds >= $min_seconds AND seconds > 0),
       coalesce(sum(seconds) FILTER (WHERE seconds >= $min_seconds AND seconds > 0), 0)
FROM day
"""

DAY_WEIGHTS = """
INSERT INTO weights
SELECT p.listener, d.artist_id, sum(d.seconds)
FROM day d JOIN pseudonyms p USING (listener_id)
WHERE d.seconds >= $min_seconds AND d.seconds > 0 AND p.listener IN (SELECT listener FROM subscribers)
GROUP BY ALL
"""

TOP_N = """
WITH month AS (SELECT listener, artist_id, sum(weight) AS weight FROM weights GROUP BY ALL),
ranked AS (SELECT *, row_number() OVER (PARTITION BY listener ORDER BY weight DESC, artist_id) AS rank
           FROM month)
SELECT count(DISTINCT listener), count(*), sum(weight) FROM ranked WHERE rank <= $top_n
"""


ALONE_KEPT = """
WITH weights AS (
    SELECT listener, artist_id, sum(seconds) AS weight
    FROM read_csv($files, header = true, columns = {'played_at': 'VARCHAR', 'listener': 'VARCHAR',
                  'artist_id': 'VARCHAR', 'track_id': 'VARCHAR', 'seconds': 'BIGINT'})
    WHERE seconds >= $min_seconds AND seconds > 0
      AND listener IN (SELECT listener FROM subscribers)
    GROUP BY listener, artist_id
), ranked AS (
    SELECT *, row_number() OVER (PARTITION BY listener ORDER BY weight DESC, artist_id) AS rank
    FROM weights
)
SELECT count(DISTINCT listener), count(*), sum(weight) FROM ranked WHERE rank <= $top_n
"""


def subscriber_ids(listeners: int) -> list[str]:
    """Every listener but each tenth, as reconcile_bench.py subscribes them."""
    return [f"user-{i:06d}" for i in range(listeners) if i % 10]


def connect(threads: int) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")
    return con


def peak_mib() -> int:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _aggregated(engine: str, query: str, subscribers: Callable[[], pa.Table], files: list[Path],
                args: argparse.Namespace) -> dict:
    """Time ``query`` over ``files`` with the table ``subscribers()`` registered (made inside the timing)."""
    started, cpu = time.perf_counter(), cpu_s()
    con = connect(args.threads)
    con.register("subscribers", subscribers())
    listeners, pairs, weight = con.execute(query, {
        "files": [str(f) for f in files], "min_seconds": args.min_seconds, "top_n": args.top_n}).fetchone()
    return {"engine": engine, "threads": args.threads,
            "wall_s": round(time.perf_counter() - started, 2), "cpu_s": round(cpu_s() - cpu, 2),
            "peak_rss_mib": peak_mib(), "allocated_listeners": listeners, "allocation_pairs": pairs,
            "weight_sum": int(weight)}


def alone(files: list[Path], args: argparse.Namespace) -> dict:
    return _aggregated(f"duckdb {duckdb.__version__}", ALONE, lambda: pa.table(
        {"listener_id": pa.array(subscriber_ids(args.listeners), pa.string())}), files, args)


def alone_kept(files: list[Path], args: argparse.Namespace) -> dict:
    def subscribers() -> pa.Table:
        pseudonyms = Pseudonymiser(SECRET, files[0].name[:7])
        return pa.table({"listener": pa.array([pseudonyms(i) for i in subscriber_ids(args.listeners)], pa.string())})
    return _aggregated(f"duckdb {duckdb.__version__} over the kept CSV days", ALONE_KEPT, subscribers, files, args)


def hashed(lines: pa.ChunkedArray, digest) -> None:
    """Feed the concatenated values of a string column (no nulls) to ``digest``."""
    for chunk in lines.chunks:
        if not len(chunk):
            continue
        wide = pa.types.is_large_string(chunk.type)
        offsets = memoryview(chunk.buffers()[1]).cast("q" if wide else "i")
        first, last = offsets[chunk.offset], offsets[chunk.offset + len(chunk)]
        digest.update(memoryview(chunk.buffers()[2])[first:last])


def with_extras(files: list[Path], args: argparse.Namespace) -> dict:
    started, cpu = time.perf_counter(), cpu_s()
    stages = dict.fromkeys(("read_validate", "pseudonymise", "canonical_sha256", "counts", "aggregate"), 0.0)
    con = connect(args.threads)
    con.execute(SETUP)
    month = files[0].name[:7]
    pseudonyms = Pseudonymiser(SECRET, month)
    con.register("subscribers", pa.table({"listener": pa.array(
        [pseudonyms(i) for i in subscriber_ids(args.listeners)], pa.string())}))
    day_hashes = []
    for path in files:
        day = path.name[:10]
        t0 = time.perf_counter()
        con.execute("CREATE OR REPLACE TEMP TABLE day AS SELECT * FROM read_parquet($file)", {"file": str(path)})
        start = dt.datetime.fromisoformat(day).replace(tzinfo=dt.timezone.utc)
        bad = con.execute(PROBLEMS, {"start": start, "end": start + dt.timedelta(days=1)}).fetchone()[0]
        if bad:
            sys.exit(f"{path}: {bad} bad values")
        t1 = time.perf_counter()
        new = con.execute("SELECT DISTINCT listener_id FROM day WHERE listener_id NOT IN "
                          "(SELECT listener_id FROM pseudonyms)").fetchall()
        if new:
            con.register("fresh", pa.table({"listener_id": [n for n, in new],
                                            "listener": [pseudonyms(n) for n, in new]}))
            con.execute("INSERT INTO pseudonyms SELECT * FROM fresh")
        t2 = time.perf_counter()
        digest = hashlib.sha256(b"played_at,listener,artist_id,track_id,seconds\n")
        hashed(con.sql(LINES).to_arrow_table().column(0), digest)
        day_hashes.append(digest.hexdigest())
        t3 = time.perf_counter()
        con.execute(COUNTS, {"min_seconds": args.min_seconds}).fetchone()
        t4 = time.perf_counter()
        con.execute(DAY_WEIGHTS, {"min_seconds": args.min_seconds})
        t5 = time.perf_counter()
        for name, seconds in zip(stages, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4)):
            stages[name] += seconds
    t5 = time.perf_counter()
    listeners, pairs, weight = con.execute(TOP_N, {"top_n": args.top_n}).fetchone()
    stages["aggregate"] += time.perf_counter() - t5
    return {"engine": f"duckdb {duckdb.__version__} + the pipeline's extras", "threads": args.threads,
            "wall_s": round(time.perf_counter() - started, 2), "cpu_s": round(cpu_s() - cpu, 2),
            "peak_rss_mib": peak_mib(), "stages_s": {k: round(v, 2) for k, v in stages.items()},
            "allocated_listeners": listeners, "allocation_pairs": pairs, "weight_sum": int(weight),
            "days_sha256": hashlib.sha256("".join(day_hashes).encode()).hexdigest()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", type=Path)
    parser.add_argument("figure", choices=("alone", "with_extras", "alone_kept"))
    parser.add_argument("--listeners", type=int, default=30_000)
    parser.add_argument("--top-n", type=int, default=9)
    parser.add_argument("--min-seconds", type=int, default=30)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    files = sorted(args.folder.glob("*.csv" if args.figure == "alone_kept" else "*.parquet"))
    figure = {"alone": alone, "with_extras": with_extras, "alone_kept": alone_kept}[args.figure](files, args)
    json.dump(figure, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
