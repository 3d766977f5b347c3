"""The stocks across months on the ledger: artist balances, nodes' waiting money, what is held, and
the split sheets in force (the arithmetic on them is :mod:`chaincode.books`).

Each balance is its artist's own record and each waiting amount its node's, so releases of
different artists or nodes never write the same key; a settlement rewrites those it changes.
"""

from typing import Any, Mapping

from . import books, records, state
from .records import Balance
from .state import LedgerContext


def _by_node(entries: Mapping[str, int]) -> dict[str, int]:
    return {node: amount for node, amount in sorted(entries.items()) if amount}


async def balances(ctx: LedgerContext) -> dict[str, dict[str, int]]:
    """Every artist balance with money in it: {artist: {node: amount}}."""
    return {b["artist"]: _by_node(b["by_node"]) for b in await state.records(ctx, records.BALANCE) if b["amount_micro"]}


def balance_record(artist: str, by_node: Mapping[str, int]) -> Balance:
    by_node = _by_node(by_node)
    return {"amount_micro": sum(by_node.values()), "artist": artist, "by_node": by_node}


async def credit(ctx: LedgerContext, artist: str, by_node: Mapping[str, int]) -> Balance:
    """Add ``by_node`` to an artist's balance (one read and one write of its record)."""
    known = await state.get(ctx, records.BALANCE, artist)
    merged = dict(known["by_node"]) if known else {}
    for node, amount in by_node.items():
        merged[node] = merged.get(node, 0) + amount
    record = balance_record(artist, merged)
    await state.put(ctx, record, records.BALANCE, artist)
    return record


async def waiting(ctx: LedgerContext) -> dict[str, dict[str, int]]:
    """Every node's waiting money: {node: {"unallocated_micro", "unclaimed_micro"}}."""
    return {w["node"]: {p: w[p] for p in books.WAITING_PARTS} for w in await state.records(ctx, records.WAITING)}


async def wait(ctx: LedgerContext, by_node: Mapping[str, int], part: str) -> None:
    """Add ``by_node`` to each node's waiting money (``part`` "unallocated_micro" or
    "unclaimed_micro"), one read and one write of each node's record."""
    for node, amount in sorted(by_node.items()):
        if not amount:
            continue
        known = await state.get(ctx, records.WAITING, node) or {"node": node, "unallocated_micro": 0,
                                                                 "unclaimed_micro": 0}
        await state.put(ctx, {**known, part: known[part] + amount}, records.WAITING, node)


async def held(ctx: LedgerContext) -> dict[str, int]:
    """What every settled month still holds, per node (under disputes, for unregistered artists,
    and nodes' whole parts)."""
    found: dict[str, int] = {}
    for record in await state.records(ctx, records.HELD) + await state.records(ctx, records.NODE_HELD):
        if record["status"] == "held":
            for node, amount in record["by_node"].items():
                found[node] = found.get(node, 0) + amount
    return found


async def stocks(ctx: LedgerContext) -> dict[str, int]:
    """The stocks now, in total: {"carried_micro", "held_micro", "waiting_unallocated_micro",
    "waiting_unclaimed_micro"}."""
    waiting_now = await waiting(ctx)
    return {"carried_micro": sum(sum(b.values()) for b in (await balances(ctx)).values()),
            "held_micro": sum((await held(ctx)).values()),
            "waiting_unallocated_micro": sum(w["unallocated_micro"] for w in waiting_now.values()),
            "waiting_unclaimed_micro": sum(w["unclaimed_micro"] for w in waiting_now.values())}


async def sheets(ctx: LedgerContext, month: str) -> dict[str, list[list]]:
    """The split sheet in force for ``month`` per artist: the latest effective on or before it."""
    found: dict[str, Any] = {}
    for sheet in await state.records(ctx, records.SPLIT):
        if sheet["effective_from"] <= month:
            found[sheet["artist"]] = sheet["payees"]  # records come by (artist, effective_from)
    return found
