"""The entries of a JSON document or of JSON lines, each with the line it starts on.

A document is either an array of entries or an object holding them under a known key:
``scrobbles`` (Maloja), ``payload`` (a ListenBrainz import payload, or an API answer holding
``payload.listens``), ``orderedItems`` or ``items`` (an ActivityStreams collection, such as an
outbox page). Any other object is one entry. Numbers with a fraction are parsed as Decimal.
"""

import json
import re
from decimal import Decimal
from typing import Any, Iterator

DECODER = json.JSONDecoder(parse_float=Decimal)
CONTAINERS = ("scrobbles", "payload", "listens", "orderedItems", "items")
COLLECTIONS = ("orderedItems", "items")
_SPACE = re.compile(r"[ \t\n\r]*")


class Broken(Exception):
    """The document is not valid JSON; ``line`` is where reading stopped."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line, self.message = line, message


class _Lines:
    """The line of a position in a text, counted forward from the last position asked."""

    def __init__(self, text: str) -> None:
        self.text, self.pos, self.line = text, 0, 1

    def __call__(self, pos: int) -> int:
        if pos < self.pos:
            self.pos, self.line = 0, 1
        self.line += self.text.count("\n", self.pos, pos)
        self.pos = pos
        return self.line


def lines(stream: Iterator[str]) -> Iterator[tuple[int, Any | Broken]]:
    """(line, entry) of each non-blank JSON line; a line that is not JSON gives a Broken."""
    for number, raw in enumerate(stream, start=1):
        if not raw.strip():
            continue
        try:
            yield number, DECODER.decode(raw)
        except json.JSONDecodeError as exc:
            yield number, Broken(number, f"is not valid JSON: {exc.msg} at column {exc.colno}")


def entries(text: str) -> Iterator[tuple[int, Any, bool]]:
    """(line, entry, in a collection) of every entry of a JSON document, in order.

    Raises Broken, naming the line, when the document is not JSON (at once, before any entry).
    """
    try:
        DECODER.decode(text)  # the whole document is JSON: then entries are located lazily below
    except json.JSONDecodeError as exc:
        raise Broken(exc.lineno, f"is not valid JSON: {exc.msg} at column {exc.colno}") from None
    return _located(text)


def _located(text: str) -> Iterator[tuple[int, Any, bool]]:
    line_of = _Lines(text)
    pos = _SPACE.match(text, 0).end()
    found = ("", pos) if text.startswith("[", pos) else _container(text, pos) if text.startswith("{", pos) else None
    if found is None:
        yield line_of(pos), DECODER.raw_decode(text, pos)[0], False
        return
    key, start = found
    for at, entry in _array(text, start):
        yield line_of(at), entry, key in COLLECTIONS


def _skip(text: str, pos: int) -> int:
    return _SPACE.match(text, pos).end()


def _array(text: str, pos: int) -> Iterator[tuple[int, Any]]:
    """(position, value) of each element of the (valid) array starting at ``pos``."""
    pos = _skip(text, pos + 1)
    while not text.startswith("]", pos):
        value, end = DECODER.raw_decode(text, pos)
        yield pos, value
        pos = _skip(text, end)
        if text.startswith(",", pos):
            pos = _skip(text, pos + 1)


def _container(text: str, pos: int) -> tuple[str, int] | None:
    """(key, position of its array) of the first known container key of the (valid) object at
    ``pos`` (looking into ``payload`` when it is an object), or None."""
    pos = _skip(text, pos + 1)
    while not text.startswith("}", pos):
        key, pos = DECODER.raw_decode(text, pos)
        pos = _skip(text, _skip(text, pos) + 1)  # past the colon
        if key in CONTAINERS and text.startswith("[", pos):
            return key, pos
        if key == "payload" and text.startswith("{", pos):
            return _container(text, pos)
        pos = _skip(text, DECODER.raw_decode(text, pos)[1])
        if text.startswith(",", pos):
            pos = _skip(text, pos + 1)
    return None
