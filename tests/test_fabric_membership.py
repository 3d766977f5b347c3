"""The consortium governs its own channel (``pytest -m fabric``): a fifth organisation, prepared by
``network/network.sh add-org``, is admitted by an admit_node proposal and a channel update a
majority of the organisations' admins signed, anchors a day and reviews another node's month; it is
revoked by a revoke_node proposal and removed by a signed update, after which its peer's
endorsement no longer counts and its identities are refused. Each organisation that one admin
alone, or a minority, or an update the registry did not decide, cannot get in is tried too.

The tests run in order on one freshly purged network (about 2 minutes); the module removes the
fifth organisation at the end. Every command is the CLI as an admin runs it.
"""

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from admin.cli import main
from admin.client import Connection
from admin.errors import EndorsementRejected, LedgerRejected
from admin.fabric import channel, configtx
from admin.fabric.client import FabricClient
from chaincode import three_eyes
from fabric_protos.common import policies_pb2
from fabric_network import fresh_network, network
from fabric_support import anchor_args, endorsed_by, fresh_month
from settlement_script import EVIDENCE, allocate_and_seal, subscribe

pytestmark = pytest.mark.fabric

NODES = [("n1", "A", "Org1MSP"), ("n2", "A", "Org2MSP"), ("n3", "B", "Org3MSP"), ("n4", "B", "Org4MSP")]
POLICY = {"price": "10.00", "node_share": "1.00", "top_n": 9, "min_seconds": 30, "currency": "USDP"}
NOT_ADMITTED = ("error: channel update refused: the registry has no applied admit_node proposal for Org5MSP; "
                "the consortium admits an organisation before the channel does.")


@dataclass
class World:
    profile: Path
    ledger: Path        # the founders' ledger folder (each admin would have its own)
    ledger5: Path       # the new organisation's
    definition: Path    # what org5 hands the consortium
    tmp: Path

    def cli(self, *args, expect: int = 0, ledger: Path | None = None) -> str:
        """``nineten --ledger L --gateway PROFILE ARGS`` as an admin runs it; its output."""
        result = CliRunner().invoke(main, ["--ledger", str(ledger or self.ledger), "--gateway", str(self.profile),
                                           *map(str, args)])
        assert result.exit_code == expect, result.output
        return result.output

    def client(self, ledger: Path | None = None, profile: Path | None = None) -> FabricClient:
        return FabricClient.from_profile(profile or self.profile, ledger or self.ledger)

    def config(self):
        """The channel's configuration now, read through org1's peer."""
        client = self.client()
        try:
            return channel.read_config(Connection(client, "n1.auditor"))
        finally:
            client.close()

    def orgs(self) -> list[str]:
        return configtx.application_orgs(self.config().channel_group)


def consortium_file(path: Path, nodes) -> Path:
    path.write_text(yaml.safe_dump({
        "policy": POLICY, "clusters": [{"id": "A"}, {"id": "B"}],
        "nodes": [{"id": n, "cluster": c, "msp_id": m, "wallet": f"wallet-{n}"} for n, c, m in nodes],
        "artists": [{"id": a, "name": f"Artist {a}", "wallet": f"wallet-{a}"} for a in ("a1", "a2", "a3")]}))
    return path


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    profile = fresh_network()
    tmp = tmp_path_factory.mktemp("membership")
    made = World(profile, tmp / "ledger", tmp / "ledger5", Path(profile).parent / "orgs" / "org5" / "org5.json", tmp)
    made.cli("init", "--consortium", consortium_file(tmp / "consortium.yaml", NODES))
    # the consortium of conftest (and fabric_support.bootstrap): later modules find it bootstrapped
    made.cli("consortium", "load", tmp / "consortium.yaml", "--effective-from", "2026-01")
    network("add-org", "org5", "--cluster", "B")
    yield made
    network("remove-org", "org5", check=False)


def admins_envelope(world: World, update, *orgs: str):
    """The update signed by the admins of ``orgs``, the envelope by the first."""
    body = configtx.update_envelope(update)
    admins = [channel.org_admin(world.profile, org) for org in orgs]
    for admin in admins:
        body = channel.add_signature(body, admin)
    return channel.signed_envelope("nineten", body, admins[0])


def test_the_network_policies_and_the_groups_configtx_builds_are_configtxgens(world):
    profile = yaml.safe_load(world.profile.read_text())
    config = world.config()
    application = config.channel_group.groups[configtx.APPLICATION]
    assert (application.mod_policy, config.channel_group.mod_policy) == ("Admins", "Admins")
    admins = policies_pb2.ImplicitMetaPolicy.FromString(application.policies["Admins"].policy.value)
    assert (admins.sub_policy, admins.rule) == ("Admins", policies_pb2.ImplicitMetaPolicy.MAJORITY)
    for org in profile["organizations"].values():
        if org["msp_id"] == "Org5MSP":
            continue
        host, port = org["peer"]["address"].rsplit(":", 1)
        definition = configtx.read_msp_folder(Path(org["msp_dir"]), org["msp_id"], [(host, int(port))])
        assert configtx.org_group(definition) == application.groups[org["msp_id"]], org["msp_id"]
    assert channel.majority(config.channel_group) == 3


def test_an_organisation_the_registry_did_not_admit_stays_out(world):
    assert "the registry and channel nineten agree: 4 organisations" in world.cli("consortium", "check")
    assert NOT_ADMITTED in world.cli("channel", "prepare", "admit", world.definition, "--out",
                                     world.tmp / "early.tx", expect=3)
    config = world.config()
    group = configtx.org_group(configtx.load_definition(world.definition))
    update = configtx.update_for("nineten", config.channel_group, configtx.Change("admit", "Org5MSP", group))
    crafted = world.tmp / "crafted.tx"   # made without nineten, e.g. with configtxlator
    crafted.write_bytes(configtx.unsigned_envelope("nineten", configtx.update_envelope(update)).SerializeToString())
    assert NOT_ADMITTED in world.cli("channel", "sign", crafted, "--org", "org1", expect=3)
    profile = yaml.safe_load(world.profile.read_text())
    for signers in (["org1"], ["org1", "org2"]):   # one admin alone, or two of four: not a majority
        with pytest.raises(LedgerRejected) as refused:
            channel.broadcast(profile, admins_envelope(world, update, *signers), "Org1MSP")
        assert ("implicit policy evaluation failed - " f"{len(signers)} sub-policies were satisfied, but this "
                "policy requires 3 of the 'Admins' sub-policies to be satisfied") in refused.value.message
    assert world.orgs() == ["Org1MSP", "Org2MSP", "Org3MSP", "Org4MSP"]


def test_a_fifth_organisation_is_admitted_by_proposals_and_a_majority_of_admins(world):
    definition = configtx.load_definition(world.definition)
    sha = configtx.definition_sha256(definition)
    payload = {"id": "n5", "cluster": "B", "msp_id": "Org5MSP", "wallet": "wallet-n5", "definition_sha256": sha}
    proposed = json.loads(world.cli("--format", "json", "consortium", "propose", "admit_node", json.dumps(payload),
                                    "--node", "n1"))
    world.cli("consortium", "approve", proposed["id"], "--node", "n2")
    assert NOT_ADMITTED in world.cli("channel", "prepare", "admit", world.definition, "--out", world.tmp / "x.tx",
                                     expect=3)
    world.cli("consortium", "approve", proposed["id"], "--node", "n3")
    assert world.cli("consortium", "check", expect=1).splitlines() == [
        "Org5MSP: node n5 is active in the registry but not an organisation of channel nineten."]
    # another definition under the admitted MSP id (its own CA, say) is not what the consortium admitted
    other = dict(definition, anchor_peers=[{"host": "127.0.0.1", "port": 1}])
    (world.tmp / "other.json").write_bytes(configtx.definition_bytes(other))
    assert (f"the consortium admitted Org5MSP with the definition {sha}, not this one "
            f"({configtx.definition_sha256(other)})") in world.cli(
        "channel", "prepare", "admit", world.tmp / "other.json", "--out", world.tmp / "x.tx", expect=3)
    # the admitted definition, but its group's policies weakened: refused by every signer
    config = world.config()
    weak = configtx.org_group(definition)
    weak.policies["Admins"].CopyFrom(weak.policies["Writers"])
    tampered = world.tmp / "tampered.tx"
    tampered.write_bytes(configtx.unsigned_envelope("nineten", configtx.update_envelope(configtx.update_for(
        "nineten", config.channel_group, configtx.Change("admit", "Org5MSP", weak)))).SerializeToString())
    assert "the group of Org5MSP in this update is not the one its definition makes" in world.cli(
        "channel", "sign", tampered, "--org", "org1", expect=3)

    update = world.tmp / "admit-org5.tx"
    prepared = world.cli("channel", "prepare", "admit", world.definition, "--out", update)
    assert f"decided by proposal {proposed['id']} (admit_node, applied; approved by n1, n2, n3)" in prepared
    world.cli("channel", "sign", update, "--org", "org1")
    assert "Org1MSP has already signed" in world.cli("channel", "sign", update, "--org", "Org1MSP")
    world.cli("channel", "sign", update, "--org", "org2")
    assert "signed by 2 of the 3 organisations' admins the channel needs (Org1MSP, Org2MSP)" in world.cli(
        "channel", "submit", update, "--org", "org1", expect=2)
    assert "ready: `nineten channel submit" in world.cli("channel", "sign", update, "--org", "org4")
    submitted = world.cli("channel", "submit", update, "--org", "org4")
    assert "Org5MSP admitted to channel nineten (configuration 1; " in submitted
    assert "signed by Org1MSP, Org2MSP, Org4MSP)" in submitted
    assert "the registry and channel nineten agree: 5 organisations" in world.cli("consortium", "check")
    assert "Org5MSP is already an organisation of channel nineten" in world.cli(
        "channel", "prepare", "admit", world.definition, "--out", world.tmp / "again.tx", expect=3)
    network("join-org", "org5")


def test_the_new_organisation_anchors_a_day_and_reviews_another_nodes_month(world):
    world.cli("init", "--consortium", consortium_file(world.tmp / "org5.yaml", [("n5", "B", "Org5MSP")]),
              ledger=world.ledger5)
    day = f"{fresh_month()}-01"
    anchored = json.loads(world.cli("--as", "n5.admin", "invoke", "Listening:Anchor", *anchor_args("n5", day),
                                    ledger=world.ledger5))
    assert anchored["anchored"] is True and anchored["anchor"]["node"] == "n5"
    founders = world.client()
    try:
        # the endorsement policy covers the new organisation: its peer's endorsement counts
        prepared = endorsed_by(founders, "n1.admin", ["org5", "org1", "org2"], "Listening:Anchor",
                               *anchor_args("n1", day))
        assert founders.commit(prepared).json()["anchored"] is True
        nodes = json.loads(founders.evaluate("n1.auditor", "Registry:ListNodes"))
        n1 = next(n for n in nodes if n["id"] == "n1")
        active = [n for n in nodes if n["status"] == "active"]
        month = next(m for m in (fresh_month() for _ in range(200))
                     if three_eyes.month_reviewers(m, n1, active)["external"] == "n5")
        subscribe(founders, "n1", ["L1"], month)
        allocate_and_seal(founders, "n1", [{"L1": {"a1": 100}}], month)
        assert json.loads(founders.evaluate("n1.auditor", "Reviews:GetReviewers", month, "n1"))["external"] == "n5"
    finally:
        founders.close()
    review = json.loads(world.cli("--as", "n5.reviewer", "invoke", "Reviews:Review", month, "n1", "approve", "",
                                  EVIDENCE, "", ledger=world.ledger5))
    assert (review["reviewed"], review["review"]["reviewer"], review["review"]["verdict"]) == (True, "n5", "approve")


def test_a_revoked_organisation_leaves_the_channel_and_counts_no_more(world):
    proposed = json.loads(world.cli("--format", "json", "consortium", "propose", "revoke_node",
                                    '{"node_id": "n5"}', "--node", "n1"))
    for node in ("n2", "n3"):   # three of the five active nodes
        world.cli("consortium", "approve", proposed["id"], "--node", node)
    day = f"{fresh_month()}-02"
    assert "error: Listening:Anchor refused: node n5 of Org5MSP is revoked, not active." in world.cli(
        "--as", "n5.admin", "invoke", "Listening:Anchor", *anchor_args("n5", day), ledger=world.ledger5, expect=3)
    assert world.cli("consortium", "check", expect=1).splitlines() == [
        "Org5MSP: node n5 is revoked in the registry but still an organisation of channel nineten."]
    update = world.tmp / "remove-org5.tx"
    assert f"decided by proposal {proposed['id']} (revoke_node" in world.cli(
        "channel", "prepare", "remove", "Org5MSP", "--out", update)
    for org in ("org1", "org2", "org3"):
        world.cli("channel", "sign", update, "--org", org)
    assert "Org5MSP removed from channel nineten (configuration 2; " in world.cli(
        "channel", "submit", update, "--org", "org2")
    assert "the registry and channel nineten agree: 4 organisations" in world.cli("consortium", "check")

    founders = world.client()
    try:
        # its peer's endorsement no longer counts: with two others it is not a majority of four
        prepared = endorsed_by(founders, "n1.admin", ["org5", "org1", "org2"], "Listening:Anchor",
                               *anchor_args("n1", day))
        with pytest.raises(EndorsementRejected):
            founders.commit(prepared)
        control = endorsed_by(founders, "n1.admin", ["org3", "org1", "org2"], "Listening:Anchor",
                              *anchor_args("n1", day))
        assert founders.commit(control).json()["anchored"] is True
    finally:
        founders.close()
    # its identities are refused by the channel itself, through any other organisation's peer
    profile = yaml.safe_load(world.profile.read_text())
    profile["organizations"]["org5"]["peer"] = profile["organizations"]["org1"]["peer"]
    (world.tmp / "via-org1.yaml").write_text(yaml.safe_dump(profile))
    outsider = world.client(world.ledger5, world.tmp / "via-org1.yaml")
    try:
        with pytest.raises(LedgerRejected) as refused:
            outsider.submit("n5.admin", "Listening:Anchor", *anchor_args("n5", day))
        assert ("Org1MSP: error validating proposal: access denied: channel [nineten] creator org unknown"
                in refused.value.message)
    finally:
        outsider.close()
    # and its admin alone cannot put it back
    config = world.config()
    group = configtx.org_group(configtx.load_definition(world.definition))
    readd = configtx.update_for("nineten", config.channel_group, configtx.Change("admit", "Org5MSP", group))
    with pytest.raises(LedgerRejected) as refused:
        channel.broadcast(profile, admins_envelope(world, readd, "org5"), "Org5MSP")
    assert refused.value.status == 403 and "Writers" in refused.value.message
    assert world.orgs() == ["Org1MSP", "Org2MSP", "Org3MSP", "Org4MSP"]
    network("remove-org", "org5")
    assert "org5" not in yaml.safe_load(world.profile.read_text())["organizations"]
