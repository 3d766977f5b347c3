"""The embedded ledger's SQLite file: world state, key history, MSP roots and a hash-chained block log.

Each committed transaction is one block whose body (canonical JSON) holds the signed proposal,
its read set, write set and event; ``hash = SHA-256(canonical {number, prev_hash, body_sha256})``.
Block 0 links to the genesis hash: the SHA-256 of the organisations' CA certificates the ledger
trusts, so two copies of a ledger with the same head also trust the same organisations.

One writer at a time: a transaction's reads, its execution and its commit happen inside one SQLite
write transaction (:meth:`BlockStore.writing`, ``BEGIN IMMEDIATE`` before the first read); a
second writer waits a bounded time for it. A key's version is the block that last wrote it.
"""

import hashlib
import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from chaincode import canonical_json

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
#: How long one attempt to take the write lock waits before the waiting writer is told.
_POLL_SECONDS = 0.2
_VERSION = "(SELECT MAX(h.block) FROM history h WHERE h.key = s.key)"
KEYS_PER_QUERY = 500  # SQLite allows 32,766 parameters; a few hundred keys per query is as fast


def block_hash(number: int, prev_hash: str, body: str) -> str:
    """The hash that links block ``number`` to its predecessor."""
    body_sha = hashlib.sha256(body.encode()).hexdigest()
    header = {"body_sha256": body_sha, "number": number, "prev_hash": prev_hash}
    return canonical_json.sha256(header)


def genesis_hash(roots: dict[str, bytes]) -> str:
    """The hash block 0 links to: the CA certificate of every organisation the ledger trusts."""
    return canonical_json.sha256({"msp": {msp_id: pem.decode() for msp_id, pem in sorted(roots.items())}})


def range_digest(seen: list[tuple[str, int]]) -> str:
    """The digest of a range read: every (key, version) it returned, in order."""
    return canonical_json.sha256([list(pair) for pair in seen])


class BlockStore:
    """SQLite storage; every commit is one SQLite transaction, so it lands whole or not at all."""

    def __init__(self, path: Path | str) -> None:
        self.path = path
        self.db = sqlite3.connect(path, isolation_level=None, timeout=_POLL_SECONDS)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(_SCHEMA)

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def writing(self, wait_seconds: float, waiting: Callable[[], None],
                busy: Callable[[], Exception] = lambda: TimeoutError("the ledger is busy")) -> Iterator[None]:
        """Hold the ledger's write lock (``BEGIN IMMEDIATE``) for the block: commit it on success,
        roll it back on an exception. Another writer holding the lock is waited for up to
        ``wait_seconds``, calling ``waiting`` once; ``busy()`` is raised if it is not released by then."""
        deadline, told = time.monotonic() + wait_seconds, False
        while True:
            try:
                self.db.execute("BEGIN IMMEDIATE")
                break
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                if time.monotonic() >= deadline:
                    raise busy() from None
                if not told:
                    waiting()
                    told = True
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Read one snapshot of the ledger for the block (nothing is written)."""
        if self.db.in_transaction:
            yield
            return
        self.db.execute("BEGIN")
        try:
            yield
        finally:
            self.db.execute("COMMIT")

    def add_msp(self, msp_id: str, ca_pem: bytes) -> None:
        self.db.execute("INSERT OR REPLACE INTO msp VALUES (?, ?)", (msp_id, ca_pem))

    def msp_root(self, msp_id: str) -> bytes | None:
        row = self.db.execute("SELECT ca_pem FROM msp WHERE msp_id = ?", (msp_id,)).fetchone()
        return row[0] if row else None

    def roots(self) -> dict[str, bytes]:
        """Every trusted organisation's CA certificate, by MSP id."""
        return dict(self.db.execute("SELECT msp_id, ca_pem FROM msp"))

    def get(self, key: str) -> bytes | None:
        row = self.db.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def get_versioned(self, key: str) -> tuple[bytes | None, int | None]:
        """A key's value and version (the block that last wrote it), or (None, None)."""
        row = self.db.execute(f"SELECT s.value, {_VERSION} FROM state s WHERE s.key = ?", (key,)).fetchone()
        return (row[0], row[1]) if row else (None, None)

    def range(self, start: str, end: str, limit: int = -1) -> list[tuple[str, bytes, int]]:
        """(key, value, version) of the keys in [start, end) in byte order (end '' means unbounded),
        at most ``limit`` (-1: all)."""
        where, args = ("s.key >= ? AND s.key < ?", (start, end)) if end else ("s.key >= ?", (start,))
        return self.db.execute(f"SELECT s.key, s.value, {_VERSION} FROM state s WHERE {where} "
                               f"ORDER BY s.key LIMIT ?", (*args, limit)).fetchall()

    def changed_read(self, reads: dict[str, list]) -> str | None:
        """The first key read by a transaction whose version changed since (or the start of a range
        whose keys or versions changed), as Fabric's MVCC validation checks a read set; else None."""
        for key, version in reads["keys"]:
            if self.get_versioned(key)[1] != version:
                return key
        for start, end, digest in reads["ranges"]:
            if range_digest([(key, version) for key, _, version in self.range(start, end)]) != digest:
                return start
        return None

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
        """(number, hash) of the last block; (-1, the genesis hash) when there is none."""
        row = self.db.execute("SELECT number, hash FROM blocks ORDER BY number DESC LIMIT 1").fetchone()
        return (row[0], row[1]) if row else (-1, genesis_hash(self.roots()))

    def has_tx(self, txid: str) -> bool:
        return self.db.execute("SELECT 1 FROM blocks WHERE txid = ?", (txid,)).fetchone() is not None

    def commit(self, body: dict[str, Any], writes: dict[str, bytes | None]) -> int:
        """Append a block for ``body`` and apply its writes (inside :meth:`writing`, or as one SQLite
        transaction of its own); returns the block number."""
        if not self.db.in_transaction:
            with self.writing(0, lambda: None):
                return self.commit(body, writes)
        last, prev_hash = self.tip()
        number = last + 1
        text = canonical_json.dumps({**body, "number": number})
        self.db.execute("INSERT INTO blocks VALUES (?, ?, ?, ?, ?, ?)",
                        (number, prev_hash, block_hash(number, prev_hash, text), body["txid"],
                         body["timestamp_ns"], text))
        for key in sorted(writes):
            value = writes[key]
            if value is None:
                self.db.execute("DELETE FROM state WHERE key = ?", (key,))
            else:
                self.db.execute("INSERT OR REPLACE INTO state VALUES (?, ?)", (key, value))
            self.db.execute("INSERT INTO history VALUES (?, ?, ?, ?)", (key, number, value, value is None))
        return number

    def snapshot(self, height: int) -> "BlockStore":
        """An in-memory store of this ledger as it was with its first ``height`` blocks: those blocks,
        the key history they wrote and the world state it leaves."""
        copy = BlockStore(":memory:")
        copy.db.execute("ATTACH DATABASE ? AS source", (str(self.path),))
        copy.db.execute("INSERT INTO msp SELECT * FROM source.msp")
        copy.db.execute("INSERT INTO blocks SELECT * FROM source.blocks WHERE number < ?", (height,))
        copy.db.execute("INSERT INTO history SELECT * FROM source.history WHERE block < ?", (height,))
        copy.db.execute("DETACH DATABASE source")
        copy.db.execute("INSERT INTO state SELECT h.key, h.value FROM history h JOIN (SELECT key, MAX(block) AS "
                        "last FROM history GROUP BY key) m ON h.key = m.key AND h.block = m.last "
                        "WHERE NOT h.is_delete")
        return copy

    def blocks(self) -> Iterator[tuple[int, str, str, str, int, str]]:
        """(number, prev_hash, hash, txid, timestamp_ns, body) of every block in order, as stored."""
        yield from self.db.execute("SELECT number, prev_hash, hash, txid, timestamp_ns, body FROM blocks "
                                   "ORDER BY number")

    def block(self, number: int) -> dict[str, Any] | None:
        row = self.db.execute("SELECT hash, body FROM blocks WHERE number = ?", (number,)).fetchone()
        return {**canonical_json.loads(row[1]), "hash": row[0]} if row else None

    def block_of_tx(self, txid: str) -> int | None:
        row = self.db.execute("SELECT number FROM blocks WHERE txid = ?", (txid,)).fetchone()
        return row[0] if row else None

    def state_items(self) -> Iterator[tuple[str, bytes]]:
        yield from self.db.execute("SELECT key, value FROM state ORDER BY key")

    def history_rows(self) -> Iterator[tuple[str, int, bytes | None, int]]:
        """(key, block, value, is_delete) of every write, by block then key."""
        yield from self.db.execute("SELECT key, block, value, is_delete FROM history ORDER BY block, key")
