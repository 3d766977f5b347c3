"""Reads several contracts share: the policy in force, the active nodes, a node month's disputes."""

from . import records, state
from .errors import NotFound
from .records import Dispute, Node
from .rules import Policy
from .state import LedgerContext


async def policy_for(ctx: LedgerContext, month: str) -> Policy:
    """The policy in force for ``month``: of the versions whose months hold it (from
    ``effective_from``, before ``until`` if it has one), the one with the latest ``effective_from``."""
    applicable = [policy for policy in map(Policy.of, await state.records(ctx, records.POLICY)) if policy.covers(month)]
    if not applicable:
        raise NotFound(f"no policy is in force for {month}.")
    return max(applicable, key=lambda p: p.effective_from)


async def active_nodes(ctx: LedgerContext) -> list[Node]:
    """Every active node, by id."""
    return [n for n in await state.records(ctx, records.NODE) if n["status"] == "active"]


async def month_disputes(ctx: LedgerContext, month: str, node: str) -> list[Dispute]:
    """Every dispute ever opened on a node's month, by id."""
    ids = await state.records(ctx, records.MONTH_DISPUTE, month, node)
    return [await state.get(ctx, records.DISPUTE, dispute_id) for dispute_id in sorted(ids)]
