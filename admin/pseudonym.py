"""Listener pseudonyms: a keyed hash of the node's secret and the month, so months cannot be linked.

A listener id is whatever a platform names a listener with (an actor URL, a user name with
spaces, any Unicode): it is taken in Unicode NFC, so the same name typed two ways is one
listener, and never leaves the node's machine.

Payment references get a keyed hash too (:func:`payment_hash`), under one key the consortium
shares: every node hashes a payment to the same value, so the chain still refuses a payment used
twice anywhere, while a payment's public reference (a transaction hash on a public blockchain)
cannot be matched to the chain by anyone without the key.
"""

import hashlib
import hmac
import re
import secrets
import threading
import unicodedata

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

SECRET_BYTES = 32
PSEUDONYM_HEX = 32
LISTENER_ID_LIMIT = 1000
_MONTH = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def check_listener(value: object) -> str:
    """A listener id: non-empty text of at most 1000 characters, without control characters
    or surrounding spaces; ValueError (one sentence) otherwise."""
    if not isinstance(value, str):
        raise ValueError(f"listener id {value!r} is not text")
    if not value:
        raise ValueError("listener id is empty")
    if len(value) > LISTENER_ID_LIMIT:
        raise ValueError(f"listener id is longer than {LISTENER_ID_LIMIT} characters")
    if value != value.strip():
        raise ValueError(f"listener id {value!r} has spaces around it")
    if _CONTROL.search(value):
        raise ValueError(f"listener id {value!r} holds a control character")
    return value


def new_secret() -> bytes:
    """A fresh random secret for a node's pseudonyms."""
    return secrets.token_bytes(SECRET_BYTES)


class Pseudonymiser:
    """The pseudonyms of one node (secret) and month; each listener id is hashed once."""

    def __init__(self, secret: bytes, month: str) -> None:
        if not isinstance(secret, bytes) or not secret:
            raise ValueError("the pseudonym secret must be non-empty bytes")
        if not isinstance(month, str) or not _MONTH.fullmatch(month):
            raise ValueError(f"month {month!r} is not YYYY-MM")
        self.month = month
        self._base = hmac.new(secret, month.encode("utf-8") + b"\x1f", hashlib.sha256)
        self._known: dict[str, str] = {}
        # The ids met by series() and their pseudonyms, in the same order (Arrow, for lookups by array).
        self._ids = self._pseudonyms = pa.array([], pa.large_string())
        self._lock = threading.Lock()  # days may be read in threads sharing one month's pseudonyms

    def __call__(self, listener_id: str) -> str:
        """HMAC-SHA256(secret, month + "\\x1f" + NFC(listener_id)) as hex, cut to 32 characters."""
        known = self._known.get(listener_id)
        if known is None:
            mac = self._base.copy()
            mac.update(unicodedata.normalize("NFC", listener_id).encode("utf-8"))
            known = self._known[listener_id] = mac.hexdigest()[:PSEUDONYM_HEX]
        return known

    def series(self, listeners: pd.Series) -> pd.Series:
        """The pseudonym of every listener id of ``listeners``, with the same index."""
        encoded = pc.dictionary_encode(pa.array(listeners.array, pa.large_string()))
        if isinstance(encoded, pa.ChunkedArray):
            encoded = encoded.combine_chunks()
        if encoded.null_count:
            raise ValueError("a listener id is missing")
        with self._lock:
            ids, pseudonyms = self._ids, self._pseudonyms
            new = encoded.dictionary.filter(pc.is_null(pc.index_in(encoded.dictionary, value_set=ids)))
            if len(new):
                ids = self._ids = pa.concat_arrays([ids, new.cast(pa.large_string())])
                pseudonyms = self._pseudonyms = pa.concat_arrays(
                    [pseudonyms, pa.array([self(listener) for listener in new.to_pylist()], pa.large_string())])
        where = pc.index_in(encoded.dictionary, value_set=ids)
        return pd.Series(pd.array(pseudonyms.take(where.take(encoded.indices)), dtype="str"),
                         index=listeners.index, name=listeners.name)


def pseudonym(secret: bytes, month: str, listener_id: str) -> str:
    """HMAC-SHA256(secret, month + "\\x1f" + NFC(listener_id)) as hex, cut to 32 characters."""
    return Pseudonymiser(secret, month)(listener_id)


def pseudonymise(secret: bytes, month: str, listeners: pd.Series) -> pd.Series:
    """The pseudonym of every listener id of ``listeners``."""
    return Pseudonymiser(secret, month).series(listeners)


def payment_hash(key: bytes, payment_ref: str) -> str:
    """HMAC-SHA256(consortium payment key, "payment" + "\\x1f" + payment reference) as 64 hex: what
    the chain keeps of a payment reference."""
    return hmac.new(key, b"payment\x1f" + payment_ref.encode("utf-8"), hashlib.sha256).hexdigest()
