"""Daily anchors per second (``Listening:Anchor``): the Python chaincode beside the Go reference
chaincode (``bench/anchor-go``) on the same Fabric network, and the embedded ledger.

Four client processes, each its own node's admin identity (enrolled at its organisation's CA with
``nineten.role=admin``), submit anchors of distinct days through the Fabric Gateway, each with
``--in-flight`` transactions outstanding. A transaction counts when its commit is reported VALID.
Each round runs the clients against both chaincodes, one after the other (the order alternates
between rounds), with fresh days, the same days for both. For each chaincode: tx/s over all its
runs, the latency (endorse to commit) percentiles, and its servers' CPU time per anchor (user +
system time of its server processes over the runs, every endorsement of an anchor included).
Then the embedded ledger anchors the same days, one transaction at a time in one process.

Needs the network up (``network/network.sh up``; ``NINETEN_NETWORK_DIR`` names which network); the
Go chaincode is built and deployed on it first (``bench/anchor-go/deploy.sh up``, a no-op once done).
Prints a line per run and the figures as JSON.
"""

import argparse
import datetime
import hashlib
import json
import multiprocessing
import os
import queue
import random
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the CA enrollment helpers of the Fabric tests

from admin.errors import LedgerRejected  # noqa: E402
from admin.fabric.client import FabricClient  # noqa: E402
from admin.wallet import Wallet  # noqa: E402
from conftest import consortium  # noqa: E402
from fabric_support import GO_CHAINCODE, NETWORK, PROFILE, deploy_go, enroll, org_of, profile  # noqa: E402

COUNTS = json.dumps({"rows": 100, "listeners": 40, "plays": 90, "seconds": 18000})
PYTHON = "python"
#: pid files of each chaincode's servers (network/network.sh: one, or one per organisation;
#: bench/anchor-go/deploy.sh)
SERVER_PIDS = {PYTHON: "chaincode*.pid", GO_CHAINCODE: f"{GO_CHAINCODE}.pid"}


def _gateway(folder: Path, chaincode: str) -> FabricClient:
    """A gateway to ``chaincode`` (PYTHON: the profile's) with the wallet under ``folder``."""
    settings = profile()
    if chaincode != PYTHON:
        settings = {**settings, "chaincode": chaincode}
    return FabricClient(settings, Wallet(folder / "ledger" / "wallet"), PROFILE)


def _registry(folder: Path, msp_id: str) -> dict:
    """The Python chaincode's consortium (clusters and nodes; the test consortium bootstrapped if it
    has none); the Go chaincode and the embedded ledger are given the same."""
    gateway = _gateway(folder / msp_id, PYTHON)
    try:
        nodes = json.loads(gateway.evaluate("admin", "Registry:ListNodes"))
    except LedgerRejected:  # not bootstrapped: the caller's organisation is no node yet
        gateway.submit("admin", "Registry:Bootstrap", json.dumps(consortium()))
        nodes = json.loads(gateway.evaluate("admin", "Registry:ListNodes"))
    clusters = json.loads(gateway.evaluate("admin", "Registry:ListClusters"))
    gateway.close()
    return {**consortium(), "clusters": clusters, "nodes": nodes}


def _client(folder: Path, chaincode: str, node: str, dates: list[str], in_flight: int, ready, results) -> None:
    """One client process: submit an anchor of ``node`` for each date, ``in_flight`` at a time."""
    gateway = _gateway(folder, chaincode)
    gateway.evaluate("admin", "org.hyperledger.fabric:GetMetadata")  # connect before the clock starts

    def anchor(date: str) -> float:
        begun = time.perf_counter()
        committed = gateway.submit("admin", "Listening:Anchor", *_anchor(node, date))
        assert json.loads(committed.payload)["anchored"], committed.payload
        return time.perf_counter() - begun

    ready.wait()
    with ThreadPoolExecutor(in_flight) as pool:
        results.put(list(pool.map(anchor, dates)))
    gateway.close()


def _anchor(node: str, date: str) -> tuple[str, str, str, str]:
    return node, date, hashlib.sha256(f"{node} {date}".encode()).hexdigest(), COUNTS


def _collect(results, clients) -> list[float]:
    """Every client's latencies; exits as soon as a client fails."""
    latencies: list[float] = []
    for _ in clients:
        while True:
            try:
                latencies += results.get(timeout=1)
                break
            except queue.Empty:
                if any(client.exitcode for client in clients):
                    sys.exit("a client failed; see its error above")
    return latencies


def _cpu_seconds(chaincode: str) -> float | None:
    """User + system CPU seconds of the chaincode's server processes so far (None if unknown)."""
    total, found = 0.0, False
    for pid_file in (NETWORK / "pids").glob(SERVER_PIDS[chaincode]):
        try:
            fields = Path(f"/proc/{pid_file.read_text().strip()}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total, found = total + (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"), True
    return total if found else None


def _run(folder: Path, chaincode: str, nodes: dict[str, str], dates: list[str], in_flight: int) -> dict:
    """The four clients against one chaincode: elapsed seconds, latencies and server CPU seconds."""
    spawn = multiprocessing.get_context("spawn")  # gRPC does not survive fork once used
    ready, results = spawn.Barrier(len(nodes) + 1), spawn.Queue()
    clients = [spawn.Process(target=_client, args=(folder / msp, chaincode, node, dates, in_flight, ready, results))
               for msp, node in sorted(nodes.items())]
    for client in clients:
        client.start()
    ready.wait(timeout=120)  # every client connected: the clock starts
    cpu, began = _cpu_seconds(chaincode), time.perf_counter()
    latencies = _collect(results, clients)
    elapsed, cpu_after = time.perf_counter() - began, _cpu_seconds(chaincode)
    for client in clients:
        client.join()
    run = {"elapsed": elapsed, "latencies": latencies,
           "cpu": None if cpu is None or cpu_after is None else cpu_after - cpu}
    print(f"  {chaincode:>9}: {len(latencies)} anchors in {elapsed:.1f} s, {len(latencies) / elapsed:.1f} tx/s"
          + (f", server CPU {1000 * run['cpu'] / len(latencies):.2f} ms per anchor" if run["cpu"] is not None else ""),
          flush=True)
    return run


def _figures(runs: list[dict]) -> dict:
    """tx/s, latency percentiles and server CPU per anchor over runs."""
    latencies = sorted(x for run in runs for x in run["latencies"])
    elapsed = sum(run["elapsed"] for run in runs)
    q = statistics.quantiles(latencies, n=100)
    cpu = None if any(run.get("cpu") is None for run in runs) else sum(run["cpu"] for run in runs)
    return {"anchors": len(latencies), "tx_per_s": round(len(latencies) / elapsed, 1),
            "latency_ms": {"p50": round(1000 * q[49], 1), "p90": round(1000 * q[89], 1),
                           "p99": round(1000 * q[98], 1), "max": round(1000 * latencies[-1], 1)},
            "server_cpu_ms_per_anchor": None if cpu is None else round(1000 * cpu / len(latencies), 2)}


def _embedded(registry: dict, anchors: list[tuple[str, str, str, str]]) -> dict:
    """The same anchors on an embedded ledger of the same consortium, one at a time."""
    from admin.embedded.setup import init_ledger

    with tempfile.TemporaryDirectory(prefix="nineten-tps-embedded-") as folder:
        ledger = init_ledger(Path(folder) / "ledger", [(n["id"], n["msp_id"]) for n in registry["nodes"]])
        ledger.submit(f"{registry['nodes'][0]['id']}.admin", "Registry:Bootstrap", json.dumps(registry))
        latencies, began = [], time.perf_counter()
        for args in anchors:
            start = time.perf_counter()
            assert ledger.submit(f"{args[0]}.admin", "Listening:Anchor", *args).json()["anchored"]
            latencies.append(time.perf_counter() - start)
        elapsed = time.perf_counter() - began
        ledger.close()
    print(f"   embedded: {len(latencies)} anchors in {elapsed:.1f} s, {len(latencies) / elapsed:.1f} tx/s", flush=True)
    return _figures([{"elapsed": elapsed, "latencies": latencies, "cpu": None}])


def _measure(folder: Path, msp_ids: list[str], args: argparse.Namespace) -> dict:
    """Both chaincodes in alternating rounds, then the embedded ledger: the figures."""
    for msp in msp_ids:  # one admin identity per organisation, shared by the runs
        Wallet(folder / msp / "ledger" / "wallet").put(enroll(folder, org_of(msp), "admin", "admin"))
    deploy_go()
    registry = _registry(folder, msp_ids[0])
    go = _gateway(folder / msp_ids[0], GO_CHAINCODE)
    go.submit("admin", "Registry:Bootstrap", json.dumps(registry))  # a no-op once done
    go.close()
    nodes = {n["msp_id"]: n["id"] for n in registry["nodes"] if n["msp_id"] in msp_ids}
    print(f"network {NETWORK}: {len(nodes)} clients ({', '.join(sorted(nodes.values()))}), "
          f"{args.per_client} anchors each per run, {args.in_flight} in flight per client, {args.rounds} round(s)",
          flush=True)
    runs: dict[str, list[dict]] = {PYTHON: [], GO_CHAINCODE: []}
    first_days = []
    for round_ in range(args.rounds):
        first = datetime.date(2200, 1, 1) + datetime.timedelta(days=random.randrange(2_000_000))
        dates = [str(first + datetime.timedelta(days=i)) for i in range(args.per_client)]
        first_days = first_days or dates
        print(f"round {round_ + 1}", flush=True)
        for chaincode in (PYTHON, GO_CHAINCODE)[:: 1 if round_ % 2 == 0 else -1]:
            runs[chaincode].append(_run(folder, chaincode, nodes, dates, args.in_flight))
    figures = {name: _figures(r) for name, r in runs.items()}
    figures["python_over_go"] = round(figures[PYTHON]["tx_per_s"] / figures[GO_CHAINCODE]["tx_per_s"], 2)
    figures["embedded"] = _embedded(registry, [_anchor(node, d) for node in sorted(nodes.values())
                                                 for d in first_days])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-client", type=int, default=200, help="anchors each client submits per run (200)")
    parser.add_argument("--in-flight", type=int, default=32, help="outstanding transactions per client (32)")
    parser.add_argument("--rounds", type=int, default=2, help="runs on each chaincode, alternating (2)")
    args = parser.parse_args()
    msp_ids = sorted(org["msp_id"] for org in profile()["organizations"].values())[:4]
    with tempfile.TemporaryDirectory(prefix="nineten-tps-") as folder:  # the clients' identities
        figures = _measure(Path(folder), msp_ids, args)
    json.dump(figures, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
