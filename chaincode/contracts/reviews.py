"""Reviews and disputes: other nodes review a node's sealed month; a flag opens a dispute that three
eyes decide, or an arbitrator when they do not agree.

The records are :data:`chaincode.records.REVIEW`, ``DISPUTE``, ``OPEN_DISPUTE`` and
``MONTH_DISPUTE``; who votes and arbitrates is :mod:`chaincode.three_eyes`.

A flag on a month that is already settled cannot open a new dispute (its money is paid); a dispute
that was open at settlement holds its money, released in the transaction that resolves it.
"""

from typing import Any

from .. import canonical_json, guards, held, lookups, records, state, three_eyes, validate
from ..errors import AccessDenied, Conflict, InvalidArgument, NotFound
from ..records import Dispute, Node
from ..state import LedgerContext
from .base import LedgerContract

VERDICTS = ("approve", "flag")


async def _arbitrator(ctx: LedgerContext, dispute: Dispute) -> str:
    subject = await state.get(ctx, records.NODE, dispute["local"])
    return three_eyes.arbitrator(dispute, subject, await lookups.active_nodes(ctx))


async def _reviewer_node(ctx: LedgerContext) -> Node:
    node = await guards.caller_node(ctx, "reviewer", "admin")
    if "reviewer" not in node["duties"]:
        raise AccessDenied(f"node {node['id']} does not have the reviewer duty.")
    return node


async def _must_dispute(ctx: LedgerContext, ident: str) -> Dispute:
    dispute = await state.get(ctx, records.DISPUTE, validate.ident("dispute id", ident))
    if dispute is None:
        raise NotFound(f"dispute {ident} does not exist.")
    return dispute


async def _resolve(ctx: LedgerContext, dispute: Dispute, resolution: str, decided_by: str) -> dict[str, Any]:
    """Resolve a dispute, close it and release what a settlement holds under it (same transaction)."""
    dispute = {**dispute, "decided_by": decided_by, "resolution": resolution, "status": "resolved"}
    await state.put(ctx, dispute, records.DISPUTE, dispute["id"])
    await state.delete(ctx, records.OPEN_DISPUTE, dispute["month"], dispute["local"])
    released = await held.release_dispute(ctx, dispute["month"], dispute["id"], resolution)
    return {"dispute": dispute, "released": released}


class Reviews(LedgerContract):
    """Reviews of nodes' sealed months, disputes, votes and arbitration."""

    Name = "Reviews"
    EVALUATE = ("GetDispute", "ListDisputes", "ListReviews")

    async def Review(self, ctx: LedgerContext, month: str, node: str, verdict: str, reason: str,
                     evidence_sha256: str) -> str:
        """Review another node's sealed month: approve, or flag with a reason (which opens a dispute,
        or adds the evidence to the open one); the same review again is a no-op (reviewer or admin of
        a node with the reviewer duty)."""
        mine = await _reviewer_node(ctx)
        validate.month(month)
        validate.ident("node", node)
        validate.choice("verdict", verdict, VERDICTS)
        validate.text("reason", reason)
        validate.sha256("evidence_sha256", evidence_sha256)
        if mine["id"] == node:
            raise AccessDenied(f"node {node} may not review its own month.")
        subject = await state.get(ctx, records.NODE, node)
        if subject is None:
            raise NotFound(f"node {node} is not registered.")
        nodemonth = await state.get(ctx, records.NODE_MONTH, month, node)
        if nodemonth is None:
            raise NotFound(f"node {node} has not sealed {month}; there is nothing to review yet.")
        if nodemonth["status"] != "sealed":
            raise Conflict(f"node {node}'s {month} is {nodemonth['status']}, not sealed.")
        if verdict == "flag" and not reason.strip():
            raise InvalidArgument(f"a flag on node {node}'s {month} needs a reason.")
        review = {"evidence_sha256": evidence_sha256, "month": month, "node": node, "reason": reason,
                  "reviewer": mine["id"], "verdict": verdict}
        existing = await state.get(ctx, records.REVIEW, month, node, mine["id"])
        if existing == review:
            return canonical_json.dumps({"reviewed": False, "review": review, "dispute": None, "note": ""})
        if existing is not None:
            raise Conflict(f"node {mine['id']} already reviewed node {node}'s {month} "
                           f"({existing['verdict']}, evidence {existing['evidence_sha256']}).")
        dispute, note = None, ""
        if verdict == "flag":
            dispute, note = await _flag(ctx, review, subject)
        await state.put(ctx, review, records.REVIEW, month, node, mine["id"])
        state.emit(ctx, "Reviews.Review", {"dispute": dispute["id"] if dispute else "", "month": month,
                                           "node": node, "reviewer": mine["id"], "verdict": verdict})
        return canonical_json.dumps({"reviewed": True, "review": review, "dispute": dispute, "note": note})

    async def Vote(self, ctx: LedgerContext, dispute_id: str, vote: str, reason: str) -> str:
        """Vote approve (the report stands), reject (it is wrong) or abstain on a dispute; two agreeing
        votes resolve it, three without a majority send it to arbitration; the same vote again is a
        no-op (reviewer or admin of the local, peer or external node)."""
        mine = await guards.caller_node(ctx, "reviewer", "admin")
        dispute = await _must_dispute(ctx, dispute_id)
        validate.choice("vote", vote, three_eyes.VOTES)
        validate.text("reason", reason)
        if mine["id"] not in three_eyes.voters(dispute):
            raise AccessDenied(f"node {mine['id']} is not a voter of dispute {dispute['id']} "
                               f"({', '.join(three_eyes.voters(dispute))}).")
        cast = dispute["votes"].get(mine["id"])
        if cast is not None:
            if cast["vote"] == vote:
                return canonical_json.dumps({"voted": False, "dispute": dispute, "released": None,
                                        "note": three_eyes.missing_voters_note(dispute)})
            raise Conflict(f"node {mine['id']} already voted {cast['vote']} on dispute {dispute['id']}.")
        if dispute["status"] != "open":
            raise Conflict(f"dispute {dispute['id']} is already resolved ({dispute['resolution']}).")
        dispute = {**dispute, "votes": {**dispute["votes"], mine["id"]: {"reason": reason, "vote": vote}}}
        decision, released = three_eyes.tally(dispute), None
        if decision:
            outcome = await _resolve(ctx, dispute, decision, "majority")
            dispute, released = outcome["dispute"], outcome["released"]
        else:
            if set(dispute["votes"]) == set(three_eyes.voters(dispute)):
                dispute["arbitrator"] = await _arbitrator(ctx, dispute)
            await state.put(ctx, dispute, records.DISPUTE, dispute["id"])
        state.emit(ctx, "Reviews.Vote", {"arbitrator": dispute["arbitrator"], "dispute": dispute["id"],
                                         "node": mine["id"], "resolution": dispute["resolution"],
                                         "status": dispute["status"], "vote": vote})
        return canonical_json.dumps({"voted": True, "dispute": dispute, "released": released,
                                     "note": three_eyes.missing_voters_note(dispute)})

    async def Arbitrate(self, ctx: LedgerContext, dispute_id: str, decision: str, reason: str) -> str:
        """Decide a dispute whose voters did not agree: approve or reject, with a reason; the same
        decision again is a no-op (arbitrator of the picked node)."""
        mine = await guards.caller_node(ctx, "arbitrator")
        dispute = await _must_dispute(ctx, dispute_id)
        validate.choice("decision", decision, three_eyes.DECISIONS)
        if not validate.text("reason", reason).strip():
            raise InvalidArgument(f"arbitrating dispute {dispute['id']} needs a reason.")
        if dispute["status"] == "resolved":
            if dispute["decided_by"] == "arbitration" and dispute["arbitrator"] == mine["id"] \
                    and dispute["resolution"] == decision:
                return canonical_json.dumps({"arbitrated": False, "dispute": dispute, "released": None})
            raise Conflict(f"dispute {dispute['id']} is already resolved ({dispute['resolution']} "
                           f"by {dispute['decided_by']}).")
        if set(dispute["votes"]) != set(three_eyes.voters(dispute)):
            waiting = sorted(set(three_eyes.voters(dispute)) - set(dispute["votes"]))
            raise Conflict(f"dispute {dispute['id']} still waits for the votes of {', '.join(waiting)}.")
        arbitrator = dispute["arbitrator"] or await _arbitrator(ctx, dispute)
        if not arbitrator:
            raise Conflict(f"no active node of another cluster with the arbitrator duty can arbitrate "
                           f"dispute {dispute['id']}.")
        if mine["id"] != arbitrator:
            raise AccessDenied(f"node {mine['id']} is not the arbitrator of dispute {dispute['id']} ({arbitrator}).")
        dispute = {**dispute, "arbitration_reason": reason, "arbitrator": arbitrator}
        outcome = await _resolve(ctx, dispute, decision, "arbitration")
        state.emit(ctx, "Reviews.Arbitrate", {"arbitrator": arbitrator, "dispute": dispute["id"],
                                              "resolution": decision})
        return canonical_json.dumps({"arbitrated": True, **outcome})

    async def GetDispute(self, ctx: LedgerContext, dispute_id: str) -> str:
        """One dispute with its votes."""
        await guards.require_member(ctx)
        return canonical_json.dumps(await _must_dispute(ctx, dispute_id))

    async def ListDisputes(self, ctx: LedgerContext, month: str) -> str:
        """A month's disputes, by node then id."""
        await guards.require_member(ctx)
        validate.month(month)
        ids = await state.records(ctx, records.MONTH_DISPUTE, month)
        return canonical_json.dumps([await state.get(ctx, records.DISPUTE, ident) for ident in ids])

    async def ListReviews(self, ctx: LedgerContext, month: str, node: str) -> str:
        """The reviews of a node's month, by reviewer."""
        await guards.require_member(ctx)
        validate.month(month)
        validate.ident("node", node)
        return canonical_json.dumps(await state.records(ctx, records.REVIEW, month, node))


async def _flag(ctx: LedgerContext, review: records.Review, subject: Node) -> tuple[Dispute, str]:
    """Open a dispute for a flag, or add its evidence to the dispute open on the same month."""
    month, node = review["month"], review["node"]
    open_id = await state.get(ctx, records.OPEN_DISPUTE, month, node)
    if open_id is not None:
        dispute = await state.get(ctx, records.DISPUTE, open_id)
        dispute = {**dispute, "evidence": sorted(set(dispute["evidence"]) | {review["evidence_sha256"]})}
        await state.put(ctx, dispute, records.DISPUTE, open_id)
        return dispute, ""
    if await state.get(ctx, records.SETTLEMENT, month) is not None:
        raise Conflict(f"{month} is settled; a flag on node {node} can no longer open a dispute.")
    ident = three_eyes.dispute_id(month, node, review["reviewer"])
    if await state.get(ctx, records.DISPUTE, ident) is not None:
        raise Conflict(f"dispute {ident} on node {node}'s {month} already exists.")
    peer, external = three_eyes.peer_and_external(ident, subject, await lookups.active_nodes(ctx))
    dispute = {"arbitration_reason": "", "arbitrator": "", "decided_by": "", "evidence": [review["evidence_sha256"]],
               "external": external, "id": ident, "local": node, "month": month, "node": node,
               "opened_by": review["reviewer"], "peer": peer, "reason": review["reason"], "resolution": "",
               "status": "open", "votes": {}}
    await state.put(ctx, dispute, records.DISPUTE, ident)
    await state.put(ctx, ident, records.OPEN_DISPUTE, month, node)
    await state.put(ctx, ident, records.MONTH_DISPUTE, month, node, ident)
    return dispute, three_eyes.missing_voters_note(dispute)
