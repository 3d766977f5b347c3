"""Properties of the money: splits, top-N, the settlement invariant, and determinism across processes."""

import subprocess
from dataclasses import replace
import sys
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chaincode import rules, scope, settle
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
LISTENERS = [f"L{i}" for i in range(12)]


@st.composite
def scopes(draw, listeners):
    """A dispute scope: the whole month, or some listeners and/or artists (days cover no allocation)."""
    if draw(st.integers(0, 4)) == 0:
        return dict(scope.WHOLE_MONTH)
    named = {"listeners": draw(st.lists(st.sampled_from(listeners or ["L0"]), unique=True, max_size=3)),
             "artists": draw(st.lists(st.sampled_from(ARTISTS), unique=True, max_size=2)),
             "days": draw(st.lists(st.sampled_from(["2026-10-01", "2026-10-02"]), unique=True, max_size=1))}
    return {**scope.NONE, **{k: sorted(v) for k, v in named.items()}}


@st.composite
def months(draw):
    """A random month: subscriptions, allocations per node, scoped disputes, pending parts and
    registered artists. Also returns every allocation (node -> listener -> [[artist, weight, amount]])."""
    price = draw(st.integers(min_value=1, max_value=50_000_000))
    node_share = draw(st.integers(min_value=0, max_value=price))
    share = price - node_share
    top = draw(st.integers(min_value=1, max_value=9))
    subscriptions, nodes, allocations = [], {}, {}
    for node in NODE_IDS:
        listeners = draw(st.lists(st.sampled_from(LISTENERS), unique=True, max_size=8))
        paid = []
        for listener in listeners:
            status = draw(st.sampled_from(("paid", "renewed", "expired")))
            subscriptions.append({"node": node, "listener": listener, "amount_micro": price, "status": status})
            if status != "expired":
                paid.append(listener)
        allocated = {listener: allocate(sorted(draw(st.dictionaries(st.sampled_from(ARTISTS), st.integers(1, 10_000),
                                                                    min_size=1)).items()), top, share)
                     for listener in paid if draw(st.booleans())}
        totals: dict[str, int] = {}
        for parts in allocated.values():
            for artist, _, amount in parts:
                totals[artist] = totals.get(artist, 0) + amount
        states = draw(st.lists(st.sampled_from(("approve", "reject")), max_size=2)) + \
            (["open"] if draw(st.booleans()) else [])
        disputes = tuple(settle.DisputeView(f"d-{node}-{i}", state, draw(scopes(sorted(allocated))))
                         for i, state in enumerate(states))
        pending = "held for a test" if draw(st.integers(0, 5)) == 0 else ""
        nodes[node] = settle.NodeMonth(sealed=draw(st.booleans()) or bool(allocated), pending=pending,
                                       allocated_listeners=frozenset(allocated), totals=totals, parts=allocated,
                                       disputes=disputes)
        allocations[node] = allocated
    registered = draw(st.sets(st.sampled_from(ARTISTS)))
    return subscriptions, nodes, registered, node_share, share, allocations


def _check(result):
    totals = result["totals"]
    assert totals["income_micro"] == (totals["node_operators_micro"] + totals["artists_micro"]
                                      + totals["unallocated_micro"] + totals["held_micro"])
    assert totals["artists_micro"] == sum(sum(by.values()) for by in result["artists"].values())
    assert totals["held_micro"] == (sum(sum(h["by_node"].values()) for h in result["held"].values())
                                    + sum(result["node_held"].values()))
    assert totals["node_operators_micro"] == sum(result["node_payouts"].values())


def _fates(month: settle.NodeMonth, allocated: dict, registered: set) -> dict[str, int]:
    """Every allocation of a node routed one by one by the payout rule: what each destination gets."""
    found: dict[str, int] = {}
    for listener, parts in allocated.items():
        for artist, _, amount in parts:
            states = [d.state for d in month.disputes if scope.covers(d.scope, listener, artist)]
            where = rules.destination(rules.dispute_state(states), artist in registered)
            found[where] = found.get(where, 0) + amount
    return found


@settings(max_examples=200, deadline=None)
@given(months())
def test_the_settlement_of_a_random_month_balances_exactly(month):
    subscriptions, nodes, registered, node_share, share, allocations = month
    result = settle.settle_month(subscriptions, nodes, registered, node_share, share)
    _check(result)
    counted = [s for s in subscriptions if s["status"] != "expired"]
    assert result["totals"]["income_micro"] == sum(s["amount_micro"] for s in counted)
    assert result["totals"]["node_operators_micro"] == node_share * len(counted)
    for (key, artist), entry in result["held"].items():
        if key == rules.HELD_UNREGISTERED:
            assert artist not in registered and entry["reason"] == "unregistered"
        else:
            assert all(any(d.id == key and d.state == "open" for d in nodes[n].disputes) for n in entry["by_node"])
    for artist, by_node in result["artists"].items():
        assert artist in registered
    for node, totals in result["nodes"].items():
        month_of = nodes[node]
        subscribed = len({s["listener"] for s in counted if s["node"] == node})
        if month_of.pending:  # the whole artist share is held for the node, nothing else moves
            assert result["node_held"].get(node, 0) == totals["held_micro"] == share * subscribed
            assert totals["artists_micro"] == totals["unallocated_micro"] == 0
            continue
        if not month_of.sealed:
            continue
        # a dispute holds only its scope: the aggregate equals routing each allocation by itself
        fates = _fates(month_of, allocations[node], set(registered))
        assert totals["rejected_micro"] == fates.get(rules.REJECTED, 0)
        assert totals["artists_micro"] == fates.get(rules.PAID, 0)
        assert totals["held_micro"] == fates.get(rules.HELD_DISPUTE, 0) + fates.get(rules.HELD_ARTIST, 0)


@settings(max_examples=100, deadline=None)
@given(months())
def test_a_pending_part_settled_later_keeps_the_invariant(month):
    subscriptions, nodes, registered, node_share, share, allocations = month
    result = settle.settle_month(subscriptions, nodes, registered, node_share, share)
    record = {**result["totals"], "nodes": result["nodes"]}
    for node, month_of in sorted(nodes.items()):
        if not month_of.pending:
            continue
        ready = replace(month_of, pending="")
        subs = [s for s in subscriptions if s["node"] == node]
        part = settle.node_part(subs, ready, set(registered), node_share, share)
        before = record["held_micro"]
        record = settle.settle_node(record, node, part)
        assert record["nodes"][node]["held_micro"] == part["totals"]["held_micro"]
        assert record["released_micro"] - result["totals"]["released_micro"] >= 0
        assert before - record["held_micro"] == result["node_held"].get(node, 0) - part["totals"]["held_micro"]
        assert record["income_micro"] == (record["node_operators_micro"] + record["artists_micro"]
                                          + record["unallocated_micro"] + record["held_micro"])


@settings(max_examples=100, deadline=None)
@given(months(), st.data())
def test_releases_keep_the_invariant_and_empty_what_is_held(month, data):
    subscriptions, nodes, registered, node_share, share, _ = month
    result = settle.settle_month(subscriptions, nodes, registered, node_share, share)
    record = {**result["totals"], "nodes": result["nodes"]}
    holds = [result["held"][key]["by_node"] for key in sorted(result["held"])]
    holds += [{node: amount} for node, amount in sorted(result["node_held"].items())]
    for by_node in data.draw(st.permutations(holds)):
        target = data.draw(st.sampled_from(("artists", "unallocated")))
        record = settle.release(record, by_node, target)
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
    subscriptions, nodes, registered, node_share, share, _ = month
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
