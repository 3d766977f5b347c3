"""The embedded backend's chaincode stub: Fabric's stub semantics over the SQLite block store.

Reads see committed state only (as on Fabric, a transaction does not read its own writes);
writes are buffered and handed to the store on commit.
"""

from dataclasses import dataclass
from typing import Any, AsyncIterator, Sequence

from fabric_chaincode_python.fabric_shim.stub import ChaincodeStub
from google.protobuf.timestamp_pb2 import Timestamp

from .store import BlockStore


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
        return self.store.get(key) or b""

    async def put_state(self, key: str, value: bytes | str) -> None:
        self.writes[key] = value.encode() if isinstance(value, str) else bytes(value)

    async def delete_state(self, key: str) -> None:
        self.writes[key] = None

    async def get_state_by_range(self, start_key: str, end_key: str) -> AsyncIterator[KV]:
        """The keys in [start_key, end_key), read a page at a time (as Fabric's iterator does), so
        a query that stops early reads little."""
        return self._pages(start_key, end_key)

    async def _pages(self, start: str, end: str, size: int = 100) -> AsyncIterator[KV]:
        while True:
            rows = self.store.range(start, end, size)
            for key, value in rows:
                yield KV(key, value)
            if len(rows) < size:
                return
            start = rows[-1][0] + "\x00"

    async def get_state_by_range_with_pagination(self, start_key: str, end_key: str, page_size: int,
                                                 bookmark: str = "") -> AsyncIterator[KV]:
        """At most ``page_size`` keys from ``bookmark`` (or ``start_key``), as Fabric pages a range."""
        rows = self.store.range(bookmark or start_key, end_key, page_size)
        return _iterate([KV(k, v) for k, v in rows])

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
