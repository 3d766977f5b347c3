"""The Fabric backend against the real local network (``network/network.sh up``).

Run with ``pytest -m fabric``; skipped by default. Needs a fresh ledger for the first Bootstrap
to be the bootstrapping one (``network/network.sh purge`` then ``up``); on an already bootstrapped
network the test checks that Bootstrap with the same content is a no-op.
"""

import json

import pytest
import yaml

from admin.errors import ConfigError, LedgerRejected
from fabric_support import PROFILE, anchor_args, consortium, fill_wallet, fresh_month

pytestmark = pytest.mark.fabric


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    from admin.fabric.client import FabricClient

    tmp = tmp_path_factory.mktemp("fabric")
    fill_wallet(tmp, ["n1.admin", "n1.reviewer", "n2.auditor", "n3.auditor", "n4.auditor"])
    gw = FabricClient.from_profile(PROFILE, tmp / "ledger")
    yield gw
    gw.close()


def test_evaluate_metadata(gateway):
    metadata = json.loads(gateway.evaluate("n1.admin", "org.hyperledger.fabric:GetMetadata"))
    assert "Registry" in json.dumps(metadata)


def test_bootstrap_is_committed_once(gateway):
    body = json.dumps(consortium())
    first = gateway.submit("n1.admin", "Registry:Bootstrap", body)
    assert len(first.txid) == 64 and first.block > 0
    assert first.json()["nodes"] == ["n1", "n2", "n3", "n4"]
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
    from admin.fabric.client import FabricClient

    with pytest.raises(ConfigError):
        gateway.evaluate("nobody", "Registry:ListClusters")
    profile = yaml.safe_load(PROFILE.read_text())
    profile["organizations"]["org1"]["peer"]["address"] = "127.0.0.1:1"
    (tmp_path / "p.yaml").write_text(yaml.safe_dump(profile))
    broken = FabricClient.from_profile(tmp_path / "p.yaml", gateway.wallet.folder.parent)
    with pytest.raises(ConfigError, match="unreachable"):
        broken.evaluate("n1.admin", "Registry:ListClusters")
    with pytest.raises(ConfigError, match="cannot read"):
        FabricClient.from_profile(tmp_path / "missing.yaml", tmp_path)


def test_a_write_is_read_back_through_every_organisations_peer(gateway):
    """Reads through another organisation's peer right after a commit see the write: the client waits
    until that peer holds the block its own peer reported (it may lag behind for a moment)."""
    gateway.submit("n1.admin", "Registry:Bootstrap", json.dumps(consortium()))
    month = fresh_month()
    for day in range(1, 7):
        args = anchor_args("n1", f"{month}-{day:02d}")
        committed = gateway.submit("n1.admin", "Listening:Anchor", *args)
        for reader in ("n2.auditor", "n3.auditor", "n4.auditor"):
            anchor = json.loads(gateway.evaluate(reader, "Listening:GetAnchor", "n1", args[1]))
            assert anchor["sha256"] == args[2], (reader, committed.block)
