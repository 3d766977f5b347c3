"""Subscriptions contract on the embedded ledger: records, batches, expiry, access and refusals."""

import hashlib
import json

import pytest

from chaincode import records

from admin.errors import LedgerRejected
from conftest import NOT_N1_ADMIN, refused

M = "2026-10"
PRICE = 10_000_000


def pay(number: int) -> str:
    """The keyed hash a payment reference reaches the chain as (here: any 64 hex digits)."""
    return hashlib.sha256(f"pay-{number}".encode()).hexdigest()


def sub(listener, ref, status="paid", node="n1", month=M, amount=PRICE):
    return {"amount_micro": amount, "listener": listener, "month": month, "node": node,
            "payment_hash": ref, "status": status}


def record(ledger, listener, ref, status="paid", node="n1", month=M, amount=PRICE):
    return ledger.submit(f"{node}.admin", "Subscriptions:Record", month, node, listener, ref, str(amount), status)


def mark_settled(ledger, month):
    """Stand in for the Settlement contract: write ("settlement", month) straight into the store."""
    ledger.store.commit({"timestamp_ns": 0, "txid": f"test-settle-{month}"},
                        {records.SETTLEMENT.key(month): json.dumps({"month": month}).encode()})


def event(ledger, committed):
    return ledger.block(committed.block)["event"]


def test_record_writes_the_subscription_and_its_payment_reference(ledger):
    done = record(ledger, "p1", pay(1))
    assert done.payload == json.dumps({"recorded": True, "subscription": sub("p1", pay(1))},
                                      separators=(",", ":"), sort_keys=True)
    assert event(ledger, done) == {"name": "Subscriptions.Record",
                                   "payload": '{"listener":"p1","month":"2026-10","node":"n1","status":"paid"}'}
    assert json.loads(ledger.evaluate("n3.auditor", "Subscriptions:Get", M, "n1", "p1")) == sub("p1", pay(1))
    state = dict(ledger.state_items())
    assert state[f"\x00payref\x00{pay(1)}\x00"] == b'{"listener":"p1","month":"2026-10","node":"n1"}'
    assert state["\x00sub\x002026-10\x00n1\x00p1\x00"] == json.dumps(
        sub("p1", pay(1)), separators=(",", ":"), sort_keys=True).encode()


def test_record_again_is_a_no_op(ledger):
    record(ledger, "p1", pay(1), status="renewed")
    before = ledger.state_hash()
    again = record(ledger, "p1", pay(1), status="renewed")
    assert again.json() == {"recorded": False, "subscription": sub("p1", pay(1), status="renewed")}
    assert ledger.state_hash() == before
    assert event(ledger, again) is None


def test_list_is_by_listener_and_per_node(ledger):
    record(ledger, "p2", pay(2))
    record(ledger, "p1", pay(1))
    record(ledger, "p1", pay(3), node="n2")
    listed = json.loads(ledger.evaluate("n4.reviewer", "Subscriptions:List", M, "n1"))
    assert listed == [sub("p1", pay(1)), sub("p2", pay(2))]
    assert json.loads(ledger.evaluate("n1.arbitrator", "Subscriptions:List", M, "n2")) == [
        sub("p1", pay(3), node="n2")]
    assert json.loads(ledger.evaluate("n1.admin", "Subscriptions:List", "2026-11", "n1")) == []


@pytest.mark.parametrize(("args", "message"), [
    ((M, "n1", "p1", pay(1), "9000000", "paid"),
     "amount 9000000 for listener p1 does not equal the 2026-10 price 10000000."),
    ((M, "n1", "p1", pay(1), "10.00", "paid"), "amount_micro '10.00' is not a whole number of at least 0."),
    ((M, "n1", "p1", pay(1), "-5", "paid"), "amount_micro -5 is not a whole number of at least 0."),
    ((M, "n1", "p1", pay(1), str(PRICE), "expired"), "status 'expired' is not one of paid, renewed."),
    (("2026-13", "n1", "p1", pay(1), str(PRICE), "paid"), "month '2026-13' is not of the form YYYY-MM."),
    ((M, "n1", "alice smith", pay(1), str(PRICE), "paid"),
     "listener 'alice smith' is not a valid id (letters, digits, . _ : @ -)."),
    ((M, "n1", "p1", "", str(PRICE), "paid"),
     "payment_hash '' is not a lower-case hex SHA-256."),
    ((M, "n1", "p1", "pay-1", str(PRICE), "paid"), "payment_hash 'pay-1' is not a lower-case hex SHA-256."),
    ((M, "n9", "p1", pay(1), str(PRICE), "paid"), "node n9 is not registered."),
    (("2025-12", "n1", "p1", pay(1), str(PRICE), "paid"), "no policy is in force for 2025-12."),
])
def test_record_refuses_bad_arguments(ledger, args, message):
    assert refused(ledger, "n1.admin", "Subscriptions:Record", *args) == message


def test_a_payment_reference_pays_once_in_the_whole_ledger(ledger):
    record(ledger, "p1", pay(1))
    expected = f"the payment with keyed hash {pay(1)} was already used for listener p1 for 2026-10 at node n1."
    assert refused(ledger, "n1.admin", "Subscriptions:Record", M, "n1", "p2", pay(1), str(PRICE), "paid") == expected
    assert refused(ledger, "n2.admin", "Subscriptions:Record", "2026-11", "n2", "q1", pay(1), str(PRICE),
                   "paid") == expected
    assert refused(ledger, "n1.admin", "Subscriptions:Record", M, "n1", "p1", pay(1), str(PRICE),
                   "renewed") == expected


def test_one_subscription_per_listener_month_and_node(ledger):
    record(ledger, "p1", pay(1))
    assert refused(ledger, "n1.admin", "Subscriptions:Record", M, "n1", "p1", pay(2), str(PRICE), "paid") == (
        f"listener p1 already has a subscription for 2026-10 at node n1 (payment {pay(1)}, paid).")
    record(ledger, "p1", pay(2), month="2026-11")
    record(ledger, "p1", pay(3), node="n2")


def test_nothing_is_recorded_once_the_month_is_settled(ledger):
    record(ledger, "p1", pay(1))
    mark_settled(ledger, M)
    assert refused(ledger, "n1.admin", "Subscriptions:Record", M, "n1", "p2", pay(2), str(PRICE), "paid") == (
        "2026-10 is settled; its subscriptions can no longer change.")
    assert refused(ledger, "n1.admin", "Subscriptions:RecordBatch", M, "n1", f'[["p2","{pay(2)}",10000000,"paid"]]') == (
        "2026-10 is settled; its subscriptions can no longer change.")
    assert refused(ledger, "n1.admin", "Subscriptions:Expire", M, "n1", "p1", "chargeback") == (
        "2026-10 is settled; its subscriptions can no longer change.")
    assert record(ledger, "p1", pay(1)).json()["recorded"] is False


def test_record_batch_is_all_or_nothing_and_counts(ledger):
    record(ledger, "p1", pay(1))
    entries = [["p3", pay(3), PRICE, "renewed"], ["p1", pay(1), PRICE, "paid"], ["p2", pay(2), PRICE, "paid"]]
    done = ledger.submit("n1.admin", "Subscriptions:RecordBatch", M, "n1", json.dumps(entries))
    assert done.payload == '{"month":"2026-10","node":"n1","recorded":2,"unchanged":1}'
    assert event(ledger, done) == {"name": "Subscriptions.RecordBatch", "payload": done.payload}
    assert json.loads(ledger.evaluate("n1.admin", "Subscriptions:List", M, "n1")) == [
        sub("p1", pay(1)), sub("p2", pay(2)), sub("p3", pay(3), status="renewed")]
    before = ledger.state_hash()
    again = ledger.submit("n1.admin", "Subscriptions:RecordBatch", M, "n1", json.dumps(entries))
    assert again.payload == '{"month":"2026-10","node":"n1","recorded":0,"unchanged":3}'
    assert ledger.state_hash() == before


@pytest.mark.parametrize(("entries", "message"), [
    (f'[["p4","{pay(4)}",10000000,"paid"],["p5","{pay(5)}",9999999,"paid"]]',
     "amount 9999999 for listener p5 does not equal the 2026-10 price 10000000."),
    (f'[["p4","{pay(4)}",10000000,"paid"],["p5","{pay(1)}",10000000,"paid"]]',
     f"the payment with keyed hash {pay(1)} was already used for listener p1 for 2026-10 at node n1."),
    (f'[["p4","{pay(4)}",10000000,"paid"],["p4","{pay(5)}",10000000,"paid"]]', "listener p4 appears twice in the batch."),
    (f'[["p4","{pay(4)}",10000000,"paid"],["p5","{pay(4)}",10000000,"paid"]]',
     f"payment {pay(4)} appears twice in the batch."),
    (f'[["p4","{pay(4)}",10000000,"paid"],["p5","{pay(5)}",10000000]]',
     "entry 2 is not [listener, payment_hash, amount_micro, status]."),
    (f'[["p4","{pay(4)}",10.0,"paid"]]',
     "entries is not valid JSON: a decimal number 10.0 is not allowed here; amounts are integer micro-units."),
    (f'[["p4","{pay(4)}",10000000,"paid"]', "entries is not valid JSON: Expecting ',' delimiter: line 1 column 91 (char 90)."),
    ("[]", "entries must be a non-empty JSON list of [listener, payment_hash, amount_micro, status]."),
    ('{"p4":"x"}', "entries must be a non-empty JSON list of [listener, payment_hash, amount_micro, status]."),
])
def test_record_batch_refuses_the_whole_batch(ledger, entries, message):
    record(ledger, "p1", pay(1))
    assert refused(ledger, "n1.admin", "Subscriptions:RecordBatch", M, "n1", entries) == message


def test_record_batch_limits_its_size(ledger):
    entries = json.dumps([[f"p{i}", pay(i), PRICE, "paid"] for i in range(5001)])
    assert refused(ledger, "n1.admin", "Subscriptions:RecordBatch", M, "n1", entries) == (
        "entries holds 5001 subscriptions, more than 5000 in one batch.")


def test_expire_is_a_chargeback_and_the_reference_stays_used(ledger):
    record(ledger, "p1", pay(1))
    done = ledger.submit("n1.admin", "Subscriptions:Expire", M, "n1", "p1", "chargeback 42")
    assert done.json() == {"expired": True, "subscription": sub("p1", pay(1), status="expired")}
    assert event(ledger, done) == {"name": "Subscriptions.Expire", "payload":
                                   '{"listener":"p1","month":"2026-10","node":"n1","reason":"chargeback 42"}'}
    before = ledger.state_hash()
    again = ledger.submit("n1.admin", "Subscriptions:Expire", M, "n1", "p1", "chargeback 42")
    assert again.json() == {"expired": False, "subscription": sub("p1", pay(1), status="expired")}
    assert ledger.state_hash() == before
    assert refused(ledger, "n1.admin", "Subscriptions:Record", M, "n1", "p2", pay(1), str(PRICE), "paid") == (
        f"the payment with keyed hash {pay(1)} was already used for listener p1 for 2026-10 at node n1.")
    assert refused(ledger, "n1.admin", "Subscriptions:Record", M, "n1", "p1", pay(1), str(PRICE), "paid") == (
        f"the payment with keyed hash {pay(1)} was already used for listener p1 for 2026-10 at node n1.")


def test_expire_refusals(ledger):
    record(ledger, "p1", pay(1))
    assert refused(ledger, "n1.admin", "Subscriptions:Expire", M, "n1", "p2", "chargeback") == (
        "listener p2 has no subscription for 2026-10 at node n1.")
    assert refused(ledger, "n1.admin", "Subscriptions:Expire", M, "n1", "p1", "  ") == (
        "expiring listener p1 needs a reason.")
    ledger.submit("n1.admin", "Allocations:SubmitBatch", M, "n1", "1", '[["p1",[["a1",60]]]]')
    assert refused(ledger, "n1.admin", "Subscriptions:Expire", M, "n1", "p1", "chargeback") == (
        "listener p1 is already allocated for 2026-10 at node n1 in batch 1; the subscription can no longer expire.")


SUBMITS = [
    ("Subscriptions:Record", (M, "n1", "p1", pay(1), str(PRICE), "paid")),
    ("Subscriptions:RecordBatch", (M, "n1", f'[["p1","{pay(1)}",10000000,"paid"]]')),
    ("Subscriptions:Expire", (M, "n1", "p1", "chargeback")),
]


@pytest.mark.parametrize(("function", "args"), SUBMITS)
@pytest.mark.parametrize(("identity", "message"), NOT_N1_ADMIN)
def test_only_the_node_admin_writes(ledger, function, args, identity, message):
    record(ledger, "p1", pay(1))
    assert refused(ledger, identity, function, *args) == message


def test_queries_need_a_member_and_name_what_is_missing(bare_ledger):
    with pytest.raises(LedgerRejected) as caught:
        bare_ledger.evaluate("n1.auditor", "Subscriptions:List", M, "n1")
    assert caught.value.message == "organisation Org1MSP is not a node of the consortium."


def test_get_missing(ledger):
    with pytest.raises(LedgerRejected) as caught:
        ledger.evaluate("n2.auditor", "Subscriptions:Get", M, "n1", "p7")
    assert caught.value.message == "listener p7 has no subscription for 2026-10 at node n1."
