"""The columnar canonical day (policy ``day_format`` columnar) against its definition, read back, and
refused when its bytes are not one."""

import struct
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from admin import anomalies, daycolumns, dayfile, reconcile
from admin.errors import InputError
from test_dayfile_properties import DAY, frame_of, plays

COLUMNAR = "columnar"


def padded(data: bytes) -> bytes:
    return data + b"\x00" * (-len(data) % 8)


def defined_columns(frame) -> bytes:
    """The columnar bytes exactly as the admin.daycolumns docstring defines them, with plain Python."""
    rows = sorted(zip(frame["played_at"], frame["listener"], frame["artist_id"], frame["track_id"],
                      frame["seconds"]), key=lambda r: (int(r[0]), r[1], r[2], r[3], int(r[4])))
    parts, places = [b"nineten-day/1\n\x00\x00", struct.pack("<Q", len(rows))], []
    for column in (1, 2, 3):
        values = sorted({row[column] for row in rows})
        encoded = [value.encode("utf-8") for value in values]
        ends = [0]
        for text in encoded:
            ends.append(ends[-1] + len(text))
        parts += [struct.pack("<Q", len(values)), struct.pack(f"<{len(ends)}Q", *ends), padded(b"".join(encoded))]
        places.append([values.index(row[column]) for row in rows])
    parts += [padded(struct.pack(f"<{len(rows)}I", *place)) for place in places]
    parts += [struct.pack(f"<{len(rows)}q", *(int(r[0]) for r in rows)),
              struct.pack(f"<{len(rows)}q", *(int(r[4]) for r in rows))]
    return b"".join(parts)


@settings(max_examples=150, deadline=None)
@given(plays)
def test_columnar_bytes_follow_the_definition_and_read_back(rows):
    frame = frame_of(rows)
    data = dayfile.canonical_bytes(frame, COLUMNAR)
    assert data == defined_columns(frame)
    back = daycolumns.parse(data, Path("2026-10-01.columns"))
    assert dayfile.canonical_bytes(back, COLUMNAR) == data
    assert dayfile.canonical_bytes(back) == dayfile.canonical_bytes(frame)
    assert dayfile.anchor(frame, 30, COLUMNAR)["sha256"] == dayfile.anchor(back, 30, COLUMNAR)["sha256"]
    assert {k: v for k, v in dayfile.anchor(back, 30).items()} == dayfile.anchor(frame, 30)


day_plays = st.lists(st.tuples(st.integers(DAY, DAY + dayfile.MICROS_PER_DAY - 1),
                               st.sampled_from(["p1", "p2", "p3", "p,4"]),
                               st.sampled_from(["a1", "a2", "a3", "é"]), st.sampled_from(["t1", "t2"]),
                               st.integers(0, 40_000)), max_size=60)


@settings(max_examples=100, deadline=None)
@given(day_plays, st.sets(st.sampled_from(["p1", "p2", "p3", "p9"])), st.integers(1, 3), st.integers(0, 60))
def test_a_columnar_day_reconciles_and_checks_as_its_csv_day(tmp_path_factory, rows, subscribers, top_n, min_seconds):
    """The month's sums number a read-back day's listeners and artists by its sorted values (no
    per-row hashing): the same allocations, Merkle root and anomaly findings as the CSV day."""
    frame, folder = frame_of(rows), tmp_path_factory.mktemp("kept")
    dayfile.write_canonical(frame, folder / "2026-10-01.columns", COLUMNAR)
    dayfile.write_canonical(frame, folder / "2026-10-01.csv")
    columnar, csv = (dayfile.read_canonical(folder / name) for name in ("2026-10-01.columns", "2026-10-01.csv"))
    assert reconcile.reconcile(columnar, subscribers, top_n, min_seconds) == \
        reconcile.reconcile(csv, subscribers, top_n, min_seconds)
    thresholds = {"max_daily_seconds": 50_000, "max_track_loops": 1}
    assert anomalies.day_checks(columnar, thresholds, min_seconds) == anomalies.day_checks(csv, thresholds, min_seconds)


@settings(max_examples=50, deadline=None)
@given(day_plays, st.integers(0, 60))
def test_a_kept_columnar_file_anchors_as_its_frame_does(tmp_path_factory, rows, min_seconds):
    frame = frame_of(rows)
    path = tmp_path_factory.mktemp("kept") / "2026-10-01.columns"
    dayfile.write_canonical(frame, path, COLUMNAR)
    _, read, anchor = dayfile.kept(min_seconds)(path)
    assert anchor == dayfile.anchor(frame, min_seconds, COLUMNAR)
    assert dayfile.anchor(read, min_seconds, COLUMNAR) == anchor


def small_day() -> bytes:
    """Two plays: listeners "ab"'s a and b, one artist x, one track t (offsets below follow)."""
    return dayfile.canonical_bytes(frame_of([(DAY + 1, "a", "x", "t", 40), (DAY + 2, "b", "x", "t", 50)]), COLUMNAR)


def changed(data: bytes, at: int, new: bytes) -> bytes:
    return data[:at] + new + data[at + len(new):]


LISTENER_TEXT = 16 + 8 + 8 + 24  # magic, rows, count, 3 offsets
LISTENER_CODES = 16 + 8 + (8 + 24 + 8) + (8 + 16 + 8) + (8 + 16 + 8)


@pytest.mark.parametrize("mangle, message", [
    (lambda d: b"X" + d[1:], "it does not begin with the columnar day's magic bytes"),
    (lambda d: d[:-1], "it ends before its seconds (2 values from byte 168)"),
    (lambda d: d + bytes(8), "8 bytes follow its last column"),
    (lambda d: changed(d, LISTENER_TEXT, b"ba"), "the listener values are not distinct and sorted by code point"),
    (lambda d: changed(d, LISTENER_TEXT, b"a\xff"), "the listener values are not UTF-8"),
    (lambda d: changed(d, LISTENER_TEXT + 2, b"\x01"), "the padding after byte 58 is not zero bytes"),
    (lambda d: changed(d, LISTENER_CODES, struct.pack("<I", 7)), "a listener refers to value 7 of 2"),
    (lambda d: changed(d, 16 + 8 + 8 + 8, struct.pack("<Q", 5)),
     "the offsets of the listener values are not in order within the file"),
])
def test_bytes_that_are_not_a_columnar_day_are_refused_naming_the_file(tmp_path, mangle, message):
    data = small_day()
    assert daycolumns.parse(data, Path("d")).shape == (2, 5)
    path = tmp_path / "2026-10-01.columns"
    path.write_bytes(mangle(data))
    with pytest.raises(InputError) as caught:
        dayfile.read_canonical(path) if message.startswith("it does not") else dayfile.kept(30)(path)
    if message.startswith("it does not"):  # not columnar at all: read as CSV, which it is not either
        assert caught.value.message.startswith("not a canonical day file:")
        with pytest.raises(InputError) as caught:
            daycolumns.parse(path.read_bytes(), path)
    assert caught.value.message == f"not a columnar canonical day file: {message}"
    assert caught.value.file == str(path)


def test_columnar_days_concatenated_reconcile_and_render_as_their_csv_days(tmp_path):
    """Frames of several columnar days put together (their dictionaries differ) sum and render as text does."""
    days = [frame_of([(DAY + 1, "p1", "a", "t", 40), (DAY + 2, "p2", "b", "u", 50)]),
            frame_of([(DAY + 3, "p3", "a", "v", 60), (DAY + 4, "p1", "c", "t", 70)])]
    back = [daycolumns.parse(dayfile.canonical_bytes(day, COLUMNAR), Path("d")) for day in days]
    together, plain = pd.concat(back, ignore_index=True), pd.concat(days, ignore_index=True)
    assert dayfile.canonical_bytes(together) == dayfile.canonical_bytes(plain)
    assert reconcile.reconcile(together, {"p1", "p3"}, 2, 30) == reconcile.reconcile(plain, {"p1", "p3"}, 2, 30)
    assert dayfile.anchor(together, 30) == dayfile.anchor(plain, 30)
