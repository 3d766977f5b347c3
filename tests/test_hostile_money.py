"""A dishonest node admin against the money across months: split sheets, adjustments, payouts.

Each attack is made as one node admin would make it; what it cannot do alone is refused or stays
an open proposal, and what a majority approves still only moves what the rules allow.
"""

import json

from conftest import refused
from year_script import MONTHS, balances, books, bootstrap, majority, month, payouts, propose, settle, waiting

M1, M2, M3 = MONTHS[:3]
EVIDENCE = "e" * 64


def test_a_node_cannot_split_an_artist_s_payouts_to_itself(ledger):
    grab = {"artist_id": "a1", "effective_from": M1, "payees": [{"payee": "wallet-of-n1", "bp": 9_000},
                                                               {"payee": "wallet-a1", "bp": 1_000}]}
    proposal = propose(ledger, "n1", "set_split", grab)
    assert (proposal["status"], proposal["note"]) == ("open", (
        f"artist a1's payouts instructed from {M1} on are split: wallet-a1 10.00%, wallet-of-n1 90.00%."))
    before = ledger.state_hash()
    assert ledger.submit("n1.admin", "Registry:Approve", proposal["id"]).json() == proposal  # its own again
    assert ledger.state_hash() == before
    month(ledger, M1)
    settle(ledger, M1)
    assert payouts(ledger, M1)[("artist", "a1")]["splits"] == []
    # once M1 is settled the sheet can no longer apply to it, even with a majority
    ledger.submit("n2.admin", "Registry:Approve", proposal["id"])
    assert refused(ledger, "n3.admin", "Registry:Approve", proposal["id"]) == (
        f"proposal {proposal['id']} can no longer apply: a split sheet effective from {M1} would change {M1}, which "
        "is already settled; a split sheet takes effect from a month not settled yet.")


def test_an_adjustment_takes_only_from_what_the_adjusted_node_owes_and_never_for_the_proposer(bare_ledger):
    bootstrap(bare_ledger, min_payout_micro=50_000_000)  # every balance is carried: there is something to take
    month(bare_ledger, M1)
    settle(bare_ledger, M1)
    assert balances(bare_ledger)["a1"] == {"n1": 6_000_000, "n3": 6_000_000}
    # n1 accuses n3's listener M1 of fraud; n1 also writes in the amounts it would like back: ignored
    fraud = {"evidence_sha256": EVIDENCE, "kind": "fraud", "month": M1, "node": "n3", "reason": "farm",
             "scope": {"listeners": ["M1"]}, "claims": {"artists": {"a1": 999_000_000}, "to": "n1"}}
    proposal = propose(bare_ledger, "n1", "adjust", fraud)
    assert "claims" not in proposal["payload"] and "to" not in proposal["payload"]
    assert proposal["status"] == "open"
    majority(bare_ledger, "adjust", fraud, "n1", ("n2", "n4"))
    month(bare_ledger, M2)
    settle(bare_ledger, M2)
    [applied] = json.loads(bare_ledger.evaluate("n1.auditor", "Settlement:ListAdjustments", M1))
    # M1 paid a1 6 at n3: only n3's part of a1's balance is reduced, n1's is untouched; what M1 held for
    # a9 (not registered) of M1's plays left the hold for n3's waiting money when the fraud applied
    assert applied["claims"]["artists"] == {"a1": 6_000_000} and applied["recovered_micro"] == 6_000_000
    assert applied["claims"]["held"] == [["unregistered", "a9", 3_000_000]]
    assert balances(bare_ledger)["a1"] == {"n1": 6_000_000 + 6_000_000 + 3_000_000,  # n1: + pool
                                           "n3": 6_000_000 + 3_000_000}  # n3: + its pool of a9's 3
    # what it recovered is n3's unallocated money, waiting for n3's artists; nothing is n1's
    assert waiting(bare_ledger)["n3"] == (6_000_000, 0)
    assert waiting(bare_ledger)["n1"] == (9_000_000, 0)  # M2's L3 only: n1 gains nothing
    assert all(p["payee"] != "n1" or p["kind"] == "node" for p in payouts(bare_ledger, M2).values())


def test_an_adjustment_alone_moves_nothing(ledger):
    month(ledger, M1)
    settle(ledger, M1)
    chargeback = {"evidence_sha256": EVIDENCE, "kind": "chargeback", "listener": "L2", "month": M1, "node": "n1",
                  "reason": "card chargeback"}
    proposal = propose(ledger, "n1", "adjust", chargeback)
    assert proposal["status"] == "open"
    assert json.loads(ledger.evaluate("n1.auditor", "Settlement:ListAdjustments", M1)) == []
    month(ledger, M2)
    record = settle(ledger, M2)
    assert record["books"]["refunded_micro"] == 0 and record["books"]["claimed_micro"] == 0


def test_a_node_confirms_only_its_own_part_and_only_what_was_instructed(bare_ledger):
    bootstrap(bare_ledger, min_payout_micro=10_000_000)
    month(bare_ledger, M1)
    settle(bare_ledger, M1)
    assert refused(bare_ledger, "n2.admin", "Settlement:ConfirmPayout", M1, "artist", "a1", "fake") == (
        f"node n2 pays no part of the {M1} artist payout to a1.")
    assert refused(bare_ledger, "n1.admin", "Settlement:ConfirmPayout", M1, "artist", "a3", "fake") == (
        f"nothing was instructed to a3 in {M1}: its balance was carried.")
    assert refused(bare_ledger, "n1.reviewer", "Settlement:ConfirmPayout", M1, "artist", "a1", "fake") == (
        "Org1MSP identity with reviewer may not do this; it needs the role admin.")


def test_a_fraud_finding_also_claims_the_pool_the_fraudulent_plays_drew(bare_ledger):
    bootstrap(bare_ledger, min_payout_micro=1_000_000_000)  # every balance is carried: there is something to take
    month(bare_ledger, M1)  # n1's silent L3: 9 USDP wait for n1's next pool
    settle(bare_ledger, M1)
    assert waiting(bare_ledger)["n1"] == (9_000_000, 0)
    # n1 steers all its pool to a3: every listener of M2 "plays" a3 only
    month(bare_ledger, M2, n1={"L1": {"a3": 10}, "L2": {"a3": 10}}, silent=())
    settle(bare_ledger, M2)
    assert payouts(bare_ledger, M2)[("artist", "a3")]["account"]["pool"] == {"n1": 9_000_000}
    fraud = {"evidence_sha256": EVIDENCE, "kind": "fraud", "month": M2, "node": "n1", "reason": "farm",
             "scope": {"artists": ["a3"]}}
    majority(bare_ledger, "adjust", fraud, "n2", ("n3", "n4"))
    [due] = json.loads(bare_ledger.evaluate("n1.auditor", "Settlement:ListAdjustments", M2))
    # routed again without a3's plays n1 pays no artist in M2: its 9 USDP would have kept waiting
    assert due["claims"]["artists"] == {"a3": 18_000_000 + 9_000_000}
    month(bare_ledger, M3)
    settle(bare_ledger, M3)
    [applied] = json.loads(bare_ledger.evaluate("n1.auditor", "Settlement:ListAdjustments", M2))
    assert (applied["recovered_micro"], applied["losses_micro"]) == (27_000_000, 0)
    assert books(bare_ledger)["total"]["losses_micro"] == 0


def test_a_fraud_finding_takes_what_the_fraudulent_plays_still_hold_for_an_unregistered_artist(ledger):
    month(ledger, M1)  # n3's M1 plays a9, not registered: 3 USDP held for it at n3
    settle(ledger, M1)
    fraud = {"evidence_sha256": EVIDENCE, "kind": "fraud", "month": M1, "node": "n3", "reason": "farm",
             "scope": {"artists": ["a9"]}}
    proposal = majority(ledger, "adjust", fraud, "n2", ("n3", "n4"))
    assert proposal["note"].endswith("what it holds for artists the adjustment covers, 3.000000, goes to its "
                                     "waiting unallocated money.")
    # the consortium later registers a9: what the fraud covered is no longer a9's to release
    majority(ledger, "register_artist", {"id": "a9", "name": "Nine", "wallet": "w9"})
    assert refused(ledger, "n3.admin", "Settlement:ReleaseArtist", M1, "a9") == (
        f"what {M1} held for artist a9 was covered by a fraud or chargeback adjustment; it went to the "
        "unallocated money of the nodes that held it.")
    assert waiting(ledger)["n3"] == (3_000_000, 0)
    assert "a9" not in balances(ledger)
    first = json.loads(ledger.evaluate("n1.auditor", "Settlement:GetSettlement", M1))
    assert (first["held_micro"], first["nodes"]["n3"]["unallocated_micro"]) == (0, 3_000_000)
    assert books(ledger)["total"]["held_micro"] == 0
