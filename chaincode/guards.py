"""Who may run a transaction, and what may no longer change: the checks every contract runs first.

The caller's node comes from its MSP id (the registry's ``nodemsp`` record), its role from the
certificate attribute ``nineten.role`` (:mod:`chaincode.identity`).
"""

from . import records, state, validate
from .errors import AccessDenied, Conflict, NotFound
from .identity import ROLES
from .records import Node
from .state import LedgerContext


def require_role(ctx: LedgerContext, *roles: str) -> str:
    """The caller's role, if it is one of ``roles``; otherwise AccessDenied."""
    caller = ctx.caller
    if caller.role not in roles:
        shown = caller.role or "no role"
        raise AccessDenied(
            f"{caller.msp_id} identity with {shown} may not do this; it needs the role {' or '.join(roles)}."
        )
    return caller.role


async def caller_node(ctx: LedgerContext, *roles: str) -> Node:
    """The active node of the caller's organisation, checking the caller's role."""
    require_role(ctx, *roles)
    msp_id = ctx.caller.msp_id
    node_id = await state.get(ctx, records.NODE_OF_MSP, msp_id)
    node = await state.get(ctx, records.NODE, node_id) if node_id else None
    if node is None:
        raise AccessDenied(f"organisation {msp_id} is not a node of the consortium.")
    if node["status"] != "active":
        raise AccessDenied(f"node {node['id']} of {msp_id} is {node['status']}, not active.")
    return node


async def node_admin(ctx: LedgerContext, node_id: str) -> Node:
    """The caller's node, which must be the registered, active node ``node_id``, called by its admin."""
    mine = await caller_node(ctx, "admin")
    validate.ident("node", node_id)
    if mine["id"] != node_id:
        if await state.get(ctx, records.NODE, node_id) is None:
            raise NotFound(f"node {node_id} is not registered.")
        raise AccessDenied(f"{ctx.caller.msp_id} is node {mine['id']} and may not act for node {node_id}.")
    return mine


async def require_member(ctx: LedgerContext) -> None:
    """Any identity with a 9ten role in an active organisation of the consortium (for queries)."""
    await caller_node(ctx, *ROLES)


async def refuse_settled(ctx: LedgerContext, month: str, what: str) -> None:
    """Conflict once ``month`` is settled: its ``what`` can no longer change."""
    if await state.get(ctx, records.SETTLEMENT, month) is not None:
        raise Conflict(f"{month} is settled; its {what} can no longer change.")


async def refuse_node_settled(ctx: LedgerContext, month: str, node: str, what: str) -> None:
    """Conflict once ``month`` is settled, unless ``node``'s part of it is still pending (held
    whole until its month is sealed and reviewed): its ``what`` can no longer change."""
    settlement = await state.get(ctx, records.SETTLEMENT, month)
    if settlement is not None and not settlement["nodes"].get(node, {}).get("pending"):
        raise Conflict(f"{month} is settled; its {what} can no longer change.")


async def refuse_sealed(ctx: LedgerContext, month: str, node: str, what: str) -> None:
    """Conflict while ``node``'s ``month`` is sealed: its ``what`` can no longer change (unless the
    node unseals it, ``Allocations:Unseal``)."""
    nodemonth = await state.get(ctx, records.NODE_MONTH, month, node)
    if nodemonth is not None and nodemonth["status"] == "sealed":
        raise Conflict(f"node {node} has sealed {month}; its {what} can no longer change.")
