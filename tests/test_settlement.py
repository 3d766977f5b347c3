"""Settlement through real transactions: the payout rule, held money and its release, receipts."""

import json

import pytest

from admin.errors import LedgerRejected
from settlement_script import (MONTH, allocate_and_seal, approve, flag, flagged_month, majority, reviewed_month,
                               settlement, subscribe)

TOTALS = ("artists_micro", "held_micro", "income_micro", "node_operators_micro", "unallocated_micro")


def rejected(ledger, identity, function, *args) -> str:
    with pytest.raises(LedgerRejected) as caught:
        ledger.submit(identity, function, *args)
    return caught.value.message


def payouts(ledger, month=MONTH) -> dict:
    return {(p["kind"], p["payee"], p.get("source", "")): p
            for p in json.loads(ledger.evaluate("n2.reviewer", "Settlement:ListPayouts", month))}


def held(ledger, month=MONTH) -> dict:
    return {(h["dispute"] or "unregistered", h["artist"]): h
            for h in json.loads(ledger.evaluate("n2.arbitrator", "Settlement:ListHeld", month))}


def node_totals(**values) -> dict:
    base = {"allocated_micro": 0, "artists_micro": 0, "disputes": {}, "held_micro": 0, "income_micro": 0,
            "node_share_micro": 0, "paid_subscriptions": 0, "pending": "", "rejected_micro": 0,
            "unallocated_listeners": 0, "unallocated_micro": 0}
    return {**base, **values}


def test_settle_follows_the_payout_rule(ledger):
    reviewed_month(ledger)
    done = ledger.submit("n2.admin", "Settlement:Settle", MONTH)
    result = json.loads(done.payload)
    assert result["settled"] is True
    record = result["settlement"]
    assert record == settlement(ledger)
    assert {k: record[k] for k in TOTALS} == {
        "artists_micro": 18_000_000 + 6_000_000, "held_micro": 3_000_000, "income_micro": 40_000_000,
        "node_operators_micro": 4_000_000, "unallocated_micro": 9_000_000}
    assert record["nodes"] == {
        "n1": node_totals(allocated_micro=18_000_000, artists_micro=18_000_000, income_micro=30_000_000,
                          node_share_micro=3_000_000, paid_subscriptions=3, unallocated_listeners=1,
                          unallocated_micro=9_000_000),
        "n3": node_totals(allocated_micro=9_000_000, artists_micro=6_000_000, held_micro=3_000_000,
                          income_micro=10_000_000, node_share_micro=1_000_000, paid_subscriptions=1),
    }
    assert (record["month"], record["policy"], record["settled_by"]) == (MONTH, "2026-01", "n2")
    assert (record["payout_count"], record["held_count"], record["release_count"]) == (5, 1, 0)
    assert (record["released_micro"], record["rejected_micro"]) == (0, 0)
    assert payouts(ledger) == {
        ("artist", "a1", ""): {"amount_micro": 12_000_000, "by_node": {"n1": 6_000_000, "n3": 6_000_000},
                               "kind": "artist", "month": MONTH, "paid_by": {}, "payee": "a1",
                               "status": "instructed", "wallet": "wallet-a1"},
        ("artist", "a2", ""): {"amount_micro": 3_000_000, "by_node": {"n1": 3_000_000}, "kind": "artist",
                               "month": MONTH, "paid_by": {}, "payee": "a2", "status": "instructed",
                               "wallet": "wallet-a2"},
        ("artist", "a3", ""): {"amount_micro": 9_000_000, "by_node": {"n1": 9_000_000}, "kind": "artist",
                               "month": MONTH, "paid_by": {}, "payee": "a3", "status": "instructed",
                               "wallet": "wallet-a3"},
        ("node", "n1", ""): {"amount_micro": 3_000_000, "by_node": {"n1": 3_000_000}, "kind": "node",
                             "month": MONTH, "paid_by": {}, "payee": "n1", "status": "instructed",
                             "wallet": "wallet-n1"},
        ("node", "n3", ""): {"amount_micro": 1_000_000, "by_node": {"n3": 1_000_000}, "kind": "node",
                             "month": MONTH, "paid_by": {}, "payee": "n3", "status": "instructed",
                             "wallet": "wallet-n3"},
    }
    assert held(ledger) == {("unregistered", "a9"): {
        "amount_micro": 3_000_000, "artist": "a9", "by_node": {"n3": 3_000_000}, "dispute": "", "month": MONTH,
        "reason": "unregistered", "released_to": "", "status": "held"}}


def test_settling_again_is_a_no_op(ledger):
    reviewed_month(ledger)
    first = json.loads(ledger.submit("n2.admin", "Settlement:Settle", MONTH).payload)
    before = ledger.state_hash()
    again = json.loads(ledger.submit("n4.admin", "Settlement:Settle", MONTH).payload)
    assert again == {"settled": False, "settlement": first["settlement"]}
    assert ledger.state_hash() == before


def test_a_settled_month_refuses_new_subscriptions(ledger):
    reviewed_month(ledger)
    ledger.submit("n2.admin", "Settlement:Settle", MONTH)
    message = rejected(ledger, "n1.admin", "Subscriptions:Record", MONTH, "n1", "L9", "ab" * 32, "10000000", "paid")
    assert message == f"{MONTH} is settled; its subscriptions can no longer change."


def test_an_unsealed_node_blocks_settlement(ledger):
    subscribe(ledger, "n1", ["L1"])
    subscribe(ledger, "n3", ["M1"])
    allocate_and_seal(ledger, "n1", [{"L1": {"a1": 100}}])
    approve(ledger, "n1")
    message = rejected(ledger, "n1.admin", "Settlement:Settle", MONTH)
    assert message == (f"node n3 has not sealed {MONTH}; it must run month reconcile first, or a majority "
                       "may settle the month without it (proposal settle_without).")
    allocate_and_seal(ledger, "n3", [])
    approve(ledger, "n3")
    record = json.loads(ledger.submit("n1.admin", "Settlement:Settle", MONTH).payload)["settlement"]
    assert (record["artists_micro"], record["unallocated_micro"]) == (9_000_000, 9_000_000)
    assert record == settlement(ledger)


def test_a_month_without_subscriptions_is_not_settled(ledger):
    assert rejected(ledger, "n1.admin", "Settlement:Settle", "2026-11") == \
        "2026-11 has no paid or renewed subscriptions to settle."
    assert rejected(ledger, "n1.admin", "Settlement:Settle", "2026-13") == \
        "month '2026-13' is not of the form YYYY-MM."
    assert rejected(ledger, "n1.admin", "Settlement:Settle", "2025-12") == "no policy is in force for 2025-12."


def test_expired_subscriptions_count_for_nothing(ledger):
    subscribe(ledger, "n1", ["L1", "L2"])
    ledger.submit("n1.admin", "Subscriptions:Expire", MONTH, "n1", "L2", "chargeback")
    allocate_and_seal(ledger, "n1", [{"L1": {"a1": 10, "a2": 20}}])
    approve(ledger, "n1")
    record = json.loads(ledger.submit("n1.admin", "Settlement:Settle", MONTH).payload)["settlement"]
    assert {k: record[k] for k in TOTALS} == {"artists_micro": 9_000_000, "held_micro": 0,
                                              "income_micro": 10_000_000, "node_operators_micro": 1_000_000,
                                              "unallocated_micro": 0}
    assert payouts(ledger)[("artist", "a2", "")]["amount_micro"] == 6_000_000
    assert payouts(ledger)[("artist", "a1", "")]["amount_micro"] == 3_000_000


@pytest.mark.parametrize("identity", ["n1.reviewer", "n1.arbitrator", "n1.auditor"])
def test_only_node_admins_settle_release_and_confirm(ledger, identity):
    reviewed_month(ledger)
    role = identity.split(".")[1]
    denied = f"Org1MSP identity with {role} may not do this; it needs the role admin."
    assert rejected(ledger, identity, "Settlement:Settle", MONTH) == denied
    ledger.submit("n2.admin", "Settlement:Settle", MONTH)
    assert rejected(ledger, identity, "Settlement:ReleaseArtist", MONTH, "a9") == denied
    assert rejected(ledger, identity, "Settlement:ConfirmPayout", MONTH, "node", "n1", "ref") == denied


def test_queries_need_a_member(ledger):
    reviewed_month(ledger)
    assert rejected(ledger, "n1.auditor", "Settlement:GetSettlement", MONTH) == f"{MONTH} is not settled."
    ledger.submit("n2.admin", "Settlement:Settle", MONTH)
    for identity in ("n1.auditor", "n2.reviewer", "n3.arbitrator", "n4.admin"):
        assert json.loads(ledger.evaluate(identity, "Settlement:GetSettlement", MONTH))["month"] == MONTH
        assert len(json.loads(ledger.evaluate(identity, "Settlement:ListPayouts", MONTH))) == 5
        assert len(json.loads(ledger.evaluate(identity, "Settlement:ListHeld", MONTH))) == 1


def test_an_unregistered_artist_is_held_then_released(ledger):
    reviewed_month(ledger)
    ledger.submit("n2.admin", "Settlement:Settle", MONTH)
    assert rejected(ledger, "n1.admin", "Settlement:ReleaseArtist", MONTH, "a9") == \
        f"artist a9 is not registered; register the artist before releasing {MONTH}."
    assert rejected(ledger, "n1.admin", "Settlement:ReleaseArtist", MONTH, "a1") == \
        f"{MONTH} holds nothing for unregistered artist a1."
    assert rejected(ledger, "n1.admin", "Settlement:ReleaseArtist", "2026-09", "a9") == "2026-09 is not settled."
    majority(ledger, "register_artist", {"id": "a9", "name": "Nine", "wallet": "w9"}, "n4", ("n1", "n2"))
    result = json.loads(ledger.submit("n1.admin", "Settlement:ReleaseArtist", MONTH, "a9").payload)
    release = {"amount_micro": 3_000_000, "by_node": {"n3": 3_000_000}, "kind": "release", "month": MONTH,
               "paid_by": {}, "payee": "a9", "source": "unregistered", "status": "instructed", "wallet": "w9"}
    assert result["released"] is True and result["release"] == release
    record = settlement(ledger)
    assert result["settlement"] == record
    assert {k: record[k] for k in TOTALS} == {"artists_micro": 27_000_000, "held_micro": 0,
                                              "income_micro": 40_000_000, "node_operators_micro": 4_000_000,
                                              "unallocated_micro": 9_000_000}
    assert (record["released_micro"], record["release_count"]) == (3_000_000, 1)
    assert record["nodes"]["n3"]["artists_micro"] == 9_000_000 and record["nodes"]["n3"]["held_micro"] == 0
    assert held(ledger)[("unregistered", "a9")]["status"] == "released"
    assert held(ledger)[("unregistered", "a9")]["released_to"] == "artist"
    assert payouts(ledger)[("release", "a9", "unregistered")] == release
    again = json.loads(ledger.submit("n3.admin", "Settlement:ReleaseArtist", MONTH, "a9").payload)
    assert again == {"released": False, "release": release, "settlement": record}


def test_confirm_payout_by_each_paying_node(ledger):
    reviewed_month(ledger)
    ledger.submit("n2.admin", "Settlement:Settle", MONTH)
    first = json.loads(ledger.submit("n1.admin", "Settlement:ConfirmPayout", MONTH, "artist", "a1", "bank-7").payload)
    assert first["confirmed"] is True
    assert (first["payout"]["paid_by"], first["payout"]["status"]) == ({"n1": "bank-7"}, "instructed")
    again = json.loads(ledger.submit("n1.admin", "Settlement:ConfirmPayout", MONTH, "artist", "a1", "bank-7").payload)
    assert again == {"confirmed": False, "payout": first["payout"]}
    assert rejected(ledger, "n1.admin", "Settlement:ConfirmPayout", MONTH, "artist", "a1", "bank-8") == \
        f"node n1 already confirmed the {MONTH} artist payout to a1 with reference bank-7."
    assert rejected(ledger, "n2.admin", "Settlement:ConfirmPayout", MONTH, "artist", "a1", "bank-9") == \
        f"node n2 pays no part of the {MONTH} artist payout to a1."
    done = json.loads(ledger.submit("n3.admin", "Settlement:ConfirmPayout", MONTH, "artist", "a1", "sepa-3").payload)
    assert (done["payout"]["paid_by"], done["payout"]["status"]) == ({"n1": "bank-7", "n3": "sepa-3"}, "paid")
    assert payouts(ledger)[("artist", "a1", "")] == done["payout"]
    assert rejected(ledger, "n1.admin", "Settlement:ConfirmPayout", MONTH, "artist", "a9", "x") == \
        f"{MONTH} has no artist payout to a9."
    assert rejected(ledger, "n1.admin", "Settlement:ConfirmPayout", MONTH, "wire", "a1", "x") == \
        "payout kind 'wire' is not one of artist, node, release."
    assert rejected(ledger, "n1.admin", "Settlement:ConfirmPayout", MONTH, "release", "a9", "x") == \
        "release payee 'a9' is not of the form <artist_id>@<source>."
    majority(ledger, "register_artist", {"id": "a9", "name": "Nine", "wallet": "w9"})
    ledger.submit("n1.admin", "Settlement:ReleaseArtist", MONTH, "a9")
    paid = json.loads(ledger.submit("n3.admin", "Settlement:ConfirmPayout", MONTH, "release", "a9@unregistered",
                                    "sepa-9").payload)
    assert (paid["payout"]["paid_by"], paid["payout"]["status"]) == ({"n3": "sepa-9"}, "paid")


def _flag_n1(ledger) -> str:
    """n4 (n1's external reviewer) flags n1's whole month; the dispute's voters are n1 (local), n2
    (peer) and n3 (external: n4 opened it)."""
    dispute = flagged_month(ledger)
    assert (dispute["peer"], dispute["external"]) == ("n2", "n3")
    return dispute["id"]


def test_an_open_dispute_holds_and_an_approval_releases(ledger):
    dispute = _flag_n1(ledger)
    ledger.submit("n1.admin", "Reviews:Vote", dispute, "approve", "fine")
    record = json.loads(ledger.submit("n2.admin", "Settlement:Settle", MONTH).payload)["settlement"]
    assert {k: record[k] for k in TOTALS} == {"artists_micro": 6_000_000, "held_micro": 21_000_000,
                                              "income_micro": 40_000_000, "node_operators_micro": 4_000_000,
                                              "unallocated_micro": 9_000_000}
    assert record["nodes"]["n1"]["disputes"] == {dispute: "open"}
    assert record["nodes"]["n1"]["held_micro"] == 18_000_000
    assert {key: h["amount_micro"] for key, h in held(ledger).items()} == {
        (dispute, "a1"): 6_000_000, (dispute, "a2"): 3_000_000, (dispute, "a3"): 9_000_000,
        ("unregistered", "a9"): 3_000_000}
    assert payouts(ledger)[("artist", "a1", "")]["by_node"] == {"n3": 6_000_000}
    assert ("artist", "a2", "") not in payouts(ledger)
    vote = json.loads(ledger.submit("n2.reviewer", "Reviews:Vote", dispute, "approve", "same figures").payload)
    assert (vote["dispute"]["status"], vote["dispute"]["decided_by"]) == ("resolved", "majority")
    assert vote["released"] == {"dispute": dispute, "released_micro": 18_000_000, "to_artists_micro": 18_000_000,
                                "to_unallocated_micro": 0, "to_unregistered_micro": 0}
    record = settlement(ledger)
    assert {k: record[k] for k in TOTALS} == {"artists_micro": 24_000_000, "held_micro": 3_000_000,
                                              "income_micro": 40_000_000, "node_operators_micro": 4_000_000,
                                              "unallocated_micro": 9_000_000}
    assert record["released_micro"] == 18_000_000 and record["nodes"]["n1"]["disputes"] == {dispute: "approve"}
    releases = {key[1]: p["amount_micro"] for key, p in payouts(ledger).items() if key[0] == "release"}
    assert releases == {"a1": 6_000_000, "a2": 3_000_000, "a3": 9_000_000}
    assert all(h["status"] == "released" for key, h in held(ledger).items() if key[0] == dispute)


def test_a_rejection_after_settlement_sends_held_money_to_unallocated(ledger):
    dispute = _flag_n1(ledger)
    ledger.submit("n2.admin", "Settlement:Settle", MONTH)
    ledger.submit("n2.reviewer", "Reviews:Vote", dispute, "reject", "double counted")
    vote = json.loads(ledger.submit("n3.admin", "Reviews:Vote", dispute, "reject", "agreed").payload)
    assert vote["released"]["to_unallocated_micro"] == 18_000_000
    record = settlement(ledger)
    assert {k: record[k] for k in TOTALS} == {"artists_micro": 6_000_000, "held_micro": 3_000_000,
                                              "income_micro": 40_000_000, "node_operators_micro": 4_000_000,
                                              "unallocated_micro": 27_000_000}
    assert (record["rejected_micro"], record["nodes"]["n1"]["rejected_micro"]) == (18_000_000, 18_000_000)
    assert {h["released_to"] for key, h in held(ledger).items() if key[0] == dispute} == {"unallocated"}
    assert not [key for key in payouts(ledger) if key[0] == "release"]


def test_a_rejection_before_settlement_is_unallocated(ledger):
    dispute = _flag_n1(ledger)
    ledger.submit("n2.reviewer", "Reviews:Vote", dispute, "reject", "double counted")
    ledger.submit("n3.reviewer", "Reviews:Vote", dispute, "reject", "agreed")
    record = json.loads(ledger.submit("n3.admin", "Settlement:Settle", MONTH).payload)["settlement"]
    assert {k: record[k] for k in TOTALS} == {"artists_micro": 6_000_000, "held_micro": 3_000_000,
                                              "income_micro": 40_000_000, "node_operators_micro": 4_000_000,
                                              "unallocated_micro": 27_000_000}
    assert record["nodes"]["n1"] == node_totals(
        allocated_micro=18_000_000, disputes={dispute: "reject"}, income_micro=30_000_000,
        node_share_micro=3_000_000, paid_subscriptions=3, rejected_micro=18_000_000, unallocated_listeners=1,
        unallocated_micro=27_000_000)


def test_an_approved_dispute_of_an_unregistered_artist_waits_for_registration(ledger):
    subscribe(ledger, "n1", ["L1"])
    allocate_and_seal(ledger, "n1", [{"L1": {"a1": 10, "a9": 20}}])
    subscribe(ledger, "n3", ["M1"])
    allocate_and_seal(ledger, "n3", [{"M1": {"a9": 5}}])
    approve(ledger, "n3")
    approve(ledger, "n1", roles=("peer",))
    dispute = flag(ledger, "n1")["dispute"]["id"]
    ledger.submit("n2.admin", "Settlement:Settle", MONTH)
    assert {key: h["amount_micro"] for key, h in held(ledger).items()} == {
        (dispute, "a1"): 3_000_000, (dispute, "a9"): 6_000_000, ("unregistered", "a9"): 9_000_000}
    ledger.submit("n1.reviewer", "Reviews:Vote", dispute, "approve", "")
    vote = json.loads(ledger.submit("n2.reviewer", "Reviews:Vote", dispute, "approve", "").payload)
    assert vote["released"] == {"dispute": dispute, "released_micro": 3_000_000, "to_artists_micro": 3_000_000,
                                "to_unallocated_micro": 0, "to_unregistered_micro": 6_000_000}
    waiting = held(ledger)[("unregistered", "a9")]
    assert (waiting["amount_micro"], waiting["by_node"], waiting["status"]) == (
        15_000_000, {"n1": 6_000_000, "n3": 9_000_000}, "held")
    record = settlement(ledger)
    assert (record["held_micro"], record["artists_micro"]) == (15_000_000, 3_000_000)
    majority(ledger, "register_artist", {"id": "a9", "name": "Nine", "wallet": "w9"})
    result = json.loads(ledger.submit("n1.admin", "Settlement:ReleaseArtist", MONTH, "a9").payload)
    assert result["release"]["by_node"] == {"n1": 6_000_000, "n3": 9_000_000}
    record = settlement(ledger)
    assert (record["held_micro"], record["artists_micro"], record["released_micro"]) == (0, 18_000_000, 18_000_000)
