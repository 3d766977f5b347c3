"""Time the reconciliation of one node's month of day files, day by day.

Per day: read and validate (admin.formats), check the day, pseudonymise, canonical bytes and
SHA-256 anchor (admin.dayfile); then the month's aggregation, top-N and Merkle root
(admin.reconcile). Prints wall time per stage and peak RSS.
"""

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import pandas as pd

from admin import dayfile, formats, reconcile
from admin.pseudonym import Pseudonymiser

SECRET = b"bench-secret"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--listeners", type=int, default=30_000)
    parser.add_argument("--top-n", type=int, default=9)
    parser.add_argument("--min-seconds", type=int, default=30)
    args = parser.parse_args()
    paths = sorted(args.folder.glob("*.parquet"))
    month = dayfile.day_of(paths[0])[:7]
    stages = dict.fromkeys(("read", "canonicalise", "anchor", "aggregate", "top_n_merkle"), 0.0)
    started = time.perf_counter()
    ids = pd.Series([f"user-{i:06d}" for i in range(args.listeners) if i % 10])
    pseudonyms = Pseudonymiser(SECRET, month)
    subscribers = set(pseudonyms.series(ids))
    rows = 0

    def days():
        nonlocal rows
        for path in paths:
            t0 = time.perf_counter()
            raw = formats.read_day(path)
            formats.raise_first(dayfile.off_day_problems(raw, path))
            t1 = time.perf_counter()
            frame = dayfile.canonicalise(raw, pseudonyms)
            t2 = time.perf_counter()
            dayfile.anchor(frame, args.min_seconds)
            t3 = time.perf_counter()
            stages["read"] += t1 - t0
            stages["canonicalise"] += t2 - t1
            stages["anchor"] += t3 - t2
            rows += len(frame)
            yield frame
            stages["aggregate"] += time.perf_counter() - t3

    before_month = time.perf_counter()
    result = reconcile.reconcile(days(), subscribers, args.top_n, args.min_seconds)
    stages["top_n_merkle"] = time.perf_counter() - before_month - sum(
        v for k, v in stages.items() if k != "top_n_merkle")
    wall = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    pairs = sum(len(a) for _, a in result.allocations)
    weight = sum(w for _, a in result.allocations for _, w in a)
    report = {"engine": "pandas (admin.reconcile)", "plays": rows, "days": len(paths),
              "wall_s": round(wall, 2), "peak_rss_mib": round(peak_mib),
              "stages_s": {k: round(v, 2) for k, v in stages.items()},
              "allocated_listeners": len(result.allocations), "allocation_pairs": pairs,
              "weight_sum": int(weight), "unsubscribed": len(result.unsubscribed),
              "no_plays": len(result.no_plays), "merkle_root": result.merkle_root}
    json.dump(report, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
