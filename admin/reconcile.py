"""A node's month: per-listener weighted top-N artists, what counts for nothing, the Merkle root.

Works day by day (:class:`MonthSums`): each canonical day frame (see :mod:`admin.dayfile`) is
reduced to per-listener and per-(listener, artist) sums on integer ids, so a month of any size needs
memory only for those sums.
"""

from dataclasses import dataclass
from typing import Iterable, Iterator, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from admin.dayfile import counted
from chaincode import merkle, rules

Allocation = tuple[str, list[tuple[str, int]]]
ADD_ROWS = 1 << 20


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

    def ids(self, column: pd.Series) -> np.ndarray:
        """The number of each value of ``column``; values not seen before are numbered now."""
        encoded = pc.dictionary_encode(pa.array(column.array, pa.large_string()))
        if isinstance(encoded, pa.ChunkedArray):
            encoded = encoded.combine_chunks()
        known = pc.index_in(encoded.dictionary, value_set=self.values)
        new = encoded.dictionary.filter(pc.is_null(known))
        ids = pc.fill_null(known, pa.scalar(-1, known.type)).to_numpy(zero_copy_only=False).astype(np.int64)
        ids[ids < 0] = np.arange(len(self.values), len(self.values) + len(new))
        self.values = pa.concat_arrays([self.values, new])
        return ids[encoded.indices.to_numpy(zero_copy_only=False)]

    def ranks(self) -> np.ndarray:
        """Each number's place when the strings are sorted by code point."""
        ranks = np.empty(len(self.values), dtype=np.int64)
        ranks[pc.sort_indices(self.values).to_numpy()] = np.arange(len(self.values))
        return ranks


class MonthSums:
    """A node's month, summed day by day: per listener (rows, counted plays, counted seconds) and per
    paid (listener, artist) pair (counted seconds), on integer ids (a pair is ``listener << 32 | artist``).
    """

    def __init__(self, subscribers: Iterable[str], min_seconds: int) -> None:
        self.paid = set(subscribers)
        self.min_seconds = min_seconds
        self.listeners, self.artists = _Names(), _Names()
        self._subscribers = pa.array(sorted(self.paid), pa.large_string())
        self.totals = np.zeros((3, 0), dtype=np.int64)  # rows, plays, seconds by listener id
        self._pairs: list[np.ndarray] = []
        self._weights: list[np.ndarray] = []
        self._pending = 0

    def add(self, frame: pd.DataFrame) -> None:
        """Add a canonical frame of plays (a day, or any part of the month), :data:`ADD_ROWS` rows at
        a time (so a big day needs little memory beside itself)."""
        for start in range(0, len(frame), ADD_ROWS):
            self._add(frame.iloc[start:start + ADD_ROWS])

    def _add(self, frame: pd.DataFrame) -> None:
        listener = self.listeners.ids(frame["listener"])
        artist = self.artists.ids(frame["artist_id"])
        seconds = frame["seconds"].to_numpy(dtype=np.int64)
        mask = counted(seconds, self.min_seconds)
        count = len(self.listeners.values)
        totals = np.zeros((3, count), dtype=np.int64)
        totals[:, :self.totals.shape[1]] = self.totals
        totals[0] += np.bincount(listener, minlength=count)
        totals[1] += np.bincount(listener[mask], minlength=count)
        np.add.at(totals[2], listener[mask], seconds[mask])
        self.totals = totals
        paid = pc.is_in(self.listeners.values, value_set=self._subscribers).to_numpy(zero_copy_only=False)
        keep = mask & paid[listener]
        pairs, weights = _summed(listener[keep] << 32 | artist[keep], seconds[keep])
        self._pairs.append(pairs)
        self._weights.append(weights)
        self._pending += len(pairs)
        if self._pending > max(1_000_000, 2 * len(self._pairs[0])):
            self._compact()

    def _compact(self) -> None:
        pairs, weights = _summed(np.concatenate(self._pairs), np.concatenate(self._weights))
        self._pairs, self._weights, self._pending = [pairs], [weights], 0

    def weights(self) -> tuple[np.ndarray, np.ndarray]:
        """(pairs, weights) of the month so far, each pair once."""
        if not self._pairs:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        self._compact()
        return self._pairs[0], self._weights[0]

    def reconciliation(self, top_n: int) -> Reconciliation:
        """The month: each paid listener's top N, what counts for nothing, the Merkle root."""
        if top_n < 1:
            raise ValueError("top_n must be at least 1")
        allocations = _allocations(self, top_n)
        allocated = {listener for listener, _ in allocations}
        names = self.listeners.values.to_pylist()
        rows, plays, seconds = self.totals
        others = sorted((names[i], i) for i in np.flatnonzero(rows) if names[i] not in self.paid)
        unsubscribed = [{"listener": name, "rows": int(rows[i]), "plays": int(plays[i]),
                         "seconds": int(seconds[i])} for name, i in others]
        return Reconciliation(allocations, unsubscribed, sorted(self.paid - allocated),
                              merkle_root(allocations))


def _summed(keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each distinct key once, with the sum of its values."""
    codes, distinct = pd.factorize(keys)
    sums = np.zeros(len(distinct), dtype=np.int64)
    np.add.at(sums, codes, values)
    return distinct, sums


def reconcile(days: pd.DataFrame | Iterable[pd.DataFrame], subscribers: Iterable[str],
              top_n: int, min_seconds: int) -> Reconciliation:
    """Reconcile a node's month from its canonical frame or an iterable of per-day frames."""
    if top_n < 1:
        raise ValueError("top_n must be at least 1")
    sums = MonthSums(subscribers, min_seconds)
    for frame in ([days] if isinstance(days, pd.DataFrame) else days):
        sums.add(frame)
    return sums.reconciliation(top_n)


def _allocations(sums: MonthSums, top_n: int) -> list[Allocation]:
    """Top-N (artist, weight) per listener: ties by artist id ascending, as chaincode.rules.top_n."""
    pairs, weights = sums.weights()
    listener, artist = pairs >> 32, pairs & 0xFFFFFFFF
    order = _ranked(sums.listeners.ranks()[listener], weights, sums.artists.ranks()[artist])
    listener, artist, weights = listener[order], artist[order], weights[order]
    starts = _run_starts(listener)
    kept = np.arange(len(listener)) - np.repeat(starts, np.diff(np.r_[starts, len(listener)])) < top_n
    listener, artist, weights = listener[kept], artist[kept], weights[kept]
    names, artist_names = sums.listeners.values.to_pylist(), sums.artists.values.to_pylist()
    named = list(zip([artist_names[a] for a in artist.tolist()], weights.tolist()))
    starts = _run_starts(listener).tolist()
    return [(names[listener[s]], named[s:e]) for s, e in zip(starts, starts[1:] + [len(listener)])]


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


def merkle_root(allocations: Sequence[Allocation]) -> str:
    """The Merkle root of allocations already sorted by pseudonym."""
    return merkle.root([merkle.leaf(listener, artists) for listener, artists in allocations])


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
