"""Deciding a dispute: its state for the voters, and its resolution, which releases what a
settlement holds under it in the same transaction. Who votes and when a dispute is decided is
:mod:`chaincode.three_eyes`; the Reviews contract and the consortium's ``decide_dispute``
proposal both resolve through :func:`resolve`."""

from typing import Any

from . import held, lookups, records, state, three_eyes, validate
from .errors import NotFound
from .records import Dispute
from .state import LedgerContext


async def must_get(ctx: LedgerContext, ident: str) -> Dispute:
    """The dispute ``ident``; NotFound when there is none."""
    dispute = await state.get(ctx, records.DISPUTE, validate.ident("dispute id", ident))
    if dispute is None:
        raise NotFound(f"dispute {ident} does not exist.")
    return dispute


async def outcome(ctx: LedgerContext, dispute: Dispute) -> str:
    """:func:`chaincode.three_eyes.outcome` with the nodes active now."""
    return three_eyes.outcome(dispute, [n["id"] for n in await lookups.active_nodes(ctx)])


async def arbitrator(ctx: LedgerContext, dispute: Dispute) -> str:
    """The dispute's arbitrator: the one picked when arbitration became due while it is still
    active with the duty, else one picked among the nodes active now ("" when none is eligible)."""
    active = await lookups.active_nodes(ctx)
    picked = dispute["arbitrator"]
    if any(n["id"] == picked and "arbitrator" in n["duties"] for n in active):
        return picked
    subject = await state.get(ctx, records.NODE, dispute["local"])
    return three_eyes.arbitrator(dispute, subject, active)


async def resolve(ctx: LedgerContext, dispute: Dispute, resolution: str, decided_by: str,
                  reason: str = "") -> dict[str, Any]:
    """Resolve a dispute, close it and release what a settlement holds under it; returns
    {"dispute", "released"} (released: None when the month is not settled)."""
    dispute = {**dispute, "decided_by": decided_by, "resolution": resolution, "status": "resolved"}
    if reason:
        dispute["arbitration_reason"] = reason
    await state.put(ctx, dispute, records.DISPUTE, dispute["id"])
    await state.delete(ctx, records.OPEN_DISPUTE, dispute["month"], dispute["local"])
    released = await held.release_dispute(ctx, dispute["month"], dispute["id"], resolution)
    return {"dispute": dispute, "released": released}
