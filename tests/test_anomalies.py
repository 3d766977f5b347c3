"""Each anomaly check finds its planted case and nothing in a clean one."""

import pandas as pd
import pytest

from admin import anomalies

DAY = 1_790_812_800_000_000  # 2026-10-01T00:00:00Z in µs
S = 1_000_000  # µs per second


def plays(rows):
    """A canonical frame from (listener, track, offset seconds, seconds) rows, artist 'a'."""
    return pd.DataFrame({
        "played_at": [DAY + offset * S for _, _, offset, _ in rows],
        "listener": pd.array([r[0] for r in rows], dtype="str"),
        "artist_id": pd.array(["a"] * len(rows), dtype="str"),
        "track_id": pd.array([r[1] for r in rows], dtype="str"),
        "seconds": [r[3] for r in rows],
    })


def test_over_24h():
    frame = plays([("p1", "t", 0, 400), ("p1", "t", 500, 400), ("p1", "t", 1000, 29),
                   ("p2", "t", 0, 800)])
    assert anomalies.over_24h(frame, {"max_daily_seconds": 799}, 30) == [
        {"check": "over_24h", "subject": "p1", "evidence": {"seconds": 800, "plays": 2},
         "day": "2026-10-01"},
        {"check": "over_24h", "subject": "p2", "evidence": {"seconds": 800, "plays": 1},
         "day": "2026-10-01"}]
    assert anomalies.over_24h(frame, {"max_daily_seconds": 800}, 30) == []
    assert anomalies.over_24h(frame, None, 30) == []


def test_overlapping_plays():
    frame = plays([("p1", "t", 100, 60), ("p1", "t", 0, 101), ("p1", "t", 200, 10),
                   ("p1", "t", 205, 10), ("p2", "t", 0, 100), ("p2", "t", 100, 100)])
    assert anomalies.overlapping_plays(frame, None) == [
        {"check": "overlapping_plays", "subject": "p1",
         "evidence": {"overlaps": 2, "played_at": "2026-10-01T00:00:00.000000Z", "seconds": 101,
                      "next_played_at": "2026-10-01T00:01:40.000000Z"},
         "day": "2026-10-01"}]
    clean = plays([("p1", "t", 0, 100), ("p1", "t", 100, 100), ("p2", "t", 50, 100)])
    assert anomalies.overlapping_plays(clean, None) == []


def test_track_loops():
    frame = plays([("p1", "t1", i * 200, 100) for i in range(4)] + [("p1", "t2", 900, 100)])
    assert anomalies.track_loops(frame, {"max_track_loops": 3}) == [
        {"check": "track_loops", "subject": "p1", "evidence": {"track_id": "t1", "plays": 4},
         "day": "2026-10-01"}]
    assert anomalies.track_loops(frame, {"max_track_loops": 4}) == []


def test_day_total_outlier_above_and_below_the_median_of_other_days():
    days = {"2026-10-01": 1000, "2026-10-02": 1100, "2026-10-03": 3400, "2026-10-04": 340,
            "2026-10-05": 1001}
    assert anomalies.day_total_outlier(days, {"day_total_factor_pct": 300}) == [
        {"check": "day_total_outlier", "subject": "2026-10-03",
         "evidence": {"seconds": 3400, "median_of_other_days": "1000.5", "direction": "above",
                      "factor_pct": 300}, "day": "2026-10-03"},
        {"check": "day_total_outlier", "subject": "2026-10-04",
         "evidence": {"seconds": 340, "median_of_other_days": "1050.5", "direction": "below",
                      "factor_pct": 300}, "day": "2026-10-04"}]
    assert anomalies.day_total_outlier({"2026-10-01": 1000, "2026-10-02": 1500,
                                        "2026-10-03": 800}, None) == []


def test_account_farm():
    farm = [(f"f{i}", [("x", 100), ("y", 90)]) for i in range(3)]
    others = [("n1", [("y", 5), ("x", 9)]), ("n2", [("x", 1), ("y", 1), ("z", 1)])]
    limits = {"farm_min_accounts": 4, "farm_max_artists": 2}
    assert anomalies.account_farm(farm + others, limits) == [
        {"check": "account_farm", "subject": "x,y",
         "evidence": {"accounts": 4, "listeners": "f0,f1,f2,n1"}, "day": None}]
    assert anomalies.account_farm(farm + others, {**limits, "farm_min_accounts": 5}) == []
    assert anomalies.account_farm(farm + others, {**limits, "farm_max_artists": 1}) == []


def test_few_listener_artists_only_when_they_get_income():
    allocations = [("p1", [("a", 10), ("rare", 10)]), ("p2", [("a", 1)]),
                   ("p3", [("a", 10_000), ("dust", 1)])]
    assert anomalies.few_listener_artists(allocations, {"min_listeners_per_artist": 2}, 10) == [
        {"check": "few_listener_artists", "subject": "rare",
         "evidence": {"listeners": 1, "payout_micro": 5}, "day": None}]
    assert anomalies.few_listener_artists(allocations, {"min_listeners_per_artist": 1}, 10) == []


def test_unknown_threshold_is_refused():
    with pytest.raises(ValueError, match="^unknown anomaly threshold 'max_loops'$"):
        anomalies.track_loops(plays([]), {"max_loops": 3})


def test_day_and_month_checks_gather_the_named_checks():
    frame = plays([("p1", "t", 0, 100), ("p1", "t", 50, 100)])
    assert [f["check"] for f in anomalies.day_checks(frame, None, 30)] == ["overlapping_plays"]
    allocations = [(f"f{i}", [("x", 1)]) for i in range(20)]
    assert [f["check"] for f in anomalies.month_checks(allocations, {"2026-10-01": 5}, None,
                                                      9_000_000)] == ["account_farm"]
