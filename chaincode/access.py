"""Who may call what: the caller's node (from its MSP id) and role (from its certificate)."""

from typing import Any

from . import state
from .errors import AccessDenied
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


async def caller_node(ctx: LedgerContext, *roles: str) -> dict[str, Any]:
    """The active node of the caller's organisation, checking the caller's role."""
    require_role(ctx, *roles)
    msp_id = ctx.caller.msp_id
    node_id = await state.get(ctx, "nodemsp", msp_id)
    node = await state.get(ctx, "node", node_id) if node_id else None
    if node is None:
        raise AccessDenied(f"organisation {msp_id} is not a node of the consortium.")
    if node["status"] != "active":
        raise AccessDenied(f"node {node['id']} of {msp_id} is {node['status']}, not active.")
    return node


async def require_node_admin(ctx: LedgerContext, node_id: str) -> dict[str, Any]:
    """The caller's node, which must be ``node_id``, called by its admin."""
    node = await caller_node(ctx, "admin")
    if node["id"] != node_id:
        raise AccessDenied(f"{ctx.caller.msp_id} is node {node['id']} and may not act for node {node_id}.")
    return node


async def require_member(ctx: LedgerContext) -> None:
    """Any identity with a 9ten role in an organisation of the consortium (for queries)."""
    await caller_node(ctx, "admin", "reviewer", "arbitrator", "auditor")
