"""Start-up of ``nineten``: whole processes, median of N rounds, beside ``python -c pass``.

Each round runs, one after the other: ``python -c pass`` (the interpreter alone, the reference),
``nineten --help`` and ``nineten payouts MONTH`` on the demo ledger (made by ``nineten demo`` in a
temporary folder, so the ledger is always this version's; or in --demo DIR, made once and then
reused). One round first warms the file cache and is not
counted. Reported per command: median wall time and median CPU time (user + system, from wait4).

The processes cache bytecode as Python does by default (``PYTHONDONTWRITEBYTECODE`` is taken out of
their environment unless ``--no-bytecode-cache``), so the warm-up round writes the caches that a
user's second command finds.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEMO_MONTH = "2026-10"


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall, cpu) seconds of one whole process."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"`{' '.join(command)}` failed: {process.stderr.read().decode()}")
    process.stderr.close()
    return wall, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--demo", type=Path, help="Make the demo ledger here once and reuse it (default: a "
                        "temporary folder, made afresh each run).")
    parser.add_argument("--no-bytecode-cache", action="store_true",
                        help="Keep PYTHONDONTWRITEBYTECODE as the environment has it.")
    args = parser.parse_args()
    if args.demo is not None:
        measure(args, args.demo)
        return
    with tempfile.TemporaryDirectory(prefix="nineten-startup-") as folder:
        measure(args, Path(folder) / "demo")


def measure(args: argparse.Namespace, demo: Path) -> None:
    """Print the figures, with the demo ledger in ``demo`` (made there first if missing)."""
    env = dict(os.environ)
    if not args.no_bytecode_cache:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    bin_dir = Path(sys.executable).parent
    nineten = str(bin_dir / "nineten")
    if not (demo / "ledger").exists():
        print(f"making the demo ledger in {demo}", file=sys.stderr)
        subprocess.run([nineten, "demo", "--out", str(demo)], check=True, stdout=subprocess.DEVNULL)
    commands = {"python -c pass": [sys.executable, "-c", "pass"],
                "nineten --help": [nineten, "--help"],
                f"nineten payouts {DEMO_MONTH}": [nineten, "--ledger", str(demo / "ledger"), "payouts", DEMO_MONTH]}
    for command in commands.values():
        timed(command, env)
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for _ in range(args.rounds):
        for name, command in commands.items():
            runs[name].append(timed(command, env))
    figures = {name: {"wall_s": round(statistics.median(w for w, _ in times), 3),
                      "cpu_s": round(statistics.median(c for _, c in times), 3)} for name, times in runs.items()}
    reference = figures["python -c pass"]["wall_s"]
    for name in commands:
        figures[name]["beyond_python_s"] = round(figures[name]["wall_s"] - reference, 3)
    print(json.dumps({"rounds": args.rounds, "bytecode_cache": "PYTHONDONTWRITEBYTECODE" not in env,
                      "load_average": os.getloadavg()[0], "commands": figures}, indent=1))


if __name__ == "__main__":
    main()
