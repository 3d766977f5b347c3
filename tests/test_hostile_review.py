"""A dishonest node admin against review, disputes and settlement: settling before review, a flag
that confiscates a whole month, a dispute stalled or judged by its accuser, a month stuck.

Each attack is refused with its exact sentence and writes nothing (``conftest.refused``); the money
invariant is checked after each settlement (``settlement_script.settlement``). On 2026-10 the chain
assigned n1's month the reviewers n2 (peer) and n4 (external), and n3's month n4 and n2.
"""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chaincode import merkle, three_eyes
from conftest import refused
from settlement_script import (EVIDENCE, MONTH, allocate_and_seal, approve, flag, majority, settlement,
                               standard_month, subscribe)

ONE_DAY = json.dumps({"rows": 1, "listeners": 1, "plays": 1, "seconds": 100})
WAITS_N1 = ("node n1's 2026-10 (version {v}) awaits the review of {who}; a majority may replace a reviewer that "
            "does not review (proposal replace_reviewer) or settle the month without it (proposal settle_without).")


def submit(ledger, identity, function, *args) -> dict:
    return ledger.submit(identity, function, *args).json()


def amounts(ledger, month=MONTH) -> dict:
    """What the month holds and pays: {("held", reason_key, artist) | ("paid", kind, payee): amount}."""
    found = {("held", h["dispute"] or h["reason"], h["artist"] or h["node"]): h["amount_micro"]
             for h in json.loads(ledger.evaluate("n1.auditor", "Settlement:ListHeld", month)) if h["status"] == "held"}
    for p in json.loads(ledger.evaluate("n1.auditor", "Settlement:ListPayouts", month)):
        found[("paid", p["kind"] if p["kind"] != "release" else p["source"], p["payee"])] = p["amount_micro"]
    return found


# -- review before money moves ---------------------------------------------------------------------

def test_a_node_cannot_settle_its_month_before_its_reviewers_reviewed_it(ledger):
    standard_month(ledger)
    assert refused(ledger, "n1.admin", "Settlement:Settle", MONTH) == WAITS_N1.format(
        v=1, who="its assigned peer n2 and its assigned external n4")
    # nor have an accomplice that is not its reviewer approve it
    assert refused(ledger, "n3.reviewer", "Reviews:Review", MONTH, "n1", "approve", "", EVIDENCE, "") == (
        f"node n3 is not an assigned reviewer of node n1's {MONTH} (peer n2, external n4).")
    approve(ledger, "n1", roles=("peer",))
    assert refused(ledger, "n1.admin", "Settlement:Settle", MONTH) == WAITS_N1.format(
        v=1, who="its assigned external n4")


def test_an_approval_does_not_cover_a_month_resealed_with_other_content(ledger):
    standard_month(ledger)
    approve(ledger, "n1")
    approve(ledger, "n3")
    submit(ledger, "n1.admin", "Allocations:Unseal", MONTH, "n1", "one more day")
    ledger.submit("n1.admin", "Allocations:Withdraw", MONTH, "n1", "2")
    root = allocate_and_seal_from(ledger, 2, {"L2": {"a2": 300}}, {"L1": {"a1": 100, "a2": 50}})
    sealed = json.loads(ledger.evaluate("n1.auditor", "Allocations:GetNodeMonth", MONTH, "n1"))
    assert (sealed["version"], sealed["merkle_root"], len(sealed["superseded"])) == (2, root, 1)
    assert sealed["superseded"][0]["reason"] == "one more day"
    assert refused(ledger, "n1.admin", "Settlement:Settle", MONTH) == WAITS_N1.format(
        v=2, who="its assigned peer n2 and its assigned external n4")
    approve(ledger, "n1")
    ledger.submit("n1.admin", "Settlement:Settle", MONTH)
    assert amounts(ledger)[("paid", "artist", "a2")] == 3_000_000 + 9_000_000
    settlement(ledger)


def allocate_and_seal_from(ledger, number: int, batch: dict, kept: dict) -> str:
    """Submit ``batch`` as batch ``number`` of n1 (``kept``: the listeners of its earlier batches) and seal."""
    entries = [[listener, [[a, w] for a, w in sorted(weights.items())]] for listener, weights in batch.items()]
    ledger.submit("n1.admin", "Allocations:SubmitBatch", MONTH, "n1", str(number), json.dumps(entries))
    every = {**kept, **batch}
    leaves = [merkle.leaf(listener, sorted(every[listener].items(), key=lambda p: (-p[1], p[0])))
              for listener in sorted(every)]
    root = merkle.root(leaves)
    ledger.submit("n1.admin", "Allocations:Seal", MONTH, "n1", root, str(number))
    return root


def test_a_narrow_flag_by_one_reviewer_does_not_skip_the_other(ledger):
    standard_month(ledger)
    approve(ledger, "n3")
    flag(ledger, "n1", "external", json.dumps({"listeners": ["L2"]}))
    assert refused(ledger, "n2.admin", "Settlement:Settle", MONTH) == WAITS_N1.format(
        v=1, who="its assigned peer n2")


# -- a dispute holds only its scope ----------------------------------------------------------------

@pytest.mark.parametrize("scope, held, paid_a1", [
    ({"listeners": ["L1"]}, {"a1": 6_000_000, "a2": 3_000_000}, 6_000_000),  # L1's share; L2's a3 paid
    ({"artists": ["a1"]}, {"a1": 6_000_000}, 6_000_000),                    # a1 at n1 only; n3's a1 paid
])
def test_a_flag_holds_only_its_scope_and_a_rejection_sends_only_that_to_unallocated(ledger, scope, held, paid_a1):
    standard_month(ledger)
    approve(ledger, "n3")
    approve(ledger, "n1", roles=("peer",))
    dispute = flag(ledger, "n1", "external", json.dumps(scope))["dispute"]["id"]
    ledger.submit("n2.admin", "Settlement:Settle", MONTH)
    found = amounts(ledger)
    assert {artist: v for (kind, key, artist), v in found.items() if kind == "held" and key == dispute} == held
    assert found[("paid", "artist", "a1")] == paid_a1 + (0 if "a1" in held else 6_000_000)
    assert found[("paid", "artist", "a3")] == 9_000_000
    before = settlement(ledger)
    ledger.submit("n2.reviewer", "Reviews:Vote", dispute, "reject", "scripted")
    ledger.submit("n3.reviewer", "Reviews:Vote", dispute, "reject", "agreed")
    after = settlement(ledger)
    assert after["nodes"]["n1"]["rejected_micro"] == sum(held.values())
    assert after["artists_micro"] == before["artists_micro"]  # never to the disputed artists
    assert after["unallocated_micro"] == before["unallocated_micro"] + sum(held.values())


def settled_with_day_dispute(ledger) -> str:
    """The standard month with n1's day 2026-10-03 anchored and flagged by its external reviewer,
    settled while the dispute is open; the dispute's id."""
    ledger.submit("n1.admin", "Listening:Anchor", "n1", "2026-10-03", "a" * 64, ONE_DAY)
    standard_month(ledger)
    approve(ledger, "n3")
    approve(ledger, "n1", roles=("peer",))
    dispute = flag(ledger, "n1", "external", json.dumps({"days": ["2026-10-03"]}))["dispute"]["id"]
    ledger.submit("n2.admin", "Settlement:Settle", MONTH)
    return dispute


def test_a_day_dispute_holds_the_node_part_until_a_corrected_month_is_reviewed(ledger):
    dispute = settled_with_day_dispute(ledger)
    record = settlement(ledger)
    assert record["nodes"]["n1"]["pending"] == "dispute %s over days 2026-10-03 is open" % dispute
    assert amounts(ledger)[("held", "node", "n1")] == 3 * 9_000_000  # L1, L2, L3: the whole artist share
    assert amounts(ledger)[("paid", "node", "n1")] == 3_000_000  # the node share is not in dispute
    ledger.submit("n2.reviewer", "Reviews:Vote", dispute, "reject", "the day was replayed")
    ledger.submit("n3.reviewer", "Reviews:Vote", dispute, "reject", "agreed")
    # the node's part waits for a corrected month
    waits = (f"node n1's part of {MONTH} still waits: dispute {dispute} rejected days 2026-10-03; the node must "
             "correct them and seal a corrected month, reviewed again.")
    assert refused(ledger, "n1.admin", "Settlement:SettleNode", MONTH, "n1") == waits
    ledger.submit("n1.admin", "Allocations:Unseal", MONTH, "n1", "day 3 replayed")
    ledger.submit("n1.admin", "Listening:Correct", "n1", "2026-10-03", "b" * 64, ONE_DAY, "day 3 replayed")
    ledger.submit("n1.admin", "Allocations:Withdraw", MONTH, "n1", "2")
    allocate_and_seal_from(ledger, 2, {"L2": {"a2": 300}}, {"L1": {"a1": 100, "a2": 50}})
    assert refused(ledger, "n1.admin", "Settlement:SettleNode", MONTH, "n1") == WAITS_N1.format(
        v=2, who="its assigned peer n2 and its assigned external n4")
    approve(ledger, "n1")
    done = submit(ledger, "n3.admin", "Settlement:SettleNode", MONTH, "n1")
    assert {r["payee"]: r["amount_micro"] for r in done["releases"]} == {"a1": 6_000_000, "a2": 12_000_000}
    record = settlement(ledger)
    assert record["nodes"]["n1"]["pending"] == "" and record["nodes"]["n1"]["unallocated_micro"] == 9_000_000
    assert record["released_micro"] == 27_000_000 and record["held_micro"] == 3_000_000  # a9, unregistered at n3
    assert refused(ledger, "n3.admin", "Settlement:SettleNode", MONTH, "n1") == (
        f"node n1's part of {MONTH} is not pending; it was settled.")


def test_a_node_cannot_unseal_its_month_under_an_open_dispute(ledger):
    standard_month(ledger)
    dispute = flag(ledger, "n1")["dispute"]["id"]
    assert refused(ledger, "n1.admin", "Allocations:Unseal", MONTH, "n1", "hide it") == (
        f"dispute {dispute} is open on node n1's {MONTH}; it can be unsealed once the dispute is resolved.")


# -- no stalling, no self-judging --------------------------------------------------------------------

def test_the_accused_cannot_stall_a_split_vote_and_the_accuser_cannot_judge(ledger):
    standard_month(ledger)
    dispute = flag(ledger, "n1")["dispute"]  # opened by n4: voters n1 (accused), n2, n3
    ident = dispute["id"]
    ledger.submit("n2.reviewer", "Reviews:Vote", ident, "approve", "same root")
    split = submit(ledger, "n3.reviewer", "Reviews:Vote", ident, "reject", "scripted")
    # every other node is local, peer, external or the opener: no arbitrator is eligible
    assert split["note"] == (f"the voters did not agree: dispute {ident} goes to its arbitrator (no node is "
                             "eligible; a majority may decide it (proposal decide_dispute)).")
    assert refused(ledger, "n1.reviewer", "Reviews:Vote", ident, "approve", "mine") == (
        f"dispute {ident} is for its arbitrator to decide (none eligible); votes no longer decide it.")
    assert refused(ledger, "n4.arbitrator", "Reviews:Arbitrate", ident, "reject", "I opened it") == (
        f"no active node with the arbitrator duty is eligible to arbitrate dispute {ident}; a majority may "
        "decide it (proposal decide_dispute).")
    decided = majority(ledger, "decide_dispute", {"dispute": ident, "decision": "reject", "reason": "farm"},
                       "n2", ("n3", "n4"))
    assert decided["status"] == "applied"
    resolved = json.loads(ledger.evaluate("n1.auditor", "Reviews:GetDispute", ident))
    assert (resolved["resolution"], resolved["decided_by"], resolved["arbitration_reason"]) == (
        "reject", "consortium", "farm")


def test_a_revoked_voter_is_not_awaited(ledger):
    standard_month(ledger)
    dispute = flag(ledger, "n1", "peer")["dispute"]  # opened by n2, the only peer: voters n1, n2, n3
    ident = dispute["id"]
    assert (dispute["peer"], dispute["external"]) == ("n2", "n3")
    ledger.submit("n2.reviewer", "Reviews:Vote", ident, "reject", "double counted")
    assert refused(ledger, "n4.arbitrator", "Reviews:Arbitrate", ident, "reject", "x") == (
        f"dispute {ident} still waits for the votes of n3.")
    majority(ledger, "revoke_node", {"node_id": "n3"}, "n1", ("n2", "n4"))
    done = submit(ledger, "n4.arbitrator", "Reviews:Arbitrate", ident, "reject", "n3 is gone; the loops are real")
    assert (done["dispute"]["resolution"], done["dispute"]["arbitrator"]) == ("reject", "n4")


def test_a_reviewer_that_does_not_review_is_replaced_by_a_majority(ledger):
    standard_month(ledger)
    approve(ledger, "n3")
    approve(ledger, "n1", roles=("peer",))
    # n1 would like its accomplice n2 as its external reviewer too
    assert refused(ledger, "n1.admin", "Registry:Propose", "replace_reviewer", json.dumps(
        {"month": MONTH, "node": "n1", "role": "external", "reviewer": "n2"})) == (
        f"node n2 may not be the external reviewer of node n1's {MONTH}; eligible: n3, n4.")
    replaced = majority(ledger, "replace_reviewer", {"month": MONTH, "node": "n1", "role": "external",
                                                     "reviewer": "n3"}, "n2", ("n3", "n4"))
    assert replaced["note"] == f"node n1's {MONTH} gets n3 as external reviewer instead of n4."
    assert refused(ledger, "n4.reviewer", "Reviews:Review", MONTH, "n1", "approve", "", EVIDENCE, "") == (
        f"node n4 is not an assigned reviewer of node n1's {MONTH} (peer n2, external n3).")
    ledger.submit("n3.reviewer", "Reviews:Review", MONTH, "n1", "approve", "", EVIDENCE, "")
    ledger.submit("n1.admin", "Settlement:Settle", MONTH)
    assert json.loads(ledger.evaluate("n1.auditor", "Reviews:GetReviewers", MONTH, "n1"))["replaced"] == [
        {"proposal": replaced["id"], "reviewer": "n4", "role": "external"}]
    settlement(ledger)


# -- one node does not hold up the others -------------------------------------------------------------

def test_a_node_that_never_seals_is_settled_without_by_a_majority(ledger):
    subscribe(ledger, "n1", ["L1"])
    subscribe(ledger, "n3", ["M1", "M2"])
    allocate_and_seal(ledger, "n1", [{"L1": {"a1": 100}}])
    approve(ledger, "n1")
    assert refused(ledger, "n1.admin", "Settlement:Settle", MONTH) == (
        f"node n3 has not sealed {MONTH}; it must run month reconcile first, or a majority may settle the month "
        "without it (proposal settle_without).")
    excused = majority(ledger, "settle_without", {"month": MONTH, "node": "n3"})
    ledger.submit("n1.admin", "Settlement:Settle", MONTH)
    record = settlement(ledger)
    assert record["nodes"]["n3"]["pending"] == f"settled without it (proposal {excused['id']}): it has not sealed"
    assert amounts(ledger)[("held", "node", "n3")] == 18_000_000 and amounts(ledger)[("paid", "artist", "a1")] == 9_000_000
    # the stalled node cannot settle its own part unreviewed
    allocate_and_seal(ledger, "n3", [{"M1": {"a1": 60, "a9": 30}}])
    assert refused(ledger, "n3.admin", "Settlement:SettleNode", MONTH, "n3") == (
        f"node n3's {MONTH} (version 1) awaits the review of its assigned peer n4 and its assigned external n2; a "
        "majority may replace a reviewer that does not review (proposal replace_reviewer) or settle the month "
        "without it (proposal settle_without).")
    approve(ledger, "n3")
    ledger.submit("n1.admin", "Settlement:SettleNode", MONTH, "n3")
    record = settlement(ledger)
    assert (record["nodes"]["n3"]["artists_micro"], record["nodes"]["n3"]["held_micro"],
            record["nodes"]["n3"]["unallocated_micro"]) == (6_000_000, 3_000_000, 9_000_000)
    assert amounts(ledger)[("paid", "node:n3", "a1")] == 6_000_000


# -- three eyes, for any consortium ---------------------------------------------------------------------

@st.composite
def consortia(draw):
    """Active nodes in 1-3 clusters with random duties, a subject, and an opener among its reviewers."""
    nodes = [{"id": f"n{i}", "cluster": f"c{draw(st.integers(0, 2))}",
              "duties": sorted(draw(st.sets(st.sampled_from(("reviewer", "arbitrator")))))}
             for i in range(draw(st.integers(2, 7)))]
    subject = draw(st.sampled_from(nodes))
    others = [n["id"] for n in nodes if n["id"] != subject["id"]]
    return nodes, subject, draw(st.sampled_from(others)), draw(st.text("0123456789abcdef", min_size=16, max_size=16))


@settings(max_examples=300, deadline=None)
@given(consortia())
def test_the_opener_never_arbitrates_and_votes_only_when_nobody_else_can(case):
    nodes, subject, opener, ident = case
    voters = three_eyes.dispute_voters(ident, subject, nodes, opener)
    for role in three_eyes.ROLES:
        eligible = three_eyes.eligible_reviewers(subject, nodes, role)
        assert voters[role] in eligible or (voters[role] == "" and not eligible)
        if voters[role] == opener:
            assert eligible == [opener]
    dispute = {"id": ident, "local": subject["id"], "opened_by": opener, **voters, "votes": {}}
    arbitrator = three_eyes.arbitrator(dispute, subject, nodes)
    assert arbitrator == "" or arbitrator not in {subject["id"], opener, voters["peer"], voters["external"]}
    # once the non-accused voters voted without agreeing, the accused is not awaited
    dispute["votes"] = {v: {"vote": d, "reason": ""} for v, d in zip(
        [x for x in (voters["peer"], voters["external"]) if x], ("approve", "reject"))}
    assert three_eyes.outcome(dispute, [n["id"] for n in nodes]) == "arbitrate"


def test_a_node_revoked_before_correcting_rejected_days_has_its_whole_month_rejected(ledger):
    dispute = settled_with_day_dispute(ledger)
    for voter in ("n2", "n3"):
        ledger.submit(f"{voter}.reviewer", "Reviews:Vote", dispute, "reject", "replayed")
    majority(ledger, "revoke_node", {"node_id": "n1"}, "n2", ("n3", "n4"))
    ledger.submit("n2.admin", "Settlement:SettleNode", MONTH, "n1")
    part = settlement(ledger)["nodes"]["n1"]
    assert (part["rejected_micro"], part["unallocated_micro"], part["artists_micro"], part["held_micro"]) == (
        18_000_000, 27_000_000, 0, 0)
