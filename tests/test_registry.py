"""Registry contract on the embedded backend: bootstrap, artists, proposals, duties, queries."""

import json

import pytest

from admin.errors import LedgerRejected
from conftest import consortium, refused


def test_bootstrap_once_then_no_op(ledger):
    again = ledger.submit("n1.admin", "Registry:Bootstrap", json.dumps(consortium())).json()
    assert again == {"artists": 3, "bootstrapped": False, "clusters": ["A", "B"],
                     "nodes": ["n1", "n2", "n3", "n4"], "policy": "2026-01"}
    other = consortium(artists=("a1",))
    assert refused(ledger, "n2.admin", "Registry:Bootstrap", json.dumps(other)) == (
        "the consortium is already bootstrapped with other content; use proposals to change it.")


@pytest.mark.parametrize("identity", ["n1.reviewer", "n1.auditor", "n1.arbitrator"])
def test_bootstrap_needs_an_admin(bare_ledger, identity):
    role = identity.split(".")[1]
    assert refused(bare_ledger, identity, "Registry:Bootstrap", json.dumps(consortium())) == (
        f"Org1MSP identity with {role} may not do this; it needs the role admin.")


@pytest.mark.parametrize("change, message", [
    (lambda c: c["nodes"].append(dict(c["nodes"][0])), "node id n1 appears twice."),
    (lambda c: c["nodes"][1].update(cluster="Z"), "node n2 names cluster Z, which is not registered."),
    (lambda c: c["policy"].update(node_share_micro=11_000_000),
     "policy node_share_micro 11000000 exceeds price_micro 10000000."),
    (lambda c: c["artists"][0].update(isni="0000000121032687"),
     "ISNI '0000000121032687' has check character 7, expected 3."),
    (lambda c: c["nodes"][0].update(id="bad id"), "node id 'bad id' is not a valid id (letters, digits, . _ : @ -)."),
])
def test_bootstrap_refuses_bad_documents(bare_ledger, change, message):
    document = consortium()
    change(document)
    assert refused(bare_ledger, "n1.admin", "Registry:Bootstrap", json.dumps(document)) == message


def test_register_artist_with_isni(ledger):
    artist = {"id": "a9", "name": "Nina", "wallet": "w9", "isni": "0000 0001 2103 2683"}
    result = ledger.submit("n3.admin", "Registry:RegisterArtist", json.dumps(artist)).json()
    assert result == {"registered": True, "artist": {"id": "a9", "name": "Nina", "wallet": "w9",
                                                     "isni": "0000000121032683"}}
    assert ledger.submit("n3.admin", "Registry:RegisterArtist", json.dumps(artist)).json()["registered"] is False
    assert refused(ledger, "n2.admin", "Registry:RegisterArtist", json.dumps({**artist, "wallet": "w10"})) == (
        "artist a9 is already registered with other details.")


def test_a_policy_change_needs_a_majority(ledger):
    policy = {"effective_from": "2026-11", "price_micro": 12_000_000, "node_share_micro": 1_200_000,
              "top_n": 9, "min_seconds": 30, "currency": "USDP"}
    first = ledger.submit("n1.admin", "Registry:Propose", "set_policy", json.dumps(policy)).json()
    assert (first["status"], first["approvals"]) == ("open", ["n1"])
    second = ledger.submit("n3.admin", "Registry:Approve", first["id"]).json()
    assert (second["status"], second["approvals"]) == ("open", ["n1", "n3"])
    third = ledger.submit("n4.admin", "Registry:Approve", first["id"]).json()
    assert third["status"] == "applied"
    assert json.loads(ledger.evaluate("n2.auditor", "Registry:GetPolicy", "2026-11"))["price_micro"] == 12_000_000
    assert json.loads(ledger.evaluate("n2.auditor", "Registry:GetPolicy", "2026-10"))["price_micro"] == 10_000_000


def test_revoked_node_can_no_longer_act(ledger):
    proposal = ledger.submit("n1.admin", "Registry:Propose", "revoke_node", '{"node_id":"n4"}').json()
    for node in ("n2", "n3"):
        ledger.submit(f"{node}.admin", "Registry:Approve", proposal["id"])
    assert refused(ledger, "n4.admin", "Registry:RegisterArtist", '{"id":"x","name":"X","wallet":"w"}') == (
        "node n4 of Org4MSP is revoked, not active.")


def test_queries_need_a_member_and_name_missing_records(ledger):
    assert [n["id"] for n in json.loads(ledger.evaluate("n4.auditor", "Registry:ListNodes"))] == [
        "n1", "n2", "n3", "n4"]
    with pytest.raises(LedgerRejected) as info:
        ledger.evaluate("n4.auditor", "Registry:GetNode", "n9")
    assert info.value.message == "node n9 does not exist."
    with pytest.raises(LedgerRejected) as info:
        ledger.evaluate("n1.admin", "Registry:GetPolicy", "2025-12")
    assert info.value.message == "no policy is in force for 2025-12."


def test_wrong_arity_and_unknown_function(ledger):
    assert refused(ledger, "n1.admin", "Registry:Propose", "set_policy") == (
        "Registry:Propose takes 2 argument(s) (kind, payload), got 1.")
    assert refused(ledger, "n1.admin", "Registry:Nope") == "Function Nope not found in contract Registry"


def test_metadata_under_fabric_name(ledger):
    metadata = json.loads(ledger.evaluate("n1.auditor", "org.hyperledger.fabric:GetMetadata"))
    assert sorted(metadata["contracts"]) == ["Allocations", "Audit", "History", "Listening", "Registry", "Reviews",
                                             "Settlement", "Subscriptions", "WorldState", "org.hyperledger.fabric"]
