"""Three eyes: who reviews a node's month, who votes on a dispute, who arbitrates it, and when it
is decided (pure functions).

Every pick is ``candidates_sorted_by_id[int(sha256(ident + ":" + purpose), 16) % len]`` over the
active nodes with the duty, so every endorser picks the same node and nobody chooses:

- a node's month (ident ``"<month>/<node>"``): its ``peer`` among the subject's cluster and its
  ``external`` among the other clusters, both with the reviewer duty, the subject excluded;
- a dispute (ident its id): its ``peer`` and ``external`` voters the same way, the node that
  opened it excluded whenever another node is eligible; the subject (``local``) votes too;
- its arbitrator (``":arbitrator"``): a node with the arbitrator duty that is neither local, peer,
  external nor the opener, of a cluster other than the subject's when there is one.

A role no node is eligible for stays "". A vote "approve" means the report stands, "reject" that
the disputed scope is wrong, "abstain" neither. :func:`outcome` decides: two agreeing votes
decide; once every active non-accused voter (peer, external) has voted without two agreeing, the
arbitrator decides, without waiting for the accused; a revoked voter is not awaited.
"""

import hashlib
from typing import Iterable

from . import canonical_json
from .records import Dispute, Node

VOTES = ("approve", "reject", "abstain")
DECISIONS = ("approve", "reject")
ROLES = ("peer", "external")


def dispute_id(month: str, node: str, opened_by: str, version: int = 1) -> str:
    """The id of the dispute ``opened_by`` opens on ``version`` of ``node``'s ``month``."""
    body = {"month": month, "node": node, "opened_by": opened_by}
    return canonical_json.sha256(body if version == 1 else {**body, "version": version})[:16]


def pick(ident: str, purpose: str, candidates: Iterable[str]) -> str:
    """The candidate picked for ``purpose`` from ``ident``, or "" when there is none."""
    ordered = sorted(candidates)
    if not ordered:
        return ""
    return ordered[int(hashlib.sha256(f"{ident}:{purpose}".encode()).hexdigest(), 16) % len(ordered)]


def eligible_reviewers(subject: Node, active: Iterable[Node], role: str) -> list[str]:
    """The active nodes with the reviewer duty that may be ``role`` (peer or external) of ``subject``."""
    same = role == "peer"
    return [n["id"] for n in active if "reviewer" in n["duties"] and n["id"] != subject["id"]
            and (n["cluster"] == subject["cluster"]) == same]


def month_reviewers(month: str, subject: Node, active: Iterable[Node]) -> dict[str, str]:
    """{"peer", "external"}: the reviewers of ``subject``'s ``month``."""
    active = list(active)
    return {role: pick(f"{month}/{subject['id']}", role, eligible_reviewers(subject, active, role))
            for role in ROLES}


def dispute_voters(ident: str, subject: Node, active: Iterable[Node], opener: str) -> dict[str, str]:
    """{"peer", "external"}: the voters of a dispute on ``subject``'s month besides the subject,
    the opener left out of each role where another node is eligible."""
    active = list(active)
    voters = {}
    for role in ROLES:
        candidates = eligible_reviewers(subject, active, role)
        others = [c for c in candidates if c != opener]
        voters[role] = pick(ident, role, others or candidates)
    return voters


def arbitrator(dispute: Dispute, subject: Node, active: Iterable[Node]) -> str:
    """The arbitrator of a dispute on ``subject``'s month, from the active nodes ("" when none)."""
    taken = {dispute["local"], dispute["peer"], dispute["external"], dispute["opened_by"]}
    eligible = [n for n in active if "arbitrator" in n["duties"] and n["id"] not in taken]
    elsewhere = [n["id"] for n in eligible if n["cluster"] != subject["cluster"]]
    return pick(dispute["id"], "arbitrator", elsewhere or [n["id"] for n in eligible])


def voters(dispute: Dispute) -> list[str]:
    """The nodes that vote on a dispute: local, peer and external where assigned."""
    return sorted({dispute["local"], dispute["peer"], dispute["external"]} - {""})


def awaited(dispute: Dispute, active: Iterable[str]) -> list[str]:
    """The active non-accused voters (peer, external) that have not voted yet."""
    active = set(active)
    return [dispute[r] for r in ROLES if dispute[r] and dispute[r] in active and dispute[r] not in dispute["votes"]]


def outcome(dispute: Dispute, active: Iterable[str]) -> str:
    """"approve" or "reject" once two votes agree; "arbitrate" once no active non-accused voter is
    awaited without that; else "" (votes still awaited)."""
    for decision in DECISIONS:
        if sum(1 for v in dispute["votes"].values() if v["vote"] == decision) >= 2:
            return decision
    return "" if awaited(dispute, active) else "arbitrate"


def missing_voters_note(dispute: Dispute) -> str:
    """What the voters need to know when no node was eligible as peer or external ("" otherwise)."""
    missing = [role for role in ROLES if not dispute[role]]
    if not missing:
        return ""
    return (f"no node is eligible as {' or '.join(missing)} of dispute {dispute['id']}; "
            f"the {len(voters(dispute))} available voter(s) decide, two agreeing votes resolving it.")
