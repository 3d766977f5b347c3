"""Reviews and disputes: other nodes review a node's sealed month; a flag opens a dispute that three
eyes decide, or an arbitrator when they do not agree.

Records:
- ("review", month, node, reviewer_node) → {"evidence_sha256", "month", "node", "reason", "reviewer",
  "verdict": "approve"|"flag"};
- ("dispute", id) → {"arbitration_reason", "arbitrator", "decided_by", "evidence", "external", "id",
  "local", "month", "node", "opened_by", "peer", "reason", "resolution", "status", "votes"}, id being the
  first 16 hex of SHA-256(canonical {"month", "node", "opened_by"});
- ("disputeopen", month, node) → id while the dispute is open (deleted on resolution);
- ("monthdispute", month, node, id) → id, every dispute ever opened on a node's month (settlement
  reads it without scanning every dispute).

Three eyes: ``local`` is the subject node; ``peer`` is picked among the active nodes of the subject's
cluster with the reviewer duty (the subject excluded), ``external`` among those of the other clusters;
each pick is ``candidates_sorted_by_id[int(sha256(id + ":peer"|":external"), 16) % len]``. When no
node is eligible the role stays "" and the available voters decide alone: two agreeing votes
(approve or reject) resolve the dispute by majority; once every assigned voter has voted without two
agreeing, an arbitrator is picked the same way (``":arbitrator"``) among the active nodes with the
arbitrator duty of a cluster other than the subject's, neither local, peer nor external. While no
node is eligible the arbitrator stays "" and is picked again when someone arbitrates.

A vote "approve" means the report stands, "reject" that it is wrong, "abstain" neither. A flag on
a month that is already settled cannot open a new dispute (its money is paid); a dispute that was
open at settlement holds its money, released in the transaction that resolves it.
"""

import hashlib
from typing import Any

from .. import access, canonical, state, validate
from ..errors import AccessDenied, Conflict, InvalidArgument, NotFound
from ..state import LedgerContext
from .base import LedgerContract
from .settlement import release_dispute

VERDICTS = ("approve", "flag")
VOTES = ("approve", "reject", "abstain")
DECISIONS = ("approve", "reject")


def dispute_id(month: str, node: str, opened_by: str) -> str:
    """The id of the dispute ``opened_by`` opens on ``node``'s ``month``."""
    body = {"month": month, "node": node, "opened_by": opened_by}
    return hashlib.sha256(canonical.dumpb(body)).hexdigest()[:16]


def pick(ident: str, purpose: str, candidates: list[str]) -> str:
    """The candidate picked for ``purpose`` from a dispute id, or "" when there is none."""
    ordered = sorted(candidates)
    if not ordered:
        return ""
    return ordered[int(hashlib.sha256(f"{ident}:{purpose}".encode()).hexdigest(), 16) % len(ordered)]


async def _active_nodes(ctx: LedgerContext) -> list[dict[str, Any]]:
    return [n for _, n in await state.scan(ctx, "node") if n["status"] == "active"]


async def _three_eyes(ctx: LedgerContext, ident: str, subject: dict[str, Any]) -> tuple[str, str]:
    """(peer, external) for a dispute on ``subject``'s month."""
    reviewers = [n for n in await _active_nodes(ctx) if "reviewer" in n["duties"] and n["id"] != subject["id"]]
    peer = pick(ident, "peer", [n["id"] for n in reviewers if n["cluster"] == subject["cluster"]])
    external = pick(ident, "external", [n["id"] for n in reviewers if n["cluster"] != subject["cluster"]])
    return peer, external


async def _arbitrator(ctx: LedgerContext, dispute: dict[str, Any]) -> str:
    subject = await state.get(ctx, "node", dispute["local"])
    voters = {dispute["local"], dispute["peer"], dispute["external"]}
    candidates = [n["id"] for n in await _active_nodes(ctx)
                  if "arbitrator" in n["duties"] and n["cluster"] != subject["cluster"] and n["id"] not in voters]
    return pick(dispute["id"], "arbitrator", candidates)


def voters(dispute: dict[str, Any]) -> list[str]:
    """The nodes that vote on a dispute: local, peer and external where assigned."""
    return sorted({dispute["local"], dispute["peer"], dispute["external"]} - {""})


def _note(dispute: dict[str, Any]) -> str:
    missing = [role for role in ("peer", "external") if not dispute[role]]
    if not missing:
        return ""
    return (f"no node is eligible as {' or '.join(missing)} of dispute {dispute['id']}; "
            f"the {len(voters(dispute))} available voter(s) decide, two agreeing votes resolving it.")


async def _reviewer_node(ctx: LedgerContext) -> dict[str, Any]:
    node = await access.caller_node(ctx, "reviewer", "admin")
    if "reviewer" not in node["duties"]:
        raise AccessDenied(f"node {node['id']} does not have the reviewer duty.")
    return node


async def _must_dispute(ctx: LedgerContext, ident: str) -> dict[str, Any]:
    dispute = await state.get(ctx, "dispute", validate.ident("dispute id", ident))
    if dispute is None:
        raise NotFound(f"dispute {ident} does not exist.")
    return dispute


async def _resolve(ctx: LedgerContext, dispute: dict[str, Any], resolution: str, decided_by: str) -> dict[str, Any]:
    """Resolve a dispute, close it and release what a settlement holds under it (same transaction)."""
    dispute = {**dispute, "decided_by": decided_by, "resolution": resolution, "status": "resolved"}
    await state.put(ctx, dispute, "dispute", dispute["id"])
    await ctx.get_stub().delete_state(state.key(ctx, "disputeopen", dispute["month"], dispute["local"]))
    released = await release_dispute(ctx, dispute["month"], dispute["id"], resolution)
    return {"dispute": dispute, "released": released}


def _tally(dispute: dict[str, Any]) -> str:
    """"approve" or "reject" once two votes agree, else ""."""
    for decision in DECISIONS:
        if sum(1 for v in dispute["votes"].values() if v["vote"] == decision) >= 2:
            return decision
    return ""


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
        subject = await state.get(ctx, "node", node)
        if subject is None:
            raise NotFound(f"node {node} is not registered.")
        nodemonth = await state.get(ctx, "nodemonth", month, node)
        if nodemonth is None:
            raise NotFound(f"node {node} has not sealed {month}; there is nothing to review yet.")
        if nodemonth["status"] != "sealed":
            raise Conflict(f"node {node}'s {month} is {nodemonth['status']}, not sealed.")
        if verdict == "flag" and not reason.strip():
            raise InvalidArgument(f"a flag on node {node}'s {month} needs a reason.")
        review = {"evidence_sha256": evidence_sha256, "month": month, "node": node, "reason": reason,
                  "reviewer": mine["id"], "verdict": verdict}
        existing = await state.get(ctx, "review", month, node, mine["id"])
        if existing == review:
            return canonical.dumps({"reviewed": False, "review": review, "dispute": None, "note": ""})
        if existing is not None:
            raise Conflict(f"node {mine['id']} already reviewed node {node}'s {month} "
                           f"({existing['verdict']}, evidence {existing['evidence_sha256']}).")
        dispute, note = None, ""
        if verdict == "flag":
            dispute, note = await _flag(ctx, review, subject)
        await state.put(ctx, review, "review", month, node, mine["id"])
        state.emit(ctx, "Reviews.Review", {"dispute": dispute["id"] if dispute else "", "month": month,
                                           "node": node, "reviewer": mine["id"], "verdict": verdict})
        return canonical.dumps({"reviewed": True, "review": review, "dispute": dispute, "note": note})

    async def Vote(self, ctx: LedgerContext, dispute_id: str, vote: str, reason: str) -> str:
        """Vote approve (the report stands), reject (it is wrong) or abstain on a dispute; two agreeing
        votes resolve it, three without a majority send it to arbitration; the same vote again is a
        no-op (reviewer or admin of the local, peer or external node)."""
        mine = await access.caller_node(ctx, "reviewer", "admin")
        dispute = await _must_dispute(ctx, dispute_id)
        validate.choice("vote", vote, VOTES)
        validate.text("reason", reason)
        if mine["id"] not in voters(dispute):
            raise AccessDenied(f"node {mine['id']} is not a voter of dispute {dispute['id']} "
                               f"({', '.join(voters(dispute))}).")
        cast = dispute["votes"].get(mine["id"])
        if cast is not None:
            if cast["vote"] == vote:
                return canonical.dumps({"voted": False, "dispute": dispute, "released": None,
                                        "note": _note(dispute)})
            raise Conflict(f"node {mine['id']} already voted {cast['vote']} on dispute {dispute['id']}.")
        if dispute["status"] != "open":
            raise Conflict(f"dispute {dispute['id']} is already resolved ({dispute['resolution']}).")
        dispute = {**dispute, "votes": {**dispute["votes"], mine["id"]: {"reason": reason, "vote": vote}}}
        decision, released = _tally(dispute), None
        if decision:
            outcome = await _resolve(ctx, dispute, decision, "majority")
            dispute, released = outcome["dispute"], outcome["released"]
        else:
            if set(dispute["votes"]) == set(voters(dispute)):
                dispute["arbitrator"] = await _arbitrator(ctx, dispute)
            await state.put(ctx, dispute, "dispute", dispute["id"])
        state.emit(ctx, "Reviews.Vote", {"arbitrator": dispute["arbitrator"], "dispute": dispute["id"],
                                         "node": mine["id"], "resolution": dispute["resolution"],
                                         "status": dispute["status"], "vote": vote})
        return canonical.dumps({"voted": True, "dispute": dispute, "released": released, "note": _note(dispute)})

    async def Arbitrate(self, ctx: LedgerContext, dispute_id: str, decision: str, reason: str) -> str:
        """Decide a dispute whose voters did not agree: approve or reject, with a reason; the same
        decision again is a no-op (arbitrator of the picked node)."""
        mine = await access.caller_node(ctx, "arbitrator")
        dispute = await _must_dispute(ctx, dispute_id)
        validate.choice("decision", decision, DECISIONS)
        if not validate.text("reason", reason).strip():
            raise InvalidArgument(f"arbitrating dispute {dispute['id']} needs a reason.")
        if dispute["status"] == "resolved":
            if dispute["decided_by"] == "arbitration" and dispute["arbitrator"] == mine["id"] \
                    and dispute["resolution"] == decision:
                return canonical.dumps({"arbitrated": False, "dispute": dispute, "released": None})
            raise Conflict(f"dispute {dispute['id']} is already resolved ({dispute['resolution']} "
                           f"by {dispute['decided_by']}).")
        if set(dispute["votes"]) != set(voters(dispute)):
            waiting = sorted(set(voters(dispute)) - set(dispute["votes"]))
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
        return canonical.dumps({"arbitrated": True, **outcome})

    async def GetDispute(self, ctx: LedgerContext, dispute_id: str) -> str:
        """One dispute with its votes."""
        await access.require_member(ctx)
        return canonical.dumps(await _must_dispute(ctx, dispute_id))

    async def ListDisputes(self, ctx: LedgerContext, month: str) -> str:
        """A month's disputes, by node then id."""
        await access.require_member(ctx)
        validate.month(month)
        ids = [ident for _, ident in await state.scan(ctx, "monthdispute", month)]
        return canonical.dumps([await state.get(ctx, "dispute", ident) for ident in ids])

    async def ListReviews(self, ctx: LedgerContext, month: str, node: str) -> str:
        """The reviews of a node's month, by reviewer."""
        await access.require_member(ctx)
        validate.month(month)
        validate.ident("node", node)
        return canonical.dumps([record for _, record in await state.scan(ctx, "review", month, node)])


async def _flag(ctx: LedgerContext, review: dict[str, Any], subject: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """Open a dispute for a flag, or add its evidence to the dispute open on the same month."""
    month, node = review["month"], review["node"]
    open_id = await state.get(ctx, "disputeopen", month, node)
    if open_id is not None:
        dispute = await state.get(ctx, "dispute", open_id)
        dispute = {**dispute, "evidence": sorted(set(dispute["evidence"]) | {review["evidence_sha256"]})}
        await state.put(ctx, dispute, "dispute", open_id)
        return dispute, ""
    if await state.get(ctx, "settlement", month) is not None:
        raise Conflict(f"{month} is settled; a flag on node {node} can no longer open a dispute.")
    ident = dispute_id(month, node, review["reviewer"])
    if await state.get(ctx, "dispute", ident) is not None:
        raise Conflict(f"dispute {ident} on node {node}'s {month} already exists.")
    peer, external = await _three_eyes(ctx, ident, subject)
    dispute = {"arbitration_reason": "", "arbitrator": "", "decided_by": "", "evidence": [review["evidence_sha256"]],
               "external": external, "id": ident, "local": node, "month": month, "node": node,
               "opened_by": review["reviewer"], "peer": peer, "reason": review["reason"], "resolution": "",
               "status": "open", "votes": {}}
    await state.put(ctx, dispute, "dispute", ident)
    await state.put(ctx, ident, "disputeopen", month, node)
    await state.put(ctx, ident, "monthdispute", month, node, ident)
    return dispute, _note(dispute)
