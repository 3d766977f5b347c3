"""CPU per transaction of a chaincode server alone: the Python server (``python -m chaincode serve``)
beside the Go reference server (``bench/anchor-go``), each driven by a simulated peer.

The simulated peer speaks the peer's side of Fabric's chaincode stream (``protos.Chaincode/Connect``):
it answers REGISTER with REGISTERED and READY, sends ``Listening:Anchor`` transactions (a proposal
of n1's admin, whose certificate carries ``nineten.role=admin``; a fresh day each), ``--in-flight``
at a time, answers GET_STATE from a world state holding the consortium's node records, PUT_STATE
with an empty RESPONSE, and checks that each COMPLETED answer is status 200 with the anchor. For
each server it reports the CPU time (user + system of the server process) per transaction and the
transactions per second, after a warm-up. No Fabric network is needed; Go builds the reference.

    uv run python bench/chaincode_cpu.py [--transactions N] [--in-flight N] [--only python|go]
"""

import argparse
import datetime
import hashlib
import json
import os
import queue
import socket
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
from chaincode import canonical  # noqa: E402

CM = chaincode_shim_pb2.ChaincodeMessage
CHANNEL = "nineten"
COUNTS = json.dumps({"rows": 100, "listeners": 40, "plays": 90, "seconds": 18000})
NODE = {"cluster": "A", "duties": ["arbitrator", "reviewer"], "id": "n1", "msp_id": "Org1MSP", "status": "active",
        "wallet": "wallet-n1"}
STATE = {"\x00nodemsp\x00Org1MSP\x00": canonical.dumpb("n1"), "\x00node\x00n1\x00": canonical.dumpb(NODE)}


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


def _server(name: str, address: str, build: Path) -> list[str]:
    if name == "python":
        return [sys.executable, "-m", "chaincode", "serve", "--address", address, "--ccid", "nineten_1.0:bench"]
    subprocess.run(["go", "build", "-trimpath", "-o", str(build / "anchor-go"), "."], cwd=ROOT / "bench" / "anchor-go",
                   check=True)
    return [str(build / "anchor-go"), "--address", address, "--ccid", "anchor-go_1.0:bench"]


def measure(name: str, creator: bytes, transactions: int, in_flight: int, build: Path) -> dict:
    """Start the server, warm it up, and time ``transactions`` anchors."""
    address = _free_address()
    server = subprocess.Popen(_server(name, address, build), cwd=ROOT, stdout=subprocess.DEVNULL)
    try:
        peer = SimulatedPeer(address, creator)
        peer.run(min(500, transactions), in_flight)  # warm-up: imports, caches, connections
        cpu, began = _cpu(server.pid), time.perf_counter()
        peer.run(transactions, in_flight)
        elapsed, cpu = time.perf_counter() - began, _cpu(server.pid) - cpu
        peer.close()
    finally:
        server.terminate()
        server.wait()
    figures = {"transactions": transactions, "cpu_ms_per_tx": round(1000 * cpu / transactions, 3),
               "tx_per_s": round(transactions / elapsed, 1)}
    print(f"{name:>6}: {transactions} anchors, server CPU {figures['cpu_ms_per_tx']:.3f} ms per transaction, "
          f"{figures['tx_per_s']:.0f} tx/s", file=sys.stderr, flush=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--transactions", type=int, default=5000, help="anchors timed per server (5000)")
    parser.add_argument("--in-flight", type=int, default=96, help="outstanding transactions (96: 3 peers x 32)")
    parser.add_argument("--only", choices=("python", "go"), help="measure one server only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nineten-cc-cpu-") as tmp:
        ca = OrgCA(Path(tmp) / "ca", "Org1MSP")
        ca.create()
        admin = ca.issue("n1.admin", "admin")
        creator = identities_pb2.SerializedIdentity(mspid=admin.msp_id, id_bytes=admin.cert_pem).SerializeToString()
        names = [args.only] if args.only else ["python", "go"]
        figures = {name: measure(name, creator, args.transactions, args.in_flight, Path(tmp)) for name in names}
    if len(figures) == 2:
        figures["python_over_go_cpu"] = round(figures["python"]["cpu_ms_per_tx"] / figures["go"]["cpu_ms_per_tx"], 2)
    json.dump(figures, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
