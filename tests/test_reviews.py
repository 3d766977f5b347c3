"""Reviews, disputes, three-eyes votes and arbitration, through real transactions."""

import hashlib
import json

import pytest

from admin.errors import LedgerRejected
from settlement_script import EVIDENCE, MONTH, standard_month

OTHER = "f" * 64


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


def test_an_approval_is_recorded_once(month):
    result = submit(month, "n2.reviewer", "Reviews:Review", MONTH, "n1", "approve", "", EVIDENCE)
    review = {"evidence_sha256": EVIDENCE, "month": MONTH, "node": "n1", "reason": "", "reviewer": "n2",
              "verdict": "approve"}
    assert result == {"reviewed": True, "review": review, "dispute": None, "note": ""}
    assert submit(month, "n2.admin", "Reviews:Review", MONTH, "n1", "approve", "", EVIDENCE) == \
        {"reviewed": False, "review": review, "dispute": None, "note": ""}
    assert rejected(month, "n2.reviewer", "Reviews:Review", MONTH, "n1", "flag", "wrong", EVIDENCE) == \
        f"node n2 already reviewed node n1's {MONTH} (approve, evidence {EVIDENCE})."
    assert json.loads(month.evaluate("n4.auditor", "Reviews:ListReviews", MONTH, "n1")) == [review]
    assert json.loads(month.evaluate("n4.auditor", "Reviews:ListDisputes", MONTH)) == []


def test_review_access_and_arguments(month):
    assert rejected(month, "n2.auditor", "Reviews:Review", MONTH, "n1", "approve", "", EVIDENCE) == \
        "Org2MSP identity with auditor may not do this; it needs the role reviewer or admin."
    assert rejected(month, "n2.arbitrator", "Reviews:Review", MONTH, "n1", "approve", "", EVIDENCE) == \
        "Org2MSP identity with arbitrator may not do this; it needs the role reviewer or admin."
    assert rejected(month, "n1.reviewer", "Reviews:Review", MONTH, "n1", "approve", "", EVIDENCE) == \
        "node n1 may not review its own month."
    assert rejected(month, "n1.reviewer", "Reviews:Review", MONTH, "n2", "approve", "", EVIDENCE) == \
        f"node n2 has not sealed {MONTH}; there is nothing to review yet."
    assert rejected(month, "n1.reviewer", "Reviews:Review", MONTH, "n9", "approve", "", EVIDENCE) == \
        "node n9 is not registered."
    assert rejected(month, "n1.reviewer", "Reviews:Review", MONTH, "n3", "flag", " ", EVIDENCE) == \
        f"a flag on node n3's {MONTH} needs a reason."
    assert rejected(month, "n1.reviewer", "Reviews:Review", MONTH, "n3", "maybe", "", EVIDENCE) == \
        "verdict 'maybe' is not one of approve, flag."
    assert rejected(month, "n1.reviewer", "Reviews:Review", MONTH, "n3", "approve", "", "abc") == \
        "evidence_sha256 'abc' is not a lower-case hex SHA-256."


def _revoke_reviewer_duty(ledger, node):
    proposal = submit(ledger, "n1.admin", "Registry:Propose", "revoke_duty",
                      json.dumps({"node_id": node, "duty": "reviewer"}))
    for approver in ("n3.admin", "n4.admin"):
        ledger.submit(approver, "Registry:Approve", proposal["id"])


def test_a_node_without_the_reviewer_duty_may_not_review(month):
    _revoke_reviewer_duty(month, "n2")
    assert rejected(month, "n2.reviewer", "Reviews:Review", MONTH, "n1", "approve", "", EVIDENCE) == \
        "node n2 does not have the reviewer duty."


def test_a_flag_opens_a_dispute_with_deterministic_reviewers(month):
    result = submit(month, "n3.reviewer", "Reviews:Review", MONTH, "n1", "flag", "loops", EVIDENCE)
    ident = expected_id(MONTH, "n1", "n3")
    assert ident == "51a2ad04d70e2b63"
    assert expected_pick(ident, "peer", ["n2"]) == "n2"
    assert expected_pick(ident, "external", ["n3", "n4"]) == "n4"
    dispute = {"arbitration_reason": "", "arbitrator": "", "decided_by": "", "evidence": [EVIDENCE],
               "external": "n4", "id": ident, "local": "n1", "month": MONTH, "node": "n1", "opened_by": "n3",
               "peer": "n2", "reason": "loops", "resolution": "", "status": "open", "votes": {}}
    assert result["dispute"] == dispute and result["note"] == ""
    assert json.loads(month.evaluate("n2.auditor", "Reviews:GetDispute", ident)) == dispute
    # a second flag adds its evidence to the open dispute
    second = submit(month, "n4.admin", "Reviews:Review", MONTH, "n1", "flag", "too many plays", OTHER)
    assert second["dispute"] == {**dispute, "evidence": [EVIDENCE, OTHER]}
    assert json.loads(month.evaluate("n2.auditor", "Reviews:ListDisputes", MONTH)) == [second["dispute"]]
    assert [r["reviewer"] for r in json.loads(month.evaluate("n1.auditor", "Reviews:ListReviews", MONTH, "n1"))] \
        == ["n3", "n4"]
    assert rejected(month, "n1.auditor", "Reviews:GetDispute", "0000") == "dispute 0000 does not exist."


def test_two_of_three_approve(month):
    ident = submit(month, "n3.reviewer", "Reviews:Review", MONTH, "n1", "flag", "loops", EVIDENCE)["dispute"]["id"]
    assert rejected(month, "n3.reviewer", "Reviews:Vote", ident, "reject", "") == \
        f"node n3 is not a voter of dispute {ident} (n1, n2, n4)."
    assert rejected(month, "n1.auditor", "Reviews:Vote", ident, "approve", "") == \
        "Org1MSP identity with auditor may not do this; it needs the role reviewer or admin."
    assert rejected(month, "n1.admin", "Reviews:Vote", ident, "maybe", "") == \
        "vote 'maybe' is not one of approve, reject, abstain."
    first = submit(month, "n1.admin", "Reviews:Vote", ident, "approve", "our report stands")
    assert (first["voted"], first["dispute"]["status"], first["released"]) == (True, "open", None)
    assert submit(month, "n1.reviewer", "Reviews:Vote", ident, "approve", "again")["voted"] is False
    assert rejected(month, "n1.reviewer", "Reviews:Vote", ident, "reject", "") == \
        f"node n1 already voted approve on dispute {ident}."
    second = submit(month, "n4.reviewer", "Reviews:Vote", ident, "approve", "recomputed, same")
    dispute = second["dispute"]
    assert (dispute["status"], dispute["resolution"], dispute["decided_by"]) == ("resolved", "approve", "majority")
    assert dispute["votes"] == {"n1": {"reason": "our report stands", "vote": "approve"},
                                "n4": {"reason": "recomputed, same", "vote": "approve"}}
    assert second["released"] is None  # the month is not settled
    assert rejected(month, "n2.reviewer", "Reviews:Vote", ident, "reject", "") == \
        f"dispute {ident} is already resolved (approve)."
    # the dispute is closed: a new flag opens a new one
    again = submit(month, "n4.reviewer", "Reviews:Review", MONTH, "n1", "flag", "still wrong", OTHER)
    assert again["dispute"]["id"] == expected_id(MONTH, "n1", "n4") != ident


def test_one_one_abstain_goes_to_the_picked_arbitrator(month):
    ident = submit(month, "n3.reviewer", "Reviews:Review", MONTH, "n1", "flag", "loops", EVIDENCE)["dispute"]["id"]
    submit(month, "n1.reviewer", "Reviews:Vote", ident, "approve", "stands")
    assert rejected(month, "n3.arbitrator", "Reviews:Arbitrate", ident, "approve", "early") == \
        f"dispute {ident} still waits for the votes of n2, n4."
    submit(month, "n2.reviewer", "Reviews:Vote", ident, "reject", "wrong")
    last = submit(month, "n4.reviewer", "Reviews:Vote", ident, "abstain", "cannot tell")
    # arbitrator: active arbitrator-duty nodes of another cluster than A, not n1, n2 or n4
    assert expected_pick(ident, "arbitrator", ["n3"]) == "n3"
    assert (last["dispute"]["status"], last["dispute"]["arbitrator"]) == ("open", "n3")
    assert rejected(month, "n4.arbitrator", "Reviews:Arbitrate", ident, "approve", "x") == \
        f"node n4 is not the arbitrator of dispute {ident} (n3)."
    assert rejected(month, "n3.admin", "Reviews:Arbitrate", ident, "approve", "x") == \
        "Org3MSP identity with admin may not do this; it needs the role arbitrator."
    assert rejected(month, "n3.arbitrator", "Reviews:Arbitrate", ident, "approve", "") == \
        f"arbitrating dispute {ident} needs a reason."
    assert rejected(month, "n3.arbitrator", "Reviews:Arbitrate", ident, "abstain", "x") == \
        "decision 'abstain' is not one of approve, reject."
    result = submit(month, "n3.arbitrator", "Reviews:Arbitrate", ident, "reject", "loops are farmed")
    dispute = result["dispute"]
    assert result["arbitrated"] is True and result["released"] is None
    assert (dispute["status"], dispute["resolution"], dispute["decided_by"], dispute["arbitration_reason"]) == \
        ("resolved", "reject", "arbitration", "loops are farmed")
    assert dispute["votes"] == {"n1": {"reason": "stands", "vote": "approve"},
                                "n2": {"reason": "wrong", "vote": "reject"},
                                "n4": {"reason": "cannot tell", "vote": "abstain"}}
    assert submit(month, "n3.arbitrator", "Reviews:Arbitrate", ident, "reject", "again")["arbitrated"] is False
    assert rejected(month, "n3.arbitrator", "Reviews:Arbitrate", ident, "approve", "x") == \
        f"dispute {ident} is already resolved (reject by arbitration)."
    # a rejected report: its allocations go to unallocated at settlement
    record = submit(month, "n1.admin", "Settlement:Settle", MONTH)["settlement"]
    assert record["nodes"]["n1"]["rejected_micro"] == 18_000_000


def test_without_an_eligible_peer_the_available_voters_decide(month):
    _revoke_reviewer_duty(month, "n2")
    result = submit(month, "n3.reviewer", "Reviews:Review", MONTH, "n1", "flag", "loops", EVIDENCE)
    ident = result["dispute"]["id"]
    assert (result["dispute"]["peer"], result["dispute"]["external"]) == ("", "n4")
    assert result["note"] == (f"no node is eligible as peer of dispute {ident}; the 2 available voter(s) decide, "
                              "two agreeing votes resolving it.")
    submit(month, "n1.reviewer", "Reviews:Vote", ident, "approve", "")
    last = submit(month, "n4.reviewer", "Reviews:Vote", ident, "reject", "")
    assert (last["dispute"]["status"], last["dispute"]["arbitrator"]) == ("open", "n3")


def test_a_flag_after_settlement_cannot_open_a_dispute(month):
    month.submit("n1.admin", "Settlement:Settle", MONTH)
    assert rejected(month, "n3.reviewer", "Reviews:Review", MONTH, "n1", "flag", "late", EVIDENCE) == \
        f"{MONTH} is settled; a flag on node n1 can no longer open a dispute."
    assert submit(month, "n3.reviewer", "Reviews:Review", MONTH, "n1", "approve", "", EVIDENCE)["reviewed"] is True


def test_arbitration_after_settlement_releases_the_held_money(month):
    ident = submit(month, "n3.reviewer", "Reviews:Review", MONTH, "n1", "flag", "loops", EVIDENCE)["dispute"]["id"]
    for identity, vote in (("n1.admin", "approve"), ("n2.admin", "abstain"), ("n4.admin", "reject")):
        submit(month, identity, "Reviews:Vote", ident, vote, "")
    settled = submit(month, "n2.admin", "Settlement:Settle", MONTH)["settlement"]
    assert settled["held_micro"] == 21_000_000
    result = submit(month, "n3.arbitrator", "Reviews:Arbitrate", ident, "approve", "within policy")
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
