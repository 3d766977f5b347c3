"""Read a node's plays into one canonical frame: CSV, Parquet, and what the platforms write.

The frame has exactly the columns ``played_at`` (int64 microseconds since the epoch, UTC),
``listener_id``, ``artist_id``, ``track_id`` (str) and ``seconds`` (int64); its index, named
``line``, is each row's place in the source: the physical line for CSV (header = line 1) and
JSON lines, the line an entry starts on in a JSON document, the 1-based row number for Parquet.

* CSV and Parquet: the five columns; ``artist_id`` holds ledger artist ids (or names the
  artist catalogue knows).
* JSON lines (``.jsonl``, ``.ndjson``), JSON documents (``.json``) and export zips (``.zip``):
  the listens of ListenBrainz, ActivityStreams (Funkwhale, Pleroma), Spotify, Maloja and Pano
  Scrobbler, each read by its module of :mod:`admin.readers` (see there for every field), their
  artists mapped through the artist catalogue and their seconds through the played-time rule
  (:class:`admin.readers.resolve.ReadOptions`).

Every bad row is reported as a :class:`Problem`; :func:`read_day` raises the first as an
:class:`InputError`, :func:`read_day_report` returns the good rows and every problem, and
:func:`read_plays` also says which plays were estimated, which artists were unmapped and what
was not a play.
"""

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from admin.choices import DAY_FORMATS
from admin.errors import InputError
from admin.pseudonym import LISTENER_ID_LIMIT, check_listener
from admin.readers import archive, sources
from admin.readers.fields import TIME_HINT, UTC_TIME
from admin.readers.resolve import UNMAPPED_FIELD_HINT, ReadOptions, Unmapped, map_artist_column, resolve
from chaincode.rules import MAX_PLAY_SECONDS

COLUMNS = ("played_at", "listener_id", "artist_id", "track_id", "seconds")
ID_COLUMNS = ("listener_id", "artist_id", "track_id")
SUFFIXES = {".csv": "csv", ".parquet": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl",
            ".json": "json", ".zip": "zip"}
FORMATS = DAY_FORMATS
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


@dataclass
class FramePart:
    """The plays of one file (or of one file of an archive) and which had their seconds estimated
    by the played-time rule."""

    file: str
    frame: pd.DataFrame
    estimated: np.ndarray


@dataclass
class Reading:
    """What a file gives: its plays, every problem, every unmapped artist (refused or kept), and
    the entries that are not plays, counted by reason."""

    parts: list[FramePart]
    problems: list[Problem]
    unmapped: list[Unmapped] = field(default_factory=list)
    skipped: Counter = field(default_factory=Counter)

    def frame(self) -> pd.DataFrame:
        """Every play of the file in one frame."""
        frames = [p.frame for p in self.parts]
        return frames[0] if len(frames) == 1 else pd.concat(frames) if frames else empty_frame()


def read_day(path: str | Path, fmt: str | None = None, options: ReadOptions | None = None) -> pd.DataFrame:
    """The plays of a day file; raises InputError for its first problem."""
    frame, problems = read_day_report(path, fmt, options)
    raise_first(problems)
    return frame


def read_day_report(path: str | Path, fmt: str | None = None, options: ReadOptions | None = None
                    ) -> tuple[pd.DataFrame, list[Problem]]:
    """The good rows of a day file and every problem found, in line order."""
    reading = read_plays(path, fmt, options)
    return reading.frame(), reading.problems


def read_plays(path: str | Path, fmt: str | None = None, options: ReadOptions | None = None) -> Reading:
    """Every play of a file in any format, with its problems, unmapped artists and skipped entries."""
    name, options = str(path), options or ReadOptions()
    kind = detect_format(path, fmt)
    try:
        if kind in ("csv", "parquet"):
            reading = (_read_csv if kind == "csv" else _read_parquet)(name, options)
        else:
            reading = _read_listens(name, kind, options)
    except archive.ArchiveError as exc:
        raise InputError(exc.message, f"{name}:{exc.member}" if exc.member else name) from None
    except (OSError, pa.ArrowException, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the file: {exc}", name) from exc
    reading.problems = sort_problems(reading.problems)
    return reading


def sort_problems(problems: list[Problem]) -> list[Problem]:
    """Problems in file order: by file, line, then column order (a file keeps its place)."""
    order = {file: i for i, file in enumerate(dict.fromkeys(p.file for p in problems))}
    return sorted(problems, key=lambda p: (order[p.file], p.line or 0, _field_rank(p.field)))


def raise_first(problems: list[Problem]) -> None:
    """Raise the first problem as an InputError that also counts the bad rows."""
    if not problems:
        return
    first = problems[0]
    bad = len({p.line for p in problems if not p.whole_file})
    message = first.message
    if not first.whole_file:
        message += f" ({bad} bad row{'s' if bad != 1 else ''} in the file)"
    raise InputError(message, first.file, first.line, first.field or None)


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
                                         describe(_value(raw, int(i)))))
        self.bad |= mask


def _value(raw: pa.Array, index: int) -> Any:
    """The Python value of ``raw[index]``; a timestamp beyond Python's dates as its ticks."""
    try:
        return raw[index].as_py()
    except (OverflowError, ValueError):
        return raw.cast(pa.int64())[index].as_py()


def _mask(array: pa.Array) -> np.ndarray:
    return pc.fill_null(array, False).to_numpy(zero_copy_only=False).astype(bool)


def _missing(raw: pa.Array) -> np.ndarray:
    """Which values are null, empty or only whitespace (checked in place: no trimmed copy)."""
    return _mask(pc.or_kleene(pc.is_null(raw), pc.or_(pc.equal(pc.binary_length(raw), 0),
                                                       pc.utf8_is_space(raw))))


def _check_strings_times(check: _Checker, field: str, raw: pa.Array) -> np.ndarray:
    """Microseconds since the epoch of ISO-8601 UTC strings; bad ones flagged."""
    missing = _missing(raw)
    shaped = _mask(pc.match_substring_regex(raw, UTC_TIME))
    parsed = pd.to_datetime(pd.Series(raw.to_pandas()).where(shaped), format="ISO8601",
                            utc=True, errors="coerce")
    invalid = ~missing & parsed.isna().to_numpy()
    check.flag(field, missing, raw, lambda v: "is missing")
    check.flag(field, invalid, raw, lambda v: f"{v!r} {TIME_HINT}")
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
    outside = np.abs(ticks) > np.iinfo(np.int64).max // unit_us
    check.flag("played_at", outside, raw, lambda v: "is out of range")
    return np.where(outside, 0, ticks) * unit_us


def _check_seconds(check: _Checker, raw: pa.Array) -> np.ndarray:
    """Whole, non-negative seconds of at most a day, from an integer, float or string column."""
    field, kind = "seconds", raw.type
    check.flag(field, _mask(pc.is_null(raw)), raw, lambda v: "is missing")
    if pa.types.is_integer(kind):
        negative = _mask(pc.less(raw, 0))
        longer = _mask(pc.greater(raw, MAX_PLAY_SECONDS))
        check.flag(field, negative, raw, lambda v: f"{v} is negative")
        good = ~(negative | longer)
        values = pc.if_else(pa.array(good), pc.fill_null(raw, 0), 0).cast(pa.int64()).to_numpy()
    elif pa.types.is_floating(kind):
        values = pc.fill_null(raw, 0.0).to_numpy()
        whole = np.isfinite(values) & (np.floor(values) == values)
        negative, longer = whole & (values < 0), whole & (values > MAX_PLAY_SECONDS)
        check.flag(field, ~whole, raw, lambda v: f"{v!r} is not a whole number of seconds")
        check.flag(field, negative, raw, lambda v: f"{v:g} is negative")
        good = whole & ~negative & ~longer
        values = np.where(good, values, 0).astype(np.int64)
    else:
        text = pc.utf8_trim_whitespace(raw)
        empty = _mask(pc.equal(text, ""))
        digits = _mask(pc.match_substring_regex(text, r"^[0-9]+$"))
        negative = _mask(pc.match_substring_regex(text, r"^-[0-9]+$"))
        check.flag(field, empty, raw, lambda v: "is missing")
        check.flag(field, negative, raw, lambda v: f"{v.strip()} is negative")
        check.flag(field, ~(digits | negative | empty) & _mask(pc.is_valid(raw)), raw,
                   lambda v: f"{v!r} is not a whole number of seconds")
        short = digits & _mask(pc.less_equal(pc.utf8_length(text), _MAX_DIGITS))
        values = pc.if_else(pa.array(short), text, "0").cast(pa.int64()).to_numpy()
        longer = digits & ~(short & (values <= MAX_PLAY_SECONDS))
        good = short & ~longer
        values = np.where(good, values, 0)
    check.flag(field, longer, raw, lambda v: f"{_seconds_text(v)} s is longer than a day "
                                             f"({MAX_PLAY_SECONDS} s)")
    return values


def _seconds_text(value: Any) -> str:
    text = value.strip() if isinstance(value, str) else f"{value:g}" if isinstance(value, float) else str(value)
    return text if len(text) <= 24 else text[:21] + "..."


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


def _check_listeners(check: _Checker, raw: pa.Array) -> None:
    """Flag listener ids that :func:`check_listener` refuses; only distinct ids that look wrong
    (spaces around, a control character, too long) are checked one by one."""
    uniques = pc.unique(raw)
    suspect = pc.or_kleene(pc.match_substring_regex(uniques, r"^\s|\s$|[\x00-\x1f\x7f-\x9f]"),
                           pc.greater(pc.utf8_length(uniques), LISTENER_ID_LIMIT))
    refused = {}
    for value in pc.filter(uniques, pc.fill_null(suspect, False)).to_pylist():
        if value.strip():  # blank ones are missing, flagged as such
            try:
                check_listener(value)
            except ValueError as exc:
                refused[value] = str(exc)
    if refused:
        mask = _mask(pc.is_in(raw, pa.array(list(refused), pa.string())))
        check.flag("listener_id", mask, raw, lambda v: refused[v])


def _validated(file: str, table: pa.Table, lines: np.ndarray, problems: list[Problem],
               options: ReadOptions) -> Reading:
    """Check and convert typed or string columns, artist ids through the catalogue; bad rows
    are reported and left out."""
    check = _Checker(file, lines)
    played = table.column("played_at").combine_chunks()
    if pa.types.is_timestamp(played.type):
        micros = _check_timestamps(check, played)
    else:
        micros = _check_strings_times(check, "played_at", played)
    ids = {c: _check_ids(check, c, table.column(c)) for c in ID_COLUMNS}  # chunks kept: no copy
    _check_listeners(check, ids["listener_id"])
    ids["artist_id"], refused, unmapped = map_artist_column(file, lines, ids["artist_id"], options)
    check.flag("artist_id", refused, ids["artist_id"], lambda v: f"artist {v!r} is not in the artist catalogue "
               f"(not a registered id, a name or alias of one artist, nor a valid id); {UNMAPPED_FIELD_HINT}")
    seconds = _check_seconds(check, table.column("seconds").combine_chunks())
    if check.bad.any():  # only then are the good rows copied out
        good, keep = ~check.bad, pa.array(~check.bad)
        micros, seconds, lines = micros[good], seconds[good], lines[good]
        ids = {c: pc.filter(ids[c], keep) for c in ID_COLUMNS}
    frame = _frame(micros, *(ids[c] for c in ID_COLUMNS), seconds, lines)
    part = FramePart(file, frame, np.zeros(len(frame), dtype=bool))
    return Reading([part], problems + check.problems, unmapped)


def _read_listens(file: str, kind: str, options: ReadOptions) -> Reading:
    """JSON lines, a JSON document or an export zip: each listen read by its platform's reader,
    then resolved (listener, artist, seconds)."""
    if kind == "zip":
        parts = sources.read_zip(file, options.listener)
    elif kind == "json":
        with open(file, encoding="utf-8-sig") as stream:
            parts = [sources.read_json_document(file, stream.read(), options.listener)]
    else:
        with open(file, encoding="utf-8-sig") as stream:
            parts = [sources.read_json_lines(file, stream, options.listener)]
    reading = Reading([], [])
    for part in parts:
        plays = resolve(part, options)
        frame = _frame(plays.played_at, plays.listener, plays.artist, plays.track, plays.seconds, plays.lines)
        reading.parts.append(FramePart(part.file, frame, np.asarray(plays.estimated, dtype=bool)))
        reading.problems += [Problem(part.file, i.line, i.field, i.message, i.whole_file) for i in plays.issues]
        reading.unmapped += plays.unmapped
        reading.skipped.update(part.skipped)
    return reading


def _read_csv(file: str, options: ReadOptions) -> Reading:
    invalid: list[tuple[int, int, int, str]] = []

    def skip(row: Any) -> str:
        invalid.append((row.number, row.expected_columns, row.actual_columns, row.text))
        return "skip"

    table = pa_csv.read_csv(
        pa.BufferReader(_utf8(file)),
        read_options=pa_csv.ReadOptions(use_threads=False),
        parse_options=pa_csv.ParseOptions(invalid_row_handler=skip, ignore_empty_lines=False,
                                          newlines_in_values=True),
        convert_options=pa_csv.ConvertOptions(
            column_types={c: pa.string() for c in COLUMNS}, strings_can_be_null=False))
    wrong = _columns_problem(file, 1, table.column_names)
    if wrong:
        return _refused(file, wrong)
    lines, problems = _csv_lines(file, table, invalid)
    return _validated(file, table, lines, problems, options)


def _utf8(file: str) -> pa.Buffer:
    """The bytes of a text file, checked to be UTF-8 first (pyarrow's CSV reader would print a
    traceback for a badly encoded row of the wrong width): InputError at the first bad byte."""
    data = pa.memory_map(file).read_buffer()
    offsets = pa.py_buffer(np.array([0, data.size], dtype=np.int64).tobytes())
    try:
        pa.LargeBinaryArray.from_buffers(pa.large_binary(), 1, [None, offsets, data]).cast(pa.large_string())
    except pa.ArrowInvalid:
        raw = data.to_pybytes()
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(f"is not UTF-8 text (byte {exc.start + 1})", file,
                             raw.count(b"\n", 0, exc.start) + 1) from None
    return data


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


def _refused(file: str, problem: Problem) -> Reading:
    return Reading([FramePart(file, empty_frame(), np.zeros(0, dtype=bool))], [problem])


def _read_parquet(file: str, options: ReadOptions) -> Reading:
    schema = pq.read_schema(file)
    wrong = _columns_problem(file, None, schema.names)
    if wrong:
        return _refused(file, wrong)
    for name in COLUMNS:
        wrong = _parquet_type_problem(file, name, schema.field(name).type)
        if wrong:
            return _refused(file, wrong)
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
    return _validated(file, table, lines, [], options)


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
