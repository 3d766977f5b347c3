"""The embedded backend's chaincode stub: Fabric's stub semantics over the SQLite block store.

Reads see committed state only (as on Fabric, a transaction does not read its own writes) and are
recorded as Fabric's read set: each key with the version it was read at, each range with the
digest of the keys and versions it returned; writes are buffered and handed to the store on commit.
"""

from dataclasses import dataclass
from typing import Any, AsyncIterator, Sequence

from fabric_chaincode_python.fabric_shim.stub import ChaincodeStub
from google.protobuf.timestamp_pb2 import Timestamp

from .store import BlockStore, range_digest


#: The parts of a block body that running its proposal yields (:meth:`EmbeddedStub.result`).
RESULT = ("event", "reads", "response", "writes")


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
        self.read_ranges: list[tuple[str, str, int, list]] = []

    def reads(self) -> dict[str, list]:
        """The read set: {"keys": [[key, version], ...] by key, "ranges": [[start, end, limit, digest], ...]}
        (a range's digest is computed here, so a query that records no block pays nothing for it)."""
        return {"keys": [[k, v] for k, v in sorted(self.read_keys.items())],
                "ranges": [[start, end, limit, range_digest(rows)] for start, end, limit, rows in self.read_ranges]}

    def result(self, payload: str) -> dict[str, Any]:
        """What this run of a proposal yields, as a block records it: event, read set, response, writes."""
        event = {"name": self.event[0], "payload": self.event[1].decode()} if self.event else None
        writes = [[k, None if v is None else v.decode()] for k, v in sorted(self.writes.items())]
        return {"event": event, "reads": self.reads(), "response": payload, "writes": writes}

    def _range(self, start: str, end: str, limit: int = -1) -> AsyncIterator[KV]:
        rows = self.store.range(start, end, limit)
        self.read_ranges.append((start, end, limit, rows))
        return _iterate([KV(k, v) for k, v, _ in rows])

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
        return self._range(start_key, end_key)

    async def get_state_by_range_with_pagination(self, start_key: str, end_key: str, page_size: int,
                                                 bookmark: str = "") -> AsyncIterator[KV]:
        """At most ``page_size`` keys from ``bookmark`` (or ``start_key``), as Fabric pages a range."""
        return self._range(bookmark or start_key, end_key, page_size)

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
