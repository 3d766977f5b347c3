"""Reviews and disputes: the reviewers assigned to a node's month review its sealed version; a flag
opens a dispute over what it names (its scope), decided by three eyes, or an arbitrator when they
do not agree.

The records are :data:`chaincode.records.REVIEWERS`, ``REVIEW``, ``DISPUTE``, ``OPEN_DISPUTE`` and
``MONTH_DISPUTE``; who reviews, votes and arbitrates is :mod:`chaincode.three_eyes`, what a scope
covers :mod:`chaincode.scope`, the resolution :mod:`chaincode.disputes`.

A node's month has at most one open dispute: a second flag joins it (its evidence added, its
scope added while nobody has voted). A flag on a node's part of a month that is already settled
cannot open a dispute (its money is paid); a dispute that was open at settlement holds its money,
released in the transaction that resolves it.
"""


from .. import canonical_json, disputes, guards, lookups, records, state, three_eyes, validate
from .. import scope as scopes
from ..errors import AccessDenied, Conflict, InvalidArgument, NotFound
from ..records import Dispute, Node, NodeMonth, Review
from ..state import LedgerContext
from .base import LedgerContract

VERDICTS = ("approve", "flag")


async def _reviewer_node(ctx: LedgerContext) -> Node:
    node = await guards.caller_node(ctx, "reviewer", "admin")
    if "reviewer" not in node["duties"]:
        raise AccessDenied(f"node {node['id']} does not have the reviewer duty.")
    return node


async def _sealed(ctx: LedgerContext, month: str, node: str) -> NodeMonth:
    nodemonth = await state.get(ctx, records.NODE_MONTH, month, node)
    if nodemonth is None:
        raise NotFound(f"node {node} has not sealed {month}; there is nothing to review yet.")
    if nodemonth["status"] != "sealed":
        raise Conflict(f"node {node}'s {month} is {nodemonth['status']}, not sealed.")
    return nodemonth


async def _scope(ctx: LedgerContext, raw: str, month: str, node: str, verdict: str) -> dict | None:
    """The flag's scope, each item checked against the node's month; None for an approval."""
    if verdict == "approve":
        if raw:
            raise InvalidArgument("an approval has no scope; leave it empty.")
        return None
    if not raw:
        raise InvalidArgument(f'a flag on node {node}\'s {month} needs a scope: {{"month": true}}, or '
                              "listeners, artists or days.")
    found = scopes.parse(validate.json_arg("scope", raw), month)
    for listener in found["listeners"]:
        if await state.get(ctx, records.ALLOCATION, month, node, listener) is None:
            raise NotFound(f"listener {listener} has no allocation in node {node}'s {month}.")
    if found["artists"]:
        allocated = {a for batch in await state.records(ctx, records.ALLOCATION_BATCH, month, node)
                     for a in batch["artists"]}
        for artist in found["artists"]:
            if artist not in allocated:
                raise NotFound(f"artist {artist} has no allocation in node {node}'s {month}.")
    for day in found["days"]:
        if await state.get(ctx, records.ANCHOR, node, day) is None:
            raise NotFound(f"node {node} has no anchor for {day}.")
    return found


class Reviews(LedgerContract):
    """Reviews of nodes' sealed months, disputes, votes and arbitration."""

    Name = "Reviews"
    EVALUATE = ("GetDispute", "GetReviewers", "ListDisputes", "ListReviews")

    async def Review(self, ctx: LedgerContext, month: str, node: str, verdict: str, reason: str,
                     evidence_sha256: str, scope: str) -> str:
        """Review the sealed version of a node's month as one of its assigned reviewers: approve
        (scope ""), or flag with a reason and a scope (JSON: {"month": true}, or listeners, artists
        or days), which opens a dispute or joins the open one; the same review again is a no-op
        (reviewer or admin of the assigned node)."""
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
        nodemonth = await _sealed(ctx, month, node)
        assigned = await state.get(ctx, records.REVIEWERS, month, node)
        if mine["id"] not in (assigned["peer"], assigned["external"]):
            raise AccessDenied(f"node {mine['id']} is not an assigned reviewer of node {node}'s {month} "
                               f"(peer {assigned['peer'] or 'none'}, external {assigned['external'] or 'none'}).")
        if verdict == "flag" and not reason.strip():
            raise InvalidArgument(f"a flag on node {node}'s {month} needs a reason.")
        flagged = await _scope(ctx, validate.text("scope", scope, 1 << 20), month, node, verdict)
        review = {"evidence_sha256": evidence_sha256, "month": month, "node": node, "reason": reason,
                  "reviewer": mine["id"], "scope": flagged, "superseded": [], "verdict": verdict,
                  "version": nodemonth["version"]}
        existing = await state.get(ctx, records.REVIEW, month, node, mine["id"])
        if existing is not None and existing["version"] == review["version"]:
            if {**existing, "superseded": []} == review:
                return canonical_json.dumps({"reviewed": False, "review": existing, "dispute": None, "note": ""})
            raise Conflict(f"node {mine['id']} already reviewed version {existing['version']} of node {node}'s "
                           f"{month} ({existing['verdict']}, evidence {existing['evidence_sha256']}).")
        if existing is not None:
            earlier = {k: v for k, v in existing.items() if k != "superseded"}
            review["superseded"] = existing["superseded"] + [earlier]
        dispute, note = None, ""
        if verdict == "flag":
            dispute, note = await _flag(ctx, review, subject)
        await state.put(ctx, review, records.REVIEW, month, node, mine["id"])
        state.emit(ctx, "Reviews.Review", {"dispute": dispute["id"] if dispute else "", "month": month,
                                           "node": node, "reviewer": mine["id"], "verdict": verdict,
                                           "version": review["version"]})
        return canonical_json.dumps({"reviewed": True, "review": review, "dispute": dispute, "note": note})

    async def Vote(self, ctx: LedgerContext, dispute_id: str, vote: str, reason: str) -> str:
        """Vote approve (the report stands), reject (the disputed scope is wrong) or abstain on a
        dispute; two agreeing votes resolve it; once the active non-accused voters have voted
        without that, the arbitrator decides; the same vote again is a no-op (reviewer or admin
        of the local, peer or external node)."""
        mine = await guards.caller_node(ctx, "reviewer", "admin")
        dispute = await disputes.must_get(ctx, dispute_id)
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
        if await disputes.outcome(ctx, dispute) == "arbitrate":
            raise Conflict(f"dispute {dispute['id']} is for its arbitrator to decide "
                           f"({await disputes.arbitrator(ctx, dispute) or 'none eligible'}); votes no longer decide it.")
        dispute = {**dispute, "votes": {**dispute["votes"], mine["id"]: {"reason": reason, "vote": vote}}}
        decision, released = await disputes.outcome(ctx, dispute), None
        if decision in three_eyes.DECISIONS:
            resolved = await disputes.resolve(ctx, dispute, decision, "majority")
            dispute, released = resolved["dispute"], resolved["released"]
        else:
            if decision == "arbitrate":
                dispute["arbitrator"] = await disputes.arbitrator(ctx, dispute)
            await state.put(ctx, dispute, records.DISPUTE, dispute["id"])
        state.emit(ctx, "Reviews.Vote", {"arbitrator": dispute["arbitrator"], "dispute": dispute["id"],
                                         "node": mine["id"], "resolution": dispute["resolution"],
                                         "status": dispute["status"], "vote": vote})
        return canonical_json.dumps({"voted": True, "dispute": dispute, "released": released,
                                     "note": _note(dispute, decision)})

    async def Arbitrate(self, ctx: LedgerContext, dispute_id: str, decision: str, reason: str) -> str:
        """Decide a dispute whose non-accused voters did not agree: approve or reject, with a
        reason; the same decision again is a no-op (arbitrator of the picked node, never the
        accused, a voter or the node that opened it)."""
        mine = await guards.caller_node(ctx, "arbitrator")
        dispute = await disputes.must_get(ctx, dispute_id)
        validate.choice("decision", decision, three_eyes.DECISIONS)
        if not validate.text("reason", reason).strip():
            raise InvalidArgument(f"arbitrating dispute {dispute['id']} needs a reason.")
        if dispute["status"] == "resolved":
            if dispute["decided_by"] == "arbitration" and dispute["arbitrator"] == mine["id"] \
                    and dispute["resolution"] == decision:
                return canonical_json.dumps({"arbitrated": False, "dispute": dispute, "released": None})
            raise Conflict(f"dispute {dispute['id']} is already resolved ({dispute['resolution']} "
                           f"by {dispute['decided_by']}).")
        if await disputes.outcome(ctx, dispute) != "arbitrate":
            waiting = three_eyes.awaited(dispute, [n["id"] for n in await lookups.active_nodes(ctx)])
            raise Conflict(f"dispute {dispute['id']} still waits for the votes of {', '.join(waiting)}.")
        arbitrator = await disputes.arbitrator(ctx, dispute)
        if not arbitrator:
            raise Conflict(f"no active node with the arbitrator duty is eligible to arbitrate dispute "
                           f"{dispute['id']}; a majority may decide it (proposal decide_dispute).")
        if mine["id"] != arbitrator:
            raise AccessDenied(f"node {mine['id']} is not the arbitrator of dispute {dispute['id']} ({arbitrator}).")
        dispute = {**dispute, "arbitrator": arbitrator}
        outcome = await disputes.resolve(ctx, dispute, decision, "arbitration", reason)
        state.emit(ctx, "Reviews.Arbitrate", {"arbitrator": arbitrator, "dispute": dispute["id"],
                                              "resolution": decision})
        return canonical_json.dumps({"arbitrated": True, **outcome})

    async def GetDispute(self, ctx: LedgerContext, dispute_id: str) -> str:
        """One dispute with its votes."""
        await guards.require_member(ctx)
        return canonical_json.dumps(await disputes.must_get(ctx, dispute_id))

    async def GetReviewers(self, ctx: LedgerContext, month: str, node: str) -> str:
        """The reviewers assigned to a node's month (picked when it was first sealed)."""
        await guards.require_member(ctx)
        validate.month(month)
        validate.ident("node", node)
        return canonical_json.dumps(await state.must_get(
            ctx, f"node {node} has not sealed {month}; it has no reviewers yet.", records.REVIEWERS, month, node))

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


def _note(dispute: Dispute, decision: str) -> str:
    """What the voters need to know after a vote."""
    if decision == "arbitrate":
        who = dispute["arbitrator"] or "no node is eligible; a majority may decide it (proposal decide_dispute)"
        return f"the voters did not agree: dispute {dispute['id']} goes to its arbitrator ({who})."
    return three_eyes.missing_voters_note(dispute)


async def _flag(ctx: LedgerContext, review: Review, subject: Node) -> tuple[Dispute, str]:
    """Open a dispute for a flag, or join the dispute open on the same month."""
    month, node, flagged = review["month"], review["node"], review["scope"]
    open_id = await state.get(ctx, records.OPEN_DISPUTE, month, node)
    if open_id is not None:
        dispute = await state.get(ctx, records.DISPUTE, open_id)
        if dispute["votes"] and not scopes.within(flagged, dispute["scope"]):
            raise Conflict(f"dispute {open_id} on node {node}'s {month} already has votes over "
                           f"{scopes.describe(dispute['scope'])}; flag more once it is resolved.")
        dispute = {**dispute, "evidence": sorted(set(dispute["evidence"]) | {review["evidence_sha256"]}),
                   "scope": scopes.union(dispute["scope"], flagged)}
        await state.put(ctx, dispute, records.DISPUTE, open_id)
        return dispute, ""
    settlement = await state.get(ctx, records.SETTLEMENT, month)
    if settlement is not None and not settlement["nodes"].get(node, {}).get("pending"):
        raise Conflict(f"{month} is settled; a flag on node {node} can no longer open a dispute.")
    ident = three_eyes.dispute_id(month, node, review["reviewer"], review["version"])
    if await state.get(ctx, records.DISPUTE, ident) is not None:
        raise Conflict(f"dispute {ident} on node {node}'s {month} already exists.")
    voters = three_eyes.dispute_voters(ident, subject, await lookups.active_nodes(ctx), review["reviewer"])
    dispute = {"arbitration_reason": "", "arbitrator": "", "decided_by": "", "evidence": [review["evidence_sha256"]],
               "external": voters["external"], "id": ident, "local": node, "month": month, "node": node,
               "opened_by": review["reviewer"], "peer": voters["peer"], "reason": review["reason"],
               "resolution": "", "scope": flagged, "status": "open", "version": review["version"], "votes": {}}
    await state.put(ctx, dispute, records.DISPUTE, ident)
    await state.put(ctx, ident, records.OPEN_DISPUTE, month, node)
    await state.put(ctx, ident, records.MONTH_DISPUTE, month, node, ident)
    return dispute, three_eyes.missing_voters_note(dispute)
