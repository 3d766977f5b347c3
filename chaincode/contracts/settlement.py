"""Settlement: closing a month's money by the default payout rule, payout instructions and receipts.

Settle refuses a month while a node with paid subscriptions has not sealed it or its assigned
reviewers have not reviewed the sealed version (:mod:`chaincode.readiness`), unless a majority
settles without that node. It reads the month's subscriptions, every node's sealed month (its
per-listener allocation records and per-batch amounts), the disputes on the nodes' months with
their scopes and the artist registry; :func:`chaincode.settle.settle_month` does the arithmetic and
checks the money invariant. It writes one record per payee (no hot key): the settlement, a payout
per artist and per node, and what is held (:mod:`chaincode.records`): per artist under an open
dispute or while unregistered, and whole for a node whose part is pending. Held money is released
later by :mod:`chaincode.held`; a pending part is settled by SettleNode.

Payouts are paid by the nodes that collected the money: ``by_node`` says how much each node owes;
ConfirmPayout records one node's receipt reference and the payout is "paid" when every paying node
has confirmed. A release is confirmed with kind "release" and payee "<artist_id>@<source>".
"""

from typing import Any

from .. import canonical_json, guards, held, lookups, readiness, records, rules, settle, state, validate
from .. import scope as scopes
from ..errors import AccessDenied, Conflict, InvalidArgument, NotFound
from ..readiness import Standing
from ..records import Dispute
from ..records import Settlement as SettlementRecord
from ..rules import Policy
from ..state import LedgerContext
from .base import LedgerContract

PAYOUT_KINDS = ("artist", "node", "release")


async def _month_inputs(ctx: LedgerContext, month: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The month's subscriptions (by node and listener) and node months (by node)."""
    subscriptions = [{**record, "node": attrs[1], "listener": attrs[2]}
                     for attrs, record in await state.scan(ctx, records.SUBSCRIPTION, month)]
    nodemonths = {attrs[1]: record for attrs, record in await state.scan(ctx, records.NODE_MONTH, month)}
    return subscriptions, nodemonths


def _views(disputes: list[Dispute], version: int = 0) -> tuple[settle.DisputeView, ...]:
    """The disputes as the settlement of ``version`` of the node's month sees them."""
    return tuple(settle.DisputeView(d["id"], "open" if d["status"] == "open" else d["resolution"],
                                    scopes.in_force(d["scope"], d["resolution"] == "reject", d["version"], version))
                 for d in disputes)


def _states(disputes: list[Dispute]) -> dict[str, str]:
    return {view.id: view.state for view in _views(disputes)}


async def _node_month(ctx: LedgerContext, month: str, node: str, standing: Standing,
                      disputes: list[Dispute]) -> settle.NodeMonth:
    """A node's month as the settlement sees it: pending, not sealed, or its allocations."""
    views = _views(disputes, standing.version)
    if standing.pending or not standing.sealed:
        return settle.NodeMonth(pending=standing.pending, disputes=views)
    named = {listener for view in views if view.state != "approve" for listener in view.scope["listeners"]}
    listeners, parts = set(), {}
    for attrs, allocation in await state.scan(ctx, records.ALLOCATION, month, node):
        listeners.add(attrs[2])
        if attrs[2] in named:
            parts[attrs[2]] = allocation["artists"]
    totals: dict[str, int] = {}
    for batch in await state.records(ctx, records.ALLOCATION_BATCH, month, node):
        for artist, amount in batch["artists"].items():
            totals[artist] = totals.get(artist, 0) + amount
    return settle.NodeMonth(sealed=True, allocated_listeners=frozenset(listeners), totals=totals, parts=parts,
                            disputes=views)


async def _registered(ctx: LedgerContext, nodes: dict[str, settle.NodeMonth]) -> list[str]:
    artist_ids = sorted({a for n in nodes.values() for a in n.totals})
    return [a for a in artist_ids if await state.get(ctx, records.ARTIST, a) is not None]


def _inputs_sha256(policy: Policy, subscriptions: list[dict[str, Any]], nodemonths: dict[str, Any]) -> str:
    """The hash of what a settlement may not change under: policy, subscriptions, node months."""
    body = {"nodemonths": nodemonths, "policy": policy.effective_from,
            "subscriptions": [[s["node"], s["listener"], s["amount_micro"], s["status"]] for s in subscriptions]}
    return canonical_json.sha256(body)


async def _inputs(ctx: LedgerContext, month: str) -> dict[str, Any]:
    """What a month's settlement is computed from: its policy, subscriptions and node months,
    with their hash (the contracts that write them refuse changes once the month is settled)."""
    policy = await lookups.policy_for(ctx, month)
    subscriptions, nodemonths = await _month_inputs(ctx, month)
    return {"policy": policy, "subscriptions": subscriptions, "nodemonths": nodemonths,
            "sha256": _inputs_sha256(policy, subscriptions, nodemonths)}


async def _standings(ctx: LedgerContext, month: str, subscriptions: list[dict[str, Any]]
                     ) -> dict[str, tuple[Standing, list[Dispute]]]:
    """The standing and disputes of every node with counted subscriptions in ``month``."""
    found = {}
    for node in sorted({s["node"] for s in subscriptions if s["status"] in rules.COUNTED}):
        disputes = await lookups.month_disputes(ctx, month, node)
        found[node] = (await readiness.standing(ctx, month, node, disputes), disputes)
    return found


async def _compute(ctx: LedgerContext, month: str, given: dict[str, Any]) -> dict[str, Any]:
    """Everything Settle writes for ``month``: the settlement, payouts and held records."""
    policy, subscriptions = given["policy"], given["subscriptions"]
    if not any(s["status"] in rules.COUNTED for s in subscriptions):
        raise NotFound(f"{month} has no paid or renewed subscriptions to settle.")
    standings = await _standings(ctx, month, subscriptions)
    for standing, _ in standings.values():
        if standing.blocked:
            raise Conflict(standing.blocked)
    nodes = {node: await _node_month(ctx, month, node, standing, disputes)
             for node, (standing, disputes) in standings.items()}
    try:
        result = settle.settle_month(subscriptions, nodes, await _registered(ctx, nodes), policy.node_share_micro,
                                     policy.artist_share_micro)
    except Conflict as exc:
        raise Conflict(str(exc).replace("the month", month)) from None
    payouts = []
    for artist, by_node in result["artists"].items():
        wallet = await held.wallet(ctx, records.ARTIST, artist)
        payouts.append((("artist", artist), held.payout_record(month, "artist", artist, wallet, by_node)))
    for node, amount in result["node_payouts"].items():
        wallet = await held.wallet(ctx, records.NODE, node)
        payouts.append((("node", node), held.payout_record(month, "node", node, wallet, {node: amount})))
    holds = [((key, artist), {"amount_micro": sum(entry["by_node"].values()), "artist": artist,
                              "by_node": dict(sorted(entry["by_node"].items())), "dispute": entry["dispute"],
                              "month": month, "reason": entry["reason"], "released_to": "", "status": "held"})
             for (key, artist), entry in result["held"].items()]
    node_holds = [(node, {"amount_micro": amount, "artist": "", "by_node": {node: amount}, "dispute": "",
                          "month": month, "node": node, "pending": standings[node][0].pending,
                          "reason": "node", "released_to": "", "status": "held"})
                  for node, amount in sorted(result["node_held"].items())]
    per_node = {node: {**totals, "disputes": _states(standings[node][1]) if node in standings else {},
                       "pending": standings[node][0].pending if node in standings else ""}
                for node, totals in result["nodes"].items()}
    settlement = {**result["totals"], "held_count": len(holds) + len(node_holds), "inputs_sha256": given["sha256"],
                  "month": month, "nodes": per_node, "payout_count": len(payouts), "policy": policy.effective_from,
                  "release_count": 0}
    return {"settlement": settlement, "payouts": payouts, "held": holds, "node_held": node_holds}


async def _must_settlement(ctx: LedgerContext, month: str) -> SettlementRecord:
    settlement = await state.get(ctx, records.SETTLEMENT, validate.month(month))
    if settlement is None:
        raise NotFound(f"{month} is not settled.")
    return settlement


async def _payout_at(ctx: LedgerContext, month: str, kind: str, payee: str) -> tuple[records.Payout, tuple]:
    if kind == "release":
        artist, sep, source = payee.rpartition("@")
        if not sep or not artist or not source:
            raise InvalidArgument(f"release payee {payee!r} is not of the form <artist_id>@<source>.")
        where = (records.RELEASE, month, validate.ident("artist id", artist), validate.ident("source", source))
    else:
        where = (records.PAYOUT, month, kind, validate.ident("payee", payee))
    record = await state.get(ctx, *where)
    if record is None:
        raise NotFound(f"{month} has no {kind} payout to {payee}.")
    return record, where


class Settlement(LedgerContract):
    """The month's settlement, its payout instructions, held money and receipts."""

    Name = "Settlement"
    EVALUATE = ("GetSettlement", "GetStanding", "ListPayouts", "ListHeld")

    async def Settle(self, ctx: LedgerContext, month: str) -> str:
        """Settle a month by the default payout rule once every active node with subscriptions has
        sealed it and its assigned reviewers have reviewed it (or a majority settles without that
        node); settling again is a no-op while its inputs are unchanged (node admin)."""
        node = await guards.caller_node(ctx, "admin")
        validate.month(month)
        given = await _inputs(ctx, month)
        existing = await state.get(ctx, records.SETTLEMENT, month)
        if existing is not None:
            if existing["inputs_sha256"] == given["sha256"]:
                return canonical_json.dumps({"settled": False, "settlement": existing})
            raise Conflict(f"{month} is already settled with other subscriptions or sealed months "
                           f"(inputs {existing['inputs_sha256'][:16]}, now {given['sha256'][:16]}).")
        planned = await _compute(ctx, month, given)
        settlement = {**planned["settlement"], "settled_by": node["id"]}
        await state.put(ctx, settlement, records.SETTLEMENT, month)
        for (kind, payee), record in planned["payouts"]:
            await state.put(ctx, record, records.PAYOUT, month, kind, payee)
        for (reason_key, artist), record in planned["held"]:
            await state.put(ctx, record, records.HELD, month, reason_key, artist)
        for node_id, record in planned["node_held"]:
            await state.put(ctx, record, records.NODE_HELD, month, node_id)
        state.emit(ctx, "Settlement.Settle", {name: settlement[name] for name in (
            "artists_micro", "held_micro", "income_micro", "month", "node_operators_micro", "payout_count",
            "unallocated_micro")})
        return canonical_json.dumps({"settled": True, "settlement": settlement})

    async def SettleNode(self, ctx: LedgerContext, month: str, node: str) -> str:
        """Settle a node's part of a settled month that was held whole (the month settled without
        it, or days of it in dispute), once its month is sealed, reviewed and no day of it is in
        dispute: each artist paid by a release, held money held as at settlement (node admin)."""
        await guards.caller_node(ctx, "admin")
        settlement = await _must_settlement(ctx, month)
        validate.ident("node", node)
        if node not in settlement["nodes"]:
            raise NotFound(f"node {node} has no part in the settlement of {month}.")
        if not settlement["nodes"][node]["pending"]:
            raise Conflict(f"node {node}'s part of {month} is not pending; it was settled.")
        disputes = await lookups.month_disputes(ctx, month, node)
        standing = await readiness.standing(ctx, month, node, disputes, excuse=False)
        if standing.blocked or standing.pending:
            raise Conflict(standing.blocked or f"node {node}'s part of {month} still waits: {standing.pending}.")
        policy = await lookups.policy_for(ctx, month)
        subscriptions = [{**record, "listener": attrs[2]}
                         for attrs, record in await state.scan(ctx, records.SUBSCRIPTION, month, node)]
        nodemonth = await _node_month(ctx, month, node, standing, disputes)
        part = settle.node_part(subscriptions, nodemonth, set(await _registered(ctx, {node: nodemonth})),
                                policy.node_share_micro, policy.artist_share_micro)
        result = await held.settle_node(ctx, month, node, part, _states(disputes))
        state.emit(ctx, "Settlement.SettleNode", {"artists_micro": part["totals"]["artists_micro"], "month": month,
                                                  "node": node, "releases": len(result["releases"])})
        return canonical_json.dumps({"settled": True, **result})

    async def ReleaseArtist(self, ctx: LedgerContext, month: str, artist_id: str) -> str:
        """Pay what a settled month holds for an artist who was not registered and now is (for an
        ``unreg:`` id, the one artist with the name it derives from, :func:`chaincode.held.payee`);
        again is a no-op (node admin)."""
        await guards.caller_node(ctx, "admin")
        settlement = await _must_settlement(ctx, month)
        validate.ident("artist id", artist_id)
        waiting = await state.get(ctx, records.HELD, month, rules.HELD_UNREGISTERED, artist_id)
        if waiting is None:
            raise NotFound(f"{month} holds nothing for unregistered artist {artist_id}.")
        if waiting["status"] == "released":
            release = await held.release_of(ctx, month, artist_id)
            return canonical_json.dumps({"released": False, "release": release, "settlement": settlement})
        released = await held.release_artist(ctx, settlement, waiting, await held.payee(ctx, artist_id, month))
        state.emit(ctx, "Settlement.ReleaseArtist", {"amount_micro": released["release"]["amount_micro"],
                                                     "artist": artist_id, "month": month})
        return canonical_json.dumps({"released": True, **released})

    async def ConfirmPayout(self, ctx: LedgerContext, month: str, kind: str, payee: str, reference: str) -> str:
        """Record a paying node's receipt reference for a payout (kind artist, node or release; a
        release's payee is <artist_id>@<source>); the same receipt again is a no-op (node admin)."""
        node = await guards.caller_node(ctx, "admin")
        await _must_settlement(ctx, month)
        validate.choice("payout kind", kind, PAYOUT_KINDS)
        validate.ident("reference", reference)
        record, where = await _payout_at(ctx, month, kind, payee)
        if node["id"] not in record["by_node"]:
            raise AccessDenied(f"node {node['id']} pays no part of the {month} {kind} payout to {payee}.")
        known = record["paid_by"].get(node["id"])
        if known == reference:
            return canonical_json.dumps({"confirmed": False, "payout": record})
        if known is not None:
            raise Conflict(f"node {node['id']} already confirmed the {month} {kind} payout to {payee} "
                           f"with reference {known}.")
        paid_by = dict(sorted({**record["paid_by"], node["id"]: reference}.items()))
        record = {**record, "paid_by": paid_by,
                  "status": "paid" if set(paid_by) == set(record["by_node"]) else "instructed"}
        await state.put(ctx, record, *where)
        state.emit(ctx, "Settlement.ConfirmPayout", {"kind": kind, "month": month, "node": node["id"],
                                                     "payee": payee, "reference": reference,
                                                     "status": record["status"]})
        return canonical_json.dumps({"confirmed": True, "payout": record})

    async def GetSettlement(self, ctx: LedgerContext, month: str) -> str:
        """A month's settlement record."""
        await guards.require_member(ctx)
        return canonical_json.dumps(await _must_settlement(ctx, month))

    async def ListPayouts(self, ctx: LedgerContext, month: str) -> str:
        """A month's payout instructions (artists, then nodes) followed by its releases."""
        await guards.require_member(ctx)
        validate.month(month)
        payouts = await state.records(ctx, records.PAYOUT, month)
        releases = await state.records(ctx, records.RELEASE, month)
        return canonical_json.dumps(payouts + releases)

    async def ListHeld(self, ctx: LedgerContext, month: str) -> str:
        """A month's held amounts (under dispute ids, then unregistered, then nodes' whole parts),
        held or released."""
        await guards.require_member(ctx)
        validate.month(month)
        return canonical_json.dumps(await state.records(ctx, records.HELD, month)
                                    + await state.records(ctx, records.NODE_HELD, month))

    async def GetStanding(self, ctx: LedgerContext, month: str) -> str:
        """Where each node with paid subscriptions stands in ``month``: sealed version, assigned
        reviewers and their verdicts on it, what blocks the settlement and why a part would be
        held whole (:mod:`chaincode.readiness`)."""
        await guards.require_member(ctx)
        validate.month(month)
        subscriptions, _ = await _month_inputs(ctx, month)
        return canonical_json.dumps([
            {"blocked": s.blocked, "node": s.node, "pending": s.pending, "reviewed": s.reviewed,
             "reviewers": {r: s.reviewers.get(r, "") for r in ("peer", "external")}, "sealed": s.sealed,
             "version": s.version}
            for s, _ in (await _standings(ctx, month, subscriptions)).values()])
