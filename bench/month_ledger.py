"""Build an embedded ledger holding one node's big month, settled, by running ``nineten`` as a user
would; time each command and its peak memory.

From Parquet day files made by ``bench/generate.py`` (listeners ``user-NNNNNN``, artists
``artist-NNNNNN``): 4 nodes in 2 clusters with every artist registered; 9 in 10 listeners
subscribed at n1; every day anchored (``listens submit``); the month reconciled and sealed
(``month reconcile``), recomputed and approved by the peer and the external reviewer the chain assigns
(``month review``), and settled (``month settle``). The ledger is left in OUT/ledger for
benchmarks over a settled month (e.g. the audit document) and ``OUT/build.json`` records the
figures; an OUT that already holds a build.json is reported, not rebuilt.

With ``--gateway PROFILE`` the same commands run against that Fabric network (which must be freshly
purged and up: the consortium is bootstrapped once); OUT/ledger then holds only the wallet, the
node secrets and the kept days, and build.json names the profile.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

NODES = [("n1", "A"), ("n2", "A"), ("n3", "B"), ("n4", "B")]
NODE = "n1"
PRICE = "10.00"


def write_consortium(path: Path, artists: int) -> None:
    lines = ['policy: {price: "10.00", node_share: "1.00", top_n: 9, min_seconds: 30, currency: USDP}',
             "clusters: [{id: A}, {id: B}]", "nodes:"]
    lines += [f"  - {{id: {node}, cluster: {cluster}, wallet: w-{node}}}" for node, cluster in NODES]
    lines.append("artists:")
    lines += [f"  - {{id: artist-{i:06d}, name: Artist {i}, wallet: w-artist-{i:06d}}}" for i in range(artists)]
    path.write_text("\n".join(lines) + "\n")


def write_subscriptions(path: Path, month: str, listeners: int) -> int:
    """Every listener but each tenth subscribes at n1; returns how many."""
    rows = [f"{month},{NODE},user-{i:06d},pay-{month}-{i:06d},{PRICE}" for i in range(listeners) if i % 10]
    path.write_text("month,node_id,listener_id,payment_ref,amount\n" + "\n".join(rows) + "\n")
    return len(rows)


def nineten(ledger: Path, log: Path, *args: str, gateway: str | None = None) -> dict:
    """Run one ``nineten`` command (its stderr appended to ``log``), on the Fabric network of the
    connection profile ``gateway`` if given; its wall time and peak RSS (its own, from wait4)."""
    command = [str(Path(sys.executable).parent / "nineten"), "--ledger", str(ledger),
               *(["--gateway", gateway] if gateway else []), *args]
    started = time.perf_counter()
    with log.open("a") as errors:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, text=True)
        output = process.stdout.read()
        _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"`{' '.join(command)}` failed (its messages are in {log}):\n{output}")
    shown = [a if not a.endswith(".parquet") else "" for a in args]
    label = " ".join(["nineten", *[a for a in shown if a]]).replace(str(log.parent) + "/", "")
    if "" in shown:
        label = label.replace(" submit", f" submit <{shown.count('')} day files>")
    return {"command": label, "wall_s": round(wall, 2),
            "peak_rss_mib": round(usage.ru_maxrss / 1024), "last_line": output.strip().splitlines()[-1]}


def assigned_reviewers(ledger: Path, gateway: str | None, month: str) -> list[str]:
    """The peer and the external reviewer the chain assigned to the node's sealed month."""
    command = [str(Path(sys.executable).parent / "nineten"), "--ledger", str(ledger),
               *(["--gateway", gateway] if gateway else []), "--format", "json",
               "query", "Reviews:GetReviewers", month, NODE]
    assigned = json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout)
    return [assigned["peer"], assigned["external"]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--plays", type=Path, required=True, help="Folder of YYYY-MM-DD.parquet day files.")
    parser.add_argument("--out", type=Path, required=True, help="Where the ledger and build.json go.")
    parser.add_argument("--listeners", type=int, default=30_000)
    parser.add_argument("--artists", type=int, default=20_000)
    parser.add_argument("--gateway", type=Path, help="A Fabric connection profile: build the month on that "
                        "network (freshly purged and up) instead of an embedded ledger.")
    args = parser.parse_args()
    report = args.out / "build.json"
    if report.exists():
        print(report.read_text(), end="")
        return
    ledger = args.out / "ledger"  # on Fabric: the wallet, node secrets and kept days only
    if ledger.exists():
        sys.exit(f"{ledger} holds an unfinished build (no {report}); remove it first.")
    days = sorted(args.plays.glob("*.parquet"))
    if not days:
        sys.exit(f"no Parquet day files in {args.plays}; make them with bench/generate.py.")
    month = days[0].name[:7]
    args.out.mkdir(parents=True, exist_ok=True)
    consortium, subscriptions = args.out / "consortium.yaml", args.out / "subscriptions.csv"
    write_consortium(consortium, args.artists)
    subscribed = write_subscriptions(subscriptions, month, args.listeners)
    gateway = str(args.gateway.resolve()) if args.gateway else None
    results = []

    def run(*step: str) -> None:
        results.append(nineten(ledger, args.out / "nineten.log", *step, gateway=gateway))
        print(f"{results[-1]['command']}: {results[-1]['wall_s']} s, {results[-1]['peak_rss_mib']} MiB",
              file=sys.stderr)

    for step in [("init", "--consortium", str(consortium)), ("consortium", "load", str(consortium)),
                 ("subscriptions", "import", str(subscriptions)),
                 ("listens", "submit", *map(str, days), "--node", NODE),
                 ("month", "reconcile", month, "--node", NODE)]:
        run(*step)
    for reviewer in assigned_reviewers(ledger, gateway, month):
        run("month", "review", month, "--node", NODE, "--reviewer", reviewer)
    run("month", "settle", month, "--node", NODE)
    figures = {"ledger": str(ledger), "gateway": gateway, "month": month, "node": NODE, "days": len(days),
               "listeners": args.listeners, "subscribed": subscribed, "artists": args.artists,
               "wall_s": round(sum(r["wall_s"] for r in results), 2),
               "peak_rss_mib": max(r["peak_rss_mib"] for r in results),
               "ledger_mib": round(sum(f.stat().st_size for f in ledger.rglob("*") if f.is_file()) / 2**20),
               "steps": results}
    report.write_text(json.dumps(figures, indent=1) + "\n")
    print(report.read_text(), end="")


if __name__ == "__main__":
    main()
