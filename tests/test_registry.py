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


def test_an_artist_is_registered_by_a_majority(ledger):
    artist = {"id": "a9", "name": "Nina", "wallet": "w9", "isni": "0000 0001 2103 2683"}
    first = ledger.submit("n3.admin", "Registry:Propose", "register_artist", json.dumps(artist)).json()
    payload = {"aliases": [], "id": "a9", "isni": "0000000121032683", "mbids": [], "name": "Nina", "wallet": "w9"}
    assert first == {"approvals": ["n3"], "id": first["id"], "kind": "register_artist",
                     "note": "artist a9 has no money held for it.", "payload": payload, "proposer": "n3",
                     "round": 0, "status": "open"}
    assert ledger.submit("n3.admin", "Registry:Propose", "register_artist", json.dumps(artist)).json() == first
    with pytest.raises(LedgerRejected) as info:
        ledger.evaluate("n1.auditor", "Registry:GetArtist", "a9")
    assert info.value.message == "artist a9 does not exist."
    ledger.submit("n1.admin", "Registry:Approve", first["id"])
    applied = ledger.submit("n2.admin", "Registry:Approve", first["id"]).json()
    assert (applied["status"], applied["approvals"]) == ("applied", ["n1", "n2", "n3"])
    assert json.loads(ledger.evaluate("n1.auditor", "Registry:GetArtist", "a9")) == {
        **payload, "previous_wallets": [], "proposal": first["id"]}
    assert refused(ledger, "n2.admin", "Registry:Propose", "register_artist", json.dumps({**artist, "wallet": "w10"})) \
        == "artist a9 is already registered; change its wallet with a set_artist_wallet proposal."
    listed = json.loads(ledger.evaluate("n4.auditor", "Registry:ListProposals", "applied"))
    assert [p["id"] for p in listed] == [first["id"]]
    assert json.loads(ledger.evaluate("n4.auditor", "Registry:ListProposals", "open")) == []


def test_a_wallet_change_keeps_the_history(ledger):
    change = {"artist_id": "a1", "wallet": "w-new"}
    proposal = ledger.submit("n2.admin", "Registry:Propose", "set_artist_wallet", json.dumps(change)).json()
    assert proposal["payload"] == {"artist_id": "a1", "replaces": "wallet-a1", "wallet": "w-new"}
    assert proposal["note"] == ("artist a1's wallet changes from wallet-a1 to w-new; payouts instructed from then "
                                "on, and releases of held money, go to the new wallet.")
    for node in ("n3", "n4"):
        ledger.submit(f"{node}.admin", "Registry:Approve", proposal["id"])
    artist = json.loads(ledger.evaluate("n1.auditor", "Registry:GetArtist", "a1"))
    assert (artist["wallet"], artist["proposal"]) == ("w-new", proposal["id"])
    assert artist["previous_wallets"] == [{"proposal": "", "wallet": "wallet-a1"}]
    back = ledger.submit("n2.admin", "Registry:Propose", "set_artist_wallet",
                         json.dumps({"artist_id": "a1", "wallet": "wallet-a1"})).json()
    assert refused(ledger, "n1.admin", "Registry:Propose", "set_artist_wallet", json.dumps(change)) == (
        "artist a1's wallet is already w-new.")
    for node in ("n3", "n4"):
        ledger.submit(f"{node}.admin", "Registry:Approve", back["id"])
    again = ledger.submit("n2.admin", "Registry:Propose", "set_artist_wallet", json.dumps(change)).json()
    assert (again["round"], again["status"]) == (1, "open") and again["id"] != proposal["id"]


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
    assert refused(ledger, "n4.admin", "Registry:Propose", "register_artist", '{"id":"x","name":"X","wallet":"w"}') \
        == "node n4 of Org4MSP is revoked, not active."


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
