"""A month on the Fabric network while faults strike it (``pytest -m faults``; the network up, the
partition needs ``NINETEN_HOSTS=netns``).

One run (the module's fixture, on a freshly purged network): the demo consortium, smaller, and one
client per node submitting at once, phase by phase, a fault striking each phase once some of its
transactions landed:

1. anchors of days 1-8: the Raft leader is SIGKILLed (restarted once another leads);
2. days 9-16: cluster B's hosts are cut off for longer than the Raft election timeout;
3. days 17-24: org2's peer is stopped, then restarted on its ledger;
4. days 25-31: chaincode 2.0, prepared and approved by org1-org3 beforehand, is committed; org4
   approves it after;
5. allocations; 6. reviews: org3's chaincode server is SIGKILLed and restarted; 7. the settlement.

After each phase every peer's world state hash is read from the peer itself. The tests then check
what each fault must leave true, and that the month settles as the embedded ledger settles the same
scenario. Takes about 3 minutes.
"""

import os
import shutil
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from admin.demo_data import DemoShape, write_demo
from admin.simulate import Scenario
from fault_month import (ChainTx, Event, MonthUnderFaults, Network, PeerQueries, Submission, chain,
                         commit_upgrade, cut_cluster, kill_chaincode, kill_leader, restart_peer,
                         state_hash, wait_for)
from fabric_network import NETWORK, fresh_network, network
from fabric_support import assert_same_month, seed_secrets
from scenario_files import run

pytestmark = pytest.mark.faults

SHAPE = DemoShape(listeners=200, artists=40)  # 4 nodes, 31 days: 124 anchors
CUT_FOR = 10.0        # seconds cluster B is cut off: twice the Raft election timeout (5 s)
PEER_DOWN_FOR = 8.0
NEW_VERSION, MAJORITY, LATE = "2.0", ["org1", "org2", "org3"], ["org4"]


@dataclass
class Run:
    profile: dict
    month: MonthUnderFaults
    events: dict[str, Event]
    hashes: dict[str, dict[str, str]]   # after each phase: org -> its peer's world state hash
    txs: list[ChainTx]                  # every transaction of org1's peer's ledger
    fabric_out: Path
    embedded_out: Path


def _netns_refusal() -> str:
    return os.environ.get("NINETEN_NETNS_SKIP") or (
        "the network runs on loopback: cutting a cluster off needs NINETEN_HOSTS=netns")


@pytest.fixture(scope="module")
def faulty(tmp_path_factory) -> Run:
    profile_path = fresh_network()
    profile = yaml.safe_load(profile_path.read_text())
    tmp = tmp_path_factory.mktemp("faults")
    scenario = Scenario.open(write_demo(tmp / "scenario", SHAPE), None)
    fabric_out, embedded_out = tmp / "fabric", tmp / "embedded"
    net, month = Network(profile_path), MonthUnderFaults(scenario, fabric_out / "ledger", profile_path)
    orgs = profile["organizations"]
    peers = {org: PeerQueries(month.session(month.nodes[0]).client, orgs[org]) for org in orgs}
    reader = {org: f"{node['id']}.auditor" for node in scenario.consortium.nodes
              for org in orgs if orgs[org]["msp_id"] == node["msp_id"]}
    hashes: dict[str, dict[str, str]] = {}

    def phase(name, work, fault=None, after=0):
        event = month.run(work, fault, after)
        if event is not None:
            events[name] = event
        wait_for(net.converged, 120, f"every ledger at one height after {name}")
        hashes[name] = {org: state_hash(month.folder, peers[org], reader[org]) for org in orgs}

    events: dict[str, Event] = {}
    try:
        month.set_up()
        phase("leader", month.anchors(range(1, 9)), lambda: kill_leader(net), after=6)
        partition = (lambda: cut_cluster(net, "B", CUT_FOR)) if profile["hosts"] == "netns" else None
        phase("partition", month.anchors(range(9, 17)), partition, after=6)
        phase("peer", month.anchors(range(17, 25)), lambda: restart_peer(net, "org2", PEER_DOWN_FOR), after=6)
        network("prepare-chaincode", NEW_VERSION, *MAJORITY)
        phase("upgrade", month.anchors(range(25, 32)), lambda: commit_upgrade(net, LATE), after=4)
        phase("allocations", month.allocations())
        phase("chaincode", month.reviews(), lambda: kill_chaincode(net, "org3", 3.0), after=0)
        month.settle(fabric_out)
        hashes["settled"] = {org: state_hash(month.folder, peers[org], reader[org]) for org in orgs}
        txs = chain(peers["org1"], reader["org1"], profile["channel"])
        seed_secrets(fabric_out, embedded_out)
        run("simulate", scenario.folder, "--out", embedded_out)
        yield Run(yaml.safe_load(profile_path.read_text()), month, events, hashes, txs, fabric_out, embedded_out)
    finally:
        for peer in peers.values():
            peer.close()
        month.close()
        shutil.copytree(NETWORK / "logs", tmp / "network-logs")  # kept for a look at what happened
        fresh_network()  # later tests find a fresh network, on chaincode 1.0


def _during(submissions: list[Submission], start: float, end: float) -> list[Submission]:
    """The submissions in flight at some moment between ``start`` and ``end``."""
    return [s for s in submissions if s.began < end and s.ended > start]


def test_a_killed_raft_leader_is_replaced_while_clients_submit(faulty):
    event = faulty.events["leader"]
    assert event.facts["new_leader"] != event.facts["killed"]
    assert event.facts["failover_s"] < 30
    election = (event.began, event.began + event.facts["failover_s"])
    assert _during(faulty.month.submissions, *election), "no transaction was in flight during the election"
    assert len(set(faulty.hashes["leader"].values())) == 1


def test_every_submission_lands_exactly_once(faulty):
    ours = [tx for tx in faulty.txs if tx.chaincode == faulty.profile["chaincode"]]
    valid = Counter(tx.txid for tx in ours if tx.code == "VALID")
    submitted = [s.txid for s in faulty.month.submissions]
    assert len(submitted) == len(set(submitted))
    assert set(valid) == set(submitted)
    assert set(valid.values()) == {1}
    # a copy sent again is a duplicate; a stale endorsement wrote nothing and was endorsed again
    assert {tx.code for tx in ours} <= {"VALID", "DUPLICATE_TXID", "MVCC_READ_CONFLICT", "PHANTOM_READ_CONFLICT"}
    functions = Counter(s.function for s in faulty.month.submissions)
    assert functions["Listening:Anchor"] == 4 * 31
    assert functions["Reviews:Review"] == 8
    assert functions["Allocations:Seal"] == 4
    assert functions["Settlement:Settle"] == 1


def test_a_cluster_cut_off_and_reconnected_leaves_one_world_state(faulty):
    if "partition" not in faulty.events:
        pytest.skip(_netns_refusal())
    event = faulty.events["partition"]
    assert event.ended - event.began >= CUT_FOR
    assert _during(faulty.month.submissions, event.began, event.facts["healed_at"]), \
        "no transaction was in flight during the cut"
    cut = event.facts["heights_cut"]  # from this machine, on cluster A's side
    assert cut["peer0.org3"] is None and cut["peer0.org4"] is None, "cluster B's peers still answered"
    assert None not in (cut["peer0.org1"], cut["peer0.org2"])
    assert len(set(faulty.hashes["partition"].values())) == 1


def test_a_restarted_peer_catches_up_on_its_ledger(faulty):
    event = faulty.events["peer"]
    assert event.facts["height_others"] > event.facts["height_stopped"], "no block was made while it was down"
    assert _during(faulty.month.submissions, event.began, event.facts["started_at"])
    assert len(set(faulty.hashes["peer"].values())) == 1


def test_an_upgrade_committed_mid_month_keeps_the_state_and_finishes_the_month(faulty):
    assert (faulty.profile["chaincode_version"], faulty.profile["chaincode_sequence"]) == (NEW_VERSION, 2)
    event = faulty.events["upgrade"]
    ours = [tx for tx in faulty.txs if tx.chaincode == faulty.profile["chaincode"] and tx.code == "VALID"]
    upgraded = next(tx.block for tx in faulty.txs if tx.chaincode == "_lifecycle" and tx.code == "VALID"
                    and tx.function == "CommitChaincodeDefinition" and tx.block > ours[0].block)
    before = [tx for tx in ours if tx.block < upgraded]
    after = [tx for tx in ours if tx.block > upgraded]
    assert {tx.version for tx in before} == {"1.0"} and {tx.version for tx in after} == {NEW_VERSION}
    anchors = Counter(tx.function for tx in after)["Listening:Anchor"]
    assert 0 < anchors < 28, "the upgrade did not land between two of the last week's anchors"
    assert {tx.function for tx in after} >= {"Allocations:Seal", "Reviews:Review", "Settlement:Settle"}
    assert _during(faulty.month.submissions, event.began, event.facts["committed_at"])


def test_reviews_land_across_a_chaincode_server_crash(faulty):
    event = faulty.events["chaincode"]
    reviews = [s for s in faulty.month.submissions if s.function == "Reviews:Review"]
    waited = [s for s in reviews if s.node == "n3" and s.began < event.ended < s.ended]
    assert len(reviews) == 8 and waited, "no review of n3 (org3) waited for its chaincode server"


def test_the_month_settles_as_on_the_embedded_ledger_and_every_peer_agrees(faulty):
    assert_same_month(faulty.fabric_out, faulty.embedded_out)
    embedded_hash = run("--ledger", faulty.embedded_out / "ledger", "ledger", "state-hash").strip()
    assert set(faulty.hashes["settled"].values()) == {embedded_hash}
