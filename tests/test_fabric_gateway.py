"""The Fabric backend against the real local network (``network/network.sh up``).

Run with ``pytest -m fabric``; skipped by default. Needs a fresh ledger for the first Bootstrap
to be the bootstrapping one (``network/network.sh purge`` then ``up``); on an already bootstrapped
network the test checks that Bootstrap with the same content is a no-op.
"""

import json
import os
import subprocess
import uuid
from pathlib import Path

import pytest
import yaml

from admin.errors import ConfigError, LedgerRejected
from admin.wallet import Identity, Wallet

pytestmark = pytest.mark.fabric

NETWORK = Path(os.environ.get("NINETEN_NETWORK_DIR", Path.home() / ".cache/nineten/network"))
FABRIC_HOME = Path(os.environ.get("NINETEN_FABRIC_HOME", Path.home() / ".cache/nineten/fabric"))
PROFILE = NETWORK / "connection.yaml"
NODES = [("n1", "A", "Org1MSP"), ("n2", "A", "Org2MSP"), ("n3", "B", "Org3MSP")]


def consortium() -> dict:
    return {
        "clusters": [{"id": "A"}, {"id": "B"}],
        "nodes": [{"id": n, "cluster": c, "msp_id": m, "wallet": f"wallet-{n}"} for n, c, m in NODES],
        "artists": [{"id": a, "name": f"Artist {a}", "wallet": f"wallet-{a}"} for a in ("a1", "a2", "a3")],
        "policy": {"effective_from": "2026-01", "price_micro": 10_000_000, "node_share_micro": 1_000_000,
                   "top_n": 9, "min_seconds": 30, "currency": "USDP"},
    }


def _ca_client(home: Path, *args: str) -> None:
    subprocess.run([str(FABRIC_HOME / "bin" / "fabric-ca-client"), *args, "-H", str(home)],
                   check=True, capture_output=True, text=True)


def enroll(tmp: Path, org: dict, name: str, role: str) -> Identity:
    """Register ``name`` with ``nineten.role=role`` at the org's CA and enroll it."""
    ca = org["ca"]
    host = ca["url"].split("://", 1)[1]
    tls = ["--caname", ca["name"], "--tls.certfiles", ca["tls_ca_cert"]]
    registrar = tmp / "registrar"
    reg = ca["registrar"]
    _ca_client(registrar, "enroll", "-u", f"https://{reg['enroll_id']}:{reg['enroll_secret']}@{host}", *tls)
    user_id, secret = f"{name}-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    _ca_client(registrar, "register", "--id.name", user_id, "--id.secret", secret, "--id.type", "client",
               "--id.attrs", f"nineten.role={role}:ecert", *tls)
    home = tmp / user_id
    _ca_client(home, "enroll", "-u", f"https://{user_id}:{secret}@{host}", *tls)
    cert = next((home / "msp" / "signcerts").iterdir()).read_bytes()
    key = next((home / "msp" / "keystore").iterdir()).read_bytes()
    return Identity(name, org["msp_id"], cert, key)


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    if not PROFILE.exists():
        pytest.skip(f"no network profile at {PROFILE}; run network/network.sh up")
    from admin.fabric.gateway import FabricGateway

    tmp = tmp_path_factory.mktemp("fabric")
    profile = yaml.safe_load(PROFILE.read_text())
    org1 = profile["organizations"]["org1"]
    wallet = Wallet(tmp / "ledger" / "wallet")
    wallet.put(enroll(tmp, org1, "n1.admin", "admin"))
    wallet.put(enroll(tmp, org1, "n1.reviewer", "reviewer"))
    gw = FabricGateway.from_profile(PROFILE, tmp / "ledger")
    yield gw
    gw.close()


def test_evaluate_metadata(gateway):
    metadata = json.loads(gateway.evaluate("n1.admin", "org.hyperledger.fabric:GetMetadata"))
    assert "Registry" in json.dumps(metadata)


def test_bootstrap_is_committed_once(gateway):
    body = json.dumps(consortium())
    first = gateway.submit("n1.admin", "Registry:Bootstrap", body)
    assert len(first.txid) == 64 and first.block > 0
    assert first.json()["nodes"] == ["n1", "n2", "n3"]
    second = gateway.submit("n1.admin", "Registry:Bootstrap", body)
    assert second.json()["bootstrapped"] is False
    assert second.block > first.block
    clusters = json.loads(gateway.evaluate("n1.admin", "Registry:ListClusters"))
    assert clusters


def test_reviewer_is_refused_with_the_chaincode_message(gateway):
    with pytest.raises(LedgerRejected) as refused:
        gateway.submit("n1.reviewer", "Registry:Bootstrap", json.dumps(consortium()))
    assert refused.value.message == "Org1MSP identity with reviewer may not do this; it needs the role admin."
    assert refused.value.function == "Registry:Bootstrap"


def test_unknown_identity_and_unreachable_peer(gateway, tmp_path):
    from admin.fabric.gateway import FabricGateway

    with pytest.raises(ConfigError):
        gateway.evaluate("nobody", "Registry:ListClusters")
    profile = yaml.safe_load(PROFILE.read_text())
    profile["organizations"]["org1"]["peer"]["address"] = "127.0.0.1:1"
    (tmp_path / "p.yaml").write_text(yaml.safe_dump(profile))
    broken = FabricGateway.from_profile(tmp_path / "p.yaml", gateway.wallet.folder.parent)
    with pytest.raises(ConfigError, match="unreachable"):
        broken.evaluate("n1.admin", "Registry:ListClusters")
    with pytest.raises(ConfigError, match="cannot read"):
        FabricGateway.from_profile(tmp_path / "missing.yaml", tmp_path)
