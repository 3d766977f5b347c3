"""Refusal kinds travel as chaincode statuses: the client raises one LedgerRejected subclass per kind."""

import json

import pytest

from admin.errors import (AccessRejected, ConflictRejected, InvalidArgumentRejected, LedgerRejected,
                          NotFoundRejected)
from conftest import consortium

ANCHOR = ("n1", "2026-10-03", "a" * 64, json.dumps({"rows": 1, "listeners": 1, "plays": 1, "seconds": 60}))


def kind_of(call, *args) -> tuple[type, int | None, str]:
    with pytest.raises(LedgerRejected) as caught:
        call(*args)
    return type(caught.value), caught.value.status, caught.value.message


def test_each_kind_has_its_status(ledger):
    assert kind_of(ledger.submit, "n1.reviewer", "Listening:Anchor", *ANCHOR) == (
        AccessRejected, 403, "Org1MSP identity with reviewer may not do this; it needs the role admin.")
    assert kind_of(ledger.evaluate, "n1.auditor", "Listening:GetAnchor", "n1", "2026-10-03") == (
        NotFoundRejected, 404, "node n1 has no anchor for 2026-10-03.")
    assert kind_of(ledger.submit, "n1.admin", "Listening:Anchor", "n1", "2026-10-32", *ANCHOR[2:]) == (
        InvalidArgumentRejected, 400, "date '2026-10-32' is not a calendar date YYYY-MM-DD.")
    ledger.submit("n1.admin", "Listening:Anchor", *ANCHOR)
    assert kind_of(ledger.submit, "n1.admin", "Listening:Anchor", *ANCHOR[:2], "b" * 64, ANCHOR[3])[:2] == (
        ConflictRejected, 409)


def test_wrong_arity_is_an_invalid_argument(ledger):
    assert kind_of(ledger.submit, "n1.admin", "Listening:Anchor", "n1") == (
        InvalidArgumentRejected, 400,
        "Listening:Anchor takes 4 argument(s) (node, date, sha256, counts), got 1.")


def test_a_second_bootstrap_with_other_content_is_a_conflict(ledger):
    other = {**consortium(), "clusters": [{"id": "A"}, {"id": "B"}, {"id": "C"}]}
    assert kind_of(ledger.submit, "n1.admin", "Registry:Bootstrap", json.dumps(other))[:2] == (ConflictRejected, 409)
