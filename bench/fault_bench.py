"""Daily anchors per second before, during and after each fault, and the Raft leader's fail-over.

On the network that NINETEN_NETWORK_DIR names (``network/network.sh up``; ``NINETEN_HOSTS=netns``
for the cut). One client per node admin (threads of this process), each keeping ``--in-flight``
anchors of distinct days outstanding, submits without a pause for the whole run. The faults strike
one after another, each after ``--steady`` seconds of undisturbed load:

  leader     the Raft leader SIGKILLed (restarted 3 s after another orderer leads)
  cut        cluster B cut off for 10 s (netns only)
  peer       org2's peer stopped for 8 s, then started on its ledger
  chaincode  org3's chaincode server SIGKILLed, started again after 3 s
  upgrade    a new chaincode version committed (prepared and approved by org1-org3 beforehand;
             org4 approves after the commit)

For each fault: anchors committed per second in the ``--steady`` seconds before it, while it lasts
(from the strike until the network is whole again: every ledger caught up, every server back) and
in the ``--steady`` seconds after; for the leader, the fail-over (kill to another orderer reporting
itself leader in its metrics) and the first commit of an anchor sent after the kill. ``--up-times``
first purges the network and times ``network.sh up`` (whole process) on loopback, then on netns.
Prints a line per fault, then everything as JSON.
"""

import argparse
import datetime
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the fault helpers of the Fabric tests
sys.path.insert(0, str(ROOT / "bench"))

from admin.wallet import Wallet  # noqa: E402
from fabric_tps import PYTHON, _anchor, _gateway, _registry  # noqa: E402
from fabric_support import PROFILE, enroll, org_of, profile  # noqa: E402
from fault_month import (Event, Network, commit_upgrade, cut_cluster, kill_chaincode, kill_leader,  # noqa: E402
                         restart_peer)
from fabric_network import network  # noqa: E402

FAULTS = ("leader", "cut", "peer", "chaincode", "upgrade")


class Load:
    """One client per node, ``in_flight`` threads each, anchoring distinct days until stopped."""

    def __init__(self, folder: Path, nodes: dict[str, str], in_flight: int) -> None:
        self.commits: list[tuple[float, float]] = []  # (sent, reported committed) per anchor
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        first = datetime.date(2200, 1, 1) + datetime.timedelta(days=random.randrange(2_000_000))
        self._days = (str(first + datetime.timedelta(days=i)) for i in range(10**9))
        self._threads = []
        for msp, node in sorted(nodes.items()):
            gateway = _gateway(folder / msp, PYTHON)
            gateway.evaluate("admin", "Registry:ListClusters")  # connected before the clock starts
            self._threads += [threading.Thread(target=self._client, args=(gateway, node), daemon=True)
                              for _ in range(in_flight)]

    def _client(self, gateway, node: str) -> None:
        while not self._stop.is_set():
            with self._lock:
                day = next(self._days)
            sent = time.monotonic()
            try:
                gateway.submit("admin", "Listening:Anchor", *_anchor(node, day))
            except Exception as exc:  # noqa: BLE001 (counted and reported)
                self.errors.append(f"{type(exc).__name__}: {exc}")
                continue
            with self._lock:
                self.commits.append((sent, time.monotonic()))

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(120)

    def rate(self, start: float, end: float) -> float:
        """Anchors reported committed per second between ``start`` and ``end``."""
        with self._lock:
            done = sum(start <= ended < end for _, ended in self.commits)
        return done / (end - start) if end > start else 0.0


def node_admins(folder: Path, msp_ids: list[str]) -> dict[str, str]:
    """Node id by MSP id, with an admin identity of each organisation enrolled under ``folder`` (the
    test consortium bootstrapped when the ledger has none)."""
    for msp in msp_ids:
        Wallet(folder / msp / "ledger" / "wallet").put(enroll(folder, org_of(msp), "admin", "admin"))
    return {n["msp_id"]: n["id"] for n in _registry(folder, msp_ids[0])["nodes"] if n["msp_id"] in msp_ids}


def time_up(hosts: str) -> float:
    """Seconds of ``network.sh up`` (whole process) on a freshly purged network of ``hosts``."""
    network("purge")
    began = time.monotonic()
    subprocess.run([str(ROOT / "network" / "network.sh"), "up"], check=True, stdout=subprocess.DEVNULL,
                   env={**os.environ, "NINETEN_HOSTS": hosts})
    return time.monotonic() - began


def strike(name: str, net: Network, version: str) -> Event:
    if name == "leader":
        return kill_leader(net)
    if name == "cut":
        return cut_cluster(net, "B", 10.0)
    if name == "peer":
        return restart_peer(net, "org2", 8.0)
    if name == "chaincode":
        return kill_chaincode(net, "org3", 3.0)
    network("prepare-chaincode", version, "org1", "org2", "org3")
    return commit_upgrade(net, ["org4"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steady", type=float, default=10.0, help="seconds of load before and after each fault (10)")
    parser.add_argument("--in-flight", type=int, default=4, help="outstanding anchors per client (4)")
    parser.add_argument("--faults", default=",".join(FAULTS), help=f"which, in order (default {','.join(FAULTS)})")
    parser.add_argument("--up-times", action="store_true",
                        help="first purge the network and time `up` on loopback, then on netns")
    args = parser.parse_args()
    faults = [f for f in args.faults.split(",") if f]
    unknown = set(faults) - set(FAULTS)
    if unknown:
        parser.error(f"unknown faults {', '.join(sorted(unknown))}; choose among {', '.join(FAULTS)}")
    report: dict = {"network": str(PROFILE.parent)}
    if args.up_times:
        report["up_s"] = {hosts: round(time_up(hosts), 1) for hosts in ("loopback", "netns")}
        print(f"up: loopback {report['up_s']['loopback']} s, netns {report['up_s']['netns']} s", flush=True)
    hosts = profile()["hosts"]
    if hosts != "netns" and "cut" in faults:
        print("cut: skipped, the network runs on loopback (NINETEN_HOSTS=netns needed)", flush=True)
        faults.remove("cut")
    net = Network(PROFILE)
    msp_ids = sorted(org["msp_id"] for org in profile()["organizations"].values())
    folder = Path(tempfile.mkdtemp(prefix="nineten-faults-"))
    load = Load(folder, node_admins(folder, msp_ids), args.in_flight)
    report.update(hosts=hosts, clients=len(msp_ids), in_flight=args.in_flight, steady_s=args.steady, faults=[])
    load.start()
    try:
        for name in faults:
            time.sleep(args.steady)
            event = strike(name, net, f"b{int(time.time())}")
            time.sleep(args.steady)
            figures = {"fault": name, "what": event.name, "lasted_s": round(event.ended - event.began, 1),
                       "tx_s_before": round(load.rate(event.began - args.steady, event.began), 1),
                       "tx_s_during": round(load.rate(event.began, event.ended), 1),
                       "tx_s_after": round(load.rate(event.ended, event.ended + args.steady), 1)}
            if name == "leader":
                sent_after = [ended for sent, ended in load.commits if sent >= event.began]
                figures.update(failover_s=round(event.facts["failover_s"], 1),
                               first_commit_after_kill_s=round(min(sent_after) - event.began, 1))
            report["faults"].append(figures)
            print(" ".join(f"{k}={v}" for k, v in figures.items()), flush=True)
    finally:
        load.stop()
    report["anchors"] = len(load.commits)
    report["errors"] = load.errors[:10]
    print(json.dumps(report, indent=2))
    if load.errors:
        sys.exit(f"{len(load.errors)} anchors failed; the first: {load.errors[0]}")


if __name__ == "__main__":
    main()
