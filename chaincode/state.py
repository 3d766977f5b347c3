"""World-state access for the contracts: canonical JSON records under composite keys."""

from functools import cached_property
from typing import Any

from fabric_chaincode_python.fabric_contract_api.contractapi.transaction_context import (
    TransactionContext,
)

from . import canonical
from .errors import NotFound
from .identity import Caller, caller_from_creator


class LedgerContext(TransactionContext):
    """The transaction context of every 9ten contract: the stub plus the parsed caller."""

    @cached_property
    def caller(self) -> Caller:
        return caller_from_creator(self.get_stub().get_creator() or {})


def key(ctx: LedgerContext, object_type: str, *attributes: str) -> str:
    """The composite key ``object_type`` + ``attributes``."""
    return ctx.get_stub().create_composite_key(object_type, [str(a) for a in attributes])


async def get(ctx: LedgerContext, object_type: str, *attributes: str) -> Any:
    """The record at a composite key, or None."""
    raw = await ctx.get_stub().get_state(key(ctx, object_type, *attributes))
    return canonical.loads(raw) if raw else None


async def must_get(ctx: LedgerContext, missing: str, object_type: str, *attributes: str) -> Any:
    """The record at a composite key; NotFound with the sentence ``missing`` when there is none."""
    record = await get(ctx, object_type, *attributes)
    if record is None:
        raise NotFound(missing)
    return record


async def put(ctx: LedgerContext, record: Any, object_type: str, *attributes: str) -> None:
    """Write ``record`` as canonical JSON at a composite key."""
    await ctx.get_stub().put_state(key(ctx, object_type, *attributes), canonical.dumpb(record))


async def scan(ctx: LedgerContext, object_type: str, *attributes: str) -> list[tuple[list[str], Any]]:
    """Every (attributes, record) under a partial composite key, in key order."""
    stub = ctx.get_stub()
    found = []
    iterator = await stub.get_state_by_partial_composite_key(object_type, [str(a) for a in attributes])
    async for kv in iterator:
        _, attrs = stub.split_composite_key(kv.key)
        found.append((attrs, canonical.loads(kv.value)))
    return found


#: The smallest key of a world state: composite keys start with U+0000, simple keys after it.
FIRST_KEY = "\x00"


async def page(ctx: LedgerContext, start: str, size: int) -> list[tuple[str, bytes]]:
    """At most ``size`` (key, value) pairs from ``start`` on, composite keys included, in key order."""
    iterator = await ctx.get_stub().get_state_by_range_with_pagination(start, "", size)
    return [(kv.key, bytes(kv.value)) async for kv in iterator]


def emit(ctx: LedgerContext, name: str, payload: Any) -> None:
    """Emit the transaction's event (Fabric keeps one event per transaction)."""
    ctx.get_stub().set_event(name, canonical.dumpb(payload))
