"""A month as the settlement sees it, read from the ledger: its subscriptions, each node's standing
and sealed allocations, the disputes over them (:class:`chaincode.settle.NodeMonth`)."""

from typing import Any, Iterable

from . import lookups, readiness, records, rules, scope, settle, state
from .readiness import Standing
from .records import Dispute
from .state import LedgerContext


async def month_inputs(ctx: LedgerContext, month: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The month's subscriptions (by node and listener) and node months (by node)."""
    subscriptions = [{**record, "node": attrs[1], "listener": attrs[2]}
                     for attrs, record in await state.scan(ctx, records.SUBSCRIPTION, month)]
    nodemonths = {attrs[1]: record for attrs, record in await state.scan(ctx, records.NODE_MONTH, month)}
    return subscriptions, nodemonths


def views(disputes: list[Dispute], version: int = 0) -> tuple[settle.DisputeView, ...]:
    """The disputes as the settlement of ``version`` of the node's month sees them."""
    return tuple(settle.DisputeView(d["id"], "open" if d["status"] == "open" else d["resolution"],
                                    scope.in_force(d["scope"], d["resolution"] == "reject", d["version"], version))
                 for d in disputes)


def states(disputes: list[Dispute]) -> dict[str, str]:
    """Each dispute's state: "open", "approve" or "reject"."""
    return {view.id: view.state for view in views(disputes)}


async def node_month(ctx: LedgerContext, month: str, node: str, standing: Standing, disputes: list[Dispute],
                     named: Iterable[str] = ()) -> settle.NodeMonth:
    """A node's month as the settlement sees it: pending, not sealed, or its allocations (with the
    allocations of every listener a dispute's scope or ``named`` names)."""
    found = views(disputes, standing.version)
    if standing.pending or not standing.sealed:
        return settle.NodeMonth(pending=standing.pending, disputes=found)
    named = set(named) | {listener for view in found if view.state != "approve" for listener in view.scope["listeners"]}
    listeners, parts, heard = set(), {}, {}
    for attrs, allocation in await state.scan(ctx, records.ALLOCATION, month, node):
        listeners.add(attrs[2])
        for artist, _, _ in allocation["artists"]:
            heard[artist] = heard.get(artist, 0) + 1
        if attrs[2] in named:
            parts[attrs[2]] = allocation["artists"]
    totals: dict[str, int] = {}
    for batch in await state.records(ctx, records.ALLOCATION_BATCH, month, node):
        for artist, amount in batch["artists"].items():
            totals[artist] = totals.get(artist, 0) + amount
    return settle.NodeMonth(sealed=True, allocated_listeners=frozenset(listeners), totals=totals, parts=parts,
                            disputes=found, listeners=dict(sorted(heard.items())))


async def registered(ctx: LedgerContext, nodes: Iterable[settle.NodeMonth]) -> list[str]:
    """The registered artists among those the node months allocate to."""
    artist_ids = sorted({a for n in nodes for a in n.totals})
    return [a for a in artist_ids if await state.get(ctx, records.ARTIST, a) is not None]


async def standings(ctx: LedgerContext, month: str, subscriptions: list[dict[str, Any]]
                    ) -> dict[str, tuple[Standing, list[Dispute]]]:
    """The standing and disputes of every node with counted subscriptions in ``month``."""
    found = {}
    for node in sorted({s["node"] for s in subscriptions if s["status"] in rules.COUNTED}):
        disputes = await lookups.month_disputes(ctx, month, node)
        found[node] = (await readiness.standing(ctx, month, node, disputes), disputes)
    return found
