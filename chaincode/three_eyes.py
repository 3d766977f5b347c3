"""Three eyes: who votes on a dispute, who arbitrates it, and when it is decided (pure functions).

``local`` is the subject node; ``peer`` is picked among the active nodes of the subject's cluster
with the reviewer duty (the subject excluded), ``external`` among those of the other clusters; each
pick is ``candidates_sorted_by_id[int(sha256(dispute id + ":peer"|":external"), 16) % len]``, so
every endorser picks the same node and nobody chooses. When no node is eligible the role stays ""
and the available voters decide alone: two agreeing votes (approve or reject) resolve the dispute
by majority; once every assigned voter has voted without two agreeing, an arbitrator is picked the
same way (``":arbitrator"``) among the active nodes with the arbitrator duty of a cluster other
than the subject's, neither local, peer nor external.

A vote "approve" means the report stands, "reject" that it is wrong, "abstain" neither.
"""

import hashlib
from typing import Iterable

from . import canonical_json
from .records import Dispute, Node

VOTES = ("approve", "reject", "abstain")
DECISIONS = ("approve", "reject")


def dispute_id(month: str, node: str, opened_by: str) -> str:
    """The id of the dispute ``opened_by`` opens on ``node``'s ``month``."""
    return canonical_json.sha256({"month": month, "node": node, "opened_by": opened_by})[:16]


def pick(ident: str, purpose: str, candidates: Iterable[str]) -> str:
    """The candidate picked for ``purpose`` from a dispute id, or "" when there is none."""
    ordered = sorted(candidates)
    if not ordered:
        return ""
    return ordered[int(hashlib.sha256(f"{ident}:{purpose}".encode()).hexdigest(), 16) % len(ordered)]


def peer_and_external(ident: str, subject: Node, active: Iterable[Node]) -> tuple[str, str]:
    """(peer, external) of a dispute on ``subject``'s month, from the active nodes."""
    reviewers = [n for n in active if "reviewer" in n["duties"] and n["id"] != subject["id"]]
    peer = pick(ident, "peer", [n["id"] for n in reviewers if n["cluster"] == subject["cluster"]])
    external = pick(ident, "external", [n["id"] for n in reviewers if n["cluster"] != subject["cluster"]])
    return peer, external


def arbitrator(dispute: Dispute, subject: Node, active: Iterable[Node]) -> str:
    """The arbitrator of a dispute on ``subject``'s month, from the active nodes ("" when none)."""
    taken = {dispute["local"], dispute["peer"], dispute["external"]}
    candidates = [n["id"] for n in active if "arbitrator" in n["duties"]
                  and n["cluster"] != subject["cluster"] and n["id"] not in taken]
    return pick(dispute["id"], "arbitrator", candidates)


def voters(dispute: Dispute) -> list[str]:
    """The nodes that vote on a dispute: local, peer and external where assigned."""
    return sorted({dispute["local"], dispute["peer"], dispute["external"]} - {""})


def tally(dispute: Dispute) -> str:
    """"approve" or "reject" once two votes agree, else ""."""
    for decision in DECISIONS:
        if sum(1 for v in dispute["votes"].values() if v["vote"] == decision) >= 2:
            return decision
    return ""


def missing_voters_note(dispute: Dispute) -> str:
    """What the voters need to know when no node was eligible as peer or external ("" otherwise)."""
    missing = [role for role in ("peer", "external") if not dispute[role]]
    if not missing:
        return ""
    return (f"no node is eligible as {' or '.join(missing)} of dispute {dispute['id']}; "
            f"the {len(voters(dispute))} available voter(s) decide, two agreeing votes resolving it.")
