"""Allocations contract on the embedded ledger: the payout rule, batches, sealing, access and refusals."""

import hashlib
import json

import pytest

from admin.errors import LedgerRejected
from chaincode import merkle, records
from conftest import NOT_N1_ADMIN, refused

M = "2026-10"
PRICE, SHARE = 10_000_000, 9_000_000


def subscribe(ledger, *listeners, node="n1"):
    entries = [[p, hashlib.sha256(f"pay-{node}-{p}".encode()).hexdigest(), PRICE, "paid"] for p in listeners]
    ledger.submit(f"{node}.admin", "Subscriptions:RecordBatch", M, node, json.dumps(entries))


def submit(ledger, batch, entries, node="n1"):
    return ledger.submit(f"{node}.admin", "Allocations:SubmitBatch", M, node, str(batch), json.dumps(entries))


def allocation(ledger, listener, node="n1"):
    return json.loads(ledger.evaluate("n3.auditor", "Allocations:GetAllocation", M, node, listener))


def root_of(allocations):
    """The Merkle root of {listener: [[artist, weight, amount], ...]} computed independently."""
    return merkle.root([merkle.leaf(listener, [[a, w] for a, w, _ in allocations[listener]])
                        for listener in sorted(allocations)])


def mark_settled(ledger, month):
    """Stand in for the Settlement contract: write ("settlement", month) straight into the store."""
    ledger.store.commit({"timestamp_ns": 0, "txid": f"test-settle-{month}"},
                        {records.SETTLEMENT.key(month): json.dumps({"month": month, "nodes": {}}).encode()})


ELEVEN = [["k", 3], ["b9", 1], ["b8", 1], ["b7", 1], ["b6", 1], ["b5", 1], ["b4", 1], ["b3", 1], ["b2", 1],
          ["b1", 1], ["j", 3]]
ENTRIES = [
    ["p3", ELEVEN],
    ["p1", [["a3", 60], ["a1", 60], ["a2", 60]]],
    ["p2", [["a2", 30], ["a1", 60]]],
    ["p4", [["c1", 1], ["c2", 1], ["c3", 1], ["c4", 1], ["c5", 1], ["c6", 1], ["c7", 1], ["d1", 2], ["d2", 2]]],
    ["p5", [["e7", 5], ["e6", 5], ["e5", 5], ["e4", 5], ["e3", 5], ["e2", 5], ["e1", 5]]],
]
EXPECTED = {
    # equal weights: 9,000,000 / 3 each
    "p1": [["a1", 60, 3_000_000], ["a2", 60, 3_000_000], ["a3", 60, 3_000_000]],
    # weights 2:1
    "p2": [["a1", 60, 6_000_000], ["a2", 30, 3_000_000]],
    # 11 artists: j and k, then the first 7 of b1..b9 by id; 5 leftover units to b1..b5 (ties by id)
    "p3": [["j", 3, 2_076_923], ["k", 3, 2_076_923]] + [[f"b{i}", 1, 692_308] for i in range(1, 6)]
          + [["b6", 1, 692_307], ["b7", 1, 692_307]],
    # weights 2,2,1x7 of 11: 7 leftover units by largest remainder, to the seven weight-1 artists
    "p4": [["d1", 2, 1_636_363], ["d2", 2, 1_636_363]] + [[f"c{i}", 1, 818_182] for i in range(1, 8)],
    # seven equal weights: 2 leftover units to the lowest ids
    "p5": [["e1", 5, 1_285_715], ["e2", 5, 1_285_715]] + [[f"e{i}", 5, 1_285_714] for i in range(3, 8)],
}


def normalised_sha(entries):
    body = sorted([[listener, sorted(pairs, key=lambda p: (-p[1], p[0]))] for listener, pairs in entries])
    return hashlib.sha256(json.dumps(body, separators=(",", ":")).encode()).hexdigest()


def test_the_payout_rule_is_exact(ledger):
    subscribe(ledger, "p1", "p2", "p3", "p4", "p5")
    done = submit(ledger, 1, ENTRIES)
    for listener, artists in EXPECTED.items():
        assert allocation(ledger, listener) == {"artists": artists, "batch": 1}
        assert sum(amount for _, _, amount in artists) == SHARE
    totals = {}
    for artists in EXPECTED.values():
        for artist, _, amount in artists:
            totals[artist] = totals.get(artist, 0) + amount
    batch = {"artists": totals, "batch": 1, "listeners": 5, "month": M, "node": "n1",
             "sha256": normalised_sha(ENTRIES), "total_micro": 5 * SHARE}
    assert done.json() == {"submitted": True, "batch": batch}
    assert ledger.block(done.block)["event"] == {"name": "Allocations.SubmitBatch", "payload": json.dumps(
        {"batch": 1, "listeners": 5, "month": M, "node": "n1", "sha256": batch["sha256"],
         "total_micro": 45_000_000}, separators=(",", ":"))}
    assert json.loads(ledger.evaluate("n2.reviewer", "Allocations:ListBatches", M, "n1")) == [batch]
    assert "\x00allocbatch\x002026-10\x00n1\x00000001\x00" in dict(ledger.state_items())


def test_the_same_batch_again_is_a_no_op_and_other_content_is_refused(ledger):
    subscribe(ledger, "p1", "p2", "p3")
    first = submit(ledger, 1, ENTRIES[1:3]).json()["batch"]
    before = ledger.state_hash()
    reordered = [["p2", [["a1", 60], ["a2", 30]]], ["p1", [["a1", 60], ["a2", 60], ["a3", 60]]]]
    assert submit(ledger, 1, reordered).json() == {"submitted": False, "batch": first}
    assert ledger.state_hash() == before
    assert refused(ledger, "n1.admin", "Allocations:SubmitBatch", M, "n1", "1",
                   json.dumps([["p1", [["a1", 61]]]])) == (
        f"batch 1 of node n1 for 2026-10 was already submitted with other content (sha256 {first['sha256']}).")
    assert refused(ledger, "n1.admin", "Allocations:SubmitBatch", M, "n1", "2",
                   json.dumps([["p3", [["a1", 1]]], ["p2", [["a1", 1]]]])) == (
        "listener p2 is already allocated for 2026-10 at node n1 in batch 1.")
    submit(ledger, 2, [["p3", [["a1", 1]]]])


def test_only_paid_subscribers_are_allocated(ledger):
    subscribe(ledger, "p1", "p2")
    subscribe(ledger, "q1", node="n2")
    ledger.submit("n1.admin", "Subscriptions:Expire", M, "n1", "p2", "chargeback")
    for listener in ("p9", "p2", "q1"):
        assert refused(ledger, "n1.admin", "Allocations:SubmitBatch", M, "n1", "1",
                       json.dumps([["p1", [["a1", 60]]], [listener, [["a1", 60]]]])) == (
            f"listener {listener} has no paid subscription for 2026-10 at node n1; unsubscribed plays count for nothing.")


@pytest.mark.parametrize(("batch", "entries", "message"), [
    ("1", '[["p1",[["a1",60],["a1",30]]]]', "artist a1 appears twice for listener p1."),
    ("1", '[["p1",[["a1",60]]],["p1",[["a2",30]]]]', "listener p1 appears twice in batch 1."),
    ("1", '[["p1",[["a1",0]]]]', "weight 0 of artist a1 for listener p1 is not a positive whole number."),
    ("1", '[["p1",[["a1","60"]]]]', "weight '60' of artist a1 for listener p1 is not a positive whole number."),
    ("1", '[["p1",[["a1",60.5]]]]',
     "entries is not valid JSON: a decimal number 60.5 is not allowed here; amounts are integer micro-units."),
    ("1", '[["p1",[]]]', "listener p1 has no artists; leave out listeners without counted plays."),
    ("1", '[["p1",[["a1"]]]]', "listener p1 has an artist entry ['a1'] that is not [artist_id, weight]."),
    ("1", '[["p1",[["a 1",5]]]]', "artist id 'a 1' is not a valid id (letters, digits, . _ : @ -)."),
    ("2", '[["p1"]]', "entry 1 of batch 2 is not [listener, [[artist_id, weight], ...]]."),
    ("1", "[]", "entries must be a non-empty JSON list of [listener, [[artist_id, weight], ...]]."),
    ("1", '[["p1",[["a1",60]]]', "entries is not valid JSON: Expecting ',' delimiter: line 1 column 20 (char 19)."),
    ("0", '[["p1",[["a1",60]]]]', "batch 0 is not a whole number of at least 1."),
    ("one", '[["p1",[["a1",60]]]]', "batch 'one' is not a whole number of at least 1."),
    ("1000000", '[["p1",[["a1",60]]]]', "batch 1000000 is more than 999999."),
])
def test_submit_batch_refuses_bad_entries(ledger, batch, entries, message):
    subscribe(ledger, "p1")
    assert refused(ledger, "n1.admin", "Allocations:SubmitBatch", M, "n1", batch, entries) == message


def test_seal_checks_the_batches_and_the_merkle_root(ledger):
    subscribe(ledger, "p1", "p2", "p3", "p4", "p5", "p6")
    submit(ledger, 2, ENTRIES[3:])
    root = root_of(EXPECTED)
    assert refused(ledger, "n1.admin", "Allocations:Seal", M, "n1", root, "2") == (
        "node n1 has submitted batches 2 for 2026-10, not batches 1..2.")
    submit(ledger, 1, ENTRIES[:3])
    assert refused(ledger, "n1.admin", "Allocations:Seal", M, "n1", root, "3") == (
        "node n1 has submitted batches 1, 2 for 2026-10, not batches 1..3.")
    wrong = root_of({k: v for k, v in EXPECTED.items() if k != "p5"})
    assert refused(ledger, "n1.admin", "Allocations:Seal", M, "n1", wrong, "2") == (
        f"merkle root {wrong} does not match the allocations on chain ({root}).")
    done = ledger.submit("n1.admin", "Allocations:Seal", M, "n1", root, "2")
    nodemonth = {"batches": 2, "listeners": 5, "merkle_root": root, "month": M, "node": "n1",
                 "status": "sealed", "superseded": [], "total_micro": 45_000_000, "version": 1}
    assert done.json() == {"sealed": True, "nodemonth": nodemonth}
    assert ledger.block(done.block)["event"]["name"] == "Allocations.Seal"
    assert json.loads(ledger.evaluate("n4.auditor", "Allocations:GetNodeMonth", M, "n1")) == nodemonth
    before = ledger.state_hash()
    assert ledger.submit("n1.admin", "Allocations:Seal", M, "n1", root, "2").json() == {
        "sealed": False, "nodemonth": nodemonth}
    assert ledger.state_hash() == before
    assert refused(ledger, "n1.admin", "Allocations:Seal", M, "n1", wrong, "2") == (
        f"node n1 already sealed 2026-10 with 2 batches and merkle root {root}.")
    assert refused(ledger, "n1.admin", "Allocations:SubmitBatch", M, "n1", "3", '[["p6",[["a1",60]]]]') == (
        "node n1 has sealed 2026-10; its allocations can no longer change.")
    assert submit(ledger, 1, ENTRIES[:3]).json()["submitted"] is False


def test_a_node_with_no_allocations_seals_the_empty_root(ledger):
    assert refused(ledger, "n2.admin", "Allocations:Seal", M, "n2", merkle.root([]), "1") == (
        "node n2 has submitted no batches for 2026-10, not batches 1..1.")
    done = ledger.submit("n2.admin", "Allocations:Seal", M, "n2", hashlib.sha256(b"").hexdigest(), "0")
    assert done.json()["nodemonth"] == {"batches": 0, "listeners": 0, "merkle_root": merkle.root([]),
                                        "month": M, "node": "n2", "status": "sealed", "superseded": [],
                                        "total_micro": 0, "version": 1}


def test_a_settled_month_refuses_allocations(ledger):
    subscribe(ledger, "p1")
    submit(ledger, 1, [["p1", [["a1", 60]]]])
    mark_settled(ledger, M)
    assert refused(ledger, "n1.admin", "Allocations:SubmitBatch", M, "n1", "2", '[["p2",[["a1",60]]]]') == (
        "2026-10 is settled; its allocations can no longer change.")
    root = root_of({"p1": [["a1", 60, SHARE]]})
    assert refused(ledger, "n1.admin", "Allocations:Seal", M, "n1", root, "1") == (
        "2026-10 is settled; its allocations can no longer change.")


def test_queries_name_what_is_missing(ledger):
    for function, args, message in [
        ("Allocations:GetAllocation", (M, "n1", "p1"), "listener p1 has no allocation for 2026-10 at node n1."),
        ("Allocations:GetNodeMonth", (M, "n1"), "node n1 has not sealed 2026-10."),
    ]:
        with pytest.raises(LedgerRejected) as caught:
            ledger.evaluate("n2.arbitrator", function, *args)
        assert caught.value.message == message
    assert ledger.evaluate("n2.arbitrator", "Allocations:ListBatches", M, "n1") == "[]"


@pytest.mark.parametrize(("function", "args"), [
    ("Allocations:SubmitBatch", (M, "n1", "1", '[["p1",[["a1",60]]]]')),
    ("Allocations:Seal", (M, "n1", "0" * 64, "1")),
])
@pytest.mark.parametrize(("identity", "message"), NOT_N1_ADMIN)
def test_only_the_node_admin_allocates(ledger, function, args, identity, message):
    subscribe(ledger, "p1")
    assert refused(ledger, identity, function, *args) == message
