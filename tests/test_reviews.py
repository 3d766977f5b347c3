"""Reviews, disputes, three-eyes votes and arbitration, through real transactions."""

import hashlib
import json

import pytest

from admin.errors import LedgerRejected
from settlement_script import EVIDENCE, MONTH, WHOLE, allocate_and_seal, approve, flag, majority, standard_month

OTHER = "f" * 64
# Assigned reviewers of 2026-10 (picked by the chain at the first seal): n1: peer n2, external n4;
# n3: peer n4, external n2.


def rejected(ledger, identity, function, *args) -> str:
    with pytest.raises(LedgerRejected) as caught:
        ledger.submit(identity, function, *args)
    return caught.value.message


def submit(ledger, identity, function, *args) -> dict:
    return json.loads(ledger.submit(identity, function, *args).payload)


def expected_id(month, node, opened_by) -> str:
    body = json.dumps({"month": month, "node": node, "opened_by": opened_by}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()[:16]


def expected_pick(ident, purpose, candidates) -> str:
    ordered = sorted(candidates)
    return ordered[int(hashlib.sha256(f"{ident}:{purpose}".encode()).hexdigest(), 16) % len(ordered)]


@pytest.fixture
def month(ledger):
    standard_month(ledger)
    return ledger


def review(ledger, reviewer, node, verdict="approve", reason="", evidence=EVIDENCE, scope=""):
    return submit(ledger, reviewer, "Reviews:Review", MONTH, node, verdict, reason, evidence, scope)


def test_the_first_seal_assigns_the_reviewers(month):
    assert expected_pick(f"{MONTH}/n1", "external", ["n3", "n4"]) == "n4"
    assert expected_pick(f"{MONTH}/n3", "external", ["n1", "n2"]) == "n2"
    assert json.loads(month.evaluate("n2.auditor", "Reviews:GetReviewers", MONTH, "n1")) == {
        "external": "n4", "month": MONTH, "node": "n1", "peer": "n2", "replaced": []}
    assert json.loads(month.evaluate("n2.auditor", "Reviews:GetReviewers", MONTH, "n3"))["peer"] == "n4"
    with pytest.raises(LedgerRejected) as caught:
        month.evaluate("n2.auditor", "Reviews:GetReviewers", MONTH, "n2")
    assert caught.value.message == f"node n2 has not sealed {MONTH}; it has no reviewers yet."


def test_an_approval_is_recorded_once(month):
    result = review(month, "n2.reviewer", "n1")
    recorded = {"evidence_sha256": EVIDENCE, "month": MONTH, "node": "n1", "reason": "", "reviewer": "n2",
                "scope": None, "superseded": [], "verdict": "approve", "version": 1}
    assert result == {"reviewed": True, "review": recorded, "dispute": None, "note": ""}
    assert review(month, "n2.admin", "n1") == {"reviewed": False, "review": recorded, "dispute": None, "note": ""}
    assert rejected(month, "n2.reviewer", "Reviews:Review", MONTH, "n1", "flag", "wrong", EVIDENCE, WHOLE) == \
        f"node n2 already reviewed version 1 of node n1's {MONTH} (approve, evidence {EVIDENCE})."
    assert json.loads(month.evaluate("n4.auditor", "Reviews:ListReviews", MONTH, "n1")) == [recorded]
    assert json.loads(month.evaluate("n4.auditor", "Reviews:ListDisputes", MONTH)) == []


def test_review_access_and_arguments(month):
    def refusal(identity, node, verdict="approve", reason="", evidence=EVIDENCE, scope=""):
        return rejected(month, identity, "Reviews:Review", MONTH, node, verdict, reason, evidence, scope)

    assert refusal("n2.auditor", "n1") == \
        "Org2MSP identity with auditor may not do this; it needs the role reviewer or admin."
    assert refusal("n2.arbitrator", "n1") == \
        "Org2MSP identity with arbitrator may not do this; it needs the role reviewer or admin."
    assert refusal("n1.reviewer", "n1") == "node n1 may not review its own month."
    assert refusal("n1.reviewer", "n2") == f"node n2 has not sealed {MONTH}; there is nothing to review yet."
    assert refusal("n1.reviewer", "n9") == "node n9 is not registered."
    assert refusal("n3.reviewer", "n1") == \
        f"node n3 is not an assigned reviewer of node n1's {MONTH} (peer n2, external n4)."
    assert refusal("n2.reviewer", "n3", "flag", " ", scope=WHOLE) == f"a flag on node n3's {MONTH} needs a reason."
    assert refusal("n2.reviewer", "n3", "maybe") == "verdict 'maybe' is not one of approve, flag."
    assert refusal("n2.reviewer", "n3", evidence="abc") == "evidence_sha256 'abc' is not a lower-case hex SHA-256."
    assert refusal("n2.reviewer", "n3", scope=WHOLE) == "an approval has no scope; leave it empty."
    assert refusal("n2.reviewer", "n3", "flag", "x") == \
        f'a flag on node n3\'s {MONTH} needs a scope: {{"month": true}}, or listeners, artists or days.'
    for scope, message in [
        ('{"listeners": ["L1"]}', f"listener L1 has no allocation in node n3's {MONTH}."),
        ('{"artists": ["a2"]}', f"artist a2 has no allocation in node n3's {MONTH}."),
        ('{"days": ["2026-10-04"]}', "node n3 has no anchor for 2026-10-04."),
        ('{"days": ["2026-11-04"]}', f"scope day 2026-11-04 is not in {MONTH}."),
        ('{"month": false}', 'a scope over the whole month is exactly {"month": true}.'),
        ('{"weeks": [1]}', "scope key 'weeks' is not one of month, listeners, artists, days."),
        ('{"listeners": []}', "scope listeners must be a JSON list of 1 to 5000 items."),
        ("{}", 'scope must be a JSON object: {"month": true}, or listeners, artists or days.'),
    ]:
        assert refusal("n2.reviewer", "n3", "flag", "x", scope=scope) == message


def _revoke_reviewer_duty(ledger, node):
    majority(ledger, "revoke_duty", {"node_id": node, "duty": "reviewer"}, "n1", ("n3", "n4"))


def test_a_node_without_the_reviewer_duty_may_not_review(month):
    _revoke_reviewer_duty(month, "n2")
    assert rejected(month, "n2.reviewer", "Reviews:Review", MONTH, "n1", "approve", "", EVIDENCE, "") == \
        "node n2 does not have the reviewer duty."


def test_a_flag_opens_a_dispute_with_deterministic_reviewers(month):
    result = review(month, "n4.reviewer", "n1", "flag", "loops", scope=WHOLE)
    ident = expected_id(MONTH, "n1", "n4")
    assert ident == "910fdd1602106702"
    # the opener n4 is left out of the external voters while another node (n3) is eligible
    assert expected_pick(ident, "peer", ["n2"]) == "n2" and expected_pick(ident, "external", ["n3"]) == "n3"
    dispute = {"arbitration_reason": "", "arbitrator": "", "decided_by": "", "evidence": [EVIDENCE],
               "external": "n3", "id": ident, "local": "n1", "month": MONTH, "node": "n1", "opened_by": "n4",
               "peer": "n2", "reason": "loops", "resolution": "",
               "scope": {"artists": [], "days": [], "listeners": [], "month": True}, "status": "open",
               "version": 1, "votes": {}}
    assert result["dispute"] == dispute and result["note"] == ""
    assert json.loads(month.evaluate("n2.auditor", "Reviews:GetDispute", ident)) == dispute
    # the peer's flag joins the open dispute (nobody voted yet): its evidence added
    second = review(month, "n2.admin", "n1", "flag", "too many plays", OTHER, '{"listeners": ["L1"]}')
    assert second["dispute"] == {**dispute, "evidence": [EVIDENCE, OTHER]}
    assert json.loads(month.evaluate("n2.auditor", "Reviews:ListDisputes", MONTH)) == [second["dispute"]]
    assert [r["reviewer"] for r in json.loads(month.evaluate("n1.auditor", "Reviews:ListReviews", MONTH, "n1"))] \
        == ["n2", "n4"]
    assert rejected(month, "n1.auditor", "Reviews:GetDispute", "0000") == "dispute 0000 does not exist."


def test_a_flag_joins_an_open_dispute_over_its_scope_until_someone_voted(month):
    first = review(month, "n4.reviewer", "n1", "flag", "loops", scope='{"listeners": ["L1"]}')["dispute"]
    second = review(month, "n2.reviewer", "n1", "flag", "a3", OTHER, '{"artists": ["a3"]}')["dispute"]
    assert (second["id"], second["scope"]) == (first["id"], {"artists": ["a3"], "days": [], "listeners": ["L1"],
                                                             "month": False})
    standard_month(month, "2026-11")
    third = flag(month, "n3", "external", '{"listeners": ["M1"]}', month="2026-11")["dispute"]
    submit(month, "n3.reviewer", "Reviews:Vote", third["id"], "approve", "fine")
    peer = json.loads(month.evaluate("n1.auditor", "Reviews:GetReviewers", "2026-11", "n3"))["peer"]
    assert rejected(month, f"{peer}.reviewer", "Reviews:Review", "2026-11", "n3", "flag", "more", OTHER, WHOLE) == \
        (f"dispute {third['id']} on node n3's 2026-11 already has votes over 1 listener; "
         "flag more once it is resolved.")


def test_two_of_three_approve(month):
    ident = review(month, "n4.reviewer", "n1", "flag", "loops", scope=WHOLE)["dispute"]["id"]
    assert rejected(month, "n4.reviewer", "Reviews:Vote", ident, "reject", "") == \
        f"node n4 is not a voter of dispute {ident} (n1, n2, n3)."
    assert rejected(month, "n1.auditor", "Reviews:Vote", ident, "approve", "") == \
        "Org1MSP identity with auditor may not do this; it needs the role reviewer or admin."
    assert rejected(month, "n1.admin", "Reviews:Vote", ident, "maybe", "") == \
        "vote 'maybe' is not one of approve, reject, abstain."
    first = submit(month, "n1.admin", "Reviews:Vote", ident, "approve", "our report stands")
    assert (first["voted"], first["dispute"]["status"], first["released"]) == (True, "open", None)
    assert submit(month, "n1.reviewer", "Reviews:Vote", ident, "approve", "again")["voted"] is False
    assert rejected(month, "n1.reviewer", "Reviews:Vote", ident, "reject", "") == \
        f"node n1 already voted approve on dispute {ident}."
    second = submit(month, "n3.reviewer", "Reviews:Vote", ident, "approve", "recomputed, same")
    dispute = second["dispute"]
    assert (dispute["status"], dispute["resolution"], dispute["decided_by"]) == ("resolved", "approve", "majority")
    assert dispute["votes"] == {"n1": {"reason": "our report stands", "vote": "approve"},
                                "n3": {"reason": "recomputed, same", "vote": "approve"}}
    assert second["released"] is None  # the month is not settled
    assert rejected(month, "n2.reviewer", "Reviews:Vote", ident, "reject", "") == \
        f"dispute {ident} is already resolved (approve)."
    # the dispute is closed: a new flag opens a new one
    again = review(month, "n2.reviewer", "n1", "flag", "still wrong", OTHER, WHOLE)
    assert again["dispute"]["id"] == expected_id(MONTH, "n1", "n2") != ident


def test_one_one_abstain_goes_to_the_picked_arbitrator(month):
    ident = review(month, "n2.reviewer", "n1", "flag", "loops", scope=WHOLE)["dispute"]["id"]
    # n2 opened it but is the only eligible peer; the external voter is picked among n3, n4
    assert expected_pick(ident, "external", ["n3", "n4"]) == "n3"
    submit(month, "n1.reviewer", "Reviews:Vote", ident, "approve", "stands")
    assert rejected(month, "n4.arbitrator", "Reviews:Arbitrate", ident, "approve", "early") == \
        f"dispute {ident} still waits for the votes of n2, n3."
    submit(month, "n2.reviewer", "Reviews:Vote", ident, "reject", "wrong")
    last = submit(month, "n3.reviewer", "Reviews:Vote", ident, "abstain", "cannot tell")
    # arbitrator: active arbitrator-duty nodes of another cluster than A, not n1, n2 or n3
    assert expected_pick(ident, "arbitrator", ["n4"]) == "n4"
    assert (last["dispute"]["status"], last["dispute"]["arbitrator"]) == ("open", "n4")
    assert last["note"] == f"the voters did not agree: dispute {ident} goes to its arbitrator (n4)."
    assert rejected(month, "n3.arbitrator", "Reviews:Arbitrate", ident, "approve", "x") == \
        f"node n3 is not the arbitrator of dispute {ident} (n4)."
    assert rejected(month, "n4.admin", "Reviews:Arbitrate", ident, "approve", "x") == \
        "Org4MSP identity with admin may not do this; it needs the role arbitrator."
    assert rejected(month, "n4.arbitrator", "Reviews:Arbitrate", ident, "approve", "") == \
        f"arbitrating dispute {ident} needs a reason."
    assert rejected(month, "n4.arbitrator", "Reviews:Arbitrate", ident, "abstain", "x") == \
        "decision 'abstain' is not one of approve, reject."
    result = submit(month, "n4.arbitrator", "Reviews:Arbitrate", ident, "reject", "loops are farmed")
    dispute = result["dispute"]
    assert result["arbitrated"] is True and result["released"] is None
    assert (dispute["status"], dispute["resolution"], dispute["decided_by"], dispute["arbitration_reason"]) == \
        ("resolved", "reject", "arbitration", "loops are farmed")
    assert dispute["votes"] == {"n1": {"reason": "stands", "vote": "approve"},
                                "n2": {"reason": "wrong", "vote": "reject"},
                                "n3": {"reason": "cannot tell", "vote": "abstain"}}
    assert submit(month, "n4.arbitrator", "Reviews:Arbitrate", ident, "reject", "again")["arbitrated"] is False
    assert rejected(month, "n4.arbitrator", "Reviews:Arbitrate", ident, "approve", "x") == \
        f"dispute {ident} is already resolved (reject by arbitration)."
    # a rejected report: its allocations go to unallocated at settlement
    approve(month, "n1", roles=("external",))
    approve(month, "n3")
    record = submit(month, "n1.admin", "Settlement:Settle", MONTH)["settlement"]
    assert record["nodes"]["n1"]["rejected_micro"] == 18_000_000


def test_without_an_eligible_peer_the_available_voters_decide(month):
    _revoke_reviewer_duty(month, "n2")
    result = review(month, "n4.reviewer", "n1", "flag", "loops", scope=WHOLE)
    ident = result["dispute"]["id"]
    assert (result["dispute"]["peer"], result["dispute"]["external"]) == ("", "n3")
    assert result["note"] == (f"no node is eligible as peer of dispute {ident}; the 2 available voter(s) decide, "
                              "two agreeing votes resolving it.")
    submit(month, "n1.reviewer", "Reviews:Vote", ident, "approve", "")
    last = submit(month, "n3.reviewer", "Reviews:Vote", ident, "reject", "")
    # no arbitrator-duty node outside the subject's cluster is free (n3 votes, n4 opened it): n2 of cluster A
    assert (last["dispute"]["status"], last["dispute"]["arbitrator"]) == ("open", "n2")


def test_a_flag_after_settlement_cannot_open_a_dispute(month):
    allocate_and_seal(month, "n2", [])  # n2 has no subscriptions: its month does not hold the settlement
    approve(month, "n1")
    approve(month, "n3")
    month.submit("n1.admin", "Settlement:Settle", MONTH)
    external = json.loads(month.evaluate("n1.auditor", "Reviews:GetReviewers", MONTH, "n2"))["external"]
    assert rejected(month, f"{external}.reviewer", "Reviews:Review", MONTH, "n2", "flag", "late", EVIDENCE, WHOLE) \
        == f"{MONTH} is settled; a flag on node n2 can no longer open a dispute."
    assert review(month, "n1.reviewer", "n2")["reviewed"] is True


def test_arbitration_after_settlement_releases_the_held_money(month):
    ident = review(month, "n2.reviewer", "n1", "flag", "loops", scope=WHOLE)["dispute"]["id"]
    for identity, vote in (("n1.admin", "approve"), ("n2.admin", "abstain"), ("n3.admin", "reject")):
        submit(month, identity, "Reviews:Vote", ident, vote, "")
    approve(month, "n1", roles=("external",))
    approve(month, "n3")
    settled = submit(month, "n2.admin", "Settlement:Settle", MONTH)["settlement"]
    assert settled["held_micro"] == 21_000_000
    result = submit(month, "n4.arbitrator", "Reviews:Arbitrate", ident, "approve", "within policy")
    assert result["released"] == {"dispute": ident, "released_micro": 18_000_000, "to_artists_micro": 18_000_000,
                                  "to_unallocated_micro": 0, "to_unregistered_micro": 0}
    record = json.loads(month.evaluate("n1.auditor", "Settlement:GetSettlement", MONTH))
    assert (record["held_micro"], record["artists_micro"], record["released_micro"]) == \
        (3_000_000, 24_000_000, 18_000_000)
    assert record["income_micro"] == record["node_operators_micro"] + record["artists_micro"] + \
        record["unallocated_micro"] + record["held_micro"]
    opened = "\x00disputeopen\x00" + MONTH + "\x00n1\x00"
    history = month.key_histories("n1.auditor", [opened])[opened]
    assert history[0]["is_delete"] and history[0]["value"] is None
    assert json.loads(month.evaluate("n1.auditor", "History:ForKey", opened)) == \
        [{k: v for k, v in entry.items() if k != "block"} for entry in history]
