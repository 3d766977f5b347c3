"""Transactions per second of daily anchors (``Listening:Anchor``) on the Fabric network.

Four client processes, each its own node's admin identity (enrolled at its organisation's CA with
``nineten.role=admin``), submit anchors of distinct days through the Fabric Gateway, each with
``--in-flight`` transactions outstanding. A transaction counts when its commit is reported VALID.
Prints tx/s over the whole run and the latency (endorse to commit) percentiles.

Needs the network up: ``network/network.sh up`` (``NINETEN_NETWORK_DIR`` names which network).
"""

import argparse
import datetime
import hashlib
import json
import multiprocessing
import queue
import random
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the CA enrollment helper of the Fabric tests

from admin.errors import LedgerRejected  # noqa: E402
from admin.fabric.client import FabricClient  # noqa: E402
from fabric_support import NETWORK, PROFILE, enroll, org_of, profile  # noqa: E402

COUNTS = json.dumps({"rows": 100, "listeners": 40, "plays": 90, "seconds": 18000})


def _consortium(msp_ids: list[str]) -> dict:
    """A consortium of one node per organisation of the network, for a ledger not yet bootstrapped."""
    nodes = [{"id": f"n{i}", "cluster": "A" if i <= 2 else "B", "msp_id": msp, "wallet": f"wallet-n{i}"}
             for i, msp in enumerate(msp_ids, 1)]
    return {"clusters": [{"id": "A"}, {"id": "B"}], "nodes": nodes, "artists": [],
            "policy": {"effective_from": "2026-01", "price_micro": 10_000_000, "node_share_micro": 1_000_000,
                       "top_n": 9, "min_seconds": 30, "currency": "USDP"}}


def _gateway(folder: Path, msp_id: str) -> FabricClient:
    """A gateway whose wallet holds ``admin``: a fresh admin identity of ``msp_id``."""
    from admin.wallet import Wallet

    Wallet(folder / "ledger" / "wallet").put(enroll(folder, org_of(msp_id), "admin", "admin"))
    return FabricClient.from_profile(PROFILE, folder / "ledger")


def _nodes(folder: Path, msp_ids: list[str]) -> dict[str, str]:
    """Node id by MSP id, bootstrapping a consortium when the ledger has none."""
    gateway = _gateway(folder / msp_ids[0], msp_ids[0])
    try:
        nodes = json.loads(gateway.evaluate("admin", "Registry:ListNodes"))
    except LedgerRejected:  # not bootstrapped: the caller's organisation is no node yet
        gateway.submit("admin", "Registry:Bootstrap", json.dumps(_consortium(msp_ids)))
        nodes = json.loads(gateway.evaluate("admin", "Registry:ListNodes"))
    finally:
        gateway.close()
    return {n["msp_id"]: n["id"] for n in nodes if n["msp_id"] in msp_ids}


def _client(folder: Path, msp_id: str, node: str, dates: list[str], in_flight: int, ready, results) -> None:
    """One client process: submit an anchor of ``node`` for each date, ``in_flight`` at a time."""
    gateway = _gateway(folder, msp_id)
    gateway.evaluate("admin", "Registry:ListClusters")  # connect before the clock starts

    def anchor(date: str) -> float:
        digest = hashlib.sha256(f"{node} {date}".encode()).hexdigest()
        begun = time.perf_counter()
        committed = gateway.submit("admin", "Listening:Anchor", node, date, digest, COUNTS)
        assert json.loads(committed.payload)["anchored"], committed.payload
        return time.perf_counter() - begun

    ready.wait()
    with ThreadPoolExecutor(in_flight) as pool:
        results.put(list(pool.map(anchor, dates)))
    gateway.close()


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-client", type=int, default=200, help="anchors each client submits (200)")
    parser.add_argument("--in-flight", type=int, default=32, help="outstanding transactions per client (32)")
    args = parser.parse_args()
    msp_ids = sorted(org["msp_id"] for org in profile()["organizations"].values())[:4]
    folder = Path(tempfile.mkdtemp(prefix="nineten-tps-"))
    nodes = _nodes(folder, msp_ids)
    first = datetime.date(2200, 1, 1) + datetime.timedelta(days=random.randrange(2_000_000))
    dates = [str(first + datetime.timedelta(days=i)) for i in range(args.per_client)]
    print(f"network {NETWORK}: {len(nodes)} clients ({', '.join(sorted(nodes.values()))}), "
          f"{args.per_client} anchors each, {args.in_flight} in flight per client", flush=True)
    spawn = multiprocessing.get_context("spawn")  # gRPC does not survive fork once used
    ready, results = spawn.Barrier(len(nodes) + 1), spawn.Queue()
    clients = [spawn.Process(target=_client, args=(folder / msp, msp, node, dates, args.in_flight,
                                                              ready, results))
               for msp, node in sorted(nodes.items())]
    for client in clients:
        client.start()
    ready.wait(timeout=120)  # every client enrolled and connected: the clock starts
    began = time.perf_counter()
    latencies = sorted(_collect(results, clients))
    elapsed = time.perf_counter() - began
    for client in clients:
        client.join()
    quantiles = statistics.quantiles(latencies, n=100)
    print(f"{len(latencies)} anchors committed in {elapsed:.1f} s: {len(latencies) / elapsed:.1f} tx/s")
    print(f"latency (s): p50 {quantiles[49]:.2f}  p90 {quantiles[89]:.2f}  p99 {quantiles[98]:.2f}  "
          f"max {latencies[-1]:.2f}")


if __name__ == "__main__":
    main()
