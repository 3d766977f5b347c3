"""Canonical JSON: sorted keys, no spaces, UTF-8, no floats — the bytes every endorser writes."""

import hashlib
import json
from typing import Any


def _reject_floats(value: Any) -> None:
    pending = [value]
    while pending:
        item = pending.pop()
        if type(item) is str or type(item) is int:  # the usual leaves, passed at once
            continue
        if isinstance(item, float):
            raise TypeError(f"canonical JSON holds no floats (got {item!r}); use integer micro-units")
        if isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, (list, tuple)):
            pending.extend(item)


def dumps(value: Any, float_free: bool = False) -> str:
    """Serialise ``value`` canonically; floats are refused (``float_free``: the caller built ``value``
    of strings and ints only, so the walk that looks for floats is skipped)."""
    if not float_free:
        _reject_floats(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def dumpb(value: Any, float_free: bool = False) -> bytes:
    """Canonical JSON as UTF-8 bytes (``float_free`` as in :func:`dumps`)."""
    return dumps(value, float_free).encode("utf-8")


def sha256(value: Any) -> str:
    """The hex SHA-256 of a value's canonical JSON: the digest of every record and manifest."""
    return hashlib.sha256(dumpb(value)).hexdigest()


def loads(data: bytes | str) -> Any:
    """Parse JSON whose numbers are integers; a float is refused."""
    return json.loads(data, parse_float=_no_float)


def _no_float(text: str) -> Any:
    raise ValueError(f"a decimal number {text} is not allowed here; amounts are integer micro-units")
