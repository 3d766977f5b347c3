"""The canonical form of a node's day of plays, its bytes and its on-chain anchor.

Canonical frame: columns ``played_at`` (int64 µs, UTC), ``listener`` (the pseudonym),
``artist_id``, ``track_id`` (str), ``seconds`` (int64).

Canonical bytes: UTF-8 CSV, header ``played_at,listener,artist_id,track_id,seconds``, one line per
play ending in ``\\n``, rows sorted by (played_at, listener, artist_id, track_id, seconds) with
strings compared by code point; played_at rendered ``YYYY-MM-DDTHH:MM:SS.ffffffZ``; a field is
quoted (``"`` doubled inside) only when it holds a comma, a double quote, CR or LF.
"""

import datetime as dt
import hashlib
import re
from pathlib import Path
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from admin import formats
from admin.errors import InputError
from admin.formats import Problem
from admin.pseudonym import Pseudonymiser
from admin.readers.resolve import ReadOptions

CANONICAL_COLUMNS = ("played_at", "listener", "artist_id", "track_id", "seconds")
HEADER = (",".join(CANONICAL_COLUMNS) + "\n").encode("ascii")
MICROS_PER_DAY = 86_400_000_000
_DAY_NAME = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})\.")


def kept_folder(ledger_folder: Path, node: str) -> Path:
    """Where the canonical (pseudonymised) days of ``node`` are kept, to share with reviewers."""
    return Path(ledger_folder) / "days" / node


def kept_path(ledger_folder: Path, node: str, day: str) -> Path:
    """The canonical file of ``node``'s ``day`` in its kept folder."""
    return kept_folder(ledger_folder, node) / f"{day}.csv"


def is_day_file(path: str | Path) -> bool:
    """Whether a file's name says the day it is for (``YYYY-MM-DD.…``)."""
    return _DAY_NAME.match(Path(path).name) is not None


def superseded_path(ledger_folder: Path, node: str, day: str, sha256: str) -> Path:
    """Where the canonical file of a corrected day's replaced anchor ``sha256`` is kept."""
    return kept_folder(ledger_folder, node) / "superseded" / f"{day}.{sha256[:16]}.csv"


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


def _quoted(column: pa.Array) -> pa.Array:
    needs = pc.match_substring_regex(column, '[,"\r\n]')
    if not pc.any(needs).as_py():
        return column
    doubled = pc.replace_substring(column, '"', '""')
    return pc.if_else(needs, pc.binary_join_element_wise('"', doubled, '"', ""), column)


def _render_times(micros: np.ndarray) -> pa.Array:
    """``YYYY-MM-DDTHH:MM:SS.ffffffZ`` of each time, built as fixed-width bytes."""
    days, rest = np.divmod(micros, MICROS_PER_DAY)
    unique_days, which = np.unique(days, return_inverse=True)
    dates = np.array([(dt.date(1970, 1, 1) + dt.timedelta(days=int(d))).strftime("%Y-%m-%dT")
                      for d in unique_days], dtype="S11").view(np.uint8).reshape(-1, 11)
    text = np.empty((len(micros), 27), dtype=np.uint8)
    text[:, :11] = dates[which]
    seconds, fraction = np.divmod(rest, 1_000_000)
    for start, value, width in ((11, seconds // 3600, 2), (14, seconds // 60 % 60, 2),
                                (17, seconds % 60, 2), (20, fraction, 6)):
        for k in range(width):
            text[:, start + width - 1 - k] = 48 + value // 10**k % 10
    text[:, [13, 16]], text[:, 19], text[:, 26] = ord(":"), ord("."), ord("Z")
    offsets = np.arange(0, 27 * (len(micros) + 1), 27, dtype=np.int32)
    return pa.Array.from_buffers(pa.string(), len(micros),
                                 [None, pa.py_buffer(offsets), pa.py_buffer(text.tobytes())])


def _joined(lines: pa.Array) -> memoryview:
    """The values of a string array without nulls, concatenated (a view, no copy)."""
    offsets_type = np.int64 if pa.types.is_large_string(lines.type) else np.int32
    _, offsets, data = lines.buffers()
    ends = np.frombuffer(offsets, dtype=offsets_type)[lines.offset:lines.offset + len(lines) + 1]
    return memoryview(data)[ends[0]:ends[-1]] if len(lines) else memoryview(b"")


def _body(frame: pd.DataFrame) -> memoryview:
    """The canonical CSV lines of a canonical frame, without the header."""
    table = pa.table({c: frame[c].to_numpy() if c in ("played_at", "seconds")
                      else pa.array(frame[c].array, pa.string()) for c in CANONICAL_COLUMNS})
    table = table.take(pc.sort_indices(table, [(c, "ascending") for c in CANONICAL_COLUMNS]))
    fields = [_render_times(table.column("played_at").to_numpy())]
    fields += [_quoted(table.column(c).combine_chunks())
               for c in ("listener", "artist_id", "track_id")]
    seconds = table.column("seconds").combine_chunks().cast(pa.string())
    fields.append(pc.binary_join_element_wise(seconds, "\n", ""))
    return _joined(pc.binary_join_element_wise(*fields, ","))


def canonical_bytes(frame: pd.DataFrame) -> bytes:
    """The canonical CSV bytes of a canonical frame (in any row order)."""
    return HEADER + bytes(_body(frame))


def anchor(frame: pd.DataFrame, min_seconds: int) -> dict[str, int | str]:
    """The on-chain anchor of a canonical day: hash of its bytes and its counts."""
    mask = counted(frame["seconds"], min_seconds)
    digest = hashlib.sha256(HEADER)
    digest.update(_body(frame))
    return {
        "sha256": digest.hexdigest(),
        "rows": int(len(frame)),
        "listeners": int(frame["listener"].nunique()),
        "plays": int(mask.sum()),
        "seconds": int(frame["seconds"].to_numpy()[mask].sum()),
    }


def write_canonical(frame: pd.DataFrame, target: Path) -> None:
    """Write a canonical frame as its canonical bytes (the folder is created)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(canonical_bytes(frame))


_CANONICAL_TYPES = {"played_at": pa.timestamp("us", tz="UTC"), "listener": pa.string(),
                    "artist_id": pa.string(), "track_id": pa.string(), "seconds": pa.int64()}


def read_canonical(path: Path) -> pd.DataFrame:
    """A canonical day file (as :func:`write_canonical` writes it) back into a canonical frame."""
    try:
        table = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(column_types=_CANONICAL_TYPES))
    except (OSError, pa.ArrowInvalid) as exc:
        raise InputError(f"not a canonical day file: {exc}", str(path)) from None
    frame = table.to_pandas()
    frame["played_at"] = table.column("played_at").cast(pa.int64()).to_numpy()
    return frame
