"""World-state access for the contracts: the records of :mod:`chaincode.records` as canonical JSON."""

from functools import cached_property
from typing import Any, TypeVar

from fabric_chaincode_python.fabric_contract_api.contractapi.transaction_context import (
    TransactionContext,
)

from . import canonical_json
from .errors import NotFound
from .identity import Caller, caller_from_creator
from .records import SEPARATOR, Kind

R = TypeVar("R")


class LedgerContext(TransactionContext):
    """The transaction context of every 9ten contract: the stub plus the parsed caller."""

    @cached_property
    def caller(self) -> Caller:
        return caller_from_creator(self.get_stub().get_creator() or {})


async def get(ctx: LedgerContext, kind: Kind[R], *attributes: str) -> R | None:
    """The record of ``kind`` at these key attributes, or None."""
    raw = await ctx.get_stub().get_state(kind.key(*attributes))
    return canonical_json.loads(raw) if raw else None


async def must_get(ctx: LedgerContext, missing: str, kind: Kind[R], *attributes: str) -> R:
    """The record of ``kind`` at these key attributes; NotFound with the sentence ``missing`` when
    there is none."""
    record = await get(ctx, kind, *attributes)
    if record is None:
        raise NotFound(missing)
    return record


async def put(ctx: LedgerContext, record: Any, kind: Kind, *attributes: str) -> None:
    """Write ``record`` as canonical JSON under ``kind`` at these key attributes."""
    await ctx.get_stub().put_state(kind.key(*attributes), canonical_json.dumpb(record))


async def delete(ctx: LedgerContext, kind: Kind, *attributes: str) -> None:
    """Delete the record of ``kind`` at these key attributes."""
    await ctx.get_stub().delete_state(kind.key(*attributes))


async def scan(ctx: LedgerContext, kind: Kind[R], *attributes: str) -> list[tuple[list[str], R]]:
    """Every (key attributes, record) of ``kind`` whose key starts with ``attributes``, in key order."""
    stub = ctx.get_stub()
    found = []
    iterator = await stub.get_state_by_partial_composite_key(kind.name, [str(a) for a in attributes])
    async for kv in iterator:
        _, attrs = stub.split_composite_key(kv.key)
        found.append((attrs, canonical_json.loads(kv.value)))
    return found


async def records(ctx: LedgerContext, kind: Kind[R], *attributes: str) -> list[R]:
    """The records of :func:`scan`, without their keys."""
    return [record for _, record in await scan(ctx, kind, *attributes)]


#: The smallest key of a world state: composite keys start with U+0000, simple keys after it.
FIRST_KEY = "\x00"


async def page(ctx: LedgerContext, start: str, size: int) -> list[tuple[str, bytes]]:
    """At most ``size`` (key, value) pairs from ``start`` on, composite keys included, in key order."""
    iterator = await ctx.get_stub().get_state_by_range_with_pagination(start, "", size)
    return [(kv.key, bytes(kv.value)) async for kv in iterator]


def emit(ctx: LedgerContext, name: str, payload: Any) -> None:
    """Emit the transaction's event (Fabric keeps one event per transaction)."""
    ctx.get_stub().set_event(name, canonical_json.dumpb(payload))


async def first_from(ctx: LedgerContext, kind: Kind, prefix: tuple[str, ...], start: str) -> list[str] | None:
    """The key attributes of the first record of ``kind`` whose key starts with ``prefix`` and whose
    next attribute is ``start`` or after it, or None (one range query, stopped at its first key)."""
    stub = ctx.get_stub()
    head = kind.key(*prefix) if prefix else SEPARATOR + kind.name + SEPARATOR
    iterator = await stub.get_state_by_range(head + start, head + "\U0010FFFF")
    try:
        async for kv in iterator:
            return stub.split_composite_key(kv.key)[1]
    finally:
        closing = getattr(iterator, "aclose", None)
        if closing is not None:
            await closing()
    return None
