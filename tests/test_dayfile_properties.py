"""The fast day-file paths against their plain definitions: canonical bytes and anchors, blank ids, pseudonyms."""

import datetime as dt
import hashlib

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from admin import dayfile, formats
from admin.pseudonym import Pseudonymiser, pseudonym

DAY = 1_790_812_800_000_000  # 2026-10-01T00:00:00Z in µs


def field(text: str) -> str:
    """A CSV field as the canonical form writes it: quoted only when it holds , " CR or LF."""
    return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\r\n') else text


def defined_bytes(frame: pd.DataFrame) -> bytes:
    """The canonical bytes exactly as the dayfile docstring defines them, one row at a time."""
    rows = sorted(zip(frame["played_at"], frame["listener"], frame["artist_id"], frame["track_id"],
                      frame["seconds"]), key=lambda r: (int(r[0]), r[1], r[2], r[3], int(r[4])))
    lines = ["played_at,listener,artist_id,track_id,seconds\n"]
    for played, listener, artist, track, seconds in rows:
        moment = dt.datetime(1970, 1, 1) + dt.timedelta(microseconds=int(played))
        lines.append(f"{moment.year:04d}-{moment:%m-%dT%H:%M:%S.%fZ},{field(listener)},{field(artist)},{field(track)},"
                     f"{int(seconds)}\n")
    return "".join(lines).encode("utf-8")


texts = st.text(st.sampled_from(list('ab,"\r\n é😀Z0')), min_size=1, max_size=6)
times = st.one_of(st.sampled_from([DAY, DAY + 1, DAY + 999_999, DAY - 1, 0, -1]),
                  st.integers(DAY - 3 * dayfile.MICROS_PER_DAY, DAY + 3 * dayfile.MICROS_PER_DAY),
                  st.integers(-62_135_596_800_000_000, 253_402_300_799_999_999))  # years 1 to 9999
plays = st.lists(st.tuples(times, st.sampled_from(["p1", "p2", "p,3"]) | texts, texts, texts,
                           st.integers(0, 10**18)), max_size=40)


def frame_of(rows) -> pd.DataFrame:
    return pd.DataFrame({
        "played_at": pd.array([r[0] for r in rows], dtype="int64"),
        "listener": pd.array([r[1] for r in rows], dtype="str"),
        "artist_id": pd.array([r[2] for r in rows], dtype="str"),
        "track_id": pd.array([r[3] for r in rows], dtype="str"),
        "seconds": pd.array([r[4] for r in rows], dtype="int64"),
    })


@settings(max_examples=150, deadline=None)
@given(plays, st.sampled_from([1, 3, 1 << 18]), st.integers(0, 60))
def test_canonical_bytes_and_anchor_follow_the_definition(rows, chunk_rows, min_seconds):
    frame = frame_of(rows)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(dayfile, "CHUNK_ROWS", chunk_rows)
        assert dayfile.canonical_bytes(frame) == defined_bytes(frame)
        counted = [r for r in rows if r[4] >= min_seconds and r[4] > 0]
        assert dayfile.anchor(frame, min_seconds) == {
            "sha256": hashlib.sha256(defined_bytes(frame)).hexdigest(), "rows": len(rows),
            "listeners": len({r[1] for r in rows}), "plays": len(counted),
            "seconds": sum(r[4] for r in counted)}


@settings(max_examples=100, deadline=None)
@given(plays)
def test_canonical_bytes_do_not_depend_on_row_order(rows):
    frame = frame_of(rows)
    assert dayfile.canonical_bytes(frame.iloc[::-1]) == dayfile.canonical_bytes(frame)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.none() | st.text(st.sampled_from(list(" \t\n\r\x0b\x0c\x1c\x85\xa0\u1680\u2000\u2028\u3000\ufeffa.")),
                                    max_size=4), max_size=20))
def test_blank_ids_are_those_arrow_trims_to_nothing(values):
    raw = pa.array(values, pa.string())
    trimmed_empty = pc.fill_null(pc.or_kleene(pc.is_null(raw), pc.equal(pc.utf8_trim_whitespace(raw), "")), False)
    assert list(formats._missing(raw)) == trimmed_empty.to_pylist()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(max_size=5), max_size=30))
def test_pseudonyms_of_a_series_are_each_ids_pseudonym(ids):
    series = pd.Series(pd.array(ids, dtype="str"), index=range(3, 3 + len(ids)), name="listener_id")
    hashed = Pseudonymiser(b"k", "2026-10").series(series)
    assert list(hashed.index) == list(series.index) and hashed.name == "listener_id"
    assert list(hashed) == [pseudonym(b"k", "2026-10", i) for i in ids]


day_plays = st.lists(st.tuples(st.integers(DAY, DAY + dayfile.MICROS_PER_DAY - 1),
                               st.sampled_from(["p1", "p2", "p,3"]) | texts, texts, texts,
                               st.integers(0, 86_400)), max_size=40)


@settings(max_examples=100, deadline=None)
@given(day_plays, st.integers(0, 60))
def test_a_kept_file_anchors_as_its_frame_does(tmp_path_factory, rows, min_seconds):
    """Reading a kept canonical file hashes its bytes instead of rendering it again: the same anchor."""
    frame = frame_of(rows)
    path = tmp_path_factory.mktemp("kept") / "2026-10-01.csv"
    dayfile.write_canonical(frame, path)
    _, read, anchor = dayfile.kept(min_seconds)(path)
    assert anchor == dayfile.anchor(frame, min_seconds)
    assert dayfile.anchor(read, min_seconds) == anchor


def test_a_kept_file_in_another_order_is_not_the_anchored_day(tmp_path):
    """The same plays in other bytes (rows swapped) hash otherwise: the kept file must be the anchored one."""
    frame = frame_of([(DAY + 1, "p1", "a", "t", 40), (DAY + 2, "p2", "b", "t", 50)])
    path = tmp_path / "2026-10-01.csv"
    dayfile.write_canonical(frame, path)
    header, first, second = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(header + second + first)
    assert dayfile.kept(30)(path)[2]["sha256"] != dayfile.anchor(frame, 30)["sha256"]
