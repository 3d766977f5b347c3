"""The month's reconciliation: weights, top-N, unsubscribed, no plays, Merkle root, payouts."""

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from admin.reconcile import batches, expected_payouts, reconcile
from chaincode import merkle, rules

DAY = 1_790_812_800_000_000  # 2026-10-01T00:00:00Z in µs


def plays(rows, day=0):
    """A canonical frame from (listener, artist, seconds) triples."""
    return pd.DataFrame({
        "played_at": [DAY + day * 86_400_000_000 + i for i in range(len(rows))],
        "listener": pd.array([r[0] for r in rows], dtype="str"),
        "artist_id": pd.array([r[1] for r in rows], dtype="str"),
        "track_id": pd.array(["t"] * len(rows), dtype="str"),
        "seconds": pd.array([r[2] for r in rows], dtype="int64"),
    })


# eleven artists; a09 and a10 tie at the cut, a01 is split over two days
ELEVEN_DAY_1 = [("p1", f"a{i:02d}", 1000 - 50 * i) for i in range(1, 12)] + [("p1", "a10", 50)]
ELEVEN_DAY_2 = [("p1", "a01", 30), ("p1", "a11", 29), ("p2", "a01", 29), ("u1", "a01", 40),
                ("u1", "a02", 10)]


def month():
    return [plays(ELEVEN_DAY_1), plays(ELEVEN_DAY_2, day=1)]


def test_top_nine_of_eleven_with_a_tie_broken_by_id():
    result = reconcile(month(), ["p1", "p2", "p3"], top_n=9, min_seconds=30)
    assert result.allocations == [("p1", [
        ("a01", 980), ("a02", 900), ("a03", 850), ("a04", 800), ("a05", 750), ("a06", 700),
        ("a07", 650), ("a08", 600), ("a09", 550)])]
    assert result.no_plays == ["p2", "p3"]  # p2's only play lasted 29 s; p3 never played
    assert result.unsubscribed == [{"listener": "u1", "rows": 2, "plays": 1, "seconds": 40}]
    assert result.merkle_root == merkle.root([merkle.leaf("p1", result.allocations[0][1])])


def test_a_month_frame_and_its_days_reconcile_the_same():
    whole = reconcile(pd.concat(month()), ["p1", "p2", "p3"], 9, 30)
    assert whole == reconcile(iter(month()), {"p1", "p2", "p3"}, 9, 30)


def test_nothing_played():
    result = reconcile([], ["p1"], 9, 30)
    assert (result.allocations, result.unsubscribed, result.no_plays) == ([], [], ["p1"])
    assert result.merkle_root == merkle.root([])


def test_zero_second_plays_never_count():
    result = reconcile(plays([("p1", "a", 0), ("p1", "b", 5)]), ["p1"], 9, 0)
    assert result.allocations == [("p1", [("b", 5)])]


def test_batches_keep_listeners_whole():
    allocations = [(f"p{i}", [("a", 1)]) for i in range(5)]
    assert [[p for p, _ in batch] for batch in batches(allocations, 2)] == [
        ["p0", "p1"], ["p2", "p3"], ["p4"]]
    with pytest.raises(ValueError, match="^batch size must be at least 1$"):
        batches(allocations, 0)


def test_expected_payouts_split_each_listener_share_exactly():
    allocations = [("p1", [("a", 2), ("b", 1)]), ("p2", [("b", 1), ("c", 1), ("d", 1)])]
    assert expected_payouts(allocations, 10) == {"a": 7, "b": 7, "c": 3, "d": 3}
    assert expected_payouts(allocations, 9_000_000) == {
        "a": 6_000_000, "b": 6_000_000, "c": 3_000_000, "d": 3_000_000}


def merkle_root(allocations):
    """The Merkle root of allocations sorted by pseudonym, leaf by leaf as the chaincode defines it."""
    return merkle.root([merkle.leaf(listener, artists) for listener, artists in allocations])


def test_merkle_root_is_over_sorted_allocations():
    result = reconcile(plays([("p2", "b", 40), ("p1", "a", 50)]), {"p1", "p2"}, 9, 30)
    assert result.merkle_root == merkle.root([merkle.leaf("p1", [("a", 50)]), merkle.leaf("p2", [("b", 40)])])


ids = st.sampled_from(["a", "b", "c", "d", "e", "é", "Z", "a1", "b,2"])
listeners = st.sampled_from(["p1", "p2", "p3", "p4", "u1"])
rows = st.lists(st.tuples(listeners, ids, st.integers(0, 400)), max_size=60)


@settings(max_examples=60, deadline=None)
@given(rows, st.integers(1, 4), st.integers(0, 60))
def test_allocations_are_the_top_n_of_the_per_artist_sums(triples, top_n, min_seconds):
    subscribed = {"p1", "p2", "p3", "p4"}
    result = reconcile(plays(triples), subscribed, top_n, min_seconds)
    sums: dict[str, dict[str, int]] = {}
    for listener, artist, seconds in triples:
        if listener in subscribed and seconds >= min_seconds and seconds > 0:
            sums.setdefault(listener, {}).setdefault(artist, 0)
            sums[listener][artist] += seconds
    assert result.allocations == [(listener, rules.top_n(weights.items(), top_n))
                                  for listener, weights in sorted(sums.items())]
    assert all(len(artists) <= top_n for _, artists in result.allocations)
    assert result.no_plays == sorted(subscribed - set(sums))


def test_weights_too_wide_to_pack_rank_the_same():
    big = 2**61
    rows = [("p1", "b", big), ("p1", "a", big), ("p1", "c", big + 1), ("p2", "a", 40)]
    result = reconcile(plays(rows), ["p1", "p2"], top_n=2, min_seconds=30)
    assert result.allocations == [("p1", [("c", big + 1), ("a", big)]), ("p2", [("a", 40)])]


tricky = st.text(st.sampled_from(list('ab"\\\x01\x1f\n,é😀\u2028 \x7f')), min_size=1, max_size=5)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["p1", 'p"2', "p\\3", "p\x04", "é"]), tricky,
                          st.integers(30, 10**12)), min_size=1, max_size=40), st.integers(1, 4))
def test_the_month_root_is_the_root_of_chaincode_merkle_leaves(triples, top_n):
    """The leaves' canonical JSON is written column-wise by Arrow; each must be ``merkle.leaf``'s bytes."""
    result = reconcile(plays(triples), {"p1", 'p"2', "p\\3", "p\x04", "é"}, top_n, 30)
    assert result.merkle_root == merkle_root(result.allocations)


@settings(max_examples=60, deadline=None)
@given(st.lists(rows, min_size=1, max_size=5), st.sampled_from([0, 1, 3, 1 << 21]), st.integers(1, 4))
def test_days_summed_through_the_pair_index_reconcile_as_their_month(days, new_pairs, top_n):
    """Pairs met again on later days are added through the month's index of pairs, however often
    new pairs join it: the same month as all plays summed at once."""
    frames = [plays(triples, day=i) for i, triples in enumerate(days)]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("admin.reconcile.NEW_PAIRS", new_pairs)
        by_day = reconcile(frames, {"p1", "p2", "p3"}, top_n, 30)
    assert by_day == reconcile(pd.concat(frames, ignore_index=True), {"p1", "p2", "p3"}, top_n, 30)
