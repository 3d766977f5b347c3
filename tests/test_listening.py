"""Listening contract on the embedded ledger: daily anchors, corrections, access and refusals."""

import json

import pytest

from admin.errors import LedgerRejected
from chaincode import merkle
from conftest import refused

D = "2026-10-03"
H1, H2, H3 = "a" * 64, "b" * 64, "c" * 64
COUNTS = {"listeners": 3, "plays": 8, "rows": 10, "seconds": 1500}


def anchor(ledger, sha=H1, counts=COUNTS, date=D, node="n1"):
    return ledger.submit(f"{node}.admin", "Listening:Anchor", node, date, sha, json.dumps(counts))


def record(sha=H1, counts=COUNTS, date=D, node="n1", superseded=()):
    return {"date": date, "node": node, "sha256": sha, **counts, "superseded": list(superseded)}


def test_anchor_writes_the_day(ledger):
    done = anchor(ledger)
    assert done.payload == (
        '{"anchor":{"date":"2026-10-03","listeners":3,"node":"n1","plays":8,"rows":10,"seconds":1500,'
        f'"sha256":"{H1}","superseded":[]}},"anchored":true}}')
    assert ledger.block(done.block)["event"] == {
        "name": "Listening.Anchor", "payload": f'{{"date":"2026-10-03","node":"n1","sha256":"{H1}"}}'}
    assert json.loads(ledger.evaluate("n3.auditor", "Listening:GetAnchor", "n1", D)) == record()


def test_anchor_again_is_a_no_op(ledger):
    anchor(ledger)
    before = ledger.state_hash()
    assert anchor(ledger).json() == {"anchored": False, "anchor": record()}
    assert ledger.state_hash() == before


def test_another_hash_or_count_for_the_same_day_is_refused(ledger):
    anchor(ledger)
    expected = (f"node n1 already anchored 2026-10-03 with sha256 {H1}; "
                "submit a correction (Listening:Correct) to replace it.")
    assert refused(ledger, "n1.admin", "Listening:Anchor", "n1", D, H2, json.dumps(COUNTS)) == expected
    assert refused(ledger, "n1.admin", "Listening:Anchor", "n1", D, H1,
                   json.dumps({**COUNTS, "seconds": 1501})) == expected
    anchor(ledger, H2, node="n2")
    anchor(ledger, H2, date="2026-10-04")


@pytest.mark.parametrize(("args", "message"), [
    (("n1", D, H1, '{"rows":10,"listeners":3,"plays":-1,"seconds":5}'), "counts plays -1 is not a whole number of at least 0."),
    (("n1", D, H1, '{"rows":10,"listeners":3,"plays":11,"seconds":5}'), "counts plays 11 exceeds rows 10."),
    (("n1", D, H1, '{"rows":2,"listeners":3,"plays":1,"seconds":5}'), "counts listeners 3 exceeds rows 2."),
    (("n1", D, H1, '{"rows":10,"listeners":3,"plays":1,"seconds":86401}'),
     "counts seconds 86401 exceeds plays 1 times 86400 (a play lasts at most a day)."),
    (("n1", D, H1, '{"rows":10,"listeners":3,"plays":1,"seconds":"5"}'), "counts seconds '5' is not a whole number of at least 0."),
    (("n1", D, H1, '{"rows":10,"listeners":3,"plays":1}'),
     "counts must be a JSON object with exactly rows, listeners, plays and seconds."),
    (("n1", D, H1, '{"rows":10,"listeners":3,"plays":1,"seconds":5,"x":1}'),
     "counts must be a JSON object with exactly rows, listeners, plays and seconds."),
    (("n1", D, H1, '{"rows":10,'), "counts is not valid JSON: Expecting property name enclosed in double quotes: "
                                   "line 1 column 12 (char 11)."),
    (("n1", D, H1.upper(), json.dumps(COUNTS)), f"sha256 '{H1.upper()}' is not a lower-case hex SHA-256."),
    (("n1", "2026-02-29", H1, json.dumps(COUNTS)), "date '2026-02-29' is not a calendar date YYYY-MM-DD."),
    (("n9", D, H1, json.dumps(COUNTS)), "node n9 is not registered."),
    # another spelling of a day or a node would be another key: whole strings of ASCII only
    (("n1", D + "\n", H1, json.dumps(COUNTS)), "date '2026-10-03\\n' is not a calendar date YYYY-MM-DD."),
    (("n1", "\u0662\u0660\u0662\u0666-10-03", H1, json.dumps(COUNTS)),
     "date '\u0662\u0660\u0662\u0666-10-03' is not a calendar date YYYY-MM-DD."),
    (("n1", D, H1 + "\n", json.dumps(COUNTS)), f"sha256 '{H1}\\n' is not a lower-case hex SHA-256."),
    (("n1\n", D, H1, json.dumps(COUNTS)), "node 'n1\\n' is not a valid id (letters, digits, . _ : @ -)."),
])
def test_anchor_refuses_bad_arguments(ledger, args, message):
    assert refused(ledger, "n1.admin", "Listening:Anchor", *args) == message


def test_correct_replaces_and_keeps_the_superseded(ledger):
    anchor(ledger)
    counts2 = {**COUNTS, "rows": 11}
    done = ledger.submit("n1.admin", "Listening:Correct", "n1", D, H2, json.dumps(counts2), "late uploads")
    first = {"sha256": H1, **COUNTS, "reason": "late uploads"}
    assert done.json() == {"corrected": True, "anchor": record(H2, counts2, superseded=[first])}
    assert ledger.block(done.block)["event"]["name"] == "Listening.Correct"
    before = ledger.state_hash()
    again = ledger.submit("n1.admin", "Listening:Correct", "n1", D, H2, json.dumps(counts2), "late uploads")
    assert again.json() == {"corrected": False, "anchor": record(H2, counts2, superseded=[first])}
    assert ledger.state_hash() == before
    ledger.submit("n1.admin", "Listening:Correct", "n1", D, H3, json.dumps(COUNTS), "duplicate rows")
    second = {"sha256": H2, **counts2, "reason": "duplicate rows"}
    assert json.loads(ledger.evaluate("n1.admin", "Listening:GetAnchor", "n1", D)) == record(
        H3, COUNTS, superseded=[first, second])
    assert anchor(ledger, H3).json()["anchored"] is False


def test_correct_refusals(ledger):
    assert refused(ledger, "n1.admin", "Listening:Correct", "n1", D, H2, json.dumps(COUNTS), "late") == (
        "node n1 has no anchor for 2026-10-03 to correct.")
    anchor(ledger)
    assert refused(ledger, "n1.admin", "Listening:Correct", "n1", D, H1, json.dumps(COUNTS), "late") == (
        f"node n1 already anchored 2026-10-03 with sha256 {H1} and these counts; there is nothing to correct.")
    assert refused(ledger, "n1.admin", "Listening:Correct", "n1", D, H2, json.dumps(COUNTS), "") == (
        "correcting the anchor of 2026-10-03 needs a reason.")


def test_a_sealed_month_keeps_its_anchors(ledger):
    anchor(ledger)
    ledger.submit("n1.admin", "Allocations:Seal", "2026-10", "n1", merkle.root([]), "0")
    sealed = "node n1 has sealed 2026-10; its anchors can no longer change."
    assert refused(ledger, "n1.admin", "Listening:Anchor", "n1", "2026-10-04", H2, json.dumps(COUNTS)) == sealed
    assert refused(ledger, "n1.admin", "Listening:Correct", "n1", D, H2, json.dumps(COUNTS), "late") == sealed
    assert anchor(ledger).json()["anchored"] is False
    anchor(ledger, date="2026-11-01")
    anchor(ledger, node="n2")


def test_list_anchors_of_a_month(ledger):
    anchor(ledger, H2, date="2026-10-10")
    anchor(ledger, H1, date="2026-10-02")
    anchor(ledger, H3, date="2026-11-01")
    anchor(ledger, H3, node="n2")
    listed = json.loads(ledger.evaluate("n4.arbitrator", "Listening:ListAnchors", "n1", "2026-10"))
    assert listed == [record(H1, date="2026-10-02"), record(H2, date="2026-10-10")]
    assert json.loads(ledger.evaluate("n1.admin", "Listening:ListAnchors", "n1", "2026-09")) == []
    with pytest.raises(LedgerRejected) as caught:
        ledger.evaluate("n1.admin", "Listening:GetAnchor", "n1", "2026-10-05")
    assert caught.value.message == "node n1 has no anchor for 2026-10-05."


@pytest.mark.parametrize(("function", "args"), [
    ("Listening:Anchor", ("n1", D, H2, json.dumps(COUNTS))),
    ("Listening:Correct", ("n1", D, H2, json.dumps(COUNTS), "late")),
])
@pytest.mark.parametrize(("identity", "message"), [
    ("n2.admin", "Org2MSP is node n2 and may not act for node n1."),
    ("n4.admin", "Org4MSP is node n4 and may not act for node n1."),
    ("n1.reviewer", "Org1MSP identity with reviewer may not do this; it needs the role admin."),
    ("n1.auditor", "Org1MSP identity with auditor may not do this; it needs the role admin."),
    ("n1.arbitrator", "Org1MSP identity with arbitrator may not do this; it needs the role admin."),
])
def test_only_the_node_admin_anchors(ledger, function, args, identity, message):
    anchor(ledger)
    assert refused(ledger, identity, function, *args) == message
