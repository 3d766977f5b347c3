"""A month submitted by one client per node while faults strike the Fabric network, and what the
network looked like meanwhile: the shared part of ``tests/test_fabric_faults.py`` (what must hold)
and ``bench/fault_bench.py`` (how long it takes).

Faults go through ``network/network.sh`` (stop, start, partition, heal, prepare/commit-chaincode).
What the network looks like comes from each process's operations endpoint (Prometheus metrics:
the Raft leader, every ledger's height) and from queries sent to one peer at a time through its
Endorser service (the Gateway service may answer from another organisation's peer).
"""

import re
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import grpc
import yaml
from fabric_protos.common import common_pb2, ledger_pb2
from fabric_protos.peer import (chaincode_pb2, peer_pb2_grpc, proposal_pb2, proposal_response_pb2,
                                transaction_pb2)

from admin import node_month, simulate
from admin.client import state_digest
from admin.errors import LedgerRejected
from admin.fabric.client import MAX_MESSAGE, QSCC, FabricClient
from admin.listens import submit_day
from admin.session import Session
from fabric_network import network

POLL = 0.1  # seconds between two looks at the metrics
METRICS_TIMEOUT = 1.0


# -- the network as its metrics show it ------------------------------------------------------------

class Network:
    """The processes of the connection profile's network, seen through their operations endpoints."""

    def __init__(self, profile_path: Path) -> None:
        self.profile_path = Path(profile_path)
        self.profile = yaml.safe_load(self.profile_path.read_text())
        self.channel = self.profile["channel"]
        self.orderers = {o["name"]: o["operations"] for o in self.profile["orderers"]}
        self.peers = {f"peer0.{name}": org["peer"]["operations"] for name, org in self.profile["organizations"].items()}

    def metrics(self, url: str) -> dict[str, float]:
        """The channel's samples of a process's metrics by name; empty when it does not answer."""
        try:
            with urllib.request.urlopen(f"{url}/metrics", timeout=METRICS_TIMEOUT) as answer:
                text = answer.read().decode()
        except OSError:
            return {}
        pattern = re.compile(r'^(\w+)\{channel="%s"\} (\S+)$' % re.escape(self.channel))
        return {m.group(1): float(m.group(2)) for m in map(pattern.match, text.splitlines()) if m}

    def all_metrics(self) -> dict[str, dict[str, float]]:
        """Every process's metrics, asked at once (a process cut off answers nothing)."""
        urls = {**self.orderers, **self.peers}
        with ThreadPoolExecutor(len(urls)) as pool:
            return dict(zip(urls, pool.map(self.metrics, urls.values())))

    def leader(self) -> str | None:
        """The orderer whose Raft node leads the channel, if one does."""
        return next((name for name, samples in self.all_metrics().items()
                     if samples.get("consensus_etcdraft_is_leader") == 1), None)

    def heights(self) -> dict[str, int | None]:
        """Every peer's and orderer's ledger height (None: it does not answer)."""
        heights = {}
        for name, samples in self.all_metrics().items():
            height = samples.get("ledger_blockchain_height")
            heights[name] = None if height is None else int(height)
        return heights

    def converged(self) -> bool:
        """Every process answers with the same ledger height."""
        heights = set(self.heights().values())
        return len(heights) == 1 and None not in heights

    def caught_up(self, height: int) -> bool:
        """Every process answers with a ledger of ``height`` blocks or more."""
        return all(h is not None and h >= height for h in self.heights().values())

    def top(self) -> int:
        """The highest ledger height any process has."""
        return max(h or 0 for h in self.heights().values())


def wait_for(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    """Poll ``condition`` until it gives something true; its value. AssertionError after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"{what}: not within {timeout:.0f} s"
        time.sleep(POLL)


# -- queries to one peer ----------------------------------------------------------------------------

class PeerQueries:
    """Queries answered by one organisation's peer itself (its Endorser service), signed with the
    wallet identities of a FabricClient: a ledger client for ``Session`` that reads from that peer
    only."""

    def __init__(self, client: FabricClient, org: dict[str, Any]) -> None:
        self.client = client
        peer = org["peer"]
        self.address = peer["address"]
        options = [("grpc.max_receive_message_length", MAX_MESSAGE),
                   ("grpc.ssl_target_name_override", peer["ssl_target_name_override"])]
        credentials = grpc.ssl_channel_credentials(Path(peer["tls_ca_cert"]).read_bytes())
        self.channel = grpc.secure_channel(self.address, credentials, options=options)
        self.endorser = peer_pb2_grpc.EndorserStub(self.channel)

    def query(self, identity: str, function: str, *args: str, chaincode: str | None = None) -> bytes:
        ident = self.client.wallet.get(identity)
        proposal, _ = self.client._proposal(ident, function, tuple(args), chaincode)  # noqa: SLF001
        answer = self.endorser.ProcessProposal(proposal, timeout=30).response
        if answer.status >= 400:
            raise LedgerRejected(function, f"{answer.message} (peer {self.address})")
        return answer.payload

    def evaluate(self, identity: str, function: str, *args: str) -> str:
        return self.query(identity, function, *args).decode()

    def close(self) -> None:
        self.channel.close()


def state_hash(folder: Path, peer: PeerQueries, identity: str) -> str:
    """The SHA-256 of the world state as ``peer`` holds it (``nineten ledger state-hash``)."""
    return state_digest(Session(folder=folder, _client=peer).acting(identity).world_state())


@dataclass(frozen=True)
class ChainTx:
    """A transaction of a block as the peers validated it."""

    block: int
    txid: str
    code: str           # its validation code (VALID, MVCC_READ_CONFLICT, DUPLICATE_TXID, ...)
    chaincode: str      # the chaincode its proposal invoked, "" for a configuration transaction
    version: str        # the version of the chaincode definition that endorsed it
    function: str


def chain(peer: PeerQueries, identity: str, channel: str) -> list[ChainTx]:
    """Every transaction of every block of ``peer``'s ledger (through the peer's qscc)."""
    info = ledger_pb2.BlockchainInfo.FromString(peer.query(identity, "GetChainInfo", channel, chaincode=QSCC))
    txs = []
    for number in range(info.height):
        block = common_pb2.Block.FromString(
            peer.query(identity, "GetBlockByNumber", channel, str(number), chaincode=QSCC))
        codes = block.metadata.metadata[common_pb2.BlockMetadataIndex.TRANSACTIONS_FILTER]
        for index, data in enumerate(block.data.data):
            txs.append(_chain_tx(number, data, transaction_pb2.TxValidationCode.Name(codes[index])))
    return txs


def _chain_tx(number: int, data: bytes, code: str) -> ChainTx:
    payload = common_pb2.Payload.FromString(common_pb2.Envelope.FromString(data).payload)
    header = common_pb2.ChannelHeader.FromString(payload.header.channel_header)
    if header.type != common_pb2.HeaderType.ENDORSER_TRANSACTION:
        return ChainTx(number, header.tx_id, code, "", "", "")
    tx = transaction_pb2.Transaction.FromString(payload.data)
    action = transaction_pb2.ChaincodeActionPayload.FromString(tx.actions[0].payload)
    invocation = chaincode_pb2.ChaincodeInvocationSpec.FromString(
        proposal_pb2.ChaincodeProposalPayload.FromString(action.chaincode_proposal_payload).input)
    result = proposal_pb2.ChaincodeAction.FromString(
        proposal_response_pb2.ProposalResponsePayload.FromString(action.action.proposal_response_payload).extension)
    return ChainTx(number, header.tx_id, code, result.chaincode_id.name, result.chaincode_id.version,
                   invocation.chaincode_spec.input.args[0].decode())


# -- faults -------------------------------------------------------------------------------------------

@dataclass
class Event:
    """A fault: when it struck, when the network was whole again, and what was seen."""

    name: str
    began: float
    ended: float = 0.0
    facts: dict[str, Any] = field(default_factory=dict)


def kill_leader(net: Network, down_for: float = 3.0) -> Event:
    """SIGKILL the Raft leader; once another orderer leads, restart it and wait until it caught up."""
    killed = wait_for(net.leader, 30, "a Raft leader before the fault")
    event = Event("Raft leader killed", time.monotonic(), facts={"killed": killed})
    network("stop", killed, "KILL")

    def new_leader() -> str | None:
        leader = net.leader()
        return None if leader == killed else leader

    event.facts["new_leader"] = wait_for(new_leader, 60, "a new Raft leader")
    event.facts["failover_s"] = time.monotonic() - event.began
    time.sleep(down_for)
    network("start", killed)
    target = net.top()
    wait_for(lambda: net.caught_up(target), 120, f"{killed} catching up")
    event.ended = time.monotonic()
    return event


def cut_cluster(net: Network, cluster: str, seconds: float) -> Event:
    """Cut a cluster's hosts off the rest for ``seconds``, reconnect them, wait until every ledger
    has the same height again."""
    event = Event(f"cluster {cluster} cut off", time.monotonic(), facts={"leader_before": net.leader()})
    network("partition", cluster)
    time.sleep(seconds)
    event.facts["heights_cut"] = net.heights()
    event.facts["leader_cut"] = net.leader()
    target = net.top()
    network("heal", cluster)
    event.facts["healed_at"] = time.monotonic()
    wait_for(lambda: net.caught_up(target), 120, f"cluster {cluster} catching up")
    event.ended = time.monotonic()
    event.facts["leader_after"] = net.leader()
    return event


def restart_peer(net: Network, org: str, seconds: float) -> Event:
    """Stop an organisation's peer for ``seconds`` and start it again on its own ledger."""
    peer = f"peer0.{org}"
    event = Event(f"{peer} restarted", time.monotonic(), facts={"height_stopped": net.heights()[peer]})
    network("stop", peer)
    time.sleep(seconds)
    target = event.facts["height_others"] = net.top()
    network("start", peer)
    event.facts["started_at"] = time.monotonic()
    wait_for(lambda: net.caught_up(target), 120, f"{peer} catching up")
    event.ended = time.monotonic()
    return event


def commit_upgrade(net: Network, late: list[str]) -> Event:
    """Commit the prepared chaincode version (``network.sh prepare-chaincode``), then let the
    organisations in ``late`` approve it."""
    event = Event("chaincode upgrade committed", time.monotonic())
    network("commit-chaincode")
    event.facts["committed_at"] = time.monotonic()
    for org in late:
        network("approve-chaincode", org)
    event.ended = time.monotonic()
    return event


def kill_chaincode(net: Network, org: str, seconds: float) -> Event:
    """SIGKILL an organisation's chaincode server, start it again after ``seconds``."""
    server = f"chaincode.{org}"
    event = Event(f"{server} killed", time.monotonic())
    network("stop", server, "KILL")
    time.sleep(seconds)
    network("start", server)
    event.ended = time.monotonic()
    return event


# -- the month -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Submission:
    """A transaction a client had committed: by whom, what, and when it was sent and reported."""

    node: str
    function: str
    txid: str
    began: float
    ended: float


class _Recording:
    """A FabricClient that notes every transaction it had committed."""

    def __init__(self, client: FabricClient, node: str, month: "MonthUnderFaults") -> None:
        self._client, self._node, self._month = client, node, month

    def submit(self, identity: str, function: str, *args: str):
        began = time.monotonic()
        committed = self._client.submit(identity, function, *args)
        self._month.note(Submission(self._node, function, committed.txid, began, time.monotonic()))
        return committed

    def __getattr__(self, name: str):
        return getattr(self._client, name)


def _quiet(text: str) -> None:
    """simulate's story is kept in ``MonthUnderFaults.lines``, not printed."""


class _NoBar:
    def update(self, n: int) -> None:
        pass


@contextmanager
def _no_bar(total: int, label: str):
    yield _NoBar()


Work = Callable[[Session], None]


class MonthUnderFaults:
    """A scenario's month on the network: one client (session) per node, all in one ledger folder,
    each phase run by the clients at once, a fault striking once ``after`` of its transactions landed."""

    def __init__(self, scenario: simulate.Scenario, folder: Path, profile: Path) -> None:
        self.scenario, self.folder, self.profile = scenario, Path(folder), Path(profile)
        self.nodes = [n["id"] for n in scenario.consortium.nodes]
        self.submissions: list[Submission] = []
        self.lines: list[str] = []
        self._lock = threading.Lock()
        self._sessions: dict[str, Session] = {}

    def note(self, submission: Submission) -> None:
        with self._lock:
            self.submissions.append(submission)

    def session(self, node: str) -> Session:
        """The session of ``node``'s client: its own connections to its organisation's peer."""
        if node not in self._sessions:
            client = FabricClient.from_profile(self.profile, self.folder)
            self._sessions[node] = Session(folder=self.folder, gateway_profile=self.profile,
                                           _client=_Recording(client, node, self))
        return self._sessions[node]

    def _run(self, node: str) -> simulate.Run:
        """``simulate``'s run of the month, as ``node``'s client."""
        return simulate.Run(self.session(node), self.scenario, _quiet, _no_bar, self.lines)

    def close(self) -> None:
        for session in self._sessions.values():
            session.close()

    # the phases, as simulate runs them, split among the nodes' clients
    def set_up(self) -> None:
        run = self._run(self.nodes[0])
        simulate.set_up(run)
        simulate.record_subscriptions(run)

    def anchors(self, days: range) -> dict[str, Work]:
        def work(node: str) -> Work:
            def anchor(session: Session) -> None:
                for path in self.scenario.day_files(node, self.scenario.months[0]):
                    if int(path.stem[-2:]) in days:
                        submit_day(session, node, path)
            return anchor
        return {node: work(node) for node in self.nodes}

    def allocations(self) -> dict[str, Work]:
        def work(node: str) -> Work:
            def allocate(session: Session) -> None:
                month = self.scenario.months[0]
                policy = session.policy(month)
                days = node_month.load_month(session, month, node, policy)
                node_month.submit_allocations(session, month, node, days.result)
            return allocate
        return {node: work(node) for node in self.nodes}

    def reviews(self) -> dict[str, Work]:
        reader, month = self.session(self.nodes[0]), self.scenario.months[0]
        assigned = {s: simulate.reviewers_of(reader, month, s).values() for s in self.nodes}
        subjects = {n: [s for s in self.nodes if n in assigned[s]] for n in self.nodes}

        def work(reviewer: str) -> Work:
            def review(session: Session) -> None:
                run = simulate.Run(session, self.scenario, _quiet, _no_bar, self.lines)
                for subject in subjects[reviewer]:
                    simulate.review(run, subject, reviewer)
            return review
        return {node: work(node) for node in self.nodes if subjects[node]}

    def settle(self, out: Path) -> None:
        """Settle the month and write its payouts and settlement files into ``out``."""
        run = self._run(self.nodes[0])
        simulate.write_summary(run, out, simulate.settle(run))

    def run(self, work: dict[str, Work], fault: Callable[[], Event] | None = None, after: int = 0) -> Event | None:
        """Every client does its work at once; ``fault`` strikes once ``after`` of their
        transactions landed. Raises the first client's error."""
        errors: list[BaseException] = []
        landed = len(self.submissions)

        def client(node: str, job: Work) -> None:
            try:
                job(self.session(node))
            except BaseException as exc:  # noqa: BLE001 (reported by the caller)
                errors.append(exc)

        threads = [threading.Thread(target=client, args=item, name=f"client-{item[0]}") for item in work.items()]
        for thread in threads:
            thread.start()
        event = None
        if fault is not None:
            wait_for(lambda: len(self.submissions) - landed >= after or errors
                     or not any(t.is_alive() for t in threads), 300, "the clients' first transactions")
            if not errors:
                event = fault()
        for thread in threads:
            thread.join(600)
        if errors:
            raise errors[0]
        return event
