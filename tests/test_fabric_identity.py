"""`nineten identity` and `init --gateway` against the network's Fabric CAs (``pytest -m fabric``).

Works on any state of the network: every identity here has a fresh node id. About 10 s.
"""

import uuid

import pytest
import yaml
from click.testing import CliRunner

from admin.cli import main
from admin.config import LedgerConfig
from admin.fabric.ca import FabricCA
from admin.wallet import Wallet
from chaincode.identity import Caller
from fabric_network import require_network

pytestmark = pytest.mark.fabric


def run(*args, expect=0) -> str:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == expect, result.output
    return result.output


@pytest.fixture
def node(tmp_path):
    """A ledger folder whose only node (a new id each run) is of Org2MSP."""
    node_id = f"t{uuid.uuid4().hex[:8]}"
    config = LedgerConfig(tmp_path / "ledger")
    config.add_node(node_id, "Org2MSP")
    config.save()
    return node_id, tmp_path / "ledger", require_network()


def test_register_then_enroll_into_the_wallet(node):
    node_id, ledger, profile = node
    cli = ("--ledger", ledger, "--gateway", profile, "identity")
    out = run(*cli, "register", f"{node_id}.auditor")
    assert f"registered {node_id}.auditor at ca-org2 (Org2MSP) with nineten.role=auditor" in out
    secret = out.split("enrollment secret: ", 1)[1].split()[0]
    again = run(*cli, "register", f"{node_id}.auditor")
    assert f"{node_id}.auditor is already registered at ca-org2 (Org2MSP) with nineten.role=auditor; " \
           "nothing changed." in again
    wrong = run(*cli, "enroll", f"{node_id}.auditor", "--secret", "not-the-secret", expect=2)
    assert f"the CA ca-org2 refused to enroll {node_id}.auditor: Authentication failure" in wrong
    assert not Wallet(ledger / "wallet").names()
    run(*cli, "enroll", f"{node_id}.auditor", "--secret", secret)
    enrolled = Wallet(ledger / "wallet").get(f"{node_id}.auditor")
    caller = Caller(enrolled.msp_id, enrolled.cert_pem)
    assert (caller.msp_id, caller.role, caller.attributes["hf.EnrollmentID"]) == (
        "Org2MSP", "auditor", f"{node_id}.auditor")


def test_a_name_registered_with_another_role_is_refused(node):
    node_id, ledger, profile = node
    org2 = yaml.safe_load(profile.read_text())["organizations"]["org2"]
    FabricCA(org2).register(f"{node_id}.admin", "auditor")
    out = run("--ledger", ledger, "--gateway", profile, "identity", "register", f"{node_id}.admin", expect=4)
    assert f"{node_id}.admin is already registered at the CA ca-org2 with the role auditor, not admin." in out


def test_init_enrolls_every_role_at_the_nodes_organisation(tmp_path):
    profile = require_network()
    ids = [f"t{uuid.uuid4().hex[:8]}" for _ in range(2)]
    consortium = tmp_path / "consortium.yaml"
    consortium.write_text(yaml.safe_dump({
        "policy": {"price": "10.00", "node_share": "1.00", "top_n": 9, "min_seconds": 30, "currency": "USDP"},
        "clusters": [{"id": "A"}, {"id": "B"}],
        "nodes": [{"id": ids[0], "cluster": "A", "wallet": "w1", "msp_id": "Org3MSP"},
                  {"id": ids[1], "cluster": "B", "wallet": "w2", "msp_id": "Org4MSP"}],
        "artists": []}))
    run("--ledger", tmp_path / "ledger", "--gateway", profile, "init", "--consortium", consortium)
    wallet = Wallet(tmp_path / "ledger" / "wallet")
    assert len(wallet.names()) == 8
    for node_id, msp_id in zip(ids, ("Org3MSP", "Org4MSP")):
        for role in ("admin", "reviewer", "arbitrator", "auditor"):
            assert wallet.get(f"{node_id}.{role}").caller.role == role
            assert wallet.get(f"{node_id}.{role}").msp_id == msp_id
    assert not (tmp_path / "ledger" / "ledger.sqlite").exists() and not (tmp_path / "ledger" / "msp").exists()
    assert set(LedgerConfig.load(tmp_path / "ledger").nodes) == set(ids)
    # a second folder for the same nodes: the CA renews the registered identities' secrets and enrolls again
    run("--ledger", tmp_path / "second", "--gateway", profile, "init", "--consortium", consortium)
    assert Wallet(tmp_path / "second" / "wallet").get(f"{ids[0]}.admin").cert_pem != wallet.get(
        f"{ids[0]}.admin").cert_pem


def test_init_refuses_a_node_of_an_organisation_not_in_the_network(tmp_path):
    profile = require_network()
    consortium = tmp_path / "consortium.yaml"
    consortium.write_text(yaml.safe_dump({
        "policy": {"price": "10.00", "node_share": "1.00", "top_n": 9, "min_seconds": 30, "currency": "USDP"},
        "clusters": [{"id": "A"}],
        "nodes": [{"id": "n1", "cluster": "A", "wallet": "w1", "msp_id": "Org1MSP"},
                  {"id": "n9", "cluster": "A", "wallet": "w9", "msp_id": "Org9MSP"}],
        "artists": []}))
    out = run("--ledger", tmp_path / "ledger", "--gateway", profile, "init", "--consortium", consortium, expect=4)
    assert f"node n9's organisation Org9MSP is not in the connection profile {profile} " \
           "(it has: Org1MSP, Org2MSP, Org3MSP, Org4MSP)" in out
    assert not (tmp_path / "ledger").exists()
