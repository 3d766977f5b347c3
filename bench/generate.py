"""Synthetic month of plays for the benchmark: one Parquet file per day.

Each listener has a personal set of artists drawn by popularity and plays them with a skewed
preference, so a listener reaches tens of artists, not thousands. About 10 % of plays are shorter
than 30 s. Files already present with the right row count are kept.
"""

import argparse
import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

MICROS_PER_DAY = 86_400_000_000
ARTISTS_PER_LISTENER = 40


def names(prefix: str, count: int) -> pa.Array:
    return pa.array([f"{prefix}-{i:06d}" for i in range(count)], pa.string())


def skewed(rng: np.random.Generator, count: int, exponent: float) -> np.ndarray:
    weights = 1.0 / np.arange(1, count + 1) ** exponent
    return rng.permutation(weights / weights.sum())


def day_table(rng, day: dt.date, rows: int, listeners: pa.Array, artists: pa.Array,
              tracks_per_artist: int, activity, personal, slot_weights) -> pa.Table:
    listener = rng.choice(len(listeners), size=rows, p=activity)
    slot = rng.choice(ARTISTS_PER_LISTENER, size=rows, p=slot_weights)
    artist = personal[listener, slot]
    track = artist * tracks_per_artist + rng.integers(0, tracks_per_artist, size=rows)
    seconds = np.where(rng.random(rows) < 0.1, rng.integers(0, 30, size=rows),
                       rng.integers(30, 420, size=rows))
    start = (day - dt.date(1970, 1, 1)).days * MICROS_PER_DAY
    played_at = start + rng.integers(0, MICROS_PER_DAY, size=rows)
    return pa.table({
        "played_at": pa.array(played_at, pa.timestamp("us", tz="UTC")),
        "listener_id": listeners.take(pa.array(listener)),
        "artist_id": artists.take(pa.array(artist)),
        "track_id": pc.binary_join_element_wise("track-", pa.array(track).cast(pa.string()), ""),
        "seconds": pa.array(seconds, pa.int32()),
    })


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--plays", type=int, default=10_000_000)
    parser.add_argument("--listeners", type=int, default=30_000)
    parser.add_argument("--artists", type=int, default=20_000)
    parser.add_argument("--month", default="2026-10")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    first = dt.date.fromisoformat(args.month + "-01")
    days = [first + dt.timedelta(days=i) for i in range(31)
            if (first + dt.timedelta(days=i)).month == first.month]
    args.out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(9)
    listeners, artists = names("user", args.listeners), names("artist", args.artists)
    activity = skewed(rng, args.listeners, 0.6)
    personal = rng.choice(args.artists, size=(args.listeners, ARTISTS_PER_LISTENER),
                          p=skewed(rng, args.artists, 0.9))
    slot_weights = 1.0 / np.arange(1, ARTISTS_PER_LISTENER + 1) ** 1.2
    slot_weights /= slot_weights.sum()
    per_day = [args.plays // len(days) + (i < args.plays % len(days)) for i in range(len(days))]
    for day, rows in zip(days, per_day):
        path = args.out / f"{day.isoformat()}.parquet"
        if path.exists() and pq.read_metadata(path).num_rows == rows:
            continue
        table = day_table(rng, day, rows, listeners, artists, 10, activity, personal,
                          slot_weights)
        pq.write_table(table, path)
    print(f"{sum(per_day):,} plays in {len(days)} files in {args.out}")


if __name__ == "__main__":
    main()
