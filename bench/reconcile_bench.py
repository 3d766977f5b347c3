"""Time one node's reconciliation of a month of day files, as ``nineten`` does it.

Per day (``dayfile.anchored_days``, two days at a time while they are small): read and validate
(admin.formats), check the day, pseudonymise (``dayfile.load_day``), canonical bytes and SHA-256
anchor (``dayfile.anchor``), the day's own sums (``reconcile.day_sums``); then the month's sums,
top-N and Merkle root (``admin.reconcile``). Prints wall and CPU time, peak RSS, and the CPU seconds
of each stage: ``load`` and ``anchor`` in the loading threads (``anchor`` also holds Arrow's own
reading threads and the day's sums), ``aggregate`` (adding each day's sums to the month's) and
``top_n_merkle`` in the main thread.

With ``--kept DIR``: the month-end reconciliation as ``nineten month reconcile`` does it, from the
canonical days ``listens submit`` kept (written into DIR first, untimed, when it holds none): each
kept file read once and hashed as it is (``dayfile.kept``), then the same sums, top-N and Merkle root.
With ``--day-format columnar`` the kept days are in the columnar form (``admin.daycolumns``, the
policy's ``day_format``), written into DIR first when it holds none. With ``--kept DIR --floor``:
only what ``dayfile.kept`` does per day (read, SHA-256, parse, the anchor's counts), no sums: what the month-end must do beside the aggregation DuckDB is timed for.
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


def kept_days(raw: list[Path], folder: Path, pseudonyms: Pseudonymiser, form: str) -> list[Path]:
    """The canonical days (day format ``form``) of the raw ``raw`` days in ``folder``, written there
    first if missing (what ``listens submit`` keeps day by day; not part of the month-end figure)."""
    suffix = dayfile.SUFFIXES[form]
    for path in raw:
        target = folder / f"{dayfile.day_of(path)}{suffix}"
        if not target.exists():
            dayfile.write_canonical(dayfile.load_day(path, pseudonyms), target, form)
    return sorted(folder.glob(f"*{suffix}"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--listeners", type=int, default=30_000)
    parser.add_argument("--top-n", type=int, default=9)
    parser.add_argument("--min-seconds", type=int, default=30)
    parser.add_argument("--kept", type=Path, help="folder of the kept canonical days (month-end figure)")
    parser.add_argument("--floor", action="store_true", help="with --kept: read, hash and parse the days only")
    parser.add_argument("--day-format", choices=dayfile.SUFFIXES, default=dayfile.CSV,
                        help="the kept days' format (default csv)")
    args = parser.parse_args()
    if args.floor and args.kept is None:
        parser.error("--floor needs --kept DIR")
    paths = sorted(args.folder.glob("*.parquet"))
    month = dayfile.day_of(paths[0])[:7]
    pseudonyms = Pseudonymiser(SECRET, month)
    if args.kept is not None:
        paths = kept_days(paths, args.kept, pseudonyms, args.day_format)
    # the paid listeners' pseudonyms, as the chain holds them for `month reconcile` (a pseudonymiser of
    # their own: the loading one still hashes each listener of the raw days in the timed part)
    paid = pd.Series([f"user-{i:06d}" for i in range(args.listeners) if i % 10])
    subscribers = set(Pseudonymiser(SECRET, month).series(paid))
    started, cpu, main_cpu = time.perf_counter(), cpu_s(), time.thread_time()
    loading = 0.0

    def load(path: Path) -> pd.DataFrame:
        nonlocal loading
        before = time.thread_time()
        frame = dayfile.load_day(path, pseudonyms)
        loading += time.thread_time() - before
        return frame

    rows, day_hashes = 0, []

    sums = reconcile.MonthSums(subscribers, args.min_seconds)
    read = dayfile.kept(args.min_seconds) if args.kept else dayfile.rendered(load, args.min_seconds, args.day_format)
    for _, frame, anchor, *day in dayfile.anchored_days(paths, read if args.floor else reconcile.summing(read, sums)):
        rows += len(frame)
        day_hashes.append(anchor["sha256"])
        if day:
            sums.add_sums(day[0])
        del frame, day  # not held while the next day is awaited
    sums.pairs.summed()  # the month's last waiting plays summed: part of the aggregation
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
    engine = ("nineten month-end floor: read, hash, parse the kept days" if args.floor
              else "nineten month-end, from the kept days" if args.kept else "nineten (admin.dayfile, admin.reconcile)")
    if args.kept:
        engine += f" ({args.day_format})"
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
