"""Shared helpers of the Fabric integration tests: the network's profile and identities from its CAs.

Every address comes from the connection profile in ``$NINETEN_NETWORK_DIR`` (written by
``network/network.sh up``), so the tests run against whichever network that variable names.
"""

import hashlib
import json
import os
import re
import shutil
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

from admin.embedded.ledger import EmbeddedLedger
from admin.errors import LedgerRejected
from admin.session import Session
from admin.wallet import Identity, Wallet

from conftest import NODES, consortium
from fabric_network import network  # noqa: F401 (the tests' way to run network/network.sh)

ROOT = Path(__file__).resolve().parent.parent
NETWORK = Path(os.environ.get("NINETEN_NETWORK_DIR", Path.home() / ".cache/nineten/network"))
FABRIC_HOME = Path(os.environ.get("NINETEN_FABRIC_HOME", Path.home() / ".cache/nineten/fabric"))
PROFILE = NETWORK / "connection.yaml"
#: The Go reference chaincode (bench/anchor-go) and the script that deploys it beside ours.
GO_CHAINCODE = os.environ.get("NINETEN_GO_CC_NAME", "anchor-go")
GO_DEPLOY = ROOT / "bench" / "anchor-go" / "deploy.sh"


def profile() -> dict[str, Any]:
    """The network's connection profile; skips the test when the network was never brought up."""
    if not PROFILE.exists():
        pytest.skip(f"no network profile at {PROFILE}; run network/network.sh up")
    return yaml.safe_load(PROFILE.read_text())


def deploy_go() -> None:
    """Build and deploy the Go reference chaincode on the network (a no-op once done)."""
    profile()
    done = subprocess.run([str(GO_DEPLOY), "up"], capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{GO_DEPLOY} up failed:\n{done.stdout}{done.stderr}")


def org_of(msp_id: str) -> dict[str, Any]:
    """The profile's organisation entry of ``msp_id``."""
    return next(org for org in profile()["organizations"].values() if org["msp_id"] == msp_id)


def _ca_client(home: Path, *args: str) -> None:
    subprocess.run([str(FABRIC_HOME / "bin" / "fabric-ca-client"), *args, "-H", str(home)],
                   check=True, capture_output=True, text=True)


def enroll_home(tmp: Path, org: dict, name: str, role: str) -> Path:
    """Register ``name`` with ``nineten.role=role`` at the org's CA, enroll it, return its CA home.

    The home's ``msp`` folder, completed with the org's NodeOU config, is a local MSP the peer
    CLI can sign with.
    """
    ca = org["ca"]
    host = ca["url"].split("://", 1)[1]
    tls = ["--caname", ca["name"], "--tls.certfiles", ca["tls_ca_cert"]]
    registrar = tmp / f"registrar-{org['msp_id']}"
    if not registrar.exists():
        reg = ca["registrar"]
        _ca_client(registrar, "enroll", "-u", f"https://{reg['enroll_id']}:{reg['enroll_secret']}@{host}", *tls)
    user_id, secret = f"{name}-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    _ca_client(registrar, "register", "--id.name", user_id, "--id.secret", secret, "--id.type", "client",
               "--id.attrs", f"nineten.role={role}:ecert", *tls)
    home = tmp / user_id
    _ca_client(home, "enroll", "-u", f"https://{user_id}:{secret}@{host}", *tls)
    org_msp = Path(org["msp_dir"])
    shutil.copy(org_msp / "config.yaml", home / "msp" / "config.yaml")
    for cert in (org_msp / "cacerts").iterdir():
        shutil.copy(cert, home / "msp" / "cacerts" / cert.name)
    return home


def enroll(tmp: Path, org: dict, name: str, role: str) -> Identity:
    """A wallet identity ``name`` of the org, enrolled with ``nineten.role=role``."""
    msp = enroll_home(tmp, org, name, role) / "msp"
    cert = next((msp / "signcerts").iterdir()).read_bytes()
    key = next((msp / "keystore").iterdir()).read_bytes()
    return Identity(name, org["msp_id"], cert, key)


def fill_wallet(tmp: Path, names: list[str]) -> Wallet:
    """A wallet under ``tmp/ledger`` holding ``<node>.<role>`` identities of the conftest nodes."""
    msp_of = {node: msp for node, _, msp in NODES}
    wallet = Wallet(tmp / "ledger" / "wallet")
    for name in names:
        node, role = name.split(".")
        wallet.put(enroll(tmp, org_of(msp_of[node]), name, role))
    return wallet


def bootstrap(gateway, identity: str = "n1.admin") -> None:
    """Bootstrap the conftest consortium; on an already bootstrapped network this is a no-op."""
    gateway.submit(identity, "Registry:Bootstrap", json.dumps(consortium()))


def refusal(backend, identity: str, function: str, *args: str) -> str:
    """The sentence ``backend`` refuses the transaction with."""
    with pytest.raises(LedgerRejected) as caught:
        backend.submit(identity, function, *args)
    return caught.value.message


def wait_lines(path: Path, count: int, timeout: float = 60.0) -> list[str]:
    """The lines of ``path`` once it has at least ``count`` (a file another process appends to)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = path.read_text().splitlines() if path.exists() else []
        if len(lines) >= count:
            return lines
        time.sleep(0.05)
    raise AssertionError(f"{path} has fewer than {count} lines after {timeout}s")


def fresh_month() -> str:
    """A month no earlier run has anchored into (the network outlives a test session)."""
    number = uuid.uuid4().int
    return f"{2100 + number % 800}-{1 + number // 800 % 12:02d}"


def anchor_args(node: str, date: str, seed: str = "") -> tuple[str, str, str, str]:
    """The arguments of ``Listening:Anchor`` for a made-up report of ``node`` on ``date``."""
    digest = hashlib.sha256(f"{node} {date} {seed}".encode()).hexdigest()
    return node, date, digest, json.dumps({"rows": 3, "listeners": 2, "plays": 3, "seconds": 600})


#: The payload the peer CLI prints when an invoke is committed (protobuf text format, ASCII).
INVOKED = re.compile(r'Chaincode invoke successful\. result: status:200 payload:"((?:[^"\\]|\\.)*)"')


def peer_cli(tmp: Path):
    """``run(role, *args)``: Fabric's peer CLI as an Org1 identity ``n1.<role>`` (admin or reviewer,
    enrolled with that role; None: the environment's own cryptogen admin, which has no role)."""
    homes = {role: enroll_home(tmp, org_of("Org1MSP"), f"n1.{role}", role) for role in ("admin", "reviewer")}

    def run(role: str | None, *args: str) -> subprocess.CompletedProcess:
        script = ('eval "$(network/network.sh env org1)"; [ -n "$1" ] && export CORE_PEER_MSPCONFIGPATH="$1"; '
                  'shift; export FABRIC_LOGGING_SPEC=INFO; exec peer "$@"')
        msp = str(homes[role] / "msp") if role else ""
        return subprocess.run(["bash", "-c", script, "peer", msp, *args],
                              cwd=ROOT, capture_output=True, text=True, timeout=120)
    return run


def peer_call(function: str, *args: str) -> str:
    """The ``-c`` argument of the peer CLI for a call."""
    return json.dumps({"Args": [function, *args]})


def invoke_args(function: str, *args: str) -> list[str]:
    """``peer chaincode invoke`` to an orderer and three peers (the MAJORITY policy), waiting for commit."""
    prof = profile()
    orderer = prof["orderers"][0]
    command = ["chaincode", "invoke", "-o", orderer["address"], "--ordererTLSHostnameOverride",
               orderer["ssl_target_name_override"], "--tls", "--cafile", orderer["tls_ca_cert"],
               "-C", prof["channel"], "-n", prof["chaincode"], "--waitForEvent"]
    for org in sorted(prof["organizations"])[:3]:
        peer = prof["organizations"][org]["peer"]
        command += ["--peerAddresses", peer["address"], "--tlsRootCertFiles", peer["tls_ca_cert"]]
    return command + ["-c", peer_call(function, *args)]


def unquote(text: str) -> str:
    """A payload as the peer CLI prints it (protobuf text format, ASCII) back to its bytes."""
    return re.sub(r'\\(["\\])', r"\1", text)


#: What a settled month's run writes, compared between the backends.
OUTPUTS = ("payouts.csv", "node_payouts.csv", "settlement.json")


def seed_secrets(fabric_out: Path, embedded_out: Path) -> None:
    """The embedded run's ledger folder starts with the Fabric run's node secrets, so the listener
    pseudonyms, and hence the keys, are the same."""
    (embedded_out / "ledger").mkdir(parents=True)
    shutil.copy2(fabric_out / "ledger" / "config.yaml", embedded_out / "ledger" / "config.yaml")


def assert_same_month(fabric_out: Path, embedded_out: Path, files=OUTPUTS) -> list[tuple[str, bytes]]:
    """Equal payouts, settlement (``files``) and world state; returns the world state."""
    for name in files:
        assert (fabric_out / name).read_bytes() == (embedded_out / name).read_bytes(), name
    fabric = Session(folder=fabric_out / "ledger", gateway_profile=PROFILE)
    embedded = EmbeddedLedger(embedded_out / "ledger")
    try:
        on_fabric = list(fabric.reader().world_state())
        stored = list(embedded.state_items())
    finally:
        fabric.close()
        embedded.close()
    assert on_fabric == stored
    return on_fabric


def endorsed_by(gateway, identity: str, orgs: list[str], function: str, *args: str):
    """A transaction of ``identity`` endorsed by the peers of exactly the organisations ``orgs``
    (their Endorser service, no gateway choosing), ready for ``gateway.commit``: how a client
    gathers endorsements itself, as Fabric's peer CLI does with --peerAddresses."""
    import grpc
    from fabric_protos.common import common_pb2
    from fabric_protos.peer import peer_pb2_grpc, proposal_pb2, transaction_pb2

    from admin.client import Prepared

    ident = gateway.wallet.get(identity)
    signed, txid = gateway._proposal(ident, function, args)
    responses = []
    for name in orgs:
        peer = profile()["organizations"][name]["peer"]
        options = [("grpc.ssl_target_name_override", peer["ssl_target_name_override"])]
        credentials = grpc.ssl_channel_credentials(Path(peer["tls_ca_cert"]).read_bytes())
        with grpc.secure_channel(peer["address"], credentials, options=options) as channel:
            response = peer_pb2_grpc.EndorserStub(channel).ProcessProposal(signed, timeout=30)
        assert response.response.status == 200, (name, response.response.message)
        responses.append(response)
    assert len({r.payload for r in responses}) == 1, "the endorsers' results differ"
    proposal = proposal_pb2.Proposal.FromString(signed.proposal_bytes)
    header = common_pb2.Header.FromString(proposal.header)
    payload = proposal_pb2.ChaincodeProposalPayload.FromString(proposal.payload)
    action = transaction_pb2.ChaincodeActionPayload(
        chaincode_proposal_payload=proposal_pb2.ChaincodeProposalPayload(input=payload.input).SerializeToString(),
        action=transaction_pb2.ChaincodeEndorsedAction(proposal_response_payload=responses[0].payload,
                                                       endorsements=[r.endorsement for r in responses]))
    transaction = transaction_pb2.Transaction(actions=[transaction_pb2.TransactionAction(
        header=header.signature_header, payload=action.SerializeToString())])
    envelope = common_pb2.Envelope(payload=common_pb2.Payload(header=header,
                                                              data=transaction.SerializeToString()).SerializeToString())
    return Prepared(identity, function, txid, envelope)
