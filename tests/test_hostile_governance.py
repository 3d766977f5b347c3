"""A dishonest node admin against the consortium's decisions: artists, wallets, policies.

Each attack is made as one node admin would make it, with its own identity; each is refused with
its exact sentence and writes nothing (``conftest.refused`` compares the state hash and the height
before and after), and the month's money still balances after it.
"""

import json

import pytest

from conftest import consortium, refused
from settlement_script import (MONTH, approve, majority, reviewed_month, settlement, standard_month, subscribe)

HIJACK = {"id": "a9", "name": "Artist a9", "wallet": "wallet-of-n1"}
POLICY = {"effective_from": MONTH, "price_micro": 12_000_000, "node_share_micro": 3_000_000, "top_n": 9,
          "min_seconds": 30, "currency": "USDP"}


@pytest.fixture
def settled(ledger):
    """The standard month reviewed and settled: a9 (not registered) has 3 USDP held at n3."""
    reviewed_month(ledger)
    ledger.submit("n2.admin", "Settlement:Settle", MONTH)
    return ledger


def propose(ledger, node, kind, payload) -> dict:
    return ledger.submit(f"{node}.admin", "Registry:Propose", kind, json.dumps(payload)).json()


def test_a_node_cannot_register_a_held_artist_to_its_own_wallet_and_release_its_money(settled):
    # attack 1: the old shortcut, registering alone, no longer exists
    assert refused(settled, "n1.admin", "Registry:RegisterArtist", json.dumps(HIJACK)) == (
        "Function RegisterArtist not found in contract Registry")
    # attack 2: propose it, then release at once: the proposal only records n1's approval, the money stays
    proposal = propose(settled, "n1", "register_artist", HIJACK)
    assert (proposal["status"], proposal["approvals"]) == ("open", ["n1"])
    assert proposal["note"] == ("artist a9 has 3.000000 held for it while unregistered (2026-10 3.000000); "
                                "once registered, it is released to wallet wallet-of-n1.")
    assert refused(settled, "n1.admin", "Settlement:ReleaseArtist", MONTH, "a9") == (
        f"artist a9 is not registered; register the artist before releasing {MONTH}.")
    # attack 3: approve its own proposal again, or propose it again: nothing changes
    before = settled.state_hash()
    assert settled.submit("n1.admin", "Registry:Approve", proposal["id"]).json() == proposal
    assert propose(settled, "n1", "register_artist", HIJACK) == proposal
    assert settled.state_hash() == before
    # attack 4: with one accomplice (2 of 4 nodes) it is still not a majority
    assert settled.submit("n2.admin", "Registry:Approve", proposal["id"]).json()["status"] == "open"
    assert refused(settled, "n2.admin", "Settlement:ReleaseArtist", MONTH, "a9") == (
        f"artist a9 is not registered; register the artist before releasing {MONTH}.")
    assert settlement(settled)["held_micro"] == 3_000_000


def test_the_real_artist_registers_by_majority_and_a_late_hijack_cannot_apply(settled):
    hijack = propose(settled, "n1", "register_artist", HIJACK)
    honest = majority(settled, "register_artist", {"id": "a9", "name": "Artist a9", "wallet": "wallet-a9"},
                      "n3", ("n4", "n2"))
    assert honest["status"] == "applied"
    # the hijack's third approval would apply it: refused, the ledger no longer allows it
    settled.submit("n2.admin", "Registry:Approve", hijack["id"])
    assert refused(settled, "n4.admin", "Registry:Approve", hijack["id"]) == (
        f"proposal {hijack['id']} can no longer apply: artist a9 is already registered; change its wallet with a "
        "set_artist_wallet proposal.")
    release = settled.submit("n1.admin", "Settlement:ReleaseArtist", MONTH, "a9").json()["release"]
    assert (release["artist"], release["amount_micro"]) == ("a9", 3_000_000)
    assert settlement(settled)["held_micro"] == 0
    # credited to a9's balance, instructed with the next settlement to the wallet the majority approved
    assert json.loads(settled.evaluate("n1.auditor", "Registry:GetArtist", "a9"))["wallet"] == "wallet-a9"


def test_a_wallet_is_repointed_only_by_a_majority_and_its_history_is_kept(settled):
    change = propose(settled, "n1", "set_artist_wallet", {"artist_id": "a1", "wallet": "wallet-of-n1"})
    assert settled.submit("n2.admin", "Registry:Approve", change["id"]).json()["status"] == "open"
    assert json.loads(settled.evaluate("n1.auditor", "Registry:GetArtist", "a1"))["wallet"] == "wallet-a1"
    # the consortium revokes the accomplice: it can no longer approve anything
    majority(settled, "revoke_node", {"node_id": "n2"}, "n3", ("n4", "n1"))
    assert refused(settled, "n2.admin", "Registry:Approve", change["id"]) == "node n2 of Org2MSP is revoked, not active."
    # say the artist did ask for it: the honest nodes approve, and the change applies
    assert settled.submit("n3.admin", "Registry:Approve", change["id"]).json()["status"] == "applied"
    artist = json.loads(settled.evaluate("n1.auditor", "Registry:GetArtist", "a1"))
    assert artist["previous_wallets"] == [{"proposal": "", "wallet": "wallet-a1"}]
    # the payout instructed before keeps the wallet approved when it was instructed
    payouts = {p["payee"]: p for p in json.loads(settled.evaluate("n1.auditor", "Settlement:ListPayouts", MONTH))}
    assert payouts["a1"]["wallet"] == "wallet-a1"
    # a stale change (it replaces a wallet the artist no longer has) cannot apply
    stale = propose(settled, "n3", "set_artist_wallet", {"artist_id": "a2", "wallet": "w-x"})
    majority(settled, "set_artist_wallet", {"artist_id": "a2", "wallet": "w-y"}, "n1", ("n3",))
    assert refused(settled, "n1.admin", "Registry:Approve", stale["id"]) == (
        f"proposal {stale['id']} can no longer apply: artist a2's wallet is now w-y, not wallet-a2.")
    settlement(settled)


@pytest.mark.parametrize("kind, payload, message", [
    ("register_artist", {"id": "a1", "name": "A", "wallet": "w"},
     "artist a1 is already registered; change its wallet with a set_artist_wallet proposal."),
    ("set_artist_wallet", {"artist_id": "a9", "wallet": "w"},
     "artist a9 is not registered; register it with a register_artist proposal."),
    ("set_artist_wallet", {"artist_id": "a1", "wallet": "wallet-a1"}, "artist a1's wallet is already wallet-a1."),
    ("grant_duty", {"node_id": "n2", "duty": "reviewer"}, "node n2 already has the reviewer duty."),
    ("revoke_node", {"node_id": "n9"}, "node n9 is not registered."),
    ("make_me_rich", {}, "proposal kind 'make_me_rich' is not one of admit_node, revoke_node, set_policy, grant_duty, "
     "revoke_duty, register_artist, set_artist_wallet, extend_artist, import_artists, replace_reviewer, "
     "settle_without, decide_dispute, set_split, adjust."),
])
def test_proposals_that_change_nothing_or_nothing_real_are_refused(ledger, kind, payload, message):
    assert refused(ledger, "n1.admin", "Registry:Propose", kind, json.dumps(payload)) == message


def test_a_policy_cannot_change_a_started_or_settled_month(ledger):
    subscribe(ledger, "n1", ["L1"])
    started = refused(ledger, "n1.admin", "Registry:Propose", "set_policy", json.dumps(POLICY))
    assert started == (f"a policy effective from {MONTH} would change {MONTH}, which already has subscriptions "
                       "recorded; a new policy takes effect only from a month in which nothing is recorded yet.")
    # backdated: effective from an earlier month, it would reach every later month too
    earlier = {**POLICY, "effective_from": "2026-09"}
    assert refused(ledger, "n1.admin", "Registry:Propose", "set_policy", json.dumps(earlier)) == (
        f"a policy effective from 2026-09 would change {MONTH}, which already has subscriptions recorded; a new "
        f'policy takes effect only from a month in which nothing is recorded yet, or up to one: "until": "{MONTH}" '
        f"leaves {MONTH} and later months as they are.")


def test_a_month_recorded_far_ahead_does_not_freeze_the_policy(ledger):
    """One node recording a subscription years ahead cannot stop every later policy change: a
    version bounded by ``until`` changes the months before it, and that month keeps its policy."""
    subscribe(ledger, "n1", ["L1"], month="2099-12")
    first = json.loads(ledger.evaluate("n1.auditor", "Registry:GetPolicy", MONTH))
    change = {**POLICY, "effective_from": "2026-11", "top_n": 3}
    assert refused(ledger, "n2.admin", "Registry:Propose", "set_policy", json.dumps(change)) == (
        "a policy effective from 2026-11 would change 2099-12, which already has subscriptions recorded; a new "
        'policy takes effect only from a month in which nothing is recorded yet, or up to one: "until": "2099-12" '
        "leaves 2099-12 and later months as they are.")
    proposal = propose(ledger, "n2", "set_policy", {**change, "until": "2099-12"})
    ledger.submit("n3.admin", "Registry:Approve", proposal["id"])
    ledger.submit("n4.admin", "Registry:Approve", proposal["id"])
    in_force = {month: json.loads(ledger.evaluate("n1.auditor", "Registry:GetPolicy", month))
                for month in (MONTH, "2026-11", "2099-11", "2099-12", "2100-01")}
    assert {month: p["effective_from"] for month, p in in_force.items()} == {
        MONTH: first["effective_from"], "2026-11": "2026-11", "2099-11": "2026-11",
        "2099-12": first["effective_from"], "2100-01": first["effective_from"]}
    assert in_force["2099-12"] == first != in_force["2099-11"]
    assert (in_force["2099-11"]["top_n"], in_force["2099-11"]["until"]) == (3, "2099-12")


@pytest.mark.parametrize("until, message", [
    ("2026-11", "policy until 2026-11 is not after its effective_from 2026-11."),
    ("2026-1", "month '2026-1' is not of the form YYYY-MM."),
])
def test_a_policy_bound_must_come_after_its_start(ledger, until, message):
    change = {**POLICY, "effective_from": "2026-11", "until": until}
    assert refused(ledger, "n1.admin", "Registry:Propose", "set_policy", json.dumps(change)) == message


def test_a_policy_backdated_to_a_settled_month_is_refused_and_the_settlement_names_its_policy(settled):
    assert refused(settled, "n1.admin", "Registry:Propose", "set_policy", json.dumps(POLICY)) == (
        f"a policy effective from {MONTH} would change {MONTH}, which is already settled; a new policy takes "
        "effect only from a month in which nothing is recorded yet.")
    assert settlement(settled)["policy"] == "2026-01"


def test_a_policy_proposed_for_an_empty_month_cannot_apply_once_the_month_started(ledger):
    future = {**POLICY, "effective_from": "2026-11"}
    proposal = propose(ledger, "n1", "set_policy", future)
    ledger.submit("n3.admin", "Registry:Approve", proposal["id"])
    anchor = ("n2", "2026-11-02", "a" * 64, json.dumps({"rows": 1, "listeners": 1, "plays": 1, "seconds": 60}))
    ledger.submit("n2.admin", "Listening:Anchor", *anchor)
    assert refused(ledger, "n4.admin", "Registry:Approve", proposal["id"]) == (
        f"proposal {proposal['id']} can no longer apply: a policy effective from 2026-11 would change 2026-11, "
        "which already has days anchored; a new policy takes effect only from a month in which nothing is "
        "recorded yet.")
    assert json.loads(ledger.evaluate("n1.auditor", "Registry:GetPolicy", "2026-11"))["effective_from"] == "2026-01"


def test_a_policy_for_a_month_with_nothing_recorded_applies_from_then_on(ledger):
    standard_month(ledger)
    future = {**POLICY, "effective_from": "2026-11"}
    assert majority(ledger, "set_policy", future)["status"] == "applied"
    assert json.loads(ledger.evaluate("n1.auditor", "Registry:GetPolicy", MONTH))["price_micro"] == 10_000_000
    assert json.loads(ledger.evaluate("n1.auditor", "Registry:GetPolicy", "2026-12"))["price_micro"] == 12_000_000
    approve(ledger, "n1")
    approve(ledger, "n3")
    ledger.submit("n1.admin", "Settlement:Settle", MONTH)
    assert settlement(ledger)["policy"] == "2026-01"


def test_the_first_policy_has_no_bound(bare_ledger):
    document = consortium()
    document["policy"] = {**document["policy"], "until": "2030-01"}
    assert refused(bare_ledger, "n1.admin", "Registry:Bootstrap", json.dumps(document)) == (
        "the first policy has no until: every month from its effective_from needs a policy.")


def test_a_bounded_policy_cannot_replace_the_version_of_its_month(ledger):
    """Replacing the version a month started under by one that ends before it would leave that
    month under another policy (or none)."""
    subscribe(ledger, "n1", ["L1"], month="2099-12")
    first = json.loads(ledger.evaluate("n1.auditor", "Registry:GetPolicy", MONTH))
    bounded = {**POLICY, "effective_from": first["effective_from"], "until": "2099-12"}
    assert refused(ledger, "n2.admin", "Registry:Propose", "set_policy", json.dumps(bounded)) == (
        f"a policy version is already effective from {first['effective_from']}; a version with an until may "
        "not replace it, since the months after its until would lose the policy they started with.")
