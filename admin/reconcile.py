"""A node's month: per-listener weighted top-N artists, what counts for nothing, the Merkle root.

Works day by day (:class:`MonthSums`): each canonical day frame (see :mod:`admin.dayfile`) is
reduced to per-listener and per-(listener, artist) sums on integer ids, so a month of any size needs
memory only for those sums.
"""

import gc
import hashlib
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from admin.dayfile import Day, counted, dictionary_array, is_dictionary
from chaincode import canonical_json, merkle, rules

Allocation = tuple[str, list[tuple[str, int]]]
ADD_ROWS = 1 << 20
#: The month's new (listener, artist) pairs join its index of pairs once this many plays of them wait.
NEW_PAIRS = 1 << 21


@dataclass(frozen=True)
class Reconciliation:
    """The month of one node.

    allocations: (pseudonym, [(artist_id, weight), ...]) sorted by pseudonym, artists by
        (-weight, artist_id), for every subscribed listener with a counted play;
    unsubscribed: {"listener", "rows", "plays", "seconds"} (all rows, counted plays, counted
        seconds) for every listener with plays but no paid subscription, sorted by listener;
    no_plays: subscribed pseudonyms without a counted play, sorted;
    merkle_root: hex root over the allocations' leaves (chaincode.merkle).
    """

    allocations: list[Allocation]
    unsubscribed: list[dict[str, int | str]]
    no_plays: list[str]
    merkle_root: str


class _Names:
    """Strings numbered in order of first sight (pseudonyms or artist ids), so sums run on integers."""

    def __init__(self) -> None:
        self.values = pa.array([], pa.large_string())

    def number(self, values: pa.Array) -> np.ndarray:
        """The number of each of the distinct ``values``; those not seen before are numbered now."""
        known = pc.index_in(values, value_set=self.values)
        new = values.filter(pc.is_null(known))
        ids = pc.fill_null(known, pa.scalar(-1, known.type)).to_numpy(zero_copy_only=False).astype(np.int64)
        ids[ids < 0] = np.arange(len(self.values), len(self.values) + len(new))
        self.values = pa.concat_arrays([self.values, new])
        return ids

    def ranks(self) -> np.ndarray:
        """Each number's place when the strings are sorted by code point."""
        ranks = np.empty(len(self.values), dtype=np.int64)
        ranks[pc.sort_indices(self.values).to_numpy()] = np.arange(len(self.values))
        return ranks


def _distinct(column: pd.Series) -> tuple[pa.Array, np.ndarray]:
    """The distinct values of a text column and the place of each row's value among them: a
    dictionary-encoded column (a columnar day read back) as it is, any other hashed row by row."""
    if is_dictionary(column):
        encoded = dictionary_array(column)
        return encoded.dictionary.cast(pa.large_string()), encoded.indices.to_numpy(zero_copy_only=False)
    encoded = pc.dictionary_encode(pa.array(column.array, pa.large_string()))
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    return encoded.dictionary, encoded.indices.to_numpy(zero_copy_only=False)


@dataclass(frozen=True)
class DaySums:
    """Plays (a day, or part of one) on their own numbering of listeners and artists: per listener
    (rows, counted plays, counted seconds), and each counted play of a paid listener as its pair
    ``listener << 32 | artist`` (in that numbering) and seconds, for the month's pair sums."""

    listeners: pa.Array
    totals: np.ndarray
    artists: pa.Array
    pairs: np.ndarray
    weights: np.ndarray


def day_sums(frame: pd.DataFrame, subscribers: pa.Array, min_seconds: int) -> DaySums:
    """The :class:`DaySums` of a canonical frame whose paid listeners are ``subscribers``. Needs no
    month state, so a loading thread makes it (Arrow and NumPy work outside the GIL)."""
    listeners, listener = _distinct(frame["listener"])
    artists, artist = _distinct(frame["artist_id"])
    seconds = frame["seconds"].to_numpy(dtype=np.int64)
    mask = counted(seconds, min_seconds)
    totals = np.zeros((3, len(listeners)), dtype=np.int64)
    totals[0] = np.bincount(listener, minlength=len(listeners))
    totals[1] = np.bincount(listener[mask], minlength=len(listeners))
    np.add.at(totals[2], listener[mask], seconds[mask])
    paid = pc.is_in(listeners, value_set=subscribers).to_numpy(zero_copy_only=False)
    keep = mask & paid[listener]
    return DaySums(listeners, totals, artists, listener[keep].astype(np.int64) << 32 | artist[keep], seconds[keep])


class _PairSums:
    """Counted seconds per (listener, artist) pair of the month. A play of a pair already known is
    added in place through a hash index of the known pairs (built once, then only looked up: pandas
    looks up outside the GIL, beside the loading threads); plays of new pairs wait, and their pairs
    join the index once :data:`NEW_PAIRS` plays wait."""

    def __init__(self) -> None:
        self._index = pd.Index(np.zeros(0, dtype=np.int64))
        self._sums = np.zeros(0, dtype=np.int64)
        self._new: list[tuple[np.ndarray, np.ndarray]] = []
        self._waiting = 0

    def add(self, pairs: np.ndarray, weights: np.ndarray) -> None:
        """Add each play's weight to its pair (``listener << 32 | artist``)."""
        slots = self._index.get_indexer(pairs)
        known = slots >= 0
        np.add.at(self._sums, slots[known], weights[known])
        if not known.all():
            self._new.append((pairs[~known], weights[~known]))
            self._waiting += len(self._new[-1][0])
            if self._waiting > NEW_PAIRS:
                self._join()

    def _join(self) -> None:
        """The waiting plays summed per pair, their pairs added to the index."""
        pairs, sums = _summed(np.concatenate([p for p, _ in self._new]), np.concatenate([w for _, w in self._new]))
        self._index = self._index.append(pd.Index(pairs))
        self._sums = np.concatenate([self._sums, sums])
        self._new, self._waiting = [], 0

    def summed(self) -> tuple[np.ndarray, np.ndarray]:
        """(pairs, weights) of the month so far, each pair once."""
        if self._new:
            self._join()
        return self._index.to_numpy(), self._sums


class MonthSums:
    """A node's month, summed day by day: per listener (rows, counted plays, counted seconds) and per
    paid (listener, artist) pair (counted seconds), on integer ids (a pair is ``listener << 32 | artist``).
    """

    def __init__(self, subscribers: Iterable[str], min_seconds: int) -> None:
        self.paid = set(subscribers)
        self.min_seconds = min_seconds
        self.listeners, self.artists = _Names(), _Names()
        self.subscribers = pa.array(sorted(self.paid), pa.large_string())
        self.totals = np.zeros((3, 0), dtype=np.int64)  # rows, plays, seconds by listener id
        self.pairs = _PairSums()

    def add(self, frame: pd.DataFrame) -> None:
        """Add a canonical frame of plays (a day, or any part of the month), :data:`ADD_ROWS` rows at
        a time (so a big day needs little memory beside itself)."""
        for start in range(0, len(frame), ADD_ROWS):
            self.add_sums(day_sums(frame.iloc[start:start + ADD_ROWS], self.subscribers, self.min_seconds))

    def add_sums(self, day: DaySums) -> None:
        """Add plays already counted on their own numbering (:func:`day_sums` with :attr:`subscribers`)."""
        listener, artist = self.listeners.number(day.listeners), self.artists.number(day.artists)
        totals = np.zeros((3, len(self.listeners.values)), dtype=np.int64)
        totals[:, :self.totals.shape[1]] = self.totals
        totals[:, listener] += day.totals  # each listener once in a day's numbering
        self.totals = totals
        self.pairs.add(listener[day.pairs >> 32] << 32 | artist[day.pairs & 0xFFFFFFFF], day.weights)

    def reconciliation(self, top_n: int) -> Reconciliation:
        """The month: each paid listener's top N, what counts for nothing, the Merkle root."""
        if top_n < 1:
            raise ValueError("top_n must be at least 1")
        top = _top(self, top_n)
        with _cycle_collector_paused():
            allocations = _allocations(self, top)
            allocated = {listener for listener, _ in allocations}
            names = self.listeners.values.to_pylist()
            rows, plays, seconds = self.totals
            others = sorted((names[i], i) for i in np.flatnonzero(rows) if names[i] not in self.paid)
            unsubscribed = [{"listener": name, "rows": int(rows[i]), "plays": int(plays[i]),
                             "seconds": int(seconds[i])} for name, i in others]
            return Reconciliation(allocations, unsubscribed, sorted(self.paid - allocated),
                                  merkle.root(_leaves(self, top)))


@contextmanager
def _cycle_collector_paused() -> Iterator[None]:
    """Python's cycle collector off while a month's hundreds of thousands of small lists are built
    (none refers back to another): left on, it scans them again and again, which doubles the time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _summed(keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each distinct key once, with the sum of its values (pandas' hashing works outside the GIL, so
    the main thread sums while the loading threads read)."""
    codes, distinct = pd.factorize(keys)
    sums = np.zeros(len(distinct), dtype=np.int64)
    np.add.at(sums, codes, values)
    return distinct, sums


#: A day read, anchored and summed: (its file, its canonical frame, its anchor, its :class:`DaySums`).
SummedDay = tuple[Path, pd.DataFrame, dict[str, int | str], DaySums]


def summing(read: Callable[[Any], Day], sums: MonthSums) -> Callable[[Any], SummedDay]:
    """``read`` (``dayfile.rendered`` or ``dayfile.kept``), then the day's :func:`day_sums` for
    ``sums``, in the same loading thread of ``dayfile.anchored_days``: the main thread then only
    numbers the day's distinct listeners and artists and adds it (:meth:`MonthSums.add_sums`)."""
    def day(source: Any) -> SummedDay:
        path, frame, anchor = read(source)
        return path, frame, anchor, day_sums(frame, sums.subscribers, sums.min_seconds)
    return day


def reconcile(days: pd.DataFrame | Iterable[pd.DataFrame], subscribers: Iterable[str],
              top_n: int, min_seconds: int) -> Reconciliation:
    """Reconcile a node's month from its canonical frame or an iterable of per-day frames."""
    if top_n < 1:
        raise ValueError("top_n must be at least 1")
    sums = MonthSums(subscribers, min_seconds)
    for frame in ([days] if isinstance(days, pd.DataFrame) else days):
        sums.add(frame)
    return sums.reconciliation(top_n)


@dataclass(frozen=True)
class _Top:
    """Each paid listener's top N pairs, in allocation order (listeners by pseudonym, then weight
    descending, then artist id): month listener and artist ids, weights, where each listener starts."""

    listener: np.ndarray
    artist: np.ndarray
    weight: np.ndarray
    starts: np.ndarray


def _top(sums: MonthSums, top_n: int) -> _Top:
    """Top-N (artist, weight) per listener: ties by artist id ascending, as chaincode.rules.top_n."""
    pairs, weights = sums.pairs.summed()
    listener, artist = pairs >> 32, pairs & 0xFFFFFFFF
    order = _ranked(sums.listeners.ranks()[listener], weights, sums.artists.ranks()[artist])
    listener, artist, weights = listener[order], artist[order], weights[order]
    starts = _run_starts(listener)
    kept = np.arange(len(listener)) - np.repeat(starts, np.diff(np.r_[starts, len(listener)])) < top_n
    listener, artist, weights = listener[kept], artist[kept], weights[kept]
    return _Top(listener, artist, weights, _run_starts(listener))


def _allocations(sums: MonthSums, top: _Top) -> list[Allocation]:
    """The top pairs as (pseudonym, [(artist_id, weight), ...]) in allocation order."""
    names, artist_names = sums.listeners.values.to_pylist(), sums.artists.values.to_pylist()
    named = list(zip([artist_names[a] for a in top.artist.tolist()], top.weight.tolist()))
    starts = top.starts.tolist()
    return [(names[top.listener[s]], named[s:e]) for s, e in zip(starts, starts[1:] + [len(top.listener)])]


def _leaves(sums: MonthSums, top: _Top) -> list[bytes]:
    """The Merkle leaf of each listener's top pairs (``chaincode.merkle.leaf``, whose bytes a property
    test binds these to), the canonical JSON of all of them written by Arrow in one pass."""
    artists = _json_strings(sums.artists.values).take(pa.array(top.artist))
    pairs = pc.binary_join_element_wise(_text("["), artists, _text(","), pa.array(top.weight).cast(pa.large_string()),
                                        _text("]"), _text(""))
    offsets = pa.array(np.r_[top.starts, len(top.listener)], pa.int64())
    joined = pc.binary_join(pa.LargeListArray.from_arrays(offsets, pairs), _text(","))
    listeners = _json_strings(sums.listeners.values).take(pa.array(top.listener[top.starts]))
    texts = pc.binary_join_element_wise(_text('\x00{"artists":['), joined, _text('],"listener":'), listeners,
                                        _text("}"), _text(""))
    _, ends, data = texts.buffers()
    ends = np.frombuffer(ends, dtype=np.int64)[texts.offset:texts.offset + len(texts) + 1].tolist()
    body = memoryview(data)
    return [hashlib.sha256(body[start:end]).digest() for start, end in zip(ends, ends[1:])]


def _text(value: str) -> pa.Scalar:
    return pa.scalar(value, pa.large_string())


_JSON_ESCAPED = r'[\x00-\x1f"\\]'


def _json_strings(values: pa.Array) -> pa.Array:
    """Each string as the JSON string canonical JSON writes for it (``json.dumps``, non-ASCII as is):
    quoted, and the few holding a control character, a quote or a backslash escaped by ``json``."""
    escaped = pc.match_substring_regex(values, _JSON_ESCAPED)
    quoted = pc.binary_join_element_wise(_text('"'), values, _text('"'), _text(""))
    if not pc.any(escaped).as_py():
        return quoted
    rows = np.flatnonzero(escaped.to_numpy(zero_copy_only=False))
    texts = [canonical_json.dumps(values[int(row)].as_py()) for row in rows]
    return pc.replace_with_mask(quoted, escaped, pa.array(texts, pa.large_string()))


def _ranked(listener: np.ndarray, weight: np.ndarray, artist: np.ndarray) -> np.ndarray:
    """The order of pairs by (listener rank, weight descending, artist rank): one integer sort of the
    three packed into an int64 where they fit (the usual case), else a sort by each in turn."""
    widths = [int(values.max()).bit_length() if len(values) else 0 for values in (listener, weight, artist)]
    if sum(widths) > 62:
        return np.lexsort((artist, -weight, listener))
    ceiling = (1 << widths[1]) - 1
    return np.argsort(listener << (widths[1] + widths[2]) | (ceiling - weight) << widths[2] | artist)


def _run_starts(values: np.ndarray) -> np.ndarray:
    """Where each run of equal values begins."""
    if not len(values):
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.r_[True, values[1:] != values[:-1]])


def batches(allocations: Sequence[Allocation], size: int) -> list[list[Allocation]]:
    """The allocations in order, ``size`` listeners per batch (a listener is never split)."""
    if size < 1:
        raise ValueError("batch size must be at least 1")
    return [list(allocations[i:i + size]) for i in range(0, len(allocations), size)]


def listener_parts(allocations: Iterable[Allocation],
                   artist_share_micro: int) -> Iterator[tuple[str, str, int]]:
    """(listener, artist, micro-units) of each listener's artist share, split by chaincode.rules.split."""
    for listener, artists in allocations:
        for artist, micro in rules.split(artist_share_micro, artists).items():
            yield listener, artist, micro


def expected_payouts(allocations: Iterable[Allocation], artist_share_micro: int) -> dict[str, int]:
    """Each artist's payout in micro-units from these allocations, sorted by artist id."""
    totals: dict[str, int] = {}
    for _, artist, micro in listener_parts(allocations, artist_share_micro):
        totals[artist] = totals.get(artist, 0) + micro
    return dict(sorted(totals.items()))
