"""A node's month: per-listener weighted top-N artists, what counts for nothing, the Merkle root.

Works day by day: each canonical day frame (see :mod:`admin.dayfile`) is reduced to per-listener
and per-(listener, artist) sums, so a month of any size needs memory only for those sums.
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


class _MonthSums:
    """Running per-listener and per-(listener, artist) sums of a month's days."""

    def __init__(self, subscribers: set[str], min_seconds: int) -> None:
        self.subscribers = pa.array(sorted(subscribers), pa.string())
        self.min_seconds = min_seconds
        self.listeners: list[pd.DataFrame] = []
        self.weights: list[pd.Series] = []
        self.pending = 0

    def add(self, frame: pd.DataFrame) -> None:
        mask = counted(frame["seconds"], self.min_seconds)
        seconds = np.where(mask, frame["seconds"].to_numpy(), 0)
        day = pd.DataFrame({"listener": frame["listener"].array,
                            "artist": frame["artist_id"].array,
                            "rows": np.ones(len(frame), dtype=np.int64),
                            "plays": mask.astype(np.int64), "seconds": seconds})
        self.listeners.append(day.groupby("listener", sort=False)[["rows", "plays", "seconds"]]
                              .sum())
        subscribed = pc.is_in(pa.array(frame["listener"].array, pa.string()), self.subscribers)
        paid = day[mask & subscribed.to_numpy(zero_copy_only=False)]
        self.weights.append(paid.groupby(["listener", "artist"], sort=False)["seconds"].sum())
        self.pending += len(self.weights[-1])
        if self.pending > max(1_000_000, 2 * len(self.weights[0])):
            self._compact()

    def _compact(self) -> None:
        self.listeners = [pd.concat(self.listeners).groupby(level=0, sort=False).sum()]
        self.weights = [pd.concat(self.weights).groupby(level=[0, 1], sort=False).sum()]
        self.pending = 0

    def totals(self) -> tuple[pd.DataFrame, pd.Series]:
        if not self.listeners:
            self.add(pd.DataFrame({"listener": pd.array([], dtype="str"),
                                   "artist_id": pd.array([], dtype="str"),
                                   "seconds": np.zeros(0, dtype=np.int64)}))
        self._compact()
        return self.listeners[0], self.weights[0]


def reconcile(days: pd.DataFrame | Iterable[pd.DataFrame], subscribers: Iterable[str],
              top_n: int, min_seconds: int) -> Reconciliation:
    """Reconcile a node's month from its canonical frame or an iterable of per-day frames."""
    if top_n < 1:
        raise ValueError("top_n must be at least 1")
    paid = set(subscribers)
    sums = _MonthSums(paid, min_seconds)
    for frame in ([days] if isinstance(days, pd.DataFrame) else days):
        sums.add(frame)
    per_listener, weights = sums.totals()
    allocations = _allocations(weights, top_n)
    allocated = {listener for listener, _ in allocations}
    others = per_listener[~per_listener.index.isin(paid)].sort_index()
    unsubscribed = [{"listener": str(listener), "rows": int(rows), "plays": int(plays),
                     "seconds": int(seconds)}
                    for listener, rows, plays, seconds in zip(
                        others.index, others["rows"], others["plays"], others["seconds"])]
    return Reconciliation(allocations, unsubscribed, sorted(paid - allocated),
                          merkle_root(allocations))


def _allocations(weights: pd.Series, top_n: int) -> list[Allocation]:
    """Top-N (artist, weight) per listener: ties by artist id ascending, as chaincode.rules.top_n."""
    table = weights.rename("weight").reset_index()
    table = table.sort_values(["listener", "weight", "artist"], ascending=[True, False, True],
                              kind="stable")
    table = table[table.groupby("listener", sort=False).cumcount().to_numpy() < top_n]
    listeners = table["listener"].to_numpy()
    artists = table["artist"].to_numpy()
    values = table["weight"].to_numpy()
    starts = np.flatnonzero(np.r_[True, listeners[1:] != listeners[:-1]]) if len(table) else []
    ends = list(starts[1:]) + [len(table)]
    return [(str(listeners[s]), [(str(a), int(w)) for a, w in zip(artists[s:e], values[s:e])])
            for s, e in zip(starts, ends)]


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
