"""Months after months through real transactions: balances carried under the minimum payout, the
nodes' waiting money and where it goes, unclaimed money, split sheets, adjustments, the order of
settlements, and the books of every settlement and of the year."""

import json

import pytest

from conftest import refused
from year_script import (CONSORTIUM_WALLET, MONTHS, balances, books, bootstrap, majority, month, payouts, propose,
                         settle, waiting)

M1, M2, M3, M4 = MONTHS
EVIDENCE = "e" * 64


@pytest.fixture
def carried(bare_ledger):
    """A minimum payout of 10 USDP; unallocated money to the node's next pool (the default)."""
    bootstrap(bare_ledger, min_payout_micro=10_000_000)
    return bare_ledger


def test_a_balance_is_carried_until_it_reaches_the_minimum_payout(carried):
    month(carried, M1)
    settle(carried, M1)
    first = payouts(carried, M1)
    # a1 earns 6 at n1 and 6 at n3: 12 >= 10, instructed; a2 (3) and a3 (9) are carried
    assert (first[("artist", "a1")]["amount_micro"], first[("artist", "a1")]["status"]) == (12_000_000, "instructed")
    a2 = first[("artist", "a2")]
    assert (a2["amount_micro"], a2["status"], a2["by_node"]) == (0, "carried", {})
    assert a2["account"] == {"carried_in": {}, "carried_out": {"n1": 3_000_000}, "earned": {"n1": 3_000_000},
                             "pool": {}, "recovered": {}}
    assert balances(carried) == {"a2": {"n1": 3_000_000}, "a3": {"n1": 9_000_000}}
    assert refused(carried, "n1.admin", "Settlement:ConfirmPayout", M1, "artist", "a2", "x") == (
        f"nothing was instructed to a2 in {M1}: its balance was carried.")
    # the next month: L3's unallocated 9 USDP of M1 is n1's pool, split 6:3:9 among what n1 pays a1, a2, a3
    month(carried, M2)
    settle(carried, M2)
    second = payouts(carried, M2)
    assert second[("artist", "a1")]["account"]["pool"] == {"n1": 3_000_000}
    assert second[("artist", "a2")]["account"] == {"carried_in": {"n1": 3_000_000}, "carried_out": {"n1": 7_500_000},
                                                   "earned": {"n1": 3_000_000}, "pool": {"n1": 1_500_000},
                                                   "recovered": {}}
    a3 = second[("artist", "a3")]
    assert (a3["amount_micro"], a3["by_node"], a3["status"]) == (22_500_000, {"n1": 22_500_000}, "instructed")
    assert balances(carried) == {"a2": {"n1": 7_500_000}}
    assert waiting(carried) == {"n1": (9_000_000, 0)}  # M2's L3 waits for M3
    month(carried, M3)
    settle(carried, M3)
    assert payouts(carried, M3)[("artist", "a2")]["amount_micro"] == 12_000_000  # 7.5 + 3 + 1.5
    assert balances(carried) == {}


def test_a_lower_minimum_instructs_what_was_carried(carried):
    month(carried, M1)
    settle(carried, M1)
    policy = {**json.loads(carried.evaluate("n1.auditor", "Registry:GetPolicy", M1)), "effective_from": M2,
              "payouts": {"min_payout_micro": 0}}
    majority(carried, "set_policy", policy)
    month(carried, M2)
    record = settle(carried, M2)
    assert record["policy"] == M2
    assert payouts(carried, M2)[("artist", "a2")]["amount_micro"] == 3_000_000 + 3_000_000 + 1_500_000
    assert balances(carried) == {}
    assert record["books"]["opening"]["carried_micro"] == 12_000_000
    assert record["books"]["closing"]["carried_micro"] == 0


def test_unallocated_money_goes_to_the_consortium_wallet_when_the_policy_says(bare_ledger):
    bootstrap(bare_ledger, unallocated_to="wallet", consortium_wallet=CONSORTIUM_WALLET)
    month(bare_ledger, M1)
    record = settle(bare_ledger, M1)
    wallet = payouts(bare_ledger, M1)[("consortium", "unallocated")]
    assert (wallet["amount_micro"], wallet["by_node"], wallet["wallet"]) == (9_000_000, {"n1": 9_000_000},
                                                                            CONSORTIUM_WALLET)
    assert record["books"]["wallet_unallocated_micro"] == 9_000_000 and waiting(bare_ledger) == {}
    done = bare_ledger.submit("n1.admin", "Settlement:ConfirmPayout", M1, "consortium", "unallocated", "sepa-1").json()
    assert done["payout"]["status"] == "paid"


def test_a_node_that_pays_no_artist_keeps_its_waiting_money(carried):
    month(carried, M1)
    settle(carried, M1)
    month(carried, M2, n1={"L1": {"a9": 10}}, silent=())  # n1 pays only a9, not registered: held
    settle(carried, M2)
    assert waiting(carried) == {"n1": (9_000_000, 0)}
    assert all(not p["account"].get("pool") for p in payouts(carried, M2).values())


def test_money_held_for_an_unregistered_artist_is_unclaimed_after_the_holding_period(bare_ledger):
    bootstrap(bare_ledger, unclaimed_months=2, unclaimed_to="wallet", consortium_wallet=CONSORTIUM_WALLET)
    for m in (M1, M2):
        month(bare_ledger, m)
        settle(bare_ledger, m)
    month(bare_ledger, M3)
    record = settle(bare_ledger, M3)
    # M1 held a9's 3 USDP at n3 for two months: unclaimed at M3's settlement, to the consortium wallet
    assert payouts(bare_ledger, M3)[("consortium", "unclaimed")]["by_node"] == {"n3": 3_000_000}
    assert record["books"]["wallet_unclaimed_micro"] == 3_000_000
    first = json.loads(bare_ledger.evaluate("n1.auditor", "Settlement:GetSettlement", M1))
    assert (first["held_micro"], first["unclaimed_micro"]) == (0, 3_000_000)
    assert first["nodes"]["n3"]["unclaimed_micro"] == 3_000_000
    majority(bare_ledger, "register_artist", {"id": "a9", "name": "Nine", "wallet": "w9"})
    assert refused(bare_ledger, "n3.admin", "Settlement:ReleaseArtist", M1, "a9") == (
        f"what {M1} held for artist a9 waited the policy's holding period and is unclaimed; it went where the "
        "policy sends unclaimed money.")
    assert bare_ledger.submit("n3.admin", "Settlement:ReleaseArtist", M2, "a9").json()["released"] is True
    assert balances(bare_ledger)["a9"] == {"n3": 3_000_000}
    assert books(bare_ledger)["total"]["unclaimed_micro"] == 3_000_000


def test_a_split_sheet_divides_each_payout_exactly(bare_ledger):
    bootstrap(bare_ledger)
    sheet = {"artist_id": "a1", "effective_from": M2, "payees": [{"payee": "w-b", "bp": 5000}, {"payee": "w-a", "bp": 5000}]}
    proposal = majority(bare_ledger, "set_split", sheet)
    assert proposal["note"] == f"artist a1's payouts instructed from {M2} on are split: w-a 50.00%, w-b 50.00%."
    month(bare_ledger, M1, silent=())
    settle(bare_ledger, M1)
    assert payouts(bare_ledger, M1)[("artist", "a1")]["splits"] == []
    month(bare_ledger, M2, n1={"L1": {"a1": 2, "a2": 5}, "L2": {"a3": 300}}, silent=())
    settle(bare_ledger, M2)
    a1 = payouts(bare_ledger, M2)[("artist", "a1")]
    # 9 * 2/7 at n1 (2.571429 by largest remainder) + 6 at n3 = 8.571429: 4.2857145 each, floored; the
    # micro-unit left goes to w-a (a tie, by payee id); n1 pays first, in payee order
    assert (a1["amount_micro"], a1["by_node"]) == (8_571_429, {"n1": 2_571_429, "n3": 6_000_000})
    assert a1["splits"] == [
        {"amount_micro": 4_285_715, "bp": 5000, "by_node": {"n1": 2_571_429, "n3": 1_714_286}, "payee": "w-a"},
        {"amount_micro": 4_285_714, "bp": 5000, "by_node": {"n3": 4_285_714}, "payee": "w-b"}]


@pytest.mark.parametrize("payees, message", [
    ([{"payee": "w-a", "bp": 5000}], "the basis points of artist a1's split sheet sum to 5000, not 10000."),
    ([{"payee": "w-a", "bp": 5000}, {"payee": "w-a", "bp": 5000}], "payee w-a appears twice in artist a1's split sheet."),
    ([{"payee": "w-a", "bp": 10_000}, {"payee": "w-b", "bp": 0}], "basis points of payee w-b 0 is not a whole number of at least 1."),
    ([], 'artist a1\'s split sheet needs 1 to 50 payees [{"payee": WALLET, "bp": BASIS_POINTS}, ...].'),
])
def test_a_split_sheet_that_is_not_exact_is_refused(ledger, payees, message):
    assert refused(ledger, "n1.admin", "Registry:Propose", "set_split",
                   json.dumps({"artist_id": "a1", "effective_from": M1, "payees": payees})) == message


def test_a_split_sheet_never_changes_a_settled_month(ledger):
    month(ledger, M1)
    settle(ledger, M1)
    payload = {"artist_id": "a1", "effective_from": M1, "payees": [{"payee": "w-x", "bp": 10_000}]}
    assert refused(ledger, "n1.admin", "Registry:Propose", "set_split", json.dumps(payload)) == (
        f"a split sheet effective from {M1} would change {M1}, which is already settled; a split sheet takes "
        "effect from a month not settled yet.")
    assert refused(ledger, "n1.admin", "Registry:Propose", "set_split",
                   json.dumps({**payload, "artist_id": "a9", "effective_from": M2})) == (
        "artist a9 is not registered; register it with a register_artist proposal.")


def test_balances_carry_in_the_order_months_are_settled(carried):
    month(carried, M1)
    month(carried, M2)
    second = settle(carried, M2)  # M2 is ready first: it settles first
    first = settle(carried, M1)
    assert (second["books"]["sequence"], first["books"]["sequence"]) == (1, 2)
    assert first["books"]["opening"] == second["books"]["closing"]
    assert payouts(carried, M1)[("artist", "a2")]["account"]["carried_in"] == {"n1": 3_000_000}  # M2's a2
    total = books(carried)["total"]
    assert total["income_micro"] == 2 * 40_000_000 == sum(total[name] for name in (
        "node_shares_micro", "instructed_micro", "carried_micro", "held_micro", "unallocated_micro",
        "unclaimed_micro", "refunded_micro"))


def test_a_chargeback_after_settlement_claims_back_only_what_the_node_owes(carried):
    month(carried, M1)
    settle(carried, M1)
    listener = "L1"  # paid a1 6 and a2 3 at n1
    payload = {"evidence_sha256": EVIDENCE, "kind": "chargeback", "listener": listener, "month": M1, "node": "n1",
               "reason": "card chargeback"}
    proposal = propose(carried, "n1", "adjust", payload)
    assert (proposal["status"], proposal["note"]) == ("open", (
        f"node n1's {M1}: listener L1's subscription charged back; the next settlement claims back 1.000000 of node "
        "n1's own payout, 0.000000 of its waiting unallocated money, and from what it owes each artist: a1 6.000000, "
        "a2 3.000000 (never below zero; what is not there is a loss)."))
    majority(carried, "adjust", payload, "n1", ("n2", "n3"))
    [due] = json.loads(carried.evaluate("n1.auditor", "Settlement:ListAdjustments", M1))
    assert (due["status"], due["claimed_micro"], due["claims"]) == (
        "due", 10_000_000, {"artists": {"a1": 6_000_000, "a2": 3_000_000}, "held": [], "node_share_micro": 1_000_000,
                            "waiting_micro": 0})
    assert refused(carried, "n1.admin", "Registry:Propose", "adjust", json.dumps(payload)) == (
        f"listener L1's {M1} subscription at node n1 was already charged back (adjustment {due['id']}).")
    # M2: n1 plays a1 only a little; a2 carries 3 at n1 and earns 1.5 more there
    month(carried, M2, n1={"L1": {"a1": 1, "a2": 2}, "L2": {"a3": 300}}, silent=())
    record = settle(carried, M2)
    [applied] = json.loads(carried.evaluate("n1.auditor", "Settlement:ListAdjustments", M1))
    # a1's part at n1 this month is 3 + its pool share 1.5: 4.5 of the 6 claimed; a2's 3 + 6 + pool 3 covers 3
    assert applied["recovered"] == {"artists": {"a1": 4_500_000, "a2": 3_000_000}, "node_share_micro": 1_000_000,
                                    "waiting_micro": 0}
    assert (applied["status"], applied["applied_in"], applied["recovered_micro"], applied["losses_micro"]) == (
        "applied", M2, 8_500_000, 1_500_000)
    assert record["books"]["refunded_micro"] == 8_500_000 and record["books"]["losses_micro"] == 1_500_000
    # n3's part of a1 (6 at n3) is untouched: a chargeback at n1 never reaches what n3 owes
    a1 = payouts(carried, M2)[("artist", "a1")]
    assert a1["account"]["carried_out"] == {"n3": 6_000_000} and a1["account"]["recovered"] == {"n1": 4_500_000}
    assert payouts(carried, M2)[("node", "n1")]["amount_micro"] == 2_000_000 - 1_000_000
    total = books(carried)["total"]
    assert (total["refunded_micro"], total["losses_micro"]) == (8_500_000, 1_500_000)


def test_a_fraud_finding_claws_back_its_scope_and_nothing_twice(carried):
    month(carried, M1)
    settle(carried, M1)
    fraud = {"evidence_sha256": EVIDENCE, "kind": "fraud", "month": M1, "node": "n1", "reason": "farm",
             "scope": {"artists": ["a3"]}}
    majority(carried, "adjust", fraud, "n2", ("n3", "n4"))
    again = {**fraud, "scope": {"listeners": ["L2"]}}  # the same allocation, named by its listener
    proposal = propose(carried, "n4", "adjust", again)
    assert "from what it owes each artist: no artist" in proposal["note"]
    month(carried, M2)
    record = settle(carried, M2)
    [applied, *_] = [a for a in json.loads(carried.evaluate("n1.auditor", "Settlement:ListAdjustments", M1))
                     if a["kind"] == "fraud" and a["status"] == "applied"]
    # a3 carried its 9 at n1 (under the minimum): all 9 recovered, into n1's unallocated money
    assert (applied["recovered_micro"], applied["losses_micro"]) == (9_000_000, 0)
    assert record["books"]["refunded_micro"] == 0
    assert waiting(carried) == {"n1": (9_000_000 + 9_000_000, 0)}  # M2's L3 and the fraud's recovered 9


def test_a_fraud_over_the_whole_month_applies(ledger):
    month(ledger, M1)
    settle(ledger, M1)
    fraud = {"evidence_sha256": EVIDENCE, "kind": "fraud", "month": M1, "node": "n1", "reason": "farm",
             "scope": {"month": True}}
    proposal = majority(ledger, "adjust", fraud, "n2", ("n3", "n4"))
    assert proposal["status"] == "applied"
    [due] = json.loads(ledger.evaluate("n1.auditor", "Settlement:ListAdjustments", M1))
    assert due["claims"]["artists"] == {"a1": 6_000_000, "a2": 3_000_000, "a3": 9_000_000}


@pytest.mark.parametrize("change, message", [
    ({"month": M2}, f"node n1's part of {M2} is not settled; before settlement a chargeback expires the subscription "
                    "and a dispute holds what it names."),
    ({"listener": "L9"}, f"listener L9 has no paid subscription for {M1} at node n1."),
    ({"kind": "refund"}, "adjustment kind 'refund' is not one of chargeback, fraud."),
    ({"reason": " "}, f"an adjustment of node n1's {M1} needs a reason."),
    ({"evidence_sha256": "x"}, "evidence_sha256 'x' is not a lower-case hex SHA-256."),
    ({"kind": "fraud", "scope": {"days": ["2026-10-02"]}},
     "a fraud adjustment names listeners or artists, or the whole month; not days."),
    ({"kind": "fraud", "scope": {"artists": ["a7"]}}, f"artist a7 has no allocation in node n1's {M1}."),
])
def test_an_adjustment_that_does_not_hold_is_refused(ledger, change, message):
    month(ledger, M1)
    settle(ledger, M1)
    payload = {"evidence_sha256": EVIDENCE, "kind": "chargeback", "listener": "L1", "month": M1, "node": "n1",
               "reason": "chargeback", **change}
    assert refused(ledger, "n1.admin", "Registry:Propose", "adjust", json.dumps(payload)) == message


def test_the_year_balances_in_total(carried):
    for m in (M1, M2, M3):
        month(carried, m)
        settle(carried, m)
    found = books(carried)
    total = found["total"]
    assert total["income_micro"] == 3 * 40_000_000
    assert total["income_micro"] == sum(total[name] for name in (
        "node_shares_micro", "instructed_micro", "carried_micro", "held_micro", "unallocated_micro",
        "unclaimed_micro", "refunded_micro"))
    assert total["held_micro"] == 3 * 3_000_000 and total["unallocated_micro"] == 9_000_000  # a9; M3's L3 waits
    for entry in found["months"]:
        terms = entry["terms"]
        assert terms["income_micro"] == sum(v for k, v in terms.items() if k != "income_micro")


def test_a_revoked_node_still_confirms_what_it_owes(ledger):
    month(ledger, M1)
    settle(ledger, M1)
    majority(ledger, "revoke_node", {"node_id": "n3"}, "n1", ("n2", "n4"))
    done = ledger.submit("n3.admin", "Settlement:ConfirmPayout", M1, "artist", "a1", "sepa-n3").json()
    assert done["payout"]["paid_by"] == {"n3": "sepa-n3"}
    assert refused(ledger, "n3.admin", "Settlement:Settle", M2) == "node n3 of Org3MSP is revoked, not active."
