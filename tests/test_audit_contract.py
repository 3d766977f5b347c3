"""Audit contract on the embedded ledger: anchoring a settled month's audit document."""

import json

import pytest

from admin.errors import LedgerRejected
from chaincode.contracts.audit import document_sha256
from conftest import refused
from settlement_script import MONTH, reviewed_month

FILES = {"audit-2026-10.html": "a" * 64, "audit-2026-10.pdf": "b" * 64}
SHA = document_sha256(MONTH, 7, FILES)


def anchor(ledger, identity="n3.auditor", sha=SHA, block="7", files=FILES, month=MONTH):
    return ledger.submit(identity, "Audit:AnchorDocument", month, sha, block, json.dumps(files))


@pytest.fixture
def settled(ledger):
    reviewed_month(ledger)
    ledger.submit("n1.admin", "Settlement:Settle", MONTH)
    return ledger


def test_an_auditor_anchors_the_document(settled):
    done = anchor(settled).json()
    record = {"anchored_by": "n3", "as_of_block": 7, "files": FILES, "month": MONTH, "sha256": SHA}
    assert done == {"anchored": True, "document": record}
    assert json.loads(settled.evaluate("n1.reviewer", "Audit:GetDocument", MONTH, SHA)) == [record]
    assert json.loads(settled.evaluate("n2.auditor", "Audit:ListDocuments", MONTH)) == [record]
    assert json.loads(settled.evaluate("n2.auditor", "Audit:ListDocuments", "2026-11")) == []


def test_the_same_document_again_is_a_no_op(settled):
    anchor(settled)
    before = settled.state_hash()
    assert anchor(settled).json() == {"anchored": False, "document": {
        "anchored_by": "n3", "as_of_block": 7, "files": FILES, "month": MONTH, "sha256": SHA}}
    assert settled.state_hash() == before


def test_another_node_anchors_the_same_document_separately(settled):
    anchor(settled)
    anchor(settled, "n1.admin")
    found = json.loads(settled.evaluate("n2.auditor", "Audit:GetDocument", MONTH, SHA))
    assert [r["anchored_by"] for r in found] == ["n1", "n3"]


def test_a_newer_rendering_of_the_same_chain_state_is_anchored_beside_the_first(settled):
    anchor(settled)
    other = {**FILES, "audit-2026-10.pdf": "c" * 64}
    newer = document_sha256(MONTH, 7, other)
    assert anchor(settled, sha=newer, files=other).json()["anchored"] is True
    listed = json.loads(settled.evaluate("n2.auditor", "Audit:ListDocuments", MONTH))
    assert sorted((d["sha256"], d["as_of_block"]) for d in listed) == sorted([(SHA, 7), (newer, 7)])
    assert [d["files"] for d in json.loads(settled.evaluate("n2.auditor", "Audit:GetDocument", MONTH, newer))] == [
        other]
    assert [d["files"] for d in json.loads(settled.evaluate("n2.auditor", "Audit:GetDocument", MONTH, SHA))] == [
        FILES]


def test_documents_are_listed_by_the_block_their_figures_are_as_of(settled):
    later = document_sha256(MONTH, 9, FILES)  # its SHA-256 sorts before SHA's: key order is not block order
    anchor(settled, sha=later, block="9")
    anchor(settled)
    listed = json.loads(settled.evaluate("n2.auditor", "Audit:ListDocuments", MONTH))
    assert [(d["as_of_block"], d["sha256"]) for d in listed] == [(7, SHA), (9, later)]


@pytest.mark.parametrize(("args", "message"), [
    ((MONTH, "f" * 64, "7", json.dumps(FILES)), f"sha256 {'f' * 64} is not the SHA-256 {SHA} of the document's manifest."),
    ((MONTH, SHA, "-1", json.dumps(FILES)), "as_of_block -1 is not a whole number of at least 0."),
    ((MONTH, SHA, "7", "{}"), "files must be a JSON object of 1 to 32 file names and their SHA-256."),
    ((MONTH, SHA, "7", '{"a b": "x"}'), "file name 'a b' is not a valid id (letters, digits, . _ : @ -)."),
    ((MONTH, SHA, "7", '{"a.pdf": "X"}'), "sha256 of a.pdf 'X' is not a lower-case hex SHA-256."),
    (("2026-13", SHA, "7", json.dumps(FILES)), "month '2026-13' is not of the form YYYY-MM."),
])
def test_bad_arguments_are_refused(settled, args, message):
    assert refused(settled, "n3.auditor", "Audit:AnchorDocument", *args) == message


def test_an_unsettled_month_has_no_document(ledger):
    sha = document_sha256("2026-11", 7, FILES)
    assert refused(ledger, "n3.auditor", "Audit:AnchorDocument", "2026-11", sha, "7", json.dumps(FILES)) == (
        "2026-11 is not settled; it has no audit document to anchor.")


@pytest.mark.parametrize(("identity", "message"), [
    ("n1.reviewer", "Org1MSP identity with reviewer may not do this; it needs the role auditor or admin."),
    ("n2.arbitrator", "Org2MSP identity with arbitrator may not do this; it needs the role auditor or admin."),
])
def test_only_auditors_and_admins_anchor(settled, identity, message):
    assert refused(settled, identity, "Audit:AnchorDocument", MONTH, SHA, "7", json.dumps(FILES)) == message


def test_an_unknown_document_is_not_found(settled):
    with pytest.raises(LedgerRejected, match=f"no audit document of 2026-10 with sha256 {SHA} is anchored."):
        settled.evaluate("n2.auditor", "Audit:GetDocument", MONTH, SHA)
