"""The canonical form of a node's day of plays, its bytes and its on-chain anchor.

Canonical frame: columns ``played_at`` (int64 µs, UTC), ``listener`` (the pseudonym),
``artist_id``, ``track_id`` (str), ``seconds`` (int64).

Canonical bytes: UTF-8 CSV, header ``played_at,listener,artist_id,track_id,seconds``, one line per
play ending in ``\\n``, rows sorted by (played_at, listener, artist_id, track_id, seconds) with
strings compared by code point; played_at rendered ``YYYY-MM-DDTHH:MM:SS.ffffffZ``; a field is
quoted (``"`` doubled inside) only when it holds a comma, a double quote, CR or LF. That is the
policy's ``day_format`` ``"csv"``; with ``"columnar"`` the canonical bytes are the same rows in the
same order column by column (:mod:`admin.daycolumns`). A kept file says which it is by its first bytes.
"""

import ctypes
import datetime as dt
import functools
import hashlib
import re
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from admin import daycolumns, formats
from admin.errors import InputError
from admin.formats import Problem
from admin.pseudonym import Pseudonymiser
from admin.readers.resolve import ReadOptions
from chaincode.rules import DAY_FORMATS

def _return_big_blocks() -> None:
    """Have glibc give big freed blocks back to the system.

    glibc raises its mmap threshold to the largest block freed (up to 32 MiB), so once a big day's
    column arrays are freed, the next day's come from the heap and stay there: some 300 MiB kept
    per day of 3 million plays. A fixed threshold of 4 MiB ends that (small days are unaffected).
    """
    try:
        ctypes.CDLL(None).mallopt(_M_MMAP_THRESHOLD, 4 << 20)
    except (OSError, AttributeError):  # not glibc
        pass


_M_MMAP_THRESHOLD = -3
_return_big_blocks()

CANONICAL_COLUMNS = ("played_at", "listener", "artist_id", "track_id", "seconds")
HEADER = (",".join(CANONICAL_COLUMNS) + "\n").encode("ascii")
MICROS_PER_DAY = 86_400_000_000
_DAY_NAME = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})\.")
#: The kept file's suffix of each day format.
SUFFIXES = {"csv": ".csv", "columnar": daycolumns.SUFFIX}
CSV = DAY_FORMATS[0]


def kept_folder(ledger_folder: Path, node: str) -> Path:
    """Where the canonical (pseudonymised) days of ``node`` are kept, to share with reviewers."""
    return Path(ledger_folder) / "days" / node


def kept_path(ledger_folder: Path, node: str, day: str, form: str = CSV) -> Path:
    """The canonical file of ``node``'s ``day`` in its kept folder, in the day format ``form``."""
    return kept_folder(ledger_folder, node) / f"{day}{SUFFIXES[form]}"


def is_day_file(path: str | Path) -> bool:
    """Whether a file's name says the day it is for (``YYYY-MM-DD.…``)."""
    return _DAY_NAME.match(Path(path).name) is not None


def superseded_path(ledger_folder: Path, node: str, day: str, sha256: str, form: str = CSV) -> Path:
    """Where the canonical file (day format ``form``) of a corrected day's replaced anchor ``sha256`` is kept."""
    return kept_folder(ledger_folder, node) / "superseded" / f"{day}.{sha256[:16]}{SUFFIXES[form]}"


def day_of(path: str | Path) -> str:
    """The day ``YYYY-MM-DD`` a day file is for, from the start of its name."""
    match = _DAY_NAME.match(Path(path).name)
    try:
        return dt.date.fromisoformat(match.group(1)).isoformat() if match else _no_day(path)
    except ValueError:
        return _no_day(path)


def _no_day(path: str | Path) -> str:
    raise InputError(f"the file name {Path(path).name!r} does not start with a day YYYY-MM-DD.",
                     str(path))


def iso(micros: int) -> str:
    """A time in µs since the epoch as ``YYYY-MM-DDTHH:MM:SS.ffffffZ``."""
    moment = dt.datetime(1970, 1, 1) + dt.timedelta(microseconds=int(micros))
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def day_start(day: str) -> int:
    """Microseconds since the epoch at 00:00 UTC of ``day``."""
    return (dt.date.fromisoformat(day) - dt.date(1970, 1, 1)).days * MICROS_PER_DAY


def off_day_problems(frame: pd.DataFrame, path: str | Path, file: str | None = None) -> list[Problem]:
    """A problem for every play of ``frame`` (read by :mod:`admin.formats`) not on the day of the
    file named ``path`` (reported as ``file``, by default ``path``: a file inside an archive)."""
    day = day_of(path)
    start = day_start(day)
    played = frame["played_at"].to_numpy()
    outside = (played < start) | (played >= start + MICROS_PER_DAY)
    lines = frame.index.to_numpy()
    return [Problem(file or str(path), int(lines[i]), "played_at",
                    f"{iso(played[i])} is not on {day}, the day of the file name")
            for i in np.flatnonzero(outside)]


def days_of(played_at: np.ndarray) -> np.ndarray:
    """The UTC day ``YYYY-MM-DD`` of each time (µs since the epoch)."""
    numbers, which = np.unique(np.asarray(played_at) // MICROS_PER_DAY, return_inverse=True)
    names = np.array([(dt.date(1970, 1, 1) + dt.timedelta(days=int(d))).isoformat() for d in numbers])
    return names[which] if len(numbers) else np.array([], dtype=str)


def counted(seconds: pd.Series | np.ndarray, min_seconds: int) -> np.ndarray:
    """Which plays count: at least ``min_seconds`` long, and never 0 seconds."""
    values = np.asarray(seconds)
    return (values >= min_seconds) & (values > 0)


def canonicalise(frame: pd.DataFrame, pseudonyms: Pseudonymiser) -> pd.DataFrame:
    """The canonical frame of plays read by :mod:`admin.formats`: listener ids pseudonymised."""
    return pd.DataFrame({
        "played_at": frame["played_at"],
        "listener": pseudonyms.series(frame["listener_id"]),
        "artist_id": frame["artist_id"],
        "track_id": frame["track_id"],
        "seconds": frame["seconds"],
    })


def load_day_report(path: str | Path, secret: bytes | Pseudonymiser, fmt: str | None = None,
                    options: ReadOptions | None = None) -> tuple[pd.DataFrame, list[Problem]]:
    """The canonical frame of a day file's good rows, and every problem (bad rows, wrong day).

    ``secret`` is the node's secret, or a Pseudonymiser of the file's month to share across
    the days of a month (each listener is then hashed once).
    """
    day = day_of(path)
    pseudonyms = secret if isinstance(secret, Pseudonymiser) else Pseudonymiser(secret, day[:7])
    if pseudonyms.month != day[:7]:
        raise ValueError(f"pseudonyms of {pseudonyms.month} cannot be used for a day of {day}")
    frame, problems = formats.read_day_report(path, fmt, options)
    wrong_day = off_day_problems(frame, path)
    problems = formats.sort_problems(problems + wrong_day)
    if wrong_day:
        frame = frame.drop(index=[p.line for p in wrong_day])
    return canonicalise(frame, pseudonyms), problems


def load_day(path: str | Path, secret: bytes | Pseudonymiser, fmt: str | None = None,
             options: ReadOptions | None = None) -> pd.DataFrame:
    """The canonical frame of a day file; InputError for its first problem."""
    frame, problems = load_day_report(path, secret, fmt, options)
    formats.raise_first(problems)
    return frame


#: Lines rendered at a time: a day's canonical bytes are hashed (or joined) chunk by chunk, so a big
#: day never sits in memory whole.
CHUNK_ROWS = 1 << 18
_SPECIAL = (b",", b'"', b"\r", b"\n")
_COMMA, _NEWLINE, _NOTHING = (pa.scalar(text, pa.large_string()) for text in (",", "\n", ""))


def canonical_order(frame: pd.DataFrame) -> np.ndarray:
    """The row positions of a canonical frame in canonical order (see the module docstring).

    Rows are ordered by ``played_at`` alone (an integer sort); only the rows sharing a time with
    another row are then ordered by every column, strings by code point.
    """
    played = frame["played_at"].to_numpy()
    order = np.argsort(played)
    times = played[order]
    tie = times[1:] == times[:-1]
    if tie.any():
        shared = np.zeros(len(order), dtype=bool)
        shared[1:] |= tie
        shared[:-1] |= tie
        places = np.flatnonzero(shared)
        rows = order[places]
        ties = pa.table({c: _arrow(frame[c]).take(pa.array(rows)) for c in CANONICAL_COLUMNS})
        order[places] = rows[pc.sort_indices(ties, [(c, "ascending") for c in CANONICAL_COLUMNS])
                             .to_numpy()]
    return order


def _arrow(column: pd.Series) -> pa.Array | pa.ChunkedArray:
    """A frame column as Arrow (strings as UTF-8), its chunks kept: without copying where pandas allows."""
    if column.name in ("played_at", "seconds"):
        return pa.array(column.to_numpy(dtype=np.int64))
    if is_dictionary(column):  # a columnar day read back
        return dictionary_array(column).dictionary_decode().cast(pa.large_string())
    return pa.array(column.array, pa.large_string())


def is_dictionary(column: pd.Series) -> bool:
    """Whether a text column is dictionary-encoded (a columnar day read back, :mod:`admin.daycolumns`)."""
    return isinstance(column.dtype, pd.ArrowDtype) and pa.types.is_dictionary(column.dtype.pyarrow_dtype)


def dictionary_array(column: pd.Series) -> pa.DictionaryArray:
    """A dictionary-encoded text column as one Arrow array (the dictionaries of its chunks, e.g. of
    days concatenated, unified)."""
    values = pa.array(column.array)
    return values.unify_dictionaries().combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """A canonical frame with any dictionary-encoded text column decoded to plain text (what sorting
    and grouping by text expect)."""
    coded = [c for c in ("listener", "artist_id", "track_id") if is_dictionary(frame[c])]
    if not coded:
        return frame
    return frame.assign(**{c: pd.arrays.ArrowStringArray(_arrow(frame[c])) for c in coded})


def _taken(column: pa.Array | pa.ChunkedArray, rows: np.ndarray) -> pa.Array:
    """The values of ``column`` at ``rows``, as one array."""
    taken = column.take(pa.array(rows))
    return taken.combine_chunks() if isinstance(taken, pa.ChunkedArray) else taken


def _quoted(column: pa.Array) -> pa.Array:
    """Each value quoted (``"`` doubled) where it holds a comma, a double quote, CR or LF."""
    values = _joined(column).tobytes()
    if not any(special in values for special in _SPECIAL):
        return column
    needs = pc.match_substring_regex(column, '[,"\r\n]')
    doubled = pc.replace_substring(column, '"', '""')
    quote = pa.scalar('"', column.type)
    return pc.if_else(needs, pc.binary_join_element_wise(quote, doubled, quote, pa.scalar("", column.type)), column)


@functools.cache
def _words(kind: str) -> np.ndarray:
    """A lookup table of 4-byte ASCII words (as uint32) for one part of a rendered time."""
    texts = {"clock": [f"{h % 10}:{m:02d}" for h in range(10) for m in range(60)],  # "H:MM"
             "second": [f":{s:02d}." for s in range(60)],                         # ":SS."
             "fraction": [f"{x:04d}" for x in range(10_000)],                     # "ffff"
             "end": [f"{x:02d}Z," for x in range(100)]}[kind]                      # "ffZ,"
    return np.frombuffer("".join(texts).encode("ascii"), dtype=np.uint32)


def _render_times(micros: np.ndarray) -> pa.Array:
    """``YYYY-MM-DDTHH:MM:SS.ffffffZ,`` (the field and its comma) of each time.

    Each is 7 words of 4 bytes, each looked up: ``YYYY`` ``-MM-`` ``DDTH`` (per day and tens of
    hours), ``H:MM``, ``:SS.``, ``ffff``, ``ffZ,``.
    """
    days, rest = np.divmod(micros, MICROS_PER_DAY)
    seconds, fraction = (part.astype(np.int32) for part in np.divmod(rest, 1_000_000))
    hours = seconds // 3600
    if len(days) and days.min() == days.max():
        unique_days, which = days[:1], np.zeros(len(days), dtype=np.intp)
    else:
        unique_days, which = np.unique(days, return_inverse=True)
    dates = [dt.date(1970, 1, 1) + dt.timedelta(days=int(d)) for d in unique_days]
    heads = np.frombuffer("".join(f"{d.year:04d}-{d.month:02d}-{d.day:02d}T{h}" for d in dates
                                  for h in range(3)).encode("ascii"),
                          dtype=np.uint32).reshape(-1, 3)
    text = np.empty((len(micros), 7), dtype=np.uint32)
    text[:, 0] = heads[:, 0][which * 3]
    text[:, 1] = heads[:, 1][which * 3]
    text[:, 2] = heads[:, 2][which * 3 + hours // 10]
    text[:, 3] = _words("clock")[hours % 10 * 60 + seconds // 60 % 60]
    text[:, 4] = _words("second")[seconds % 60]
    text[:, 5] = _words("fraction")[fraction // 100]
    text[:, 6] = _words("end")[fraction % 100]
    offsets = np.arange(0, 28 * (len(micros) + 1), 28, dtype=np.int64)
    return pa.Array.from_buffers(pa.large_string(), len(micros),
                                 [None, pa.py_buffer(offsets), pa.py_buffer(text)])


def _joined(lines: pa.Array) -> memoryview:
    """The values of a string array without nulls, concatenated (a view, no copy)."""
    offsets_type = np.int64 if pa.types.is_large_string(lines.type) else np.int32
    _, offsets, data = lines.buffers()
    ends = np.frombuffer(offsets, dtype=offsets_type)[lines.offset:lines.offset + len(lines) + 1]
    return memoryview(data)[ends[0]:ends[-1]] if len(lines) else memoryview(b"")


def _body(frame: pd.DataFrame) -> Iterator[memoryview]:
    """The canonical CSV lines of a canonical frame, without the header, :data:`CHUNK_ROWS` at a time."""
    order = canonical_order(frame)
    played, seconds = frame["played_at"].to_numpy(), frame["seconds"].to_numpy(dtype=np.int64)
    texts = [_arrow(frame[c]) for c in ("listener", "artist_id", "track_id")]
    for start in range(0, len(order), CHUNK_ROWS):
        rows = order[start:start + CHUNK_ROWS]
        listener, artist, track = (_quoted(_taken(text, rows)) for text in texts)
        yield _joined(pc.binary_join_element_wise(
            _render_times(played[rows]), listener, _COMMA, artist, _COMMA, track, _COMMA,
            pa.array(seconds[rows]).cast(pa.large_string()), _NEWLINE, _NOTHING))


def _columns(frame: pd.DataFrame) -> list[bytes]:
    """The columnar canonical bytes of a canonical frame, in parts (:mod:`admin.daycolumns`)."""
    order = canonical_order(frame)
    return daycolumns.render(frame["played_at"].to_numpy()[order],
                             [_taken(_arrow(frame[c]), order) for c in daycolumns.TEXT_COLUMNS],
                             frame["seconds"].to_numpy(dtype=np.int64)[order])


def _parts(frame: pd.DataFrame, form: str) -> Iterable[bytes | memoryview]:
    """The canonical bytes of a canonical frame in day format ``form``, in parts."""
    if form == "columnar":
        return _columns(frame)
    if form != CSV:
        raise ValueError(f"unknown day format {form!r}")
    return _csv_parts(frame)


def _csv_parts(frame: pd.DataFrame) -> Iterator[bytes | memoryview]:
    yield HEADER
    yield from _body(frame)


def canonical_bytes(frame: pd.DataFrame, form: str = CSV) -> bytes:
    """The canonical bytes of a canonical frame (in any row order) in day format ``form``."""
    return b"".join(_parts(frame, form))


def _counts(frame: pd.DataFrame, min_seconds: int) -> dict[str, int]:
    """The counts an anchor carries: rows, distinct listeners, counted plays and their seconds."""
    mask = counted(frame["seconds"], min_seconds)
    return {"rows": int(len(frame)), "listeners": int(frame["listener"].nunique()), "plays": int(mask.sum()),
            "seconds": int(frame["seconds"].to_numpy()[mask].sum())}


def anchor(frame: pd.DataFrame, min_seconds: int, form: str = CSV) -> dict[str, int | str]:
    """The on-chain anchor of a canonical day: hash of its bytes in day format ``form``, its counts."""
    digest = hashlib.sha256()
    for part in _parts(frame, form):
        digest.update(part)
    return {"sha256": digest.hexdigest(), **_counts(frame, min_seconds)}


#: While the caller works on a day, the next two are loaded and hashed (in threads: Arrow, NumPy and
#: hashlib work outside the GIL) if that day's frame holds at most this many bytes (about 1.5 million
#: plays read from CSV or Parquet, 5 million from columnar days), else the next one only, so that
#: memory holds two big days, not three.
PARALLEL_DAY_BYTES = 128 << 20

#: A day read and anchored: (its file, its canonical frame, its anchor).
Day = tuple[Path, pd.DataFrame, dict[str, int | str]]


def rendered(load: Callable[[Path], pd.DataFrame], min_seconds: int, form: str = CSV) -> Callable[[Path], Day]:
    """Days read by ``load`` (e.g. :func:`load_day` with a month's :class:`Pseudonymiser`) and
    anchored from their canonical bytes in day format ``form``, rendered here."""
    def anchored(path: Path) -> Day:
        frame = load(path)
        return path, frame, anchor(frame, min_seconds, form)
    return anchored


def kept(min_seconds: int) -> Callable[[Path], Day]:
    """Kept canonical day files (as :func:`write_canonical` wrote them, in either day format), each
    read once: the SHA-256 is of the file's very bytes, not of a rendering of them, so a kept file
    whose hash is its anchor is the anchored day byte for byte (whatever produced it); the counts
    are from its rows."""
    def anchored(path: Path) -> Day:
        data = _read(path)
        frame = _parsed(data, path)
        return path, frame, {"sha256": hashlib.sha256(data).hexdigest(), **_counts(frame, min_seconds)}
    return anchored


#: What loading a day gives: a :data:`Day`, or a Day followed by more made from it in the same thread.
Loaded = TypeVar("Loaded", bound=tuple)


def anchored_days(paths: Iterable[Any], anchored: Callable[[Any], Loaded]) -> Iterator[Loaded]:
    """Each day file in the order given, read and anchored by ``anchored`` (:func:`rendered` or
    :func:`kept`, or either followed by more work on the day, e.g. ``reconcile.summing``: its result
    begins with the Day). The next days are loaded while the caller works on the current one; an
    error of a day is raised when the caller reaches that day.
    """
    waiting = list(paths)[::-1]
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="day") as pool:
        running: deque[Future] = deque([pool.submit(anchored, waiting.pop())] if waiting else [])
        while running:
            day = running.popleft().result()
            ahead = 2 if day[1].memory_usage(index=False).sum() <= PARALLEL_DAY_BYTES else 1
            while waiting and len(running) < ahead:  # loading on while the caller works on this day
                running.append(pool.submit(anchored, waiting.pop()))
            yield day
            del day  # not held while the next day is awaited


def write_canonical(frame: pd.DataFrame, target: Path, form: str = CSV) -> None:
    """Write a canonical frame as its canonical bytes in day format ``form`` (the folder is created)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(canonical_bytes(frame, form))


_CANONICAL_TYPES = {"played_at": pa.timestamp("us", tz="UTC"), "listener": pa.string(),
                    "artist_id": pa.string(), "track_id": pa.string(), "seconds": pa.int64()}


def read_canonical(path: Path) -> pd.DataFrame:
    """A canonical day file (as :func:`write_canonical` writes it, in either day format) back into a
    canonical frame."""
    return _parsed(_read(path), path)


def _read(path: Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the day file: {exc.strerror}", str(path)) from None


def _parsed(data: bytes, path: Path) -> pd.DataFrame:
    """The canonical frame of a kept file's bytes, in the day format its first bytes say."""
    if daycolumns.is_columnar(data):
        return daycolumns.parse(data, path)
    return _parse_canonical(pa.BufferReader(data), path)


def _parse_canonical(source: Any, path: Path) -> pd.DataFrame:
    try:
        table = pacsv.read_csv(source, convert_options=pacsv.ConvertOptions(column_types=_CANONICAL_TYPES))
    except (OSError, pa.ArrowInvalid) as exc:
        raise InputError(f"not a canonical day file: {exc}", str(path)) from None
    if table.column_names != list(CANONICAL_COLUMNS):
        raise InputError(f"not a canonical day file: its header is not {HEADER.decode().strip()}", str(path))
    return table.set_column(0, "played_at", table.column(0).cast(pa.int64())).to_pandas()
