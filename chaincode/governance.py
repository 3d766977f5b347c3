"""Consortium decisions: what a proposal may change, what it is checked against, and how a
majority applies it.

No member moves money or changes the rules alone: one node admin proposes, and the proposal
applies in the transaction that brings the approvals of a majority of the *active* nodes (more
than half; a revoked node's approval no longer counts). Each kind's payload is checked when it is
proposed and again when it applies (the ledger may have moved meanwhile: then the approval that
would apply it is refused with the reason).

Kinds and their payloads:

- ``admit_node`` {id, cluster, msp_id, wallet, duties?, definition_sha256?}: the SHA-256 of the
  organisation's channel definition (``nineten channel define``), which a channel update adding it
  must carry; ``revoke_node`` {node_id};
  ``grant_duty`` / ``revoke_duty`` {node_id, duty};
- ``set_policy`` (a :class:`chaincode.rules.Policy`): only for months in which nothing is
  recorded yet (no subscription, anchor, batch, seal or settlement from its ``effective_from`` on,
  or before its ``until`` when it has one), so a policy never changes a started or settled month;
- ``register_artist``, ``extend_artist``, ``import_artists``: artists and their identifiers
  (:mod:`chaincode.artists`); ``set_artist_wallet`` {artist_id, wallet}, to which the chaincode
  adds ``replaces`` (the wallet it replaces). The artist keeps every earlier wallet with the
  proposal that approved it;
- ``replace_reviewer`` {month, node, role (peer | external), reviewer}: a reviewer of a node's
  month that does not review;
- ``settle_without`` {month, node}: settle the month without waiting for the node (its part is
  held whole until it is sealed and reviewed, see :mod:`chaincode.readiness`);
- ``decide_dispute`` {dispute, decision (approve | reject), reason}: the consortium decides an
  open dispute (when no arbitrator is eligible, or the voters or arbitrator stall);
- ``set_split`` {artist_id, effective_from, payees: [{payee, bp}]}: an artist's split sheet, the
  payees' basis points summing to 10,000, for the payouts of months from ``effective_from`` on
  (a month not settled yet, nor any later month);
- ``adjust`` {kind (chargeback | fraud), month, node, listener (chargeback) | scope (fraud),
  reason, evidence_sha256}: claim money back from a settled month at the next settlement; what it
  claims is computed by the chaincode (:mod:`chaincode.adjustments`), never given.

A proposal's id is the first 16 hex of SHA-256 of canonical {"kind", "payload"}; proposing the
same open change again returns it unchanged; proposing a change that was applied before (a duty
granted, revoked and granted again) adds ``"round": n`` to the hashed object.
"""

from dataclasses import dataclass
from itertools import count
from typing import Any, Awaitable, Callable

from . import (accounts, adjustments, artists, canonical_json, disputes, held, lookups, records, state, three_eyes,
               validate)
from .errors import Conflict, InvalidArgument, NotFound, Rejected
from .money import format_bp, format_micro
from .records import Node, Proposal
from .rules import Policy
from .scope import describe as scope_words
from .state import LedgerContext

DUTIES = ("reviewer", "arbitrator")
Check = Callable[[LedgerContext, dict[str, Any]], Awaitable[tuple[dict[str, Any], str]]]
Apply = Callable[[LedgerContext, Proposal], Awaitable[None]]


@dataclass(frozen=True)
class ProposalKind:
    """How a kind of proposal is checked (its payload normalised, and a note) and applied."""

    check: Check
    apply: Apply


def check_node(raw: Any, clusters: set[str]) -> Node:
    """A node of a consortium document or an admit_node payload."""
    if not isinstance(raw, dict):
        raise InvalidArgument("a node must be a JSON object.")
    node = {
        "id": validate.ident("node id", raw.get("id")),
        "cluster": validate.ident("node cluster", raw.get("cluster")),
        "msp_id": validate.ident("node msp_id", raw.get("msp_id")),
        "wallet": validate.ident("node wallet", raw.get("wallet")),
        "status": "active",
        "duties": sorted({validate.choice("node duty", duty, DUTIES)
                          for duty in validate.json_list("node duties", raw.get("duties") or list(DUTIES))}),
    }
    if raw.get("definition_sha256") is not None:
        node["definition_sha256"] = validate.sha256("node definition_sha256", raw["definition_sha256"])
    if node["cluster"] not in clusters:
        raise NotFound(f"node {node['id']} names cluster {node['cluster']}, which is not registered.")
    return node


async def put_node(ctx: LedgerContext, node: Node) -> None:
    """Write a node and its organisation's index."""
    await state.put(ctx, node, records.NODE, node["id"])
    await state.put(ctx, node["id"], records.NODE_OF_MSP, node["msp_id"])


async def _must_node(ctx: LedgerContext, payload: dict[str, Any], field: str = "node_id") -> Node:
    node_id = validate.ident(field, payload.get(field))
    return await state.must_get(ctx, f"node {node_id} is not registered.", records.NODE, node_id)


# -- nodes and duties ----------------------------------------------------------------------------

async def _check_admit(ctx: LedgerContext, payload: dict[str, Any]) -> tuple[dict, str]:
    clusters = {c["id"] for c in await state.records(ctx, records.CLUSTER)} | {payload.get("cluster")}
    node = check_node(payload, clusters)
    if await state.get(ctx, records.NODE, node["id"]) is not None:
        raise Conflict(f"node {node['id']} already exists.")
    if await state.get(ctx, records.NODE_OF_MSP, node["msp_id"]) is not None:
        raise Conflict(f"organisation {node['msp_id']} is already a node.")
    return node, ""


async def _apply_admit(ctx: LedgerContext, proposal: Proposal) -> None:
    node = proposal["payload"]
    if await state.get(ctx, records.CLUSTER, node["cluster"]) is None:
        await state.put(ctx, {"id": node["cluster"]}, records.CLUSTER, node["cluster"])
    await put_node(ctx, node)


async def _check_revoke(ctx: LedgerContext, payload: dict[str, Any]) -> tuple[dict, str]:
    node = await _must_node(ctx, payload)
    if node["status"] != "active":
        raise Conflict(f"node {node['id']} is already {node['status']}.")
    return {"node_id": node["id"]}, ""


async def _apply_revoke(ctx: LedgerContext, proposal: Proposal) -> None:
    node = await state.get(ctx, records.NODE, proposal["payload"]["node_id"])
    await put_node(ctx, {**node, "status": "revoked"})


def _check_duty(granted: bool) -> Check:
    async def check(ctx: LedgerContext, payload: dict[str, Any]) -> tuple[dict, str]:
        node = await _must_node(ctx, payload)
        duty = validate.choice("duty", payload.get("duty"), DUTIES)
        if (duty in node["duties"]) == granted:
            raise Conflict(f"node {node['id']} {'already has' if granted else 'does not have'} the {duty} duty.")
        return {"duty": duty, "node_id": node["id"]}, ""
    return check


def _apply_duty(granted: bool) -> Apply:
    async def apply(ctx: LedgerContext, proposal: Proposal) -> None:
        payload = proposal["payload"]
        node = await state.get(ctx, records.NODE, payload["node_id"])
        duties = set(node["duties"]) | {payload["duty"]} if granted else set(node["duties"]) - {payload["duty"]}
        await put_node(ctx, {**node, "duties": sorted(duties)})
    return apply


# -- policy --------------------------------------------------------------------------------------

async def started(ctx: LedgerContext, month: str, until: str = "") -> tuple[str, str]:
    """The first month from ``month`` (and before ``until``, if given) with anything recorded, and
    what, as the end of a sentence ("2026-10", "which is already settled"); ("", "") when none has."""
    found: list[tuple[str, str]] = []
    for kind, what in ((records.SETTLEMENT, "is already settled"),
                       (records.SUBSCRIPTION, "already has subscriptions recorded"),
                       (records.ALLOCATION_BATCH, "already has allocations submitted"),
                       (records.NODE_MONTH, "already has a sealed month")):
        key = await state.first_from(ctx, kind, (), month)
        if key is not None:
            found.append((key[0], what))
    for node in await state.records(ctx, records.NODE):
        key = await state.first_from(ctx, records.ANCHOR, (node["id"],), month)
        if key is not None:
            found.append((key[1][:7], "already has days anchored"))
    earliest = min(found, default=("", ""), key=lambda f: f[0])
    return earliest if earliest[0] and (not until or earliest[0] < until) else ("", "")


async def _check_policy(ctx: LedgerContext, payload: dict[str, Any]) -> tuple[dict, str]:
    policy = Policy.parse(payload)
    if policy.until and await state.get(ctx, records.POLICY, policy.effective_from) is not None:
        raise Conflict(f"a policy version is already effective from {policy.effective_from}; a version with an "
                       "until may not replace it, since the months after its until would lose the policy they "
                       "started with.")
    month, what = await started(ctx, policy.effective_from, policy.until)
    if month:
        bound = (f', or up to one: "until": "{month}" leaves {month} and later months as they are'
                 if month > policy.effective_from else "")
        raise Conflict(f"a policy effective from {policy.effective_from} would change {month}, which {what}; "
                       f"a new policy takes effect only from a month in which nothing is recorded yet{bound}.")
    return policy.record(), ""


async def _apply_policy(ctx: LedgerContext, proposal: Proposal) -> None:
    await state.put(ctx, proposal["payload"], records.POLICY, proposal["payload"]["effective_from"])


# -- artists -------------------------------------------------------------------------------------

async def _check_wallet(ctx: LedgerContext, payload: dict[str, Any]) -> tuple[dict, str]:
    artist_id = validate.ident("artist_id", payload.get("artist_id"))
    wallet = validate.ident("wallet", payload.get("wallet"))
    artist = await state.must_get(ctx, f"artist {artist_id} is not registered; register it with a "
                                  "register_artist proposal.", records.ARTIST, artist_id)
    if "replaces" in payload and payload["replaces"] != artist["wallet"]:
        raise Conflict(f"artist {artist_id}'s wallet is now {artist['wallet']}, not {payload['replaces']}.")
    if artist["wallet"] == wallet:
        raise Conflict(f"artist {artist_id}'s wallet is already {wallet}.")
    return ({"artist_id": artist_id, "replaces": artist["wallet"], "wallet": wallet},
            f"artist {artist_id}'s wallet changes from {artist['wallet']} to {wallet}; payouts instructed "
            "from then on, and releases of held money, go to the new wallet.")


async def _apply_wallet(ctx: LedgerContext, proposal: Proposal) -> None:
    payload = proposal["payload"]
    artist = await state.get(ctx, records.ARTIST, payload["artist_id"])
    earlier = {"proposal": artist["proposal"], "wallet": artist["wallet"]}
    await state.put(ctx, {**artist, "previous_wallets": artist["previous_wallets"] + [earlier],
                          "proposal": proposal["id"], "wallet": payload["wallet"]},
                    records.ARTIST, artist["id"])


# -- months and disputes -------------------------------------------------------------------------

async def _unsettled(ctx: LedgerContext, payload: dict[str, Any]) -> tuple[str, Node]:
    month = validate.month(payload.get("month"))
    node = await _must_node(ctx, payload, "node")
    settlement = await state.get(ctx, records.SETTLEMENT, month)
    if settlement is not None and not settlement["nodes"].get(node["id"], {}).get("pending"):
        raise Conflict(f"node {node['id']}'s part of {month} is already settled.")
    return month, node


async def _check_replace(ctx: LedgerContext, payload: dict[str, Any]) -> tuple[dict, str]:
    month, node = await _unsettled(ctx, payload)
    role = validate.choice("role", payload.get("role"), three_eyes.ROLES)
    reviewer = validate.ident("reviewer", payload.get("reviewer"))
    assigned = await state.must_get(ctx, f"node {node['id']} has not sealed {month}; it has no reviewers yet.",
                                    records.REVIEWERS, month, node["id"])
    if assigned[role] == reviewer:
        raise Conflict(f"node {reviewer} is already the {role} reviewer of node {node['id']}'s {month}.")
    eligible = three_eyes.eligible_reviewers(node, await lookups.active_nodes(ctx), role)
    other = assigned["external" if role == "peer" else "peer"]
    if reviewer not in eligible or reviewer == other:
        raise Conflict(f"node {reviewer} may not be the {role} reviewer of node {node['id']}'s {month}; "
                       f"eligible: {', '.join(c for c in eligible if c != other) or 'none'}.")
    return ({"month": month, "node": node["id"], "replaces": assigned[role], "reviewer": reviewer, "role": role},
            f"node {node['id']}'s {month} gets {reviewer} as {role} reviewer instead of {assigned[role] or 'none'}.")


async def _apply_replace(ctx: LedgerContext, proposal: Proposal) -> None:
    payload = proposal["payload"]
    assigned = await state.get(ctx, records.REVIEWERS, payload["month"], payload["node"])
    replaced = {"proposal": proposal["id"], "reviewer": assigned[payload["role"]], "role": payload["role"]}
    await state.put(ctx, {**assigned, payload["role"]: payload["reviewer"],
                          "replaced": assigned["replaced"] + [replaced]},
                    records.REVIEWERS, payload["month"], payload["node"])


async def _check_without(ctx: LedgerContext, payload: dict[str, Any]) -> tuple[dict, str]:
    month = validate.month(payload.get("month"))
    node = await _must_node(ctx, payload, "node")
    if await state.get(ctx, records.SETTLEMENT, month) is not None:
        raise Conflict(f"{month} is already settled.")
    if await state.get(ctx, records.EXCUSED, month, node["id"]) is not None:
        raise Conflict(f"{month} may already be settled without node {node['id']}.")
    return ({"month": month, "node": node["id"]},
            f"{month} may be settled without waiting for node {node['id']}: while its month is not sealed "
            "and reviewed, its listeners' artist share is held for it, reported.")


async def _apply_without(ctx: LedgerContext, proposal: Proposal) -> None:
    payload = proposal["payload"]
    await state.put(ctx, {**payload, "proposal": proposal["id"]}, records.EXCUSED, payload["month"], payload["node"])


async def _check_decide(ctx: LedgerContext, payload: dict[str, Any]) -> tuple[dict, str]:
    dispute = await disputes.must_get(ctx, payload.get("dispute"))
    decision = validate.choice("decision", payload.get("decision"), three_eyes.DECISIONS)
    reason = validate.text("reason", payload.get("reason"))
    if not reason.strip():
        raise InvalidArgument(f"deciding dispute {dispute['id']} needs a reason.")
    if dispute["status"] != "open":
        raise Conflict(f"dispute {dispute['id']} is already resolved ({dispute['resolution']}).")
    return ({"decision": decision, "dispute": dispute["id"], "reason": reason},
            f"the consortium decides dispute {dispute['id']} on node {dispute['node']}'s {dispute['month']}: {decision}.")


async def _apply_decide(ctx: LedgerContext, proposal: Proposal) -> None:
    payload = proposal["payload"]
    dispute = await disputes.must_get(ctx, payload["dispute"])
    await disputes.resolve(ctx, dispute, payload["decision"], "consortium", payload["reason"])


# -- money across months ------------------------------------------------------------------------

#: The most payees one split sheet names.
MAX_PAYEES = 50


def _check_payees(artist_id: str, raw: Any) -> list[list]:
    """A split sheet's payees as [[payee, bp], ...] by payee: unique wallets, each at least 1 basis
    point, 10,000 in all."""
    if not isinstance(raw, list) or not 0 < len(raw) <= MAX_PAYEES:
        raise InvalidArgument(f"artist {artist_id}'s split sheet needs 1 to {MAX_PAYEES} payees "
                              '[{"payee": WALLET, "bp": BASIS_POINTS}, ...].')
    payees: dict[str, int] = {}
    for entry in raw:
        if not isinstance(entry, dict) or set(entry) != {"payee", "bp"}:
            raise InvalidArgument(f'a payee of artist {artist_id}\'s split sheet is not {{"payee", "bp"}}: {entry!r}.')
        payee = validate.ident("payee", entry["payee"])
        if payee in payees:
            raise InvalidArgument(f"payee {payee} appears twice in artist {artist_id}'s split sheet.")
        payees[payee] = validate.count(f"basis points of payee {payee}", entry["bp"], 1)
    if sum(payees.values()) != 10_000:
        raise InvalidArgument(f"the basis points of artist {artist_id}'s split sheet sum to "
                              f"{sum(payees.values())}, not 10000.")
    return [[payee, bp] for payee, bp in sorted(payees.items())]


async def _check_split(ctx: LedgerContext, payload: dict[str, Any]) -> tuple[dict, str]:
    artist_id = validate.ident("artist_id", payload.get("artist_id"))
    month = validate.month(payload.get("effective_from"))
    payees = _check_payees(artist_id, payload.get("payees"))
    await state.must_get(ctx, f"artist {artist_id} is not registered; register it with a register_artist "
                         "proposal.", records.ARTIST, artist_id)
    settled = await state.first_from(ctx, records.SETTLEMENT, (), month)
    if settled is not None:
        raise Conflict(f"a split sheet effective from {month} would change {settled[0]}, which is already "
                       "settled; a split sheet takes effect from a month not settled yet.")
    if (await accounts.sheets(ctx, month)).get(artist_id) == payees:
        raise Conflict(f"artist {artist_id}'s payouts are already split this way in {month}.")
    shares = ", ".join(f"{payee} {format_bp(bp)}" for payee, bp in payees)
    return ({"artist_id": artist_id, "effective_from": month, "payees": [{"bp": bp, "payee": p} for p, bp in payees]},
            f"artist {artist_id}'s payouts instructed from {month} on are split: {shares}.")


async def _apply_split(ctx: LedgerContext, proposal: Proposal) -> None:
    payload = proposal["payload"]
    payees = [[entry["payee"], entry["bp"]] for entry in payload["payees"]]
    await state.put(ctx, {"artist": payload["artist_id"], "effective_from": payload["effective_from"],
                          "payees": payees, "proposal": proposal["id"]},
                    records.SPLIT, payload["artist_id"], payload["effective_from"])


async def _check_adjust(ctx: LedgerContext, payload: dict[str, Any]) -> tuple[dict, str]:
    checked = await adjustments.check(ctx, payload)
    found = await adjustments.claims(ctx, checked)
    what = (f"listener {checked['listener']}'s subscription charged back" if checked["kind"] == "chargeback"
            else f"fraud over {scope_words(checked['scope'])}")
    owed = ", ".join(f"{a} {format_micro(v)}" for a, v in found["artists"].items()) or "no artist"
    return checked, (f"node {checked['node']}'s {checked['month']}: {what}; the next settlement claims back "
                     f"{format_micro(found['node_share_micro'])} of node {checked['node']}'s own payout, "
                     f"{format_micro(found['waiting_micro'])} of its waiting unallocated money, and from what it "
                     f"owes each artist: {owed} (never below zero; what is not there is a loss)"
                     + (f"; what it holds for artists the adjustment covers, "
                        f"{format_micro(sum(h[2] for h in found['held']))}, goes to its waiting unallocated money."
                        if found["held"] else "."))


async def _apply_adjust(ctx: LedgerContext, proposal: Proposal) -> None:
    payload = proposal["payload"]
    found = await adjustments.claims(ctx, payload)
    await state.put(ctx, adjustments.record(proposal["id"], payload, found),
                    records.ADJUSTMENT, payload["month"], payload["node"], proposal["id"])
    await state.put(ctx, [payload["month"], payload["node"]], records.ADJUSTMENT_DUE, proposal["id"])
    await held.reject_covered(ctx, payload["month"], payload["node"], found["held"])


KINDS: dict[str, ProposalKind] = {
    "admit_node": ProposalKind(_check_admit, _apply_admit),
    "revoke_node": ProposalKind(_check_revoke, _apply_revoke),
    "set_policy": ProposalKind(_check_policy, _apply_policy),
    "grant_duty": ProposalKind(_check_duty(True), _apply_duty(True)),
    "revoke_duty": ProposalKind(_check_duty(False), _apply_duty(False)),
    "register_artist": ProposalKind(artists.check_register, artists.apply_register),
    "set_artist_wallet": ProposalKind(_check_wallet, _apply_wallet),
    "extend_artist": ProposalKind(artists.check_extend, artists.apply_extend),
    "import_artists": ProposalKind(artists.check_import, artists.apply_import),
    "replace_reviewer": ProposalKind(_check_replace, _apply_replace),
    "settle_without": ProposalKind(_check_without, _apply_without),
    "decide_dispute": ProposalKind(_check_decide, _apply_decide),
    "set_split": ProposalKind(_check_split, _apply_split),
    "adjust": ProposalKind(_check_adjust, _apply_adjust),
}


def proposal_id(kind: str, payload: dict[str, Any], round_: int = 0) -> str:
    """The id of the ``round_``-th proposal of this change."""
    body = {"kind": kind, "payload": payload}
    return canonical_json.sha256(body if round_ == 0 else {**body, "round": round_})[:16]


async def propose(ctx: LedgerContext, proposer: str, kind: str, raw: Any) -> tuple[Proposal, bool]:
    """Check and record a proposal with the proposer's approval (applied at once if that is a
    majority); the same open proposal again is returned unchanged. (proposal, whether written)."""
    validate.choice("proposal kind", kind, tuple(KINDS))
    if not isinstance(raw, dict):
        raise InvalidArgument("payload must be a JSON object.")
    payload, note = await KINDS[kind].check(ctx, raw)
    for round_ in count():
        ident = proposal_id(kind, payload, round_)
        existing = await state.get(ctx, records.PROPOSAL, ident)
        if existing is None:
            break
        if existing["status"] == "open":
            return existing, False
    proposal = {"approvals": [], "id": ident, "kind": kind, "note": note, "payload": payload,
                "proposer": proposer, "round": round_, "status": "open"}
    return await approve(ctx, proposal, proposer), True


async def approve(ctx: LedgerContext, proposal: Proposal, node_id: str) -> Proposal:
    """Record ``node_id``'s approval; apply the proposal once a majority of active nodes approve
    (its payload checked again first: a change the ledger no longer allows is refused)."""
    proposal = {**proposal, "approvals": sorted(set(proposal["approvals"]) | {node_id})}
    active = {n["id"] for n in await lookups.active_nodes(ctx)}
    if 2 * len(active & set(proposal["approvals"])) > len(active):
        kind = KINDS[proposal["kind"]]
        try:
            payload, _ = await kind.check(ctx, proposal["payload"])
        except Rejected as exc:
            raise Conflict(f"proposal {proposal['id']} can no longer apply: {exc}") from None
        if payload != proposal["payload"]:
            raise Conflict(f"proposal {proposal['id']} can no longer apply: the ledger changed since it was proposed.")
        await kind.apply(ctx, proposal)
        proposal["status"] = "applied"
    await state.put(ctx, proposal, records.PROPOSAL, proposal["id"])
    state.emit(ctx, "Registry.Proposal", {"approvals": proposal["approvals"], "id": proposal["id"],
                                          "kind": proposal["kind"], "status": proposal["status"]})
    return proposal
