"""CPU per transaction of a chaincode server alone: the Python server (``python -m chaincode serve``)
beside the Go reference server (``bench/anchor-go``), each driven by a simulated peer.

The simulated peer speaks the peer's side of Fabric's chaincode stream (``protos.Chaincode/Connect``):
it answers REGISTER with REGISTERED and READY, sends ``Listening:Anchor`` transactions (a proposal
of n1's admin, whose certificate carries ``nineten.role=admin``; a fresh day each), ``--in-flight``
at a time, answers GET_STATE from a world state holding the consortium's node records, PUT_STATE
with an empty RESPONSE, and checks that each COMPLETED answer is status 200 with the anchor.
A third server, ``transport``, is the Python server with a chaincode that makes the same stub calls
as an anchor (five reads, one write, one event) and nothing else: what the stream, gRPC and the
stub cost without the contract. The
figure is the CPU time (user + system) of the server process per transaction, after a warm-up,
median of ``--rounds`` runs that alternate the servers (the machine's other load moves it). The
rate is the simulated peer's (itself Python), so it is not reported. No Fabric network is needed;
Go builds the reference server.

    uv run python bench/chaincode_cpu.py [--transactions N] [--in-flight N] [--rounds N] [--only python|transport|go]
"""

import argparse
import datetime
import hashlib
import json
import os
import queue
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import grpc
from fabric_protos.common import common_pb2
from fabric_protos.msp import identities_pb2
from fabric_protos.peer import chaincode_pb2, chaincode_shim_pb2, chaincode_shim_pb2_grpc, proposal_pb2
from fabric_protos.peer import proposal_response_pb2

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from admin.embedded.msp import OrgCA  # noqa: E402
from chaincode import canonical_json  # noqa: E402

CM = chaincode_shim_pb2.ChaincodeMessage
CHANNEL = "nineten"
COUNTS = json.dumps({"rows": 100, "listeners": 40, "plays": 90, "seconds": 18000})
NODE = {"cluster": "A", "duties": ["arbitrator", "reviewer"], "id": "n1", "msp_id": "Org1MSP", "status": "active",
        "wallet": "wallet-n1"}
STATE = {"\x00nodemsp\x00Org1MSP\x00": canonical_json.dumpb("n1"), "\x00node\x00n1\x00": canonical_json.dumpb(NODE)}


def _proposal(creator: bytes, txid: str, args: list[bytes]) -> proposal_pb2.SignedProposal:
    """A signed proposal as the peer hands it to the chaincode (the chaincode does not check the
    signature: the peer did)."""
    channel_header = common_pb2.ChannelHeader(type=common_pb2.HeaderType.ENDORSER_TRANSACTION,
                                              channel_id=CHANNEL, tx_id=txid)
    channel_header.timestamp.FromNanoseconds(time.time_ns())
    header = common_pb2.Header(channel_header=channel_header.SerializeToString(),
                               signature_header=common_pb2.SignatureHeader(creator=creator, nonce=os.urandom(24))
                               .SerializeToString())
    spec = chaincode_pb2.ChaincodeSpec(chaincode_id=chaincode_pb2.ChaincodeID(name="nineten"),
                                       input=chaincode_pb2.ChaincodeInput(args=args))
    payload = proposal_pb2.ChaincodeProposalPayload(
        input=chaincode_pb2.ChaincodeInvocationSpec(chaincode_spec=spec).SerializeToString())
    proposal = proposal_pb2.Proposal(header=header.SerializeToString(), payload=payload.SerializeToString())
    return proposal_pb2.SignedProposal(proposal_bytes=proposal.SerializeToString(), signature=b"unchecked")


class SimulatedPeer:
    """The peer's end of one Connect stream, sending anchors and answering the chaincode's requests."""

    def __init__(self, address: str, creator: bytes) -> None:
        self.creator = creator
        self.outbox: queue.Queue = queue.Queue()
        self.channel = grpc.insecure_channel(address)
        grpc.channel_ready_future(self.channel).result(timeout=30)
        self.stream = chaincode_shim_pb2_grpc.ChaincodeStub(self.channel).Connect(iter(self.outbox.get, None))
        self.day = datetime.date(2200, 1, 1)
        self.sent = self.done = 0

    def _send_anchor(self) -> None:
        self.day += datetime.timedelta(days=1)
        digest = hashlib.sha256(str(self.day).encode()).hexdigest()
        args = [a.encode() for a in ("Listening:Anchor", "n1", str(self.day), digest, COUNTS)]
        txid = hashlib.sha256(f"{self.day} {self.sent}".encode()).hexdigest()
        self.outbox.put(CM(type=CM.TRANSACTION, txid=txid, channel_id=CHANNEL,
                           payload=chaincode_pb2.ChaincodeInput(args=args).SerializeToString(),
                           proposal=_proposal(self.creator, txid, args)))
        self.sent += 1

    def _start(self, in_flight: int, target: int) -> None:
        while self.sent < min(target, self.done + in_flight):
            self._send_anchor()

    def run(self, transactions: int, in_flight: int) -> None:
        """Complete ``transactions`` anchors, ``in_flight`` outstanding."""
        target = self.done + transactions
        if self.sent:  # registered in an earlier run
            self._start(in_flight, target)
        for msg in self.stream:
            if msg.type == CM.REGISTER:
                self.outbox.put(CM(type=CM.REGISTERED))
                self.outbox.put(CM(type=CM.READY))
                self._start(in_flight, target)
                continue
            reply = CM(type=CM.RESPONSE, txid=msg.txid, channel_id=msg.channel_id)
            if msg.type == CM.GET_STATE:
                reply.payload = STATE.get(chaincode_shim_pb2.GetState.FromString(msg.payload).key, b"")
            elif msg.type == CM.COMPLETED:
                response = proposal_response_pb2.Response.FromString(msg.payload)
                if response.status != 200 or b'"anchored":true' not in response.payload:
                    raise SystemExit(f"transaction {msg.txid} failed: {response.status} {response.message}")
                self.done += 1
                if self.done == target:
                    return
                if self.sent < target:
                    self._send_anchor()
                continue
            elif msg.type != CM.PUT_STATE:
                raise SystemExit(f"unexpected {CM.Type.Name(msg.type)}: {msg.payload[:200]!r}")
            self.outbox.put(reply)

    def close(self) -> None:
        self.outbox.put(None)
        self.channel.close()


def _cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _free_address() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{s.getsockname()[1]}"


class TransportOnly:
    """A chaincode making an anchor's stub calls and nothing else (``--chaincode`` of the server)."""

    KEYS = [*STATE, "\x00anchor\x00n1\x00x\x00", "\x00settlement\x002200-01\x00", "\x00nodemonth\x002200-01\x00n1\x00"]

    async def invoke(self, stub):
        for key in self.KEYS:
            await stub.get_state(key)
        await stub.put_state(self.KEYS[2], b"{}")
        stub.set_event("Listening.Anchor", b"{}")
        return proposal_response_pb2.Response(status=200, payload=b'{"anchored":true}')


def _server(name: str, address: str, build: Path) -> list[str]:
    if name in ("python", "transport"):
        chaincode = ["--chaincode", "bench.chaincode_cpu:TransportOnly"] if name == "transport" else []
        return [sys.executable, "-m", "chaincode", "serve", "--address", address, "--ccid", "nineten_1.0:bench",
                *chaincode]
    subprocess.run(["go", "build", "-trimpath", "-o", str(build / "anchor-go"), "."], cwd=ROOT / "bench" / "anchor-go",
                   check=True)
    return [str(build / "anchor-go"), "--address", address, "--ccid", "anchor-go_1.0:bench"]


def measure(name: str, creator: bytes, transactions: int, in_flight: int, build: Path) -> float:
    """Start the server, warm it up, and measure its CPU milliseconds per anchor over ``transactions``."""
    address = _free_address()
    server = subprocess.Popen(_server(name, address, build), cwd=ROOT, stdout=subprocess.DEVNULL)
    try:
        peer = SimulatedPeer(address, creator)
        peer.run(min(500, transactions), in_flight)  # warm-up: imports, caches, connections
        cpu = _cpu(server.pid)
        peer.run(transactions, in_flight)
        cpu = _cpu(server.pid) - cpu
        peer.close()
    finally:
        server.terminate()
        server.wait()
    ms = 1000 * cpu / transactions
    print(f"{name:>9}: {transactions} anchors, server CPU {ms:.3f} ms per transaction", file=sys.stderr, flush=True)
    return ms


SERVERS = ("python", "transport", "go")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--transactions", type=int, default=4000, help="anchors measured per run (4000)")
    parser.add_argument("--in-flight", type=int, default=96, help="outstanding transactions (96: 3 peers x 32)")
    parser.add_argument("--rounds", type=int, default=3, help="runs per server, alternating (3)")
    parser.add_argument("--only", choices=SERVERS, help="measure one server only")
    args = parser.parse_args()
    names = [args.only] if args.only else list(SERVERS)
    runs: dict[str, list[float]] = {name: [] for name in names}
    with tempfile.TemporaryDirectory(prefix="nineten-cc-cpu-") as tmp:
        ca = OrgCA(Path(tmp) / "ca", "Org1MSP")
        ca.create()
        admin = ca.issue("n1.admin", "admin")
        creator = identities_pb2.SerializedIdentity(mspid=admin.msp_id, id_bytes=admin.cert_pem).SerializeToString()
        for round_ in range(args.rounds):
            for name in names[:: 1 if round_ % 2 == 0 else -1]:
                runs[name].append(measure(name, creator, args.transactions, args.in_flight, Path(tmp)))
    figures: dict = {name: {"transactions": args.transactions, "cpu_ms_per_tx": round(statistics.median(ms), 3),
                            "runs": [round(x, 3) for x in ms]} for name, ms in runs.items()}
    if "python" in figures and "go" in figures:
        figures["python_over_go_cpu"] = round(figures["python"]["cpu_ms_per_tx"] / figures["go"]["cpu_ms_per_tx"], 2)
    json.dump(figures, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
