"""The embedded ledger's SQLite file: world state, key history, MSP roots and a hash-chained block log.

Each committed transaction is one block whose body (canonical JSON) holds the signed proposal,
its write set and its event; ``hash = SHA-256(canonical {number, prev_hash, body_sha256})``.
"""

import hashlib
import sqlite3
from pathlib import Path
from typing import Any, Iterator, Sequence

from chaincode import canonical_json

GENESIS = "0" * 64
KEYS_PER_QUERY = 500  # SQLite allows 32,766 parameters; a few hundred keys per query is as fast
_SCHEMA = """
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS history (
    key TEXT NOT NULL, block INTEGER NOT NULL, value BLOB, is_delete INTEGER NOT NULL,
    PRIMARY KEY (key, block)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS blocks (
    number INTEGER PRIMARY KEY, prev_hash TEXT NOT NULL, hash TEXT NOT NULL,
    txid TEXT NOT NULL UNIQUE, timestamp_ns INTEGER NOT NULL, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS msp (msp_id TEXT PRIMARY KEY, ca_pem BLOB NOT NULL);
"""


def block_hash(number: int, prev_hash: str, body: str) -> str:
    """The hash that links block ``number`` to its predecessor."""
    body_sha = hashlib.sha256(body.encode()).hexdigest()
    header = {"body_sha256": body_sha, "number": number, "prev_hash": prev_hash}
    return canonical_json.sha256(header)


class BlockStore:
    """SQLite storage; every commit is one SQLite transaction, so it lands whole or not at all."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.db = sqlite3.connect(self.path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(_SCHEMA)

    def close(self) -> None:
        self.db.close()

    def add_msp(self, msp_id: str, ca_pem: bytes) -> None:
        self.db.execute("INSERT OR REPLACE INTO msp VALUES (?, ?)", (msp_id, ca_pem))

    def msp_root(self, msp_id: str) -> bytes | None:
        row = self.db.execute("SELECT ca_pem FROM msp WHERE msp_id = ?", (msp_id,)).fetchone()
        return row[0] if row else None

    def get(self, key: str) -> bytes | None:
        row = self.db.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def range(self, start: str, end: str, limit: int = -1) -> list[tuple[str, bytes]]:
        """Keys in [start, end) in byte order (end '' means unbounded), at most ``limit`` (-1: all)."""
        if end:
            sql, args = "SELECT key, value FROM state WHERE key >= ? AND key < ? ORDER BY key LIMIT ?", (start, end)
        else:
            sql, args = "SELECT key, value FROM state WHERE key >= ? ORDER BY key LIMIT ?", (start,)
        return self.db.execute(sql, (*args, limit)).fetchall()

    def history(self, key: str) -> list[tuple[str, int, int, bytes | None, bool]]:
        """(txid, block, timestamp_ns, value, is_delete) for every write of ``key``, newest first."""
        return self.histories([key])[key]

    def histories(self, keys: Sequence[str]) -> dict[str, list[tuple[str, int, int, bytes | None, bool]]]:
        """:meth:`history` of each key, read :data:`KEYS_PER_QUERY` keys per query."""
        found: dict[str, list[tuple[str, int, int, bytes | None, bool]]] = {key: [] for key in keys}
        distinct = list(found)
        for start in range(0, len(distinct), KEYS_PER_QUERY):
            part = distinct[start:start + KEYS_PER_QUERY]
            rows = self.db.execute(
                "SELECT h.key, b.txid, h.block, b.timestamp_ns, h.value, h.is_delete FROM history h "
                f"JOIN blocks b ON b.number = h.block WHERE h.key IN ({','.join('?' * len(part))}) "
                "ORDER BY h.key, h.block DESC", part)
            for key, t, n, ts, v, d in rows:
                found[key].append((t, n, ts, v, bool(d)))
        return found

    def height(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM blocks").fetchone()[0]

    def tip(self) -> tuple[int, str]:
        row = self.db.execute("SELECT number, hash FROM blocks ORDER BY number DESC LIMIT 1").fetchone()
        return (row[0], row[1]) if row else (-1, GENESIS)

    def has_tx(self, txid: str) -> bool:
        return self.db.execute("SELECT 1 FROM blocks WHERE txid = ?", (txid,)).fetchone() is not None

    def commit(self, body: dict[str, Any], writes: dict[str, bytes | None]) -> int:
        """Append a block for ``body`` and apply its writes, atomically; returns the block number."""
        last, prev_hash = self.tip()
        number = last + 1
        text = canonical_json.dumps({**body, "number": number})
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute("INSERT INTO blocks VALUES (?, ?, ?, ?, ?, ?)",
                            (number, prev_hash, block_hash(number, prev_hash, text), body["txid"],
                             body["timestamp_ns"], text))
            for key in sorted(writes):
                value = writes[key]
                if value is None:
                    self.db.execute("DELETE FROM state WHERE key = ?", (key,))
                else:
                    self.db.execute("INSERT OR REPLACE INTO state VALUES (?, ?)", (key, value))
                self.db.execute("INSERT INTO history VALUES (?, ?, ?, ?)",
                                (key, number, value, value is None))
        return number

    def blocks(self) -> Iterator[tuple[int, str, str, str]]:
        """(number, prev_hash, hash, body) of every block in order."""
        yield from self.db.execute("SELECT number, prev_hash, hash, body FROM blocks ORDER BY number")

    def block(self, number: int) -> dict[str, Any] | None:
        row = self.db.execute("SELECT hash, body FROM blocks WHERE number = ?", (number,)).fetchone()
        return {**canonical_json.loads(row[1]), "hash": row[0]} if row else None

    def block_of_tx(self, txid: str) -> int | None:
        row = self.db.execute("SELECT number FROM blocks WHERE txid = ?", (txid,)).fetchone()
        return row[0] if row else None

    def state_items(self) -> Iterator[tuple[str, bytes]]:
        yield from self.db.execute("SELECT key, value FROM state ORDER BY key")

    def history_rows(self) -> Iterator[tuple[str, int, bytes | None]]:
        yield from self.db.execute("SELECT key, block, value FROM history ORDER BY block, key")
