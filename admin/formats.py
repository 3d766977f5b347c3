"""Read a node's day of plays into one canonical frame, from CSV, Parquet or JSON lines.

The frame has exactly the columns ``played_at`` (int64 microseconds since the epoch, UTC),
``listener_id``, ``artist_id``, ``track_id`` (str) and ``seconds`` (int64); its index, named
``line``, is each row's place in the source: the physical line for CSV (header = line 1) and
JSON lines, the 1-based row number for Parquet.

JSON lines hold, one per line, either an ActivityStreams 2.0 ``Listen`` activity or a
ListenBrainz listen (a line with ``listened_at`` or ``track_metadata``); blank lines are skipped.

* ActivityStreams: listener = the actor's id (in full); artist = the last path segment of
  ``object.attributedTo`` (a string or an object with ``id``); track = ``object.id``;
  played_at = ``published``; seconds = the activity's own ``duration`` (how long the listen
  lasted) if present, else the object's ``duration`` (the track's length), an ISO-8601 duration
  in whole seconds such as ``PT3M12S`` (days, hours, minutes, seconds; no years or months).
* ListenBrainz: listener = ``user_name``; played_at = ``listened_at`` (unix seconds); artist =
  the first of ``additional_info.artist_mbids``, else ``artist_name``; track =
  ``additional_info.recording_mbid``, else ``recording_msid``, else ``track_name``; seconds =
  ``additional_info.duration_ms`` floored to whole seconds, else ``additional_info.duration``.

``artist_map``, when given, maps the source's artist reference (the attributedTo id, the MBID or
the artist name) to the ledger's artist id; a reference missing from it is a bad row.

Every bad row is reported as a :class:`Problem`; :func:`read_day` raises the first as an
:class:`InputError`, :func:`read_day_report` returns the good rows and every problem.
"""

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from admin.errors import InputError

COLUMNS = ("played_at", "listener_id", "artist_id", "track_id", "seconds")
ID_COLUMNS = ("listener_id", "artist_id", "track_id")
SUFFIXES = {".csv": "csv", ".parquet": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl"}
from admin.choices import DAY_FORMATS as FORMATS

_UTC_TIME = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|\+00:00)$"
_TIME_HINT = "is not an ISO-8601 UTC time such as 2026-10-01T08:15:00Z"
_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")
_MAX_DIGITS = 18  # any run of up to 18 digits fits in int64


@dataclass(frozen=True)
class Problem:
    """One bad row (or a bad file when ``line`` is None), located by file, line and field."""

    file: str
    line: int | None
    field: str
    message: str
    whole_file: bool = False

    def error(self) -> InputError:
        """This problem as an InputError."""
        return InputError(self.message, self.file, self.line, self.field)


def detect_format(path: str | Path, fmt: str | None = None) -> str:
    """The format of ``path``: ``fmt`` if given, else from its suffix."""
    if fmt is None:
        fmt = SUFFIXES.get(Path(path).suffix.lower())
        if fmt is None:
            raise InputError(f"unknown file type {Path(path).suffix!r}; expected one of "
                             f"{', '.join(SUFFIXES)} or an explicit format", str(path))
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}", str(path))
    return fmt


def read_day(path: str | Path, fmt: str | None = None,
             artist_map: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The plays of a day file; raises InputError for its first problem."""
    frame, problems = read_day_report(path, fmt, artist_map)
    raise_first(problems)
    return frame


def read_day_report(path: str | Path, fmt: str | None = None,
                    artist_map: Mapping[str, str] | None = None
                    ) -> tuple[pd.DataFrame, list[Problem]]:
    """The good rows of a day file and every problem found, in line order."""
    name = str(path)
    reader = {"csv": _read_csv, "parquet": _read_parquet, "jsonl": _read_jsonl}
    try:
        frame, problems = reader[detect_format(path, fmt)](name, artist_map)
    except (OSError, pa.ArrowException, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the file: {exc}", name) from exc
    return frame, sort_problems(problems)


def sort_problems(problems: list[Problem]) -> list[Problem]:
    """Problems in file order: by line, then by column order."""
    return sorted(problems, key=lambda p: (p.line or 0, _field_rank(p.field)))


def raise_first(problems: list[Problem]) -> None:
    """Raise the first problem as an InputError that also counts the bad rows."""
    if not problems:
        return
    first = problems[0]
    bad = len({p.line for p in problems if not p.whole_file})
    message = first.message
    if not first.whole_file:
        message += f" ({bad} bad row{'s' if bad != 1 else ''} in the file)"
    raise InputError(message, first.file, first.line, first.field)


def empty_frame() -> pd.DataFrame:
    """A frame of no plays, with the canonical columns and dtypes."""
    return _frame([], [], [], [], [], np.zeros(0, dtype=np.int64))


def _field_rank(field: str) -> int:
    top = field.split(".")[0]
    return COLUMNS.index(top) if top in COLUMNS else len(COLUMNS)


def _frame(played_at, listener, artist, track, seconds, lines) -> pd.DataFrame:
    return pd.DataFrame(
        {"played_at": np.asarray(played_at, dtype=np.int64),
         "listener_id": pd.array(listener, dtype="str"),
         "artist_id": pd.array(artist, dtype="str"),
         "track_id": pd.array(track, dtype="str"),
         "seconds": np.asarray(seconds, dtype=np.int64)},
        index=_line_index(np.asarray(lines, dtype=np.int64)))


def _line_index(lines: np.ndarray) -> pd.Index:
    """The index of line numbers: a RangeIndex (no memory) when they follow each other."""
    if len(lines) and lines[-1] - lines[0] == len(lines) - 1:
        return pd.RangeIndex(lines[0], lines[-1] + 1, name="line")
    return pd.Index(lines, name="line")


# --- CSV and Parquet: vectorised -------------------------------------------------------------

class _Checker:
    """Collects per-row problems of columnar data, flagging each row at most once per field."""

    def __init__(self, file: str, lines: np.ndarray) -> None:
        self.file, self.lines = file, lines
        self.bad = np.zeros(len(lines), dtype=bool)
        self.problems: list[Problem] = []

    def flag(self, field: str, mask: np.ndarray, raw: pa.Array,
             describe: Callable[[Any], str]) -> None:
        for i in np.flatnonzero(mask):
            self.problems.append(Problem(self.file, int(self.lines[i]), field,
                                         describe(raw[int(i)].as_py())))
        self.bad |= mask


def _mask(array: pa.Array) -> np.ndarray:
    return pc.fill_null(array, False).to_numpy(zero_copy_only=False).astype(bool)


def _missing(raw: pa.Array) -> np.ndarray:
    """Which values are null, empty or only whitespace (checked in place: no trimmed copy)."""
    return _mask(pc.or_kleene(pc.is_null(raw), pc.or_(pc.equal(pc.binary_length(raw), 0),
                                                       pc.utf8_is_space(raw))))


def _check_strings_times(check: _Checker, field: str, raw: pa.Array) -> np.ndarray:
    """Microseconds since the epoch of ISO-8601 UTC strings; bad ones flagged."""
    missing = _missing(raw)
    shaped = _mask(pc.match_substring_regex(raw, _UTC_TIME))
    parsed = pd.to_datetime(pd.Series(raw.to_pandas()).where(shaped), format="ISO8601",
                            utc=True, errors="coerce")
    invalid = ~missing & parsed.isna().to_numpy()
    check.flag(field, missing, raw, lambda v: "is missing")
    check.flag(field, invalid, raw, lambda v: f"{v!r} {_TIME_HINT}")
    return parsed.dt.as_unit("us").astype("int64").to_numpy()


def _check_timestamps(check: _Checker, raw: pa.Array) -> np.ndarray:
    """Microseconds since the epoch of a timestamp column (naive ones are taken as UTC)."""
    unit_us = {"s": 1_000_000, "ms": 1_000, "us": 1, "ns": None}[raw.type.unit]
    ticks = pc.fill_null(raw.cast(pa.int64()), 0).to_numpy()
    check.flag("played_at", _mask(pc.is_null(raw)), raw, lambda v: "is missing")
    if unit_us is None:
        check.flag("played_at", ticks % 1000 != 0, raw,
                   lambda v: f"{v} has a precision finer than a microsecond")
        return ticks // 1000
    return ticks * unit_us


def _check_seconds(check: _Checker, raw: pa.Array) -> np.ndarray:
    """Whole, non-negative seconds from an integer, float or string column."""
    field, kind = "seconds", raw.type
    check.flag(field, _mask(pc.is_null(raw)), raw, lambda v: "is missing")
    if pa.types.is_integer(kind):
        values = pc.fill_null(raw.cast(pa.int64()), 0).to_numpy()
        check.flag(field, values < 0, raw, lambda v: f"{v} is negative")
        return values
    if pa.types.is_floating(kind):
        values = pc.fill_null(raw, 0.0).to_numpy()
        whole = np.isfinite(values) & (np.floor(values) == values) & (np.abs(values) < 2**53)
        check.flag(field, ~whole, raw, lambda v: f"{v!r} is not a whole number of seconds")
        check.flag(field, whole & (values < 0), raw, lambda v: f"{v:g} is negative")
        return np.where(whole, values, 0).astype(np.int64)
    text = pc.utf8_trim_whitespace(raw)
    empty = _mask(pc.equal(text, ""))
    digits = _mask(pc.match_substring_regex(text, r"^\d+$"))
    negative = _mask(pc.match_substring_regex(text, r"^-\d+$"))
    too_long = digits & _mask(pc.greater(pc.utf8_length(text), _MAX_DIGITS))
    check.flag(field, empty, raw, lambda v: "is missing")
    check.flag(field, negative, raw, lambda v: f"{v.strip()} is negative")
    check.flag(field, too_long, raw, lambda v: f"{v.strip()} is too large")
    check.flag(field, ~(digits | negative | empty) & _mask(pc.is_valid(raw)), raw,
               lambda v: f"{v!r} is not a whole number of seconds")
    good = digits & ~too_long
    return pc.if_else(pa.array(good), text, "0").cast(pa.int64()).to_numpy()


def _check_ids(check: _Checker, field: str, raw: pa.Array) -> pa.Array:
    check.flag(field, _missing(raw), raw, lambda v: "is missing")
    return raw


def _columns_problem(file: str, line: int | None, names: list[str]) -> Problem | None:
    missing = [c for c in COLUMNS if c not in names]
    extra = [c for c in names if c not in COLUMNS]
    if missing:
        return Problem(file, line, missing[0], f"column {missing[0]} is missing; expected "
                       f"the columns {','.join(COLUMNS)}", whole_file=True)
    if extra:
        return Problem(file, line, extra[0], f"column {extra[0]!r} is not expected; expected "
                       f"the columns {','.join(COLUMNS)}", whole_file=True)
    return None


def _validated(file: str, table: pa.Table, lines: np.ndarray,
               problems: list[Problem]) -> tuple[pd.DataFrame, list[Problem]]:
    """Check and convert typed or string columns; bad rows are reported and left out."""
    check = _Checker(file, lines)
    played = table.column("played_at").combine_chunks()
    if pa.types.is_timestamp(played.type):
        micros = _check_timestamps(check, played)
    else:
        micros = _check_strings_times(check, "played_at", played)
    ids = {c: _check_ids(check, c, table.column(c)) for c in ID_COLUMNS}  # chunks kept: no copy
    seconds = _check_seconds(check, table.column("seconds").combine_chunks())
    if check.bad.any():  # only then are the good rows copied out
        good, keep = ~check.bad, pa.array(~check.bad)
        micros, seconds, lines = micros[good], seconds[good], lines[good]
        ids = {c: pc.filter(ids[c], keep) for c in ID_COLUMNS}
    frame = _frame(micros, *(ids[c] for c in ID_COLUMNS), seconds, lines)
    return frame, problems + check.problems


def _read_csv(file: str, artist_map: Mapping[str, str] | None) -> tuple[pd.DataFrame, list]:
    del artist_map  # CSV carries ledger artist ids already
    invalid: list[tuple[int, int, int, str]] = []

    def skip(row: Any) -> str:
        invalid.append((row.number, row.expected_columns, row.actual_columns, row.text))
        return "skip"

    table = pa_csv.read_csv(
        file,
        read_options=pa_csv.ReadOptions(use_threads=False),
        parse_options=pa_csv.ParseOptions(invalid_row_handler=skip, ignore_empty_lines=False,
                                          newlines_in_values=True),
        convert_options=pa_csv.ConvertOptions(
            column_types={c: pa.string() for c in COLUMNS}, strings_can_be_null=False))
    wrong = _columns_problem(file, 1, table.column_names)
    if wrong:
        return empty_frame(), [wrong]
    lines, problems = _csv_lines(file, table, invalid)
    return _validated(file, table, lines, problems)


def _csv_lines(file: str, table: pa.Table, invalid: list[tuple[int, int, int, str]]
               ) -> tuple[np.ndarray, list[Problem]]:
    """Physical line of each good record, and a problem per record of the wrong width.

    pyarrow numbers records (header = 1); a quoted value holding line breaks makes a record
    span several physical lines, which shifts every later line.
    """
    total = table.num_rows + len(invalid)
    bad_numbers = np.array([number for number, *_ in invalid], dtype=np.int64)
    numbers = np.setdiff1d(np.arange(2, total + 2, dtype=np.int64), bad_numbers)
    breaks = np.zeros(table.num_rows, dtype=np.int64)
    for column in table.columns:
        breaks += pc.count_substring(column.combine_chunks(), "\n").to_numpy(
            zero_copy_only=False).astype(np.int64)
    bad_breaks = np.array([text.count("\n") for *_, text in invalid], dtype=np.int64)
    all_numbers = np.concatenate([numbers, bad_numbers])
    all_breaks = np.concatenate([breaks, bad_breaks])
    order = np.argsort(all_numbers, kind="stable")
    shift = np.empty_like(all_breaks)
    shift[order] = np.cumsum(all_breaks[order]) - all_breaks[order]
    physical = all_numbers + shift
    problems = [Problem(file, int(line), "(row)", f"has {actual} field"
                        f"{'s' if actual != 1 else ''}, expected {expected}")
                for line, (_, expected, actual, _) in zip(physical[len(numbers):], invalid)]
    return physical[:len(numbers)], problems


def _read_parquet(file: str, artist_map: Mapping[str, str] | None) -> tuple[pd.DataFrame, list]:
    del artist_map  # Parquet carries ledger artist ids already
    schema = pq.read_schema(file)
    wrong = _columns_problem(file, None, schema.names)
    if wrong:
        return empty_frame(), [wrong]
    for name in COLUMNS:
        wrong = _parquet_type_problem(file, name, schema.field(name).type)
        if wrong:
            return empty_frame(), [wrong]
    parquet = pq.ParquetFile(file)  # read a row group at a time: less scratch memory than at once
    table = pa.concat_tables(parquet.read_row_group(i, columns=list(COLUMNS))
                             for i in range(parquet.num_row_groups)) if parquet.num_row_groups \
        else parquet.read(columns=list(COLUMNS))
    for index, name in enumerate(table.column_names):
        kind = table.schema.field(name).type
        if pa.types.is_dictionary(kind):
            kind = kind.value_type
        if name in ID_COLUMNS:
            kind = pa.string()
        if kind != table.schema.field(name).type:
            table = table.set_column(index, name, table.column(name).cast(kind))
    lines = np.arange(1, table.num_rows + 1, dtype=np.int64)
    return _validated(file, table, lines, [])


def _parquet_type_problem(file: str, name: str, kind: pa.DataType) -> Problem | None:
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    textual = pa.types.is_string(kind) or pa.types.is_large_string(kind)
    accepted = {
        "played_at": (textual or pa.types.is_timestamp(kind), "an ISO-8601 string or a timestamp"),
        "seconds": (textual or pa.types.is_integer(kind) or pa.types.is_floating(kind),
                    "an integer"),
    }.get(name, (textual or pa.types.is_integer(kind), "a string"))
    if accepted[0]:
        return None
    return Problem(file, None, name, f"column {name} has type {kind}; expected {accepted[1]}",
                   whole_file=True)


# --- JSON lines: one Python step per line, times parsed vectorised ---------------------------

class _Bad(Exception):
    """A bad field of one JSON line."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


def _read_jsonl(file: str, artist_map: Mapping[str, str] | None) -> tuple[pd.DataFrame, list]:
    rows: list[tuple[int, str, str, str, str, int]] = []
    problems: list[Problem] = []
    with open(file, encoding="utf-8") as stream:
        for number, text in enumerate(stream, start=1):
            if not text.strip():
                continue
            try:
                rows.append((number, *_json_row(text, artist_map)))
            except _Bad as bad:
                problems.append(Problem(file, number, bad.field, bad.message))
    lines = np.array([r[0] for r in rows], dtype=np.int64)
    raw_times = pa.array([r[1] for r in rows], pa.string())
    check = _Checker(file, lines)
    micros = _check_strings_times(check, "published", raw_times)
    good = ~check.bad
    kept = [r for r, ok in zip(rows, good) if ok]
    frame = _frame(micros[good], [r[2] for r in kept], [r[3] for r in kept],
                   [r[4] for r in kept], [r[5] for r in kept], lines[good])
    return frame, problems + check.problems


def _json_row(text: str, artist_map: Mapping[str, str] | None
              ) -> tuple[str, str, str, str, int]:
    """(published time text, listener, artist, track, seconds) of one JSON line."""
    try:
        item = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _Bad("(json)", f"is not valid JSON: {exc.msg} at column {exc.colno}") from exc
    if not isinstance(item, dict):
        raise _Bad("(json)", "is not a JSON object")
    if "listened_at" in item or "track_metadata" in item:
        return _listenbrainz_row(item, artist_map)
    return _activity_row(item, artist_map)


def _get(item: Mapping, path: str, required: bool = True) -> Any:
    value: Any = item
    for key in path.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    if required and (value is None or (isinstance(value, str) and not value.strip())):
        raise _Bad(path, "is missing")
    return value


def _text(item: Mapping, path: str) -> str:
    value = _get(item, path)
    if not isinstance(value, str):
        raise _Bad(path, f"{value!r} is not a string")
    return value


def _ref_id(item: Mapping, path: str) -> str:
    """The id of a reference that is a string or an object with an ``id``."""
    value = _get(item, path)
    if isinstance(value, dict):
        return _text(item, path + ".id")
    if not isinstance(value, str):
        raise _Bad(path, f"{value!r} is not an id or an object with an id")
    return value


def _mapped(reference: str, field: str, artist_map: Mapping[str, str] | None) -> str:
    if artist_map is None:
        return reference
    if reference not in artist_map:
        raise _Bad(field, f"{reference!r} is not in the artist mapping")
    return artist_map[reference]


def _duration_seconds(field: str, value: Any) -> int:
    if not isinstance(value, str):
        raise _Bad(field, f"{value!r} is not an ISO-8601 duration such as PT3M12S")
    match = _DURATION.match(value.strip())
    if match and value.strip() not in ("P", "PT"):
        days, hours, minutes, secs = (int(g or 0) for g in match.groups())
        return ((days * 24 + hours) * 60 + minutes) * 60 + secs
    if value.strip().startswith("-"):
        raise _Bad(field, f"{value!r} is negative")
    if re.match(r"^P.*\d[.,]\d", value.strip()):
        raise _Bad(field, f"{value!r} is not a whole number of seconds")
    raise _Bad(field, f"{value!r} is not an ISO-8601 duration such as PT3M12S")


def _activity_row(item: Mapping, artist_map: Mapping[str, str] | None
                  ) -> tuple[str, str, str, str, int]:
    kind = _get(item, "type")
    if kind != "Listen":
        raise _Bad("type", f"activity type {kind!r} is not Listen")
    published = _text(item, "published")
    listener = _ref_id(item, "actor")
    track = _ref_id(item, "object")
    if not isinstance(_get(item, "object"), dict):
        raise _Bad("object", "is not an object with attributedTo and duration")
    reference = _ref_id(item, "object.attributedTo")
    if artist_map is None:
        artist = reference.rstrip("/").rsplit("/", 1)[-1]
        if not artist:
            raise _Bad("object.attributedTo", f"{reference!r} has no artist id")
    else:
        artist = _mapped(reference, "object.attributedTo", artist_map)
    field = "duration" if _get(item, "duration", required=False) is not None \
        else "object.duration"
    return published, listener, artist, track, _duration_seconds(field, _get(item, field))


def _whole(field: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Bad(field, f"{value!r} is not a whole number")
    if value < 0:
        raise _Bad(field, f"{value} is negative")
    return value


def _listenbrainz_row(item: Mapping, artist_map: Mapping[str, str] | None
                      ) -> tuple[str, str, str, str, int]:
    listened = _whole("listened_at", _get(item, "listened_at"))
    try:
        published = pd.Timestamp(listened, unit="s", tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, ValueError) as exc:
        raise _Bad("listened_at", f"{listened} is out of range") from exc
    listener = _text(item, "user_name")
    info = _get(item, "track_metadata.additional_info", required=False) or {}
    if not isinstance(info, dict):
        raise _Bad("track_metadata.additional_info", "is not an object")
    mbids = info.get("artist_mbids") or []
    if mbids and isinstance(mbids, list) and isinstance(mbids[0], str) and mbids[0]:
        reference = _mapped(mbids[0], "track_metadata.additional_info.artist_mbids", artist_map)
    else:
        reference = _mapped(_text(item, "track_metadata.artist_name"),
                            "track_metadata.artist_name", artist_map)
    track = (info.get("recording_mbid") or item.get("recording_msid")
             or _text(item, "track_metadata.track_name"))
    if not isinstance(track, str):
        raise _Bad("track_metadata.additional_info.recording_mbid", f"{track!r} is not a string")
    if info.get("duration_ms") is not None:
        seconds = _whole("track_metadata.additional_info.duration_ms", info["duration_ms"]) // 1000
    else:
        seconds = _whole("track_metadata.additional_info.duration",
                         _get(item, "track_metadata.additional_info.duration"))
    return published, listener, reference, track, seconds
