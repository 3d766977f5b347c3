"""Time one node's reconciliation of a month of day files, as ``nineten`` does it.

Per day (``dayfile.anchored_days``, two days at a time while they are small): read and validate
(admin.formats), check the day, pseudonymise (``dayfile.load_day``), canonical bytes and SHA-256
anchor (``dayfile.anchor``); then the month's sums, top-N and Merkle root (``admin.reconcile``).
Prints wall and CPU time, peak RSS, and the CPU seconds of each stage: ``load`` and ``anchor`` in
the loading threads (``anchor`` also holds Arrow's own reading threads), ``aggregate`` and
``top_n_merkle`` in the main thread.

With ``--kept DIR``: the month-end reconciliation as ``nineten month reconcile`` does it, from the
canonical days ``listens submit`` kept (written into DIR first, untimed, when it holds none): each
kept file read once and hashed as it is (``dayfile.kept``), then the same sums, top-N and Merkle root.
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


def kept_days(raw: list[Path], folder: Path, pseudonyms: Pseudonymiser) -> list[Path]:
    """The canonical days of the raw ``raw`` days in ``folder``, written there first if missing
    (what ``listens submit`` keeps day by day; not part of the month-end figure)."""
    for path in raw:
        target = folder / f"{dayfile.day_of(path)}.csv"
        if not target.exists():
            dayfile.write_canonical(dayfile.load_day(path, pseudonyms), target)
    return sorted(folder.glob("*.csv"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--listeners", type=int, default=30_000)
    parser.add_argument("--top-n", type=int, default=9)
    parser.add_argument("--min-seconds", type=int, default=30)
    parser.add_argument("--kept", type=Path, help="folder of the kept canonical days (month-end figure)")
    args = parser.parse_args()
    paths = sorted(args.folder.glob("*.parquet"))
    month = dayfile.day_of(paths[0])[:7]
    pseudonyms = Pseudonymiser(SECRET, month)
    if args.kept is not None:
        paths = kept_days(paths, args.kept, pseudonyms)
    started, cpu, main_cpu = time.perf_counter(), cpu_s(), time.thread_time()
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
    read = dayfile.kept(args.min_seconds) if args.kept else dayfile.rendered(load, args.min_seconds)
    for _, frame, anchor in dayfile.anchored_days(paths, read):
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
    engine = "nineten month-end, from the kept days" if args.kept else "nineten (admin.dayfile, admin.reconcile)"
    report = {"engine": engine, "plays": rows, "days": len(paths),
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
