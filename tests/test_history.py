"""History:ForKey and ForKeys on the embedded ledger (the same contract code answers on Fabric): a key's
writes as the stub's key history yields them, the shape of ``key_histories`` without block numbers."""

import json

import pytest

from admin.errors import LedgerRejected
from chaincode.contracts.history import MAX_KEY, MAX_KEYS

D, H1, H2 = "2026-10-03", "a" * 64, "b" * 64
COUNTS = json.dumps({"listeners": 3, "plays": 8, "rows": 10, "seconds": 1500})
ANCHOR = "\x00anchor\x00n1\x002026-10-03\x00"


def for_key(ledger, key: str, identity: str = "n3.auditor") -> list[dict]:
    return json.loads(ledger.evaluate(identity, "History:ForKey", key))


def without_blocks(history: list[dict]) -> list[dict]:
    return [{k: v for k, v in entry.items() if k != "block"} for entry in history]


def test_every_write_newest_first_as_the_block_store_has_it(ledger):
    first = ledger.submit("n1.admin", "Listening:Anchor", "n1", D, H1, COUNTS)
    second = ledger.submit("n1.admin", "Listening:Correct", "n1", D, H2, COUNTS, "late uploads")
    answer = for_key(ledger, ANCHOR)
    assert [w["txid"] for w in answer] == [second.txid, first.txid]
    assert json.loads(answer[0]["value"])["sha256"] == H2 and not answer[0]["is_delete"]
    assert answer == without_blocks(ledger.key_histories("n3.auditor", [ANCHOR])[ANCHOR])
    assert for_key(ledger, "\x00anchor\x00n1\x002026-10-04\x00", "n1.reviewer") == []


def test_only_consortium_members_may_read_a_history(bare_ledger):
    with pytest.raises(LedgerRejected) as caught:
        bare_ledger.evaluate("n1.auditor", "History:ForKey", ANCHOR)
    assert caught.value.message == "organisation Org1MSP is not a node of the consortium."


@pytest.mark.parametrize("key", ["", "k" * (MAX_KEY + 1)])
def test_a_key_must_be_given_and_short(ledger, key):
    with pytest.raises(LedgerRejected) as caught:
        ledger.evaluate("n3.auditor", "History:ForKey", key)
    assert caught.value.message == f"key must be 1 to {MAX_KEY} characters long."


def test_for_keys_answers_each_key_as_for_key(ledger):
    ledger.submit("n1.admin", "Listening:Anchor", "n1", D, H1, COUNTS)
    ledger.submit("n1.admin", "Listening:Correct", "n1", D, H2, COUNTS, "late uploads")
    missing = "\x00anchor\x00n1\x002026-10-04\x00"
    answer = json.loads(ledger.evaluate("n3.auditor", "History:ForKeys", json.dumps([ANCHOR, missing, ANCHOR])))
    assert answer == {ANCHOR: for_key(ledger, ANCHOR), missing: []}
    assert {k: without_blocks(v) for k, v in ledger.key_histories("n3.auditor", [missing, ANCHOR]).items()} == answer


@pytest.mark.parametrize("keys, message", [
    ("[]", f"keys must be a JSON array of 1 to {MAX_KEYS} keys."),
    (json.dumps(["k"] * (MAX_KEYS + 1)), f"keys must be a JSON array of 1 to {MAX_KEYS} keys."),
    ('{"k": 1}', f"keys must be a JSON array of 1 to {MAX_KEYS} keys."),
    ('["k", 5]', f"key must be 1 to {MAX_KEY} characters long."),
    ('["k", ""]', f"key must be 1 to {MAX_KEY} characters long."),
    ("[k]", "keys is not valid JSON: Expecting value: line 1 column 2 (char 1)."),
])
def test_for_keys_refuses_a_bad_list(ledger, keys, message):
    with pytest.raises(LedgerRejected) as caught:
        ledger.evaluate("n3.auditor", "History:ForKeys", keys)
    assert caught.value.message == message


def test_only_consortium_members_may_read_histories(bare_ledger):
    with pytest.raises(LedgerRejected) as caught:
        bare_ledger.evaluate("n1.auditor", "History:ForKeys", json.dumps([ANCHOR]))
    assert caught.value.message == "organisation Org1MSP is not a node of the consortium."
