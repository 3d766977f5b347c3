"""Listener pseudonyms: a keyed hash of the node's secret and the month, so months cannot be linked."""

import hashlib
import hmac
import re
import secrets

import pandas as pd
import pyarrow as pa

SECRET_BYTES = 32
PSEUDONYM_HEX = 32
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def new_secret() -> bytes:
    """A fresh random secret for a node's pseudonyms."""
    return secrets.token_bytes(SECRET_BYTES)


def _keyed(secret: bytes, month: str) -> "hmac.HMAC":
    if not isinstance(secret, bytes) or not secret:
        raise ValueError("the pseudonym secret must be non-empty bytes")
    if not isinstance(month, str) or not _MONTH.match(month):
        raise ValueError(f"month {month!r} is not YYYY-MM")
    return hmac.new(secret, month.encode("utf-8") + b"\x1f", hashlib.sha256)


def pseudonym(secret: bytes, month: str, listener_id: str) -> str:
    """HMAC-SHA256(secret, month + "\\x1f" + listener_id) as hex, cut to 32 characters."""
    mac = _keyed(secret, month)
    mac.update(listener_id.encode("utf-8"))
    return mac.hexdigest()[:PSEUDONYM_HEX]


def pseudonymise(secret: bytes, month: str, listeners: pd.Series) -> pd.Series:
    """The pseudonym of every listener id in ``listeners``; each distinct id is hashed once."""
    base = _keyed(secret, month)
    codes, uniques = pd.factorize(listeners, use_na_sentinel=True)
    if (codes < 0).any():
        raise ValueError("a listener id is missing")
    hashed = []
    for listener in uniques:
        mac = base.copy()
        mac.update(str(listener).encode("utf-8"))
        hashed.append(mac.hexdigest()[:PSEUDONYM_HEX])
    per_row = pa.DictionaryArray.from_arrays(pa.array(codes, pa.int64()),
                                             pa.array(hashed, pa.string())).dictionary_decode()
    return pd.Series(pd.array(per_row, dtype="str"), index=listeners.index, name=listeners.name)
