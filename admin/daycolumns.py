"""The columnar canonical bytes of a day (the policy's ``day_format`` ``"columnar"``): the rows of the
canonical CSV, in the same order, column by column, so a month is read back without parsing text.

Layout, little-endian, each part followed by zero bytes up to a multiple of 8:

1. :data:`MAGIC` (16 bytes), then the number of rows (u64);
2. for ``listener``, ``artist_id``, ``track_id`` in turn, the column's distinct values sorted by code
   point: their number n (u64), n + 1 offsets (u64, the first 0) into their UTF-8 bytes, the bytes;
3. for the same three columns, each row's value as its place among those values (u32);
4. ``played_at`` (i64, µs since the epoch, UTC), then ``seconds`` (i64), one per row.

Only values some row holds are listed, so a day has one columnar form, as it has one CSV form.
A parsed day's text columns are Arrow dictionary arrays (pandas ``ArrowDtype``) of those sorted
values and each row's place: made without copying or hashing a string, so the month's sums number
listeners and artists by their values alone, and a frame is a third of the text's size.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from admin.errors import InputError

MAGIC = b"nineten-day/1\n\x00\x00"
SUFFIX = ".columns"
TEXT_COLUMNS = ("listener", "artist_id", "track_id")


def _padding(size: int) -> bytes:
    return b"\x00" * (-size % 8)


def render(played_at: np.ndarray, texts: list[pa.Array], seconds: np.ndarray) -> list[bytes]:
    """The columnar bytes (in parts, to hash or join) of rows already in canonical order: their
    times, the three text columns as Arrow strings (:data:`TEXT_COLUMNS` order), their seconds."""
    parts = [MAGIC, np.uint64(len(played_at)).tobytes()]
    places = []
    for column in texts:
        values, codes = _sorted_values(column)
        _, offsets, data = values.buffers()
        ends = np.frombuffer(offsets, dtype=np.int64)[values.offset:values.offset + len(values) + 1]
        body = data.to_pybytes()[ends[0]:ends[-1]] if len(values) else b""
        parts += [np.uint64(len(values)).tobytes(), (ends - ends[0]).astype("<u8").tobytes(), body, _padding(len(body))]
        places.append(codes)
    for codes in places:
        parts += [codes.astype("<u4").tobytes(), _padding(4 * len(codes))]
    return parts + [np.asarray(played_at).astype("<i8").tobytes(), np.asarray(seconds).astype("<i8").tobytes()]


def _sorted_values(column: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """The distinct values of ``column`` sorted by code point (UTF-8 byte order), and each row's place."""
    encoded = pc.dictionary_encode(column.cast(pa.large_string()))
    order = pc.sort_indices(encoded.dictionary).to_numpy()
    place = np.empty(len(order), dtype=np.uint32)
    place[order] = np.arange(len(order), dtype=np.uint32)
    values = encoded.dictionary.take(pa.array(order))
    return values, place[encoded.indices.to_numpy(zero_copy_only=False)]


def is_columnar(head: bytes) -> bool:
    """Whether bytes (at least the first 16 of a file) begin a columnar day."""
    return head[:len(MAGIC)] == MAGIC


class _Reader:
    """Reads the parts of a columnar day in order, each checked to fit the bytes."""

    def __init__(self, data: bytes, path: Path) -> None:
        self.data, self.path, self.at = data, path, len(MAGIC)

    def fail(self, why: str) -> InputError:
        return InputError(f"not a columnar canonical day file: {why}", str(self.path))

    def numbers(self, dtype: str, count: int, what: str) -> np.ndarray:
        """The next ``count`` numbers of type ``dtype``: ``what`` they are, to name in an error."""
        size = np.dtype(dtype).itemsize * count
        if self.at + size > len(self.data):
            raise self.fail(f"it ends before its {what} ({count} values from byte {self.at})")
        values = np.frombuffer(self.data, dtype=dtype, count=count, offset=self.at)
        self.skip(size)
        return values

    def skip(self, size: int) -> None:
        """Move past ``size`` bytes and their zero padding."""
        end = self.at + size + (-size % 8)
        if end > len(self.data) or any(self.data[self.at + size:end]):
            raise self.fail(f"the padding after byte {self.at + size} is not zero bytes")
        self.at = end

    def values(self, name: str) -> pa.Array:
        count = int(self.numbers("<u8", 1, f"number of {name} values")[0])
        ends = self.numbers("<u8", count + 1, f"{name} offsets")
        size = int(ends[-1])
        if ends[0] != 0 or (np.diff(ends.astype(np.int64)) < 0).any() or self.at + size > len(self.data):
            raise self.fail(f"the offsets of the {name} values are not in order within the file")
        values = pa.Array.from_buffers(pa.large_string(), count, [None, pa.py_buffer(ends.astype(np.int64)),
                                                                   pa.py_buffer(self.data[self.at:self.at + size])])
        self.skip(size)
        try:
            values.validate(full=True)
        except pa.ArrowInvalid:
            raise self.fail(f"the {name} values are not UTF-8") from None
        if count > 1 and not pc.all(pc.less(values[:-1], values[1:])).as_py():
            raise self.fail(f"the {name} values are not distinct and sorted by code point")
        return values


def _column(values: pa.Array, codes: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """A text column of a parsed day: its sorted values and each row's place among them."""
    return pd.arrays.ArrowExtensionArray(pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32)), values))


def parse(data: bytes, path: Path) -> pd.DataFrame:
    """The canonical frame of a columnar day (text columns as categoricals); InputError naming the
    file when the bytes are not one."""
    reader = _Reader(data, path)
    if not is_columnar(data):
        raise reader.fail("it does not begin with the columnar day's magic bytes")
    rows = int(reader.numbers("<u8", 1, "number of rows")[0])
    values = [reader.values(name) for name in TEXT_COLUMNS]
    columns = {}
    for name, known in zip(TEXT_COLUMNS, values):
        codes = reader.numbers("<u4", rows, f"{name} of each row")
        if rows and int(codes.max()) >= len(known):
            raise reader.fail(f"a {name} refers to value {int(codes.max())} of {len(known)}")
        columns[name] = _column(known, codes)
    played_at, seconds = reader.numbers("<i8", rows, "played_at"), reader.numbers("<i8", rows, "seconds")
    if reader.at != len(data):
        raise reader.fail(f"{len(data) - reader.at} bytes follow its last column")
    return pd.DataFrame({"played_at": played_at.astype(np.int64, copy=False), "listener": columns["listener"],
                         "artist_id": columns["artist_id"], "track_id": columns["track_id"],
                         "seconds": seconds.astype(np.int64, copy=False)})
