"""The embedded backend's chaincode stub: Fabric's stub semantics over the SQLite block store.

Reads see committed state only (as on Fabric, a transaction does not read its own writes) and are
recorded as Fabric's read set: each key with the version it was read at, each range with the
digest of the keys and versions it returned; writes are buffered and handed to the store on commit.
"""

from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Sequence

from fabric_chaincode_python.fabric_shim.stub import ChaincodeStub
from google.protobuf.timestamp_pb2 import Timestamp

from .store import BlockStore, range_digest


#: The parts of a block body that running its proposal yields (:meth:`EmbeddedStub.result`).
RESULT = ("event", "reads", "response", "writes")


@dataclass
class RangeRead:
    """A range a transaction read: from ``start`` to ``end`` (exclusive; "" unbounded), the
    (key, version) pairs it returned, and whether it was read to its end."""

    start: str
    end: str
    seen: list[tuple[str, int]] = field(default_factory=list)
    exhausted: bool = False

    def record(self) -> list:
        """[start, end, digest] of what was read: a range read part-way ends just after its last key,
        so a key added within it, or a version changed, shows at commit (Fabric's phantom check)."""
        end = self.end if self.exhausted else self.seen[-1][0] + "\x00"
        return [self.start, end, range_digest(self.seen)]


@dataclass(frozen=True)
class KV:
    key: str
    value: bytes


@dataclass(frozen=True)
class KeyModification:
    tx_id: str
    value: bytes
    timestamp: Timestamp
    is_delete: bool


async def _iterate(items: list[Any]) -> AsyncIterator[Any]:
    for item in items:
        yield item


class EmbeddedStub:
    """One transaction's view of the ledger."""

    def __init__(self, store: BlockStore, txid: str, timestamp_ns: int, creator: dict,
                 function: str, args: Sequence[str]) -> None:
        self.store, self.txid = store, txid
        self.timestamp = Timestamp(seconds=timestamp_ns // 10**9, nanos=timestamp_ns % 10**9)
        self.creator, self.function, self.args = creator, function, list(args)
        self.writes: dict[str, bytes | None] = {}
        self.event: tuple[str, bytes] | None = None
        self.read_keys: dict[str, int | None] = {}
        self.read_ranges: list[RangeRead] = []

    def reads(self) -> dict[str, list]:
        """The read set: {"keys": [[key, version], ...] by key, "ranges": [[start, end, digest], ...]},
        each range as far as it was read (a range's digest is computed here, so a query that records
        no block pays nothing for it)."""
        return {"keys": [[k, v] for k, v in sorted(self.read_keys.items())],
                "ranges": [read.record() for read in self.read_ranges if read.seen or read.exhausted]}

    def result(self, payload: str) -> dict[str, Any]:
        """What this run of a proposal yields, as a block records it: event, read set, response, writes."""
        event = {"name": self.event[0], "payload": self.event[1].decode()} if self.event else None
        writes = [[k, None if v is None else v.decode()] for k, v in sorted(self.writes.items())]
        return {"event": event, "reads": self.reads(), "response": payload, "writes": writes}


    def get_txid(self) -> str:
        return self.txid

    def get_channel_id(self) -> str:
        return "embedded"

    def get_tx_timestamp(self) -> Timestamp:
        return self.timestamp

    def get_creator(self) -> dict:
        return self.creator

    def get_function_and_parameters(self) -> tuple[str, list[str]]:
        return self.function, self.args

    async def get_state(self, key: str) -> bytes:
        value, version = self.store.get_versioned(key)
        self.read_keys.setdefault(key, version)
        return value or b""

    async def put_state(self, key: str, value: bytes | str) -> None:
        self.writes[key] = value.encode() if isinstance(value, str) else bytes(value)

    async def delete_state(self, key: str) -> None:
        self.writes[key] = None

    async def get_state_by_range(self, start_key: str, end_key: str) -> AsyncIterator[KV]:
        """The keys in [start_key, end_key), read a page at a time (as Fabric's iterator does), so
        a query that stops early reads little (and its read set holds what it read)."""
        read = RangeRead(start_key, end_key)
        self.read_ranges.append(read)
        return self._pages(read)

    async def _pages(self, read: "RangeRead", size: int = 100) -> AsyncIterator[KV]:
        start = read.start
        while True:
            rows = self.store.range(start, read.end, size)
            for key, value, version in rows:
                read.seen.append((key, version))
                yield KV(key, value)
            if len(rows) < size:
                read.exhausted = True
                return
            start = rows[-1][0] + "\x00"

    async def get_state_by_range_with_pagination(self, start_key: str, end_key: str, page_size: int,
                                                 bookmark: str = "") -> AsyncIterator[KV]:
        """At most ``page_size`` keys from ``bookmark`` (or ``start_key``), as Fabric pages a range."""
        read = RangeRead(bookmark or start_key, end_key)
        rows = self.store.range(read.start, end_key, page_size)
        read.seen, read.exhausted = [(k, version) for k, _, version in rows], len(rows) < page_size
        self.read_ranges.append(read)
        return _iterate([KV(k, v) for k, v, _ in rows])

    async def get_state_by_partial_composite_key(self, object_type: str,
                                                 attributes: Sequence[str]) -> AsyncIterator[KV]:
        prefix = self.create_composite_key(object_type, attributes)
        return await self.get_state_by_range(prefix, prefix + "\U0010FFFF")

    async def get_history_for_key(self, key: str) -> AsyncIterator[KeyModification]:
        mods = [KeyModification(txid, value or b"", Timestamp(seconds=ts // 10**9, nanos=ts % 10**9), deleted)
                for txid, _, ts, value, deleted in self.store.history(key)]
        return _iterate(mods)

    def create_composite_key(self, object_type: str, attributes: Sequence[str]) -> str:
        return ChaincodeStub.create_composite_key(self, object_type, attributes)

    def split_composite_key(self, composite_key: str) -> tuple[str, list[str]]:
        return ChaincodeStub.split_composite_key(self, composite_key)

    def set_event(self, name: str, payload: bytes | str) -> None:
        self.event = (name, payload.encode() if isinstance(payload, str) else bytes(payload))
