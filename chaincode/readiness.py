"""Review before money moves: whether a node's part of a month may be paid, and if not, why.

A node's part is paid with the month when:

- the node sealed the month (a revoked node that never sealed cannot: its listeners' artist
  share is unallocated, reported), and
- each reviewer assigned to its month (:data:`chaincode.records.REVIEWERS`) gave a verdict on the
  sealed version: approve, or flag (the flag's dispute then holds what it disputes, and only
  that), and
- no dispute over days of that version is open or rejected: a day's report may change every
  allocation of the month, so the part waits for the resolution, or after a rejection for a
  corrected month (new seal, reviewed again); a revoked node can no longer correct, so its
  rejected days reject its whole month (:func:`chaincode.scope.in_force`).

A node that has not sealed, or whose reviewers have not all reviewed, *blocks* the month's
settlement, unless a majority of the consortium settles without it (proposal ``settle_without``):
its part is then *pending*, its artist share held whole for it. A dispute over days makes the
part pending without a proposal. A pending part is settled later (``Settlement:SettleNode``) once
nothing keeps it pending. None of this reads the transaction's timestamp.
"""

from dataclasses import dataclass

from . import records, scope, state, three_eyes
from .records import Dispute
from .state import LedgerContext


@dataclass(frozen=True)
class Standing:
    """Where a node's month stands: ``blocked`` is why the month cannot be settled yet (one
    sentence, "" if it can); ``pending`` why the node's part would be held whole ("" if it would
    be paid by its allocations)."""

    node: str
    sealed: bool
    version: int
    reviewers: dict
    reviewed: dict
    blocked: str
    pending: str


def _days_in_dispute(disputes: list[Dispute], version: int, active: bool) -> str:
    """Why disputed days keep the part pending ("" when they do not): open, or rejected while the
    node can still correct them (a revoked node's rejected days reject its whole month instead)."""
    for dispute in disputes:
        if dispute["version"] != version or not dispute["scope"]["days"]:
            continue
        days = scope.listed(dispute["scope"]["days"])
        if dispute["status"] == "open":
            return f"dispute {dispute['id']} over days {days} is open"
        if dispute["resolution"] == "reject" and active:
            return (f"dispute {dispute['id']} rejected days {days}; the node must correct them and seal "
                    "a corrected month, reviewed again")
    return ""


async def standing(ctx: LedgerContext, month: str, node_id: str, disputes: list[Dispute],
                   excuse: bool = True) -> Standing:
    """Where ``node_id``'s ``month`` stands, given every dispute ever opened on it; with ``excuse``,
    a month the consortium settles without the node is pending where it would block."""
    node = await state.get(ctx, records.NODE, node_id)
    nodemonth = await state.get(ctx, records.NODE_MONTH, month, node_id)
    sealed = nodemonth is not None and nodemonth["status"] == "sealed"
    version = nodemonth["version"] if nodemonth else 0
    reviewers = await state.get(ctx, records.REVIEWERS, month, node_id) or {}
    reviewed, blocked, pending = {}, "", ""
    if not sealed:
        if node is not None and node["status"] == "active":
            withdrawn = f" (version {version} was unsealed)" if nodemonth else ""
            blocked = (f"node {node_id} has not sealed {month}{withdrawn}; it must run month reconcile first, "
                       "or a majority may settle the month without it (proposal settle_without).")
    else:
        for role in three_eyes.ROLES:
            if reviewers.get(role):
                review = await state.get(ctx, records.REVIEW, month, node_id, reviewers[role])
                reviewed[role] = review["verdict"] if review and review["version"] == version else ""
        waiting = [role for role, verdict in reviewed.items() if not verdict]
        if waiting:
            who = " and ".join(f"its assigned {role} {reviewers[role]}" for role in waiting)
            blocked = (f"node {node_id}'s {month} (version {version}) awaits the review of {who}; a majority "
                       "may replace a reviewer that does not review (proposal replace_reviewer) or settle "
                       "the month without it (proposal settle_without).")
        else:
            pending = _days_in_dispute(disputes, version, node is not None and node["status"] == "active")
    if blocked and excuse:
        excused = await state.get(ctx, records.EXCUSED, month, node_id)
        if excused is not None:
            why = "it has not sealed" if not sealed else "its reviews are not all in"
            blocked, pending = "", f"settled without it (proposal {excused['proposal']}): {why}"
    return Standing(node_id, sealed, version, reviewers, reviewed, blocked, pending)
