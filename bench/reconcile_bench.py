"""Time one node's reconciliation of a month of day files, as ``nineten`` does it.

Per day (``dayfile.anchored_days``, two days at a time while they are small): read and validate
(admin.formats), check the day, pseudonymise (``dayfile.load_day``), canonical bytes and SHA-256
anchor (``dayfile.anchor``); then the month's sums, top-N and Merkle root (``admin.reconcile``).
Prints wall and CPU time, peak RSS, and the CPU seconds of each stage: ``load`` and ``anchor`` in
the loading threads (``anchor`` also holds Arrow's own reading threads), ``aggregate`` and
``top_n_merkle`` in the main thread.
"""

import argparse
import hashlib
import json
import resource
import sys
import time
from pathlib import Path

import pandas as pd

from admin import dayfile, reconcile
from admin.pseudonym import Pseudonymiser

SECRET = b"bench-secret"


def cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--listeners", type=int, default=30_000)
    parser.add_argument("--top-n", type=int, default=9)
    parser.add_argument("--min-seconds", type=int, default=30)
    args = parser.parse_args()
    paths = sorted(args.folder.glob("*.parquet"))
    month = dayfile.day_of(paths[0])[:7]
    started, cpu, main_cpu = time.perf_counter(), cpu_s(), time.thread_time()
    pseudonyms = Pseudonymiser(SECRET, month)
    subscribers = set(pseudonyms.series(pd.Series([f"user-{i:06d}" for i in range(args.listeners) if i % 10])))
    loading = 0.0

    def load(path: Path) -> pd.DataFrame:
        nonlocal loading
        before = time.thread_time()
        frame = dayfile.load_day(path, pseudonyms)
        loading += time.thread_time() - before
        return frame

    rows, day_hashes = 0, []

    sums = reconcile.MonthSums(subscribers, args.min_seconds)
    for _, frame, anchor in dayfile.anchored_days(paths, load, args.min_seconds):
        rows += len(frame)
        day_hashes.append(anchor["sha256"])
        sums.add(frame)
        del frame  # not held while the next day is awaited
    aggregated = time.thread_time()
    result = sums.reconciliation(args.top_n)
    wall, total_cpu = time.perf_counter() - started, cpu_s() - cpu
    top_n_merkle = time.thread_time() - aggregated
    aggregate = aggregated - main_cpu
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    pairs = sum(len(a) for _, a in result.allocations)
    weight = sum(w for _, a in result.allocations for _, w in a)
    stages = {"load": loading, "anchor": total_cpu - loading - aggregate - top_n_merkle,
              "aggregate": aggregate, "top_n_merkle": top_n_merkle}
    report = {"engine": "nineten (admin.dayfile, admin.reconcile)", "plays": rows, "days": len(paths),
              "wall_s": round(wall, 2), "cpu_s": round(total_cpu, 2), "peak_rss_mib": round(peak_mib),
              "stages_cpu_s": {k: round(v, 2) for k, v in stages.items()},
              "allocated_listeners": len(result.allocations), "allocation_pairs": pairs,
              "weight_sum": int(weight), "unsubscribed": len(result.unsubscribed),
              "no_plays": len(result.no_plays), "merkle_root": result.merkle_root,
              "days_sha256": hashlib.sha256("".join(day_hashes).encode()).hexdigest()}
    json.dump(report, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
