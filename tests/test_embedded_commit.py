"""Endorse then commit on the embedded ledger: an endorsed result is committed only if running its
proposal again reproduces it."""

import json

import pytest

from admin.errors import LedgerRejected
from admin.client import ENDORSEMENTS_DISAGREE, Prepared

COUNTS = json.dumps({"rows": 3, "listeners": 2, "plays": 3, "seconds": 600})
HONEST, FORGED = "a" * 64, "b" * 64


def test_an_endorsed_transaction_is_committed_as_submitted(ledger):
    prepared = ledger.endorse("n1.admin", "Listening:Anchor", "n1", "2026-03-01", HONEST, COUNTS)
    height = ledger.height()
    committed = ledger.commit(prepared)
    assert (committed.txid, committed.block) == (prepared.txid, height)
    assert committed.payload == prepared.transaction["response"]
    assert json.loads(ledger.evaluate("n1.admin", "Listening:GetAnchor", "n1", "2026-03-01"))["sha256"] == HONEST
    assert ledger.verify().problems == []


def test_a_result_its_proposal_does_not_yield_is_refused(ledger):
    prepared = ledger.endorse("n1.admin", "Listening:Anchor", "n1", "2026-03-01", HONEST, COUNTS)
    forged = ledger.endorse("n1.admin", "Listening:Anchor", "n1", "2026-03-01", FORGED, COUNTS).transaction
    body = {**prepared.transaction, "response": forged["response"], "writes": forged["writes"]}
    before = ledger.state_hash(), ledger.height()
    with pytest.raises(LedgerRejected) as refused:
        ledger.commit(Prepared("n1.admin", "Listening:Anchor", prepared.txid, body))
    assert refused.value.message == ENDORSEMENTS_DISAGREE
    assert (ledger.state_hash(), ledger.height()) == before
