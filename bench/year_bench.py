"""Time a year of the consortium: ``nineten demo --months N`` beside the one-month ``nineten demo``
(the reference, in the same run), each its own process, with its wall time, CPU time and peak RSS
(from wait4), and the size of the ledger the year leaves: the embedded ledger file, its world-state
keys and blocks, the canonical day files kept. Figures as JSON on stdout.

    uv run python bench/year_bench.py OUT [--months 12]
"""

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path


def demo(out: Path, *args: str) -> dict:
    """``nineten demo --out OUT ARGS`` in its own process: wall and CPU seconds, peak RSS, last line."""
    shutil.rmtree(out, ignore_errors=True)
    command = [str(Path(sys.executable).parent / "nineten"), "demo", "--out", str(out), *args]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"`{' '.join(command)}` failed:\n{output}")
    return {"command": " ".join(["nineten demo", *args]), "wall_s": round(wall, 1),
            "cpu_s": round(usage.ru_utime + usage.ru_stime, 1), "peak_rss_mib": round(usage.ru_maxrss / 1024),
            "ledger": ledger_size(out / "ledger"), "last_line": output.strip().splitlines()[-1]}


def ledger_size(folder: Path) -> dict:
    """The embedded ledger's file, world-state keys and blocks, and the canonical day files kept."""
    db = sqlite3.connect(folder / "ledger.sqlite")
    try:
        keys = db.execute("select count(*) from state").fetchone()[0]
        blocks = db.execute("select count(*) from blocks").fetchone()[0]
    finally:
        db.close()
    days = sum(f.stat().st_size for f in (folder / "days").rglob("*") if f.is_file())
    return {"file_mib": round((folder / "ledger.sqlite").stat().st_size / 2**20, 1), "world_state_keys": keys,
            "blocks": blocks, "kept_days_mib": round(days / 2**20, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="Folder for both runs (out/month, out/year; replaced).")
    parser.add_argument("--months", type=int, default=12)
    args = parser.parse_args()
    reference = demo(args.out / "month")
    year = demo(args.out / "year", "--months", str(args.months))
    print(json.dumps({"reference": reference, "year": year, "cpus": os.cpu_count(),
                      "load_average": [round(x, 1) for x in os.getloadavg()]}, indent=2))


if __name__ == "__main__":
    main()
