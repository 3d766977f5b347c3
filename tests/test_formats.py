"""Day files: the four input formats, bad rows, pseudonyms, canonical bytes and anchors."""

import hashlib
import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from admin import dayfile, formats
from admin.artists import ArtistCatalogue
from admin.errors import InputError
from admin.readers.resolve import ReadOptions
from admin.pseudonym import new_secret, pseudonym, pseudonymise

SECRET = b"node-secret"
HEADER = "played_at,listener_id,artist_id,track_id,seconds\n"
ALICE, BOB = "https://node/users/alice", "https://node/users/bob"
T1, T2 = "https://node/tracks/1", "https://node/tracks/2"
AT_0815 = 1_790_842_500_000_000  # 2026-10-01T08:15:00Z in µs


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def jsonl(tmp_path, name, items):
    return write(tmp_path, name, "".join(json.dumps(i) + "\n" for i in items))


def listen(actor, track, artist, length, published, **extra):
    return {"type": "Listen", "actor": actor, "published": published,
            "object": {"type": "Audio", "id": track, "attributedTo": artist,
                       "duration": length}, **extra}


def brainz(user, listened_at, mbid, recording, duration_ms):
    return {"listened_at": listened_at, "user_name": user,
            "track_metadata": {"artist_name": "X", "track_name": "One",
                               "additional_info": {"duration_ms": duration_ms,
                                                   "artist_mbids": [mbid],
                                                   "recording_mbid": recording}}}


def as_rows(frame):
    return [(int(line), *row) for line, row in zip(frame.index, frame.itertuples(index=False))]


# --- the same plays in every format ----------------------------------------------------------

SAME_PLAYS_CSV = (HEADER + f"2026-10-01T09:00:00Z,{BOB},y,{T2},29\n"
                  f"2026-10-01T08:15:00Z,{ALICE},x,{T1},192\n")


def same_plays_files(tmp_path):
    for folder in ("csv", "pq", "as2", "lb"):
        (tmp_path / folder).mkdir()
    csv = write(tmp_path / "csv", "2026-10-01.csv", SAME_PLAYS_CSV)
    parquet = tmp_path / "pq" / "2026-10-01.parquet"
    pq.write_table(pa.table({
        "played_at": pa.array([AT_0815 + 2_700_000_000, AT_0815], pa.timestamp("us", "UTC")),
        "listener_id": [BOB, ALICE], "artist_id": ["y", "x"], "track_id": [T2, T1],
        "seconds": pa.array([29, 192], pa.int32())}), parquet)
    activities = jsonl(tmp_path / "as2", "2026-10-01.jsonl", [
        listen(ALICE, T1, {"id": "https://node/artists/x", "name": "X"}, "PT3M12S",
               "2026-10-01T08:15:00Z"),
        listen(BOB, T2, "https://node/artists/y", "PT5M", "2026-10-01T09:00:00+00:00",
               duration="PT29S")])
    listens = jsonl(tmp_path / "lb", "2026-10-01.jsonl", [
        brainz(ALICE, AT_0815 // 1_000_000, "x", T1, 192_999),
        brainz(BOB, AT_0815 // 1_000_000 + 2700, "y", T2, 29_500)])
    return [csv, parquet, activities, listens]


def test_the_four_formats_give_the_same_frame_and_hash(tmp_path):
    alice, bob = pseudonym(SECRET, "2026-10", ALICE), pseudonym(SECRET, "2026-10", BOB)
    expected_bytes = ("played_at,listener,artist_id,track_id,seconds\n"
                      f"2026-10-01T08:15:00.000000Z,{alice},x,{T1},192\n"
                      f"2026-10-01T09:00:00.000000Z,{bob},y,{T2},29\n").encode()
    expected_anchor = {"sha256": hashlib.sha256(expected_bytes).hexdigest(), "rows": 2,
                       "listeners": 2, "plays": 1, "seconds": 192}
    for path in same_plays_files(tmp_path):
        frame = dayfile.load_day(path, SECRET)
        assert dayfile.canonical_bytes(frame) == expected_bytes, path
        assert dayfile.anchor(frame, 30) == expected_anchor, path


def test_csv_reads_exact_values_and_dtypes(tmp_path):
    path = write(tmp_path, "2026-10-01.csv",
                 HEADER + "2026-10-01T08:15:00.25Z,alice,x,t1,192\n")
    frame = formats.read_day(path)
    assert list(frame.columns) == list(formats.COLUMNS)
    assert [str(t) for t in frame.dtypes] == ["int64", "str", "str", "str", "int64"]
    assert as_rows(frame) == [(2, AT_0815 + 250_000, "alice", "x", "t1", 192)]


# --- bad rows ---------------------------------------------------------------------------------

BAD_CSV = (HEADER
           + "2026-10-01T08:15:00Z,alice,x,t1,192\n"
           + "2026-13-01T08:15:00Z,alice,x,t1,192\n"
           + "2026-10-01 08:15:00,,x,t1,-3\n"
           + "2026-10-01T08:15:00Z,bob,x,\"t\n2\",3.5\n"
           + "1,2\n"
           + "2026-10-01T08:15:00Z,bob, ,t1,\n")


def test_csv_bad_rows_name_file_line_and_field(tmp_path):
    path = write(tmp_path, "2026-10-01.csv", BAD_CSV)
    with pytest.raises(InputError) as error:
        formats.read_day(path)
    assert str(error.value) == (f"{path}:3: field played_at: '2026-13-01T08:15:00Z' is not an "
                                "ISO-8601 UTC time such as 2026-10-01T08:15:00Z "
                                "(5 bad rows in the file)")
    assert (error.value.file, error.value.line, error.value.field) == (str(path), 3, "played_at")
    frame, problems = formats.read_day_report(path)
    assert as_rows(frame) == [(2, AT_0815, "alice", "x", "t1", 192)]
    assert [str(p.error()) for p in problems] == [
        f"{path}:3: field played_at: '2026-13-01T08:15:00Z' is not an ISO-8601 UTC time such "
        "as 2026-10-01T08:15:00Z",
        f"{path}:4: field played_at: '2026-10-01 08:15:00' is not an ISO-8601 UTC time such "
        "as 2026-10-01T08:15:00Z",
        f"{path}:4: field listener_id: is missing",
        f"{path}:4: field seconds: -3 is negative",
        f"{path}:5: field seconds: '3.5' is not a whole number of seconds",
        f"{path}:7: field (row): has 2 fields, expected 5",
        f"{path}:8: field artist_id: is missing",
        f"{path}:8: field seconds: is missing",
    ]


def test_csv_header_must_have_the_five_columns(tmp_path):
    path = write(tmp_path, "2026-10-01.csv", "played_at,listener_id,artist_id,track,seconds\n")
    with pytest.raises(InputError) as error:
        formats.read_day(path)
    assert str(error.value) == (f"{path}:1: field track_id: column track_id is missing; "
                                "expected the columns "
                                "played_at,listener_id,artist_id,track_id,seconds")


def test_parquet_bad_values_are_reported_by_row(tmp_path):
    path = tmp_path / "2026-10-01.parquet"
    pq.write_table(pa.table({
        "played_at": ["2026-10-01T08:15:00Z", "yesterday", "2026-10-01T08:15:00Z", None],
        "listener_id": ["alice", "bob", "", "carol"], "artist_id": ["x", "x", "x", "x"],
        "track_id": pa.array([1, 2, 3, 4]), "seconds": [192.0, 10.5, -4.0, 30.0]}), path)
    frame, problems = formats.read_day_report(path)
    assert as_rows(frame) == [(1, AT_0815, "alice", "x", "1", 192)]
    assert [str(p.error()) for p in problems] == [
        f"{path}:2: field played_at: 'yesterday' is not an ISO-8601 UTC time such as "
        "2026-10-01T08:15:00Z",
        f"{path}:2: field seconds: 10.5 is not a whole number of seconds",
        f"{path}:3: field listener_id: is missing",
        f"{path}:3: field seconds: -4 is negative",
        f"{path}:4: field played_at: is missing",
    ]


def test_parquet_column_of_the_wrong_type(tmp_path):
    path = tmp_path / "2026-10-01.parquet"
    pq.write_table(pa.table({"played_at": [1.5], "listener_id": ["a"], "artist_id": ["x"],
                             "track_id": ["t"], "seconds": [3]}), path)
    with pytest.raises(InputError) as error:
        formats.read_day(path)
    assert str(error.value) == (f"{path}: field played_at: column played_at has type double; "
                                "expected an ISO-8601 string or a timestamp")


def test_jsonl_bad_lines_name_line_and_field(tmp_path):
    good = listen(ALICE, T1, "https://node/artists/x", "PT3M12S", "2026-10-01T08:15:00Z")
    path = write(tmp_path, "2026-10-01.jsonl", "\n".join([
        json.dumps(good),
        "{not json",
        json.dumps({**good, "type": "Like"}),
        json.dumps(listen(ALICE, T1, "https://node/artists/x", "PT3M12.5S", "2026-10-01T08:15:00Z")),
        "",
        json.dumps(listen(ALICE, T1, "https://node/artists/x", "-PT3M", "2026-10-01T08:15:00Z")),
        json.dumps(listen(ALICE, T1, None, "PT3M", "2026-10-01T08:15:00Z")),
        json.dumps(listen(ALICE, T1, "https://node/artists/x", "PT3M", "noon")),
        '{"listened_at": 1.0000001, "user_name": "u", "track_metadata": {}}',
        json.dumps({"listened_at": 1, "user_name": "u", "track_metadata": {"track_name": "One"}}),
        json.dumps({"listened_at": 1, "user_name": "u",
                    "track_metadata": {"artist_name": "X", "track_name": "One"}}),
    ]) + "\n")
    frame, problems = formats.read_day_report(path)
    assert as_rows(frame) == [(1, AT_0815, ALICE, "x", T1, 192), (11, 1_000_000, "u", "X", "One", 30)]
    assert [str(p.error()) for p in problems] == [
        f"{path}:2: field (json): is not valid JSON: Expecting property name enclosed in double "
        "quotes at column 2",
        f"{path}:3: field type: activity type 'Like' is not Listen",
        f"{path}:4: field object.duration: 'PT3M12.5S' is not a whole number of seconds",
        f"{path}:6: field object.duration: '-PT3M' is negative",
        f"{path}:7: field object.artist: is missing (neither artist, artist_credit, artists nor "
        "attributedTo names the artist)",
        f"{path}:8: field published: 'noon' is not an ISO-8601 UTC time such as "
        "2026-10-01T08:15:00Z",
        f"{path}:9: field listened_at: 1.0000001 has a precision finer than a microsecond",
        f"{path}:10: field track_metadata.artist_name: is missing",
    ]
    with pytest.raises(InputError, match=r"\(8 bad rows in the file\)$"):
        formats.read_day(path)


def test_jsonl_artist_catalogue_and_listenbrainz_fallbacks(tmp_path):
    path = jsonl(tmp_path, "2026-10-01.jsonl", [
        listen(ALICE, T1, "https://node/artists/x", "PT1H", "2026-10-01T08:15:00Z"),
        {"listened_at": AT_0815 // 1_000_000, "user_name": "bob", "recording_msid": "msid-1",
         "track_metadata": {"artist_name": "Crosby, Stills", "track_name": "One",
                            "additional_info": {"duration": 61}}},
        listen(ALICE, T1, "https://elsewhere/artists/z", "PT1M", "2026-10-01T08:15:00Z")])
    catalogue = ArtistCatalogue([{"id": "artist-1", "name": "X", "aliases": ["https://node/artists/x"]},
                                 {"id": "artist-2", "name": "Crosby, Stills"}])
    frame, problems = formats.read_day_report(path, options=ReadOptions(catalogue=catalogue))
    assert as_rows(frame) == [(1, AT_0815, ALICE, "artist-1", T1, 3600),
                              (2, AT_0815, "bob", "artist-2", "msid-1", 61)]
    assert [str(p.error()) for p in problems] == [
        f"{path}:3: field object.attributedTo: artist 'https://elsewhere/artists/z' is not in the "
        "artist catalogue (no registered artist has its name or alias); pass --unmapped keep to hold "
        "its money under an id derived from its name"]
    unmapped = formats.read_day(path)
    assert list(unmapped["artist_id"]) == ["x", "Crosby, Stills", "z"]


def test_unknown_suffix_and_explicit_format(tmp_path):
    path = write(tmp_path, "2026-10-01.txt", HEADER + "2026-10-01T08:15:00Z,a,x,t,5\n")
    with pytest.raises(InputError) as error:
        formats.read_day(path)
    assert str(error.value) == (f"{path}: unknown file type '.txt'; expected one of .csv, "
                                ".parquet, .jsonl, .ndjson, .json, .zip or an explicit format")
    assert as_rows(formats.read_day(path, fmt="csv")) == [(2, AT_0815, "a", "x", "t", 5)]


# --- day files ---------------------------------------------------------------------------------

def test_plays_off_the_file_day_are_refused(tmp_path):
    path = write(tmp_path, "2026-10-01.csv", HEADER + "2026-10-01T08:15:00Z,a,x,t,5\n"
                 "2026-10-02T00:00:00Z,a,x,t,5\n2026-09-30T23:59:59.999999Z,a,x,t,5\n")
    with pytest.raises(InputError) as error:
        dayfile.load_day(path, SECRET)
    assert str(error.value) == (f"{path}:3: field played_at: 2026-10-02T00:00:00.000000Z is not "
                                "on 2026-10-01, the day of the file name (2 bad rows in the file)")
    frame, problems = dayfile.load_day_report(path, SECRET)
    assert list(frame["played_at"]) == [AT_0815]
    assert [p.line for p in problems] == [3, 4]


def test_day_comes_from_the_file_name(tmp_path):
    assert dayfile.day_of(tmp_path / "2026-10-01.listens.jsonl") == "2026-10-01"
    for name in ("day.csv", "2026-02-30.csv"):
        with pytest.raises(InputError) as error:
            dayfile.day_of(tmp_path / name)
        assert str(error.value) == (f"{tmp_path / name}: the file name {name!r} does not start "
                                    "with a day YYYY-MM-DD.")


def test_canonical_bytes_sort_and_quote():
    frame = pd.DataFrame({"played_at": [5, 5, -1], "listener": ["b", "a", "a"],
                          "artist_id": ['say "hi"', "x,y", "é"], "track_id": ["t", "t", "t"],
                          "seconds": [3, 4, 0]})
    assert dayfile.canonical_bytes(frame) == (
        "played_at,listener,artist_id,track_id,seconds\n"
        "1969-12-31T23:59:59.999999Z,a,é,t,0\n"
        '1970-01-01T00:00:00.000005Z,a,"x,y",t,4\n'
        '1970-01-01T00:00:00.000005Z,b,"say ""hi""",t,3\n').encode()
    assert dayfile.canonical_bytes(frame.iloc[:0]) == b"played_at,listener,artist_id,track_id,seconds\n"
    assert dayfile.anchor(frame, 0) == {
        "sha256": hashlib.sha256(dayfile.canonical_bytes(frame)).hexdigest(),
        "rows": 3, "listeners": 2, "plays": 2, "seconds": 7}


# --- pseudonyms ---------------------------------------------------------------------------------

def test_pseudonym_is_a_truncated_month_keyed_hmac():
    assert pseudonym(b"node-secret", "2026-10", "alice") == "080d566cf463987f96acc3cb6e5e3920"
    assert pseudonym(b"node-secret", "2026-11", "alice") != pseudonym(b"node-secret", "2026-10",
                                                                      "alice")
    ids = pd.Series(["alice", "bob", "alice"], index=[7, 8, 9])
    hashed = pseudonymise(b"node-secret", "2026-10", ids)
    assert list(hashed.index) == [7, 8, 9]
    assert list(hashed) == [pseudonym(b"node-secret", "2026-10", i) for i in ids]
    assert len(new_secret()) == 32 and new_secret() != new_secret()
    with pytest.raises(ValueError, match=r"^month '2026-13' is not YYYY-MM$"):
        pseudonym(b"k", "2026-13", "alice")


def test_timestamp_parquet_in_nanoseconds_and_naive(tmp_path):
    path = tmp_path / "2026-10-01.parquet"
    nanos = np.array([AT_0815 * 1000, AT_0815 * 1000 + 1], dtype=np.int64)
    pq.write_table(pa.table({"played_at": pa.array(nanos, pa.timestamp("ns")),
                             "listener_id": ["a", "b"], "artist_id": ["x", "x"],
                             "track_id": ["t", "t"], "seconds": [1, 2]}), path)
    frame, problems = formats.read_day_report(path)
    assert as_rows(frame) == [(1, AT_0815, "a", "x", "t", 1)]
    assert [str(p.error()) for p in problems] == [
        f"{path}:2: field played_at: 2026-10-01 08:15:00.000000001 has a precision finer "
        "than a microsecond"]
