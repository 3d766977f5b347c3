"""Properties of the money: splits, top-N, the settlement invariant, and determinism across processes."""

import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chaincode import rules, settle
from chaincode.rules import allocate
from chaincode.errors import Conflict

IDS = st.text(alphabet="abcdefghij0123456789", min_size=1, max_size=4)
WEIGHTS = st.dictionaries(IDS, st.integers(min_value=1, max_value=10**9), min_size=1, max_size=15)


@given(total=st.integers(min_value=0, max_value=10**12), weights=WEIGHTS)
def test_split_sums_to_the_total_within_one_of_the_exact_share(total, weights):
    pairs = sorted(weights.items())
    parts = rules.split(total, pairs)
    assert sum(parts.values()) == total
    whole = sum(weights.values())
    for ident, weight in pairs:
        exact = Fraction(total * weight, whole)
        assert exact - 1 < parts[ident] < exact + 1
        assert parts[ident] >= total * weight // whole


@given(total=st.integers(min_value=0, max_value=10**9), weight=st.integers(min_value=1, max_value=1000),
       ids=st.lists(IDS, min_size=2, max_size=12, unique=True), others=WEIGHTS)
def test_split_breaks_ties_by_id(total, weight, ids, others):
    pairs = [(i, weight) for i in ids] + [(k, v) for k, v in others.items() if k not in ids]
    parts = rules.split(total, pairs)
    tied = sorted(ids)
    for smaller, larger in zip(tied, tied[1:]):
        assert parts[smaller] >= parts[larger] >= parts[smaller] - 1
    # the order the weights are given in does not matter
    assert rules.split(total, list(reversed(pairs))) == parts


@given(weights=WEIGHTS, n=st.integers(min_value=1, max_value=20))
def test_top_n_picks_the_heaviest_with_id_tiebreak(weights, n):
    chosen = rules.top_n(list(weights.items()), n)
    assert len(chosen) == min(n, len(weights))
    assert chosen == sorted(chosen, key=lambda p: (-p[1], p[0]))
    left_out = [(i, w) for i, w in weights.items() if (i, w) not in chosen]
    for ident, weight in chosen:
        for other, other_weight in left_out:
            assert weight > other_weight or (weight == other_weight and ident < other)


NODE_IDS = ("n1", "n2", "n3", "n4")
ARTISTS = ("a1", "a2", "a3", "a4", "a5", "x1", "x2")


@st.composite
def months(draw):
    """A random month: subscriptions, allocations per node, disputes and registered artists."""
    price = draw(st.integers(min_value=1, max_value=50_000_000))
    node_share = draw(st.integers(min_value=0, max_value=price))
    share = price - node_share
    top = draw(st.integers(min_value=1, max_value=9))
    subscriptions, nodes = [], {}
    for node in NODE_IDS:
        listeners = draw(st.lists(st.sampled_from([f"L{i}" for i in range(12)]), unique=True, max_size=8))
        for listener in listeners:
            status = draw(st.sampled_from(("paid", "renewed", "expired")))
            subscriptions.append({"node": node, "listener": listener, "amount_micro": price, "status": status})
        paid = [listener for listener in listeners
                if next(s for s in subscriptions if (s["node"], s["listener"]) == (node, listener))["status"] != "expired"]
        allocated = [listener for listener in paid if draw(st.booleans())]
        batches, batch = [], {}
        for listener in allocated:
            weights = draw(st.dictionaries(st.sampled_from(ARTISTS), st.integers(1, 10_000), min_size=1))
            for artist, _, amount in allocate(sorted(weights.items()), top, share):
                batch[artist] = batch.get(artist, 0) + amount
            if draw(st.booleans()):
                batches.append(batch)
                batch = {}
        if batch:
            batches.append(batch)
        dispute = draw(st.sampled_from((("", ""), ("open", f"d-{node}"), ("approve", f"d-{node}"),
                                        ("reject", f"d-{node}"))))
        sealed = draw(st.booleans()) or bool(allocated)
        nodes[node] = settle.NodeMonth(sealed=sealed, allocated_listeners=frozenset(allocated),
                                       batches=tuple(batches), dispute=dispute)
    registered = draw(st.sets(st.sampled_from(ARTISTS)))
    return subscriptions, nodes, registered, node_share, share


def _check(result):
    totals = result["totals"]
    assert totals["income_micro"] == (totals["node_operators_micro"] + totals["artists_micro"]
                                      + totals["unallocated_micro"] + totals["held_micro"])
    assert totals["artists_micro"] == sum(sum(by.values()) for by in result["artists"].values())
    assert totals["held_micro"] == sum(sum(h["by_node"].values()) for h in result["held"].values())
    assert totals["node_operators_micro"] == sum(result["node_payouts"].values())


@settings(max_examples=200, deadline=None)
@given(months())
def test_the_settlement_of_a_random_month_balances_exactly(month):
    subscriptions, nodes, registered, node_share, share = month
    result = settle.settle_month(subscriptions, nodes, registered, node_share, share)
    _check(result)
    counted = [s for s in subscriptions if s["status"] != "expired"]
    assert result["totals"]["income_micro"] == sum(s["amount_micro"] for s in counted)
    assert result["totals"]["node_operators_micro"] == node_share * len(counted)
    for (key, artist), entry in result["held"].items():
        if key == rules.HELD_UNREGISTERED:
            assert artist not in registered and entry["reason"] == "unregistered"
        else:
            assert all(nodes[n].dispute == ("open", key) for n in entry["by_node"])
    for artist, by_node in result["artists"].items():
        assert artist in registered
        assert all(nodes[n].dispute[0] in ("", "approve") for n in by_node)
    for node, totals in result["nodes"].items():
        if nodes[node].dispute[0] == "reject":
            assert totals["rejected_micro"] == totals["allocated_micro"]


@settings(max_examples=100, deadline=None)
@given(months(), st.data())
def test_releases_keep_the_invariant_and_empty_what_is_held(month, data):
    subscriptions, nodes, registered, node_share, share = month
    result = settle.settle_month(subscriptions, nodes, registered, node_share, share)
    record = {**result["totals"], "nodes": result["nodes"]}
    for key in data.draw(st.permutations(sorted(result["held"]))):
        target = data.draw(st.sampled_from(("artists", "unallocated")))
        record = settle.release(record, result["held"][key]["by_node"], target)
        assert record["income_micro"] == (record["node_operators_micro"] + record["artists_micro"]
                                          + record["unallocated_micro"] + record["held_micro"])
    assert record["held_micro"] == 0 and all(t["held_micro"] == 0 for t in record["nodes"].values())
    assert record["released_micro"] == result["totals"]["held_micro"]
    with pytest.raises(Conflict):  # nothing is left to release
        settle.release(record, {"n1": 1}, "artists")
    with pytest.raises(Conflict):  # not a node of the month
        settle.release(record, {"zz": 1}, "artists")


@settings(max_examples=100, deadline=None)
@given(months(), st.integers(min_value=1, max_value=1000))
def test_a_month_that_does_not_balance_is_refused(month, extra):
    subscriptions, nodes, registered, node_share, share = month
    counted = [s for s in subscriptions if s["status"] != "expired"]
    if not counted:
        return
    wrong = [dict(s) for s in subscriptions]
    next(s for s in wrong if s["status"] != "expired")["amount_micro"] += extra
    with pytest.raises(Conflict, match="does not balance"):
        settle.settle_month(wrong, nodes, registered, node_share, share)


def _run_script(folder: Path) -> str:
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, str(root / "tests" / "settlement_script.py"), str(folder)],
                          cwd=root, capture_output=True, text=True, timeout=300, check=True)
    return done.stdout.strip().splitlines()[-1]


def test_the_same_transactions_give_the_same_state_hash_in_two_processes(tmp_path):
    first, second = _run_script(tmp_path / "one"), _run_script(tmp_path / "two")
    assert len(first) == 64
    assert first == second
