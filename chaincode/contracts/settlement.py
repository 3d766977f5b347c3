"""Settlement: closing a month's money by the default payout rule, payout instructions and receipts.

Settle reads the month's subscriptions, every node's sealed month (its per-listener allocation
records, to know who is allocated, and its per-batch amounts), the disputes on the nodes' months and
the artist registry; ``chaincode.payout.settle_month`` does the arithmetic and checks the money
invariant. It writes one record per payee (no hot key):

- ("settlement", month) → the totals, per node and in all (see ``_settlement_record``);
- ("payout", month, "artist", artist_id) and ("payout", month, "node", node_id) →
  {"amount_micro", "by_node": {paying node: amount}, "kind", "month", "paid_by": {node: reference},
  "payee", "status": "instructed"|"paid", "wallet"};
- ("held", month, reason_key, artist_id) → {"amount_micro", "artist", "by_node", "dispute", "month",
  "reason": "dispute"|"unregistered", "released_to": ""|"artist"|"unallocated"|"unregistered",
  "status": "held"|"released"}; reason_key is the dispute id or "unregistered".

Releases (a dispute resolved after settlement, an artist registered after it) leave the month's
artist payout records as instructed and write a separate record
("release", month, artist_id, source) with the payout fields plus "source" (the dispute id or
"unregistered"); the settlement totals move from held to artists (or to unallocated for a rejected
report) so the invariant still holds, and ``released_micro`` adds up what left held. A held amount of
an approved dispute whose artist is still unregistered moves to ("held", month, "unregistered",
artist) and waits for ReleaseArtist.

Payouts are paid by the nodes that collected the money: ``by_node`` says how much each node owes;
ConfirmPayout records one node's receipt reference and the payout is "paid" when every paying node
has confirmed. A release is confirmed with kind "release" and payee "<artist_id>@<source>".
"""

import hashlib
from typing import Any

from .. import access, canonical, payout, policy, state, validate
from ..errors import AccessDenied, Conflict, InvalidArgument, NotFound
from ..state import LedgerContext
from .base import LedgerContract

PAYOUT_KINDS = ("artist", "node", "release")
_SUMMARY = {"artist": "to_artists_micro", "unallocated": "to_unallocated_micro",
            "unregistered": "to_unregistered_micro"}


async def _month_inputs(ctx: LedgerContext, month: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The month's subscriptions (by node and listener) and sealed node months (by node)."""
    subscriptions = [{**record, "node": attrs[1], "listener": attrs[2]}
                     for attrs, record in await state.scan(ctx, "sub", month)]
    nodemonths = {attrs[1]: record for attrs, record in await state.scan(ctx, "nodemonth", month)}
    return subscriptions, nodemonths


async def _refuse_unsealed(ctx: LedgerContext, month: str, subscriptions: list[dict[str, Any]],
                           nodemonths: dict[str, Any]) -> None:
    subscribed = sorted({s["node"] for s in subscriptions if s["status"] in payout.COUNTED})
    for node_id in subscribed:
        node = await state.get(ctx, "node", node_id)
        sealed = nodemonths.get(node_id, {}).get("status") == "sealed"
        if node is not None and node["status"] == "active" and not sealed:
            raise Conflict(f"node {node_id} has not sealed {month}; it must run month reconcile first.")


async def month_disputes(ctx: LedgerContext, month: str, node: str) -> list[dict[str, Any]]:
    """Every dispute ever opened on a node's month, by id."""
    ids = [dispute_id for _, dispute_id in await state.scan(ctx, "monthdispute", month, node)]
    return [await state.get(ctx, "dispute", dispute_id) for dispute_id in sorted(ids)]


def dispute_state(disputes: list[dict[str, Any]]) -> tuple[str, str]:
    """("open"|"reject"|"approve"|"", id): an open dispute holds; else a rejection wins over approvals."""
    for wanted in ("open", "reject", "approve"):
        for dispute in disputes:
            if (dispute["status"] == "open" and wanted == "open") or (
                    dispute["status"] == "resolved" and dispute["resolution"] == wanted):
                return wanted, dispute["id"]
    return "", ""


async def _node_month(ctx: LedgerContext, month: str, node: str, record: dict[str, Any]) -> payout.NodeMonth:
    if record.get("status") != "sealed":
        return payout.NodeMonth()
    listeners = frozenset(attrs[2] for attrs, _ in await state.scan(ctx, "alloc", month, node))
    batches = tuple(batch["artists"] for _, batch in await state.scan(ctx, "allocbatch", month, node))
    return payout.NodeMonth(sealed=True, allocated_listeners=listeners, batches=batches,
                            dispute=dispute_state(await month_disputes(ctx, month, node)))


def _inputs_sha256(policy_record: dict[str, Any], subscriptions: list[dict[str, Any]],
                   nodemonths: dict[str, Any]) -> str:
    """The hash of what a settlement may not change under: policy, subscriptions, sealed months."""
    body = {"nodemonths": nodemonths, "policy": policy_record["effective_from"],
            "subscriptions": [[s["node"], s["listener"], s["amount_micro"], s["status"]] for s in subscriptions]}
    return hashlib.sha256(canonical.dumpb(body)).hexdigest()


def _settlement_record(month: str, result: dict[str, Any], nodes: dict[str, payout.NodeMonth],
                       inputs_sha256: str, policy_record: dict[str, Any], payout_count: int,
                       held_count: int) -> dict[str, Any]:
    per_node = {}
    for node, totals in result["nodes"].items():
        status, dispute_id = nodes.get(node, payout.NodeMonth()).dispute
        per_node[node] = {**totals, "dispute": dispute_id, "dispute_state": status}
    return {**result["totals"], "held_count": held_count, "inputs_sha256": inputs_sha256, "month": month,
            "nodes": per_node, "payout_count": payout_count, "policy": policy_record["effective_from"],
            "release_count": 0}


def _payout_record(month: str, kind: str, payee: str, wallet: str, by_node: dict[str, int]) -> dict[str, Any]:
    return {"amount_micro": sum(by_node.values()), "by_node": dict(sorted(by_node.items())), "kind": kind,
            "month": month, "paid_by": {}, "payee": payee, "status": "instructed", "wallet": wallet}


async def _wallet(ctx: LedgerContext, object_type: str, ident: str) -> str:
    record = await state.get(ctx, object_type, ident)
    return record["wallet"] if record else ""


async def inputs(ctx: LedgerContext, month: str) -> dict[str, Any]:
    """What a month's settlement is computed from: its policy, subscriptions and sealed node months,
    with their hash (the contracts that write them refuse changes once the month is settled)."""
    rule = await policy.for_month(ctx, month)
    subscriptions, nodemonths = await _month_inputs(ctx, month)
    return {"policy": rule, "subscriptions": subscriptions, "nodemonths": nodemonths,
            "sha256": _inputs_sha256(rule, subscriptions, nodemonths)}


async def compute(ctx: LedgerContext, month: str, given: dict[str, Any]) -> dict[str, Any]:
    """Everything Settle writes for ``month``: the settlement, payouts and held records."""
    rule, subscriptions, nodemonths = given["policy"], given["subscriptions"], given["nodemonths"]
    if not any(s["status"] in payout.COUNTED for s in subscriptions):
        raise NotFound(f"{month} has no paid or renewed subscriptions to settle.")
    await _refuse_unsealed(ctx, month, subscriptions, nodemonths)
    nodes = {node: await _node_month(ctx, month, node, record) for node, record in sorted(nodemonths.items())}
    artist_ids = sorted({a for n in nodes.values() for batch in n.batches for a in batch})
    registered = [a for a in artist_ids if await state.get(ctx, "artist", a) is not None]
    artist_share = rule["price_micro"] - rule["node_share_micro"]
    try:
        result = payout.settle_month(subscriptions, nodes, registered, rule["node_share_micro"], artist_share)
    except Conflict as exc:
        raise Conflict(str(exc).replace("the month", month)) from None
    payouts = []
    for artist, by_node in result["artists"].items():
        wallet = await _wallet(ctx, "artist", artist)
        payouts.append((("artist", artist), _payout_record(month, "artist", artist, wallet, by_node)))
    for node, amount in result["node_payouts"].items():
        wallet = await _wallet(ctx, "node", node)
        payouts.append((("node", node), _payout_record(month, "node", node, wallet, {node: amount})))
    held = [((key, artist), {"amount_micro": sum(entry["by_node"].values()), "artist": artist,
                             "by_node": dict(sorted(entry["by_node"].items())), "dispute": entry["dispute"],
                             "month": month, "reason": entry["reason"], "released_to": "", "status": "held"})
            for (key, artist), entry in result["held"].items()]
    settlement = _settlement_record(month, result, nodes, given["sha256"], rule, len(payouts), len(held))
    return {"settlement": settlement, "payouts": payouts, "held": held}


async def _release_record(ctx: LedgerContext, month: str, artist: str, source: str,
                          by_node: dict[str, int]) -> dict[str, Any]:
    record = _payout_record(month, "release", artist, await _wallet(ctx, "artist", artist), by_node)
    return {**record, "source": source}


async def release_dispute(ctx: LedgerContext, month: str, dispute_id: str, resolution: str) -> dict[str, Any] | None:
    """Release what the settlement of ``month`` holds under a dispute just resolved (in the same
    transaction): "approve" pays the artists (or moves the amount to the artist's unregistered hold
    while the artist is not registered), "reject" sends it to unallocated. None if the month is not
    settled; a summary {"dispute", "released_micro", "to_artists_micro", "to_unallocated_micro",
    "to_unregistered_micro"} otherwise."""
    settlement = await state.get(ctx, "settlement", month)
    if settlement is None:
        return None
    summary = {"dispute": dispute_id, "released_micro": 0, "to_artists_micro": 0, "to_unallocated_micro": 0,
               "to_unregistered_micro": 0}
    for attrs, held in await state.scan(ctx, "held", month, dispute_id):
        if held["status"] != "held":
            continue
        artist, by_node = attrs[2], held["by_node"]
        if resolution == "reject":
            settlement = payout.release(settlement, by_node, "unallocated", month)
            target = "unallocated"
        elif await state.get(ctx, "artist", artist) is not None:
            settlement = payout.release(settlement, by_node, "artists", month)
            settlement["release_count"] += 1
            await state.put(ctx, await _release_record(ctx, month, artist, dispute_id, by_node),
                            "release", month, artist, dispute_id)
            target = "artist"
        else:
            waiting = await state.get(ctx, "held", month, payout.UNREGISTERED, artist)
            merged = dict(waiting["by_node"]) if waiting and waiting["status"] == "held" else {}
            for node, amount in by_node.items():
                merged[node] = merged.get(node, 0) + amount
            if waiting is None:
                settlement["held_count"] += 1
            await state.put(ctx, {"amount_micro": sum(merged.values()), "artist": artist,
                                  "by_node": dict(sorted(merged.items())), "dispute": "", "month": month,
                                  "reason": payout.UNREGISTERED, "released_to": "", "status": "held"},
                            "held", month, payout.UNREGISTERED, artist)
            target = "unregistered"
        amount = held["amount_micro"]
        if target != "unregistered":
            summary["released_micro"] += amount
        summary[_SUMMARY[target]] += amount
        await state.put(ctx, {**held, "released_to": target, "status": "released"}, "held", month, dispute_id, artist)
    for totals in settlement["nodes"].values():
        if totals["dispute"] == dispute_id:
            totals["dispute_state"] = resolution
    await state.put(ctx, settlement, "settlement", month)
    return summary


async def _must_settlement(ctx: LedgerContext, month: str) -> dict[str, Any]:
    settlement = await state.get(ctx, "settlement", validate.month(month))
    if settlement is None:
        raise NotFound(f"{month} is not settled.")
    return settlement


async def _payout_at(ctx: LedgerContext, month: str, kind: str, payee: str) -> tuple[dict[str, Any], tuple[str, ...]]:
    if kind == "release":
        artist, sep, source = payee.rpartition("@")
        if not sep or not artist or not source:
            raise InvalidArgument(f"release payee {payee!r} is not of the form <artist_id>@<source>.")
        where = ("release", month, validate.ident("artist id", artist), validate.ident("source", source))
    else:
        where = ("payout", month, kind, validate.ident("payee", payee))
    record = await state.get(ctx, *where)
    if record is None:
        raise NotFound(f"{month} has no {kind} payout to {payee}.")
    return record, where


class Settlement(LedgerContract):
    """The month's settlement, its payout instructions, held money and receipts."""

    Name = "Settlement"
    EVALUATE = ("GetSettlement", "ListPayouts", "ListHeld")

    async def Settle(self, ctx: LedgerContext, month: str) -> str:
        """Settle a month by the default payout rule once every active node with subscriptions has
        sealed it; settling again is a no-op while its inputs are unchanged (node admin)."""
        node = await access.caller_node(ctx, "admin")
        validate.month(month)
        given = await inputs(ctx, month)
        existing = await state.get(ctx, "settlement", month)
        if existing is not None:
            if existing["inputs_sha256"] == given["sha256"]:
                return canonical.dumps({"settled": False, "settlement": existing})
            raise Conflict(f"{month} is already settled with other subscriptions or sealed months "
                           f"(inputs {existing['inputs_sha256'][:16]}, now {given['sha256'][:16]}).")
        planned = await compute(ctx, month, given)
        settlement = {**planned["settlement"], "settled_by": node["id"]}
        await state.put(ctx, settlement, "settlement", month)
        for (kind, payee), record in planned["payouts"]:
            await state.put(ctx, record, "payout", month, kind, payee)
        for (reason_key, artist), record in planned["held"]:
            await state.put(ctx, record, "held", month, reason_key, artist)
        state.emit(ctx, "Settlement.Settle", {name: settlement[name] for name in (
            "artists_micro", "held_micro", "income_micro", "month", "node_operators_micro", "payout_count",
            "unallocated_micro")})
        return canonical.dumps({"settled": True, "settlement": settlement})

    async def ReleaseArtist(self, ctx: LedgerContext, month: str, artist_id: str) -> str:
        """Pay what a settled month holds for an artist who was not registered and now is; again is a
        no-op (node admin)."""
        await access.caller_node(ctx, "admin")
        settlement = await _must_settlement(ctx, month)
        validate.ident("artist id", artist_id)
        held = await state.get(ctx, "held", month, payout.UNREGISTERED, artist_id)
        if held is None:
            raise NotFound(f"{month} holds nothing for unregistered artist {artist_id}.")
        if held["status"] == "released":
            release = await state.get(ctx, "release", month, artist_id, payout.UNREGISTERED)
            return canonical.dumps({"released": False, "release": release, "settlement": settlement})
        if await state.get(ctx, "artist", artist_id) is None:
            raise NotFound(f"artist {artist_id} is not registered; register the artist before releasing {month}.")
        settlement = payout.release(settlement, held["by_node"], "artists", month)
        settlement["release_count"] += 1
        release = await _release_record(ctx, month, artist_id, payout.UNREGISTERED, held["by_node"])
        await state.put(ctx, release, "release", month, artist_id, payout.UNREGISTERED)
        await state.put(ctx, {**held, "released_to": "artist", "status": "released"},
                        "held", month, payout.UNREGISTERED, artist_id)
        await state.put(ctx, settlement, "settlement", month)
        state.emit(ctx, "Settlement.ReleaseArtist", {"amount_micro": release["amount_micro"], "artist": artist_id,
                                                     "month": month})
        return canonical.dumps({"released": True, "release": release, "settlement": settlement})

    async def ConfirmPayout(self, ctx: LedgerContext, month: str, kind: str, payee: str, reference: str) -> str:
        """Record a paying node's receipt reference for a payout (kind artist, node or release; a
        release's payee is <artist_id>@<source>); the same receipt again is a no-op (node admin)."""
        node = await access.caller_node(ctx, "admin")
        await _must_settlement(ctx, month)
        validate.choice("payout kind", kind, PAYOUT_KINDS)
        validate.ident("reference", reference)
        record, where = await _payout_at(ctx, month, kind, payee)
        if node["id"] not in record["by_node"]:
            raise AccessDenied(f"node {node['id']} pays no part of the {month} {kind} payout to {payee}.")
        known = record["paid_by"].get(node["id"])
        if known == reference:
            return canonical.dumps({"confirmed": False, "payout": record})
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
        return canonical.dumps({"confirmed": True, "payout": record})

    async def GetSettlement(self, ctx: LedgerContext, month: str) -> str:
        """A month's settlement record."""
        await access.require_member(ctx)
        return canonical.dumps(await _must_settlement(ctx, month))

    async def ListPayouts(self, ctx: LedgerContext, month: str) -> str:
        """A month's payout instructions (artists, then nodes) followed by its releases."""
        await access.require_member(ctx)
        validate.month(month)
        payouts = [record for _, record in await state.scan(ctx, "payout", month)]
        releases = [record for _, record in await state.scan(ctx, "release", month)]
        return canonical.dumps(payouts + releases)

    async def ListHeld(self, ctx: LedgerContext, month: str) -> str:
        """A month's held amounts (under dispute ids, then unregistered), held or released."""
        await access.require_member(ctx)
        validate.month(month)
        return canonical.dumps([record for _, record in await state.scan(ctx, "held", month)])
