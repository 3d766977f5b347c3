"""Reads several contracts share: the policy in force, the active nodes, a node month's disputes."""

from . import records, state
from .errors import NotFound
from .records import Dispute, Node
from .rules import Policy
from .state import LedgerContext


async def policy_for(ctx: LedgerContext, month: str) -> Policy:
    """The policy in force for ``month``: the version with the latest ``effective_from`` on or
    before it."""
    applicable = [p for p in await state.records(ctx, records.POLICY) if p["effective_from"] <= month]
    if not applicable:
        raise NotFound(f"no policy is in force for {month}.")
    return Policy.of(max(applicable, key=lambda p: p["effective_from"]))


async def active_nodes(ctx: LedgerContext) -> list[Node]:
    """Every active node, by id."""
    return [n for n in await state.records(ctx, records.NODE) if n["status"] == "active"]


async def month_disputes(ctx: LedgerContext, month: str, node: str) -> list[Dispute]:
    """Every dispute ever opened on a node's month, by id."""
    ids = await state.records(ctx, records.MONTH_DISPUTE, month, node)
    return [await state.get(ctx, records.DISPUTE, dispute_id) for dispute_id in sorted(ids)]
