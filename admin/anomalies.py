"""Named anomaly checks over a node's canonical plays and its month's allocations.

Each check returns findings ``{"check", "subject", "evidence", "day"}``: evidence holds only ints
and strings; ``day`` is ``YYYY-MM-DD``, or None for a check over the whole month. Thresholds are
named as in ``chaincode.rules.ANOMALY_DEFAULTS``; a missing one takes its default.
"""

import datetime as dt
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd

from admin.dayfile import MICROS_PER_DAY, as_text, counted, iso
from admin.reconcile import Allocation, listener_parts
from chaincode.rules import ANOMALY_DEFAULTS

Finding = dict[str, Any]

#: The named checks, per day then per month.


def limits(thresholds: Mapping[str, int] | None = None) -> dict[str, int]:
    """The thresholds with defaults filled in; an unknown name is a ValueError."""
    unknown = sorted(set(thresholds or {}) - set(ANOMALY_DEFAULTS))
    if unknown:
        raise ValueError(f"unknown anomaly threshold {unknown[0]!r}")
    return {**ANOMALY_DEFAULTS, **(thresholds or {})}


def _day(day_number: int) -> str:
    return (dt.date(1970, 1, 1) + dt.timedelta(days=int(day_number))).isoformat()


def _finding(check: str, subject: str, evidence: dict[str, int | str],
             day: str | None) -> Finding:
    return {"check": check, "subject": subject, "evidence": evidence, "day": day}


def over_24h(frame: pd.DataFrame, thresholds: Mapping[str, int] | None,
             min_seconds: int) -> list[Finding]:
    """Listeners whose counted play time in one day exceeds ``max_daily_seconds``."""
    limit = limits(thresholds)["max_daily_seconds"]
    mask = counted(frame["seconds"], min_seconds)
    plays = pd.DataFrame({"listener": frame["listener"].array[mask],
                          "day": frame["played_at"].to_numpy()[mask] // MICROS_PER_DAY,
                          "seconds": frame["seconds"].to_numpy()[mask]})
    sums = plays.groupby(["day", "listener"])["seconds"].agg(["sum", "size"])
    sums = sums[sums["sum"] > limit]
    return [_finding("over_24h", str(listener), {"seconds": int(total), "plays": int(size)},
                     _day(day))
            for (day, listener), total, size in zip(sums.index, sums["sum"], sums["size"])]


def overlapping_plays(frame: pd.DataFrame,
                      thresholds: Mapping[str, int] | None = None) -> list[Finding]:
    """Listeners with a play starting before their previous play ended (one finding a day)."""
    limits(thresholds)
    plays = frame[["listener", "played_at", "seconds"]].sort_values(
        ["listener", "played_at", "seconds"], kind="stable")
    listener = plays["listener"].to_numpy()
    start = plays["played_at"].to_numpy()
    end = start + plays["seconds"].to_numpy() * 1_000_000
    overlap = np.flatnonzero((listener[:-1] == listener[1:]) & (end[:-1] > start[1:]))
    found = pd.DataFrame({"listener": listener[overlap], "day": start[overlap] // MICROS_PER_DAY,
                          "at": overlap})
    groups = found.groupby(["day", "listener"])["at"].agg(["min", "size"])
    return [_finding("overlapping_plays", str(who),
                     {"overlaps": int(size), "played_at": iso(start[first]),
                      "seconds": int(plays["seconds"].iloc[first]),
                      "next_played_at": iso(start[first + 1])}, _day(day))
            for (day, who), first, size in zip(groups.index, groups["min"], groups["size"])]


def track_loops(frame: pd.DataFrame, thresholds: Mapping[str, int] | None = None) -> list[Finding]:
    """A listener playing one track more than ``max_track_loops`` times in a day."""
    limit = limits(thresholds)["max_track_loops"]
    plays = pd.DataFrame({"listener": frame["listener"].array,
                          "day": frame["played_at"].to_numpy() // MICROS_PER_DAY,
                          "track": frame["track_id"].array})
    counts = plays.groupby(["day", "listener", "track"]).size()
    counts = counts[counts > limit]
    return [_finding("track_loops", str(listener), {"track_id": str(track), "plays": int(n)},
                     _day(day))
            for (day, listener, track), n in counts.items()]


def day_total_outlier(day_seconds: Mapping[str, int],
                      thresholds: Mapping[str, int] | None = None) -> list[Finding]:
    """Days whose counted seconds are above ``day_total_factor_pct`` % of the median of the
    node's other days, or below 100 × 100 / factor % of it (exact integer comparisons);
    a factor of 0 turns the check off."""
    factor = limits(thresholds)["day_total_factor_pct"]
    findings = []
    for day, total in sorted(day_seconds.items()):
        others = sorted(v for d, v in day_seconds.items() if d != day)
        if not others or factor == 0:
            continue
        middle = len(others) // 2
        twice_median = 2 * others[middle] if len(others) % 2 else others[middle - 1] + others[middle]
        if 2 * total * 100 > twice_median * factor:
            direction = "above"
        elif 2 * total * factor < twice_median * 100:
            direction = "below"
        else:
            continue
        median = str(twice_median // 2) + (".5" if twice_median % 2 else "")
        findings.append(_finding("day_total_outlier", day,
                                 {"seconds": int(total), "median_of_other_days": median,
                                  "direction": direction, "factor_pct": factor}, day))
    return findings


def account_farm(allocations: Iterable[Allocation],
                 thresholds: Mapping[str, int] | None = None) -> list[Finding]:
    """At least ``farm_min_accounts`` listeners whose whole top set is the same set of at most
    ``farm_max_artists`` artists."""
    limit = limits(thresholds)
    rows = [(",".join(sorted(a for a, _ in artists)), listener)
            for listener, artists in allocations if len(artists) <= limit["farm_max_artists"]]
    table = pd.DataFrame(rows, columns=["artists", "listener"])
    groups = table.groupby("artists")["listener"].agg(["size", lambda s: ",".join(sorted(s))])
    groups.columns = ["size", "listeners"]
    groups = groups[groups["size"] >= limit["farm_min_accounts"]]
    return [_finding("account_farm", str(artists),
                     {"accounts": int(size), "listeners": str(listeners)}, None)
            for artists, size, listeners in zip(groups.index, groups["size"], groups["listeners"])]


def few_listener_artists(allocations: Iterable[Allocation], thresholds: Mapping[str, int] | None,
                         artist_share_micro: int) -> list[Finding]:
    """Artists with income coming from fewer than ``min_listeners_per_artist`` listeners."""
    minimum = limits(thresholds)["min_listeners_per_artist"]
    parts = pd.DataFrame(list(listener_parts(allocations, artist_share_micro)),
                         columns=["listener", "artist", "micro"])
    parts = parts[parts["micro"] > 0]
    income = parts.groupby("artist")["micro"].agg(["size", "sum"])
    income = income[income["size"] < minimum]
    return [_finding("few_listener_artists", str(artist),
                     {"listeners": int(n), "payout_micro": int(total)}, None)
            for artist, n, total in zip(income.index, income["size"], income["sum"])]


def day_checks(frame: pd.DataFrame, thresholds: Mapping[str, int] | None,
               min_seconds: int) -> list[Finding]:
    """The per-day checks on canonical plays: over_24h, overlapping_plays, track_loops."""
    frame = as_text(frame)
    return (over_24h(frame, thresholds, min_seconds) + overlapping_plays(frame, thresholds)
            + track_loops(frame, thresholds))


def month_checks(allocations: list[Allocation], day_seconds: Mapping[str, int],
                 thresholds: Mapping[str, int] | None, artist_share_micro: int) -> list[Finding]:
    """The month's checks: day_total_outlier, account_farm, few_listener_artists."""
    return (day_total_outlier(day_seconds, thresholds) + account_farm(allocations, thresholds)
            + few_listener_artists(allocations, thresholds, artist_share_micro))
