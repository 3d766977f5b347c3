"""Adjustments, never edits: a chargeback or a fraud finding after a node's month is settled claims
money back at a later settlement (:class:`chaincode.books.Claim`), decided by the consortium
(proposal ``adjust``, :mod:`chaincode.governance`), never by one node.

What an adjustment claims is computed here from the chain, never given by the proposer:

- ``fraud`` over a scope (:mod:`chaincode.scope`: listeners or artists of the node's month, or the
  whole month): from each artist, what the allocations the scope covers paid it (the month
  routed again as if a dispute over that scope had been rejected, less the same without it), and
  the part of the node's pool that month's settlement credited it for that pay (its pool credit
  times the share of its earnings at the node taken away, floored), so fake plays cannot steer the
  node's waiting money to an artist;
- ``chargeback`` of one listener's subscription: the node share from the node's own payout, what
  the listener's allocation paid each artist (the same way), and the rest of the artist share (what
  it paid no artist: unallocated, rejected or held) from the node's waiting unallocated money; in
  all, exactly the price the node refunded.

What the node's holds of the month still keep of what an adjustment covers (under an open
dispute, or for an unregistered artist) leaves the hold for the node's waiting unallocated money
when the adjustment applies (:func:`chaincode.held.reject_covered`), so a later registration or
approval cannot credit it to the artist. Whatever an earlier adjustment of the same node's month
covered is left out, so nothing is claimed twice; a subscription is charged back once.
"""

from dataclasses import replace
from typing import Any

from . import books, lookups, month_view, readiness, records, rules, scope, settle, state, validate
from .errors import Conflict, InvalidArgument, NotFound
from .records import Adjustment
from .state import LedgerContext

KINDS = ("chargeback", "fraud")


def covers(adjustment: Adjustment) -> dict[str, Any]:
    """The scope of a node's month an adjustment covers."""
    if adjustment["kind"] == "chargeback":
        return {**scope.NONE, "listeners": [adjustment["listener"]]}
    return adjustment["scope"]


async def check(ctx: LedgerContext, raw: dict[str, Any]) -> dict[str, Any]:
    """An ``adjust`` payload, checked against the ledger: {"evidence_sha256", "kind", "listener"
    (chargeback) or "scope" (fraud), "month", "node", "reason"}."""
    kind = validate.choice("adjustment kind", raw.get("kind"), KINDS)
    month = validate.month(raw.get("month"))
    node = validate.ident("node", raw.get("node"))
    reason = validate.text("reason", raw.get("reason"))
    if not reason.strip():
        raise InvalidArgument(f"an adjustment of node {node}'s {month} needs a reason.")
    payload = {"evidence_sha256": validate.sha256("evidence_sha256", raw.get("evidence_sha256")), "kind": kind,
               "month": month, "node": node, "reason": reason}
    settlement = await state.get(ctx, records.SETTLEMENT, month)
    if settlement is None or node not in settlement["nodes"] or settlement["nodes"][node]["pending"]:
        raise Conflict(f"node {node}'s part of {month} is not settled; before settlement a chargeback expires "
                       "the subscription and a dispute holds what it names.")
    earlier = await state.records(ctx, records.ADJUSTMENT, month, node)
    if kind == "chargeback":
        listener = validate.ident("listener", raw.get("listener"))
        subscription = await state.get(ctx, records.SUBSCRIPTION, month, node, listener)
        if subscription is None or subscription["status"] not in rules.COUNTED:
            raise NotFound(f"listener {listener} has no paid subscription for {month} at node {node}.")
        done = next((a for a in earlier if a["kind"] == "chargeback" and a["listener"] == listener), None)
        if done is not None:
            raise Conflict(f"listener {listener}'s {month} subscription at node {node} was already charged back "
                           f"(adjustment {done['id']}).")
        payload["listener"] = listener
    else:
        payload["scope"] = scope.parse(scope.wire(raw.get("scope")), month)
        if payload["scope"]["days"]:
            raise InvalidArgument("a fraud adjustment names listeners or artists, or the whole month; not days.")
    return payload


async def claims(ctx: LedgerContext, payload: dict[str, Any]) -> dict[str, Any]:
    """What the adjustment ``payload`` (checked) claims now: {"artists": {artist: amount},
    "held": [[reason_key, artist, amount], ...] (what the node's holds of the month keep of what it
    covers, moved to its waiting unallocated money when it applies), "node_share_micro", "waiting_micro"}."""
    month, node = payload["month"], payload["node"]
    covered = covers(payload)
    earlier = [covers(a) for a in await state.records(ctx, records.ADJUSTMENT, month, node)]
    policy = await lookups.policy_for(ctx, month)
    disputes = await lookups.month_disputes(ctx, month, node)
    standing = await readiness.standing(ctx, month, node, disputes, excuse=False)
    named = {listener for s in (*earlier, covered) for listener in s["listeners"]}
    seen = await month_view.node_month(ctx, month, node, standing, disputes, named)
    for listener in covered["listeners"]:
        if listener not in seen.allocated_listeners and payload["kind"] == "fraud":
            raise NotFound(f"listener {listener} has no allocation in node {node}'s {month}.")
    for artist in covered["artists"]:
        if artist not in seen.totals:
            raise NotFound(f"artist {artist} has no allocation in node {node}'s {month}.")
    subscriptions = [{**record, "listener": attrs[2]}
                     for attrs, record in await state.scan(ctx, records.SUBSCRIPTION, month, node)]
    registered = set()
    for artist in await month_view.registered(ctx, [seen]):
        hold = await state.get(ctx, records.HELD, month, rules.HELD_UNREGISTERED, artist)
        if hold is None or hold["status"] == "released":
            registered.add(artist)

    def routed(scopes: list) -> dict[str, Any]:
        rejected = tuple(settle.DisputeView(f"adjustment-{i}", "reject", s) for i, s in enumerate(scopes))
        month_seen = replace(seen, disputes=seen.disputes + rejected)
        return settle.node_part(subscriptions, month_seen, registered, policy.node_share_micro,
                                policy.artist_share_micro)

    was, now = routed(earlier), routed([*earlier, covered])
    before, after = was["artists"], now["artists"]
    artists = _less(before, after)
    found = {"artists": artists, "held": [[key, artist, amount] for (key, artist), amount in
                                          _less(was["held"], now["held"]).items()],
             "node_share_micro": 0, "waiting_micro": 0}
    if payload["kind"] == "chargeback":
        found["node_share_micro"] = policy.node_share_micro
        found["waiting_micro"] = policy.artist_share_micro - sum(artists.values())
    else:
        drawn = await _pool_drawn(ctx, month, node, routed([])["artists"] if earlier else before, before, after)
        found["artists"] = {a: artists.get(a, 0) + drawn.get(a, 0) for a in sorted({*artists, *drawn})}
    return found


def _less(before: dict, after: dict) -> dict:
    """What ``before`` has more of than ``after``, key by key."""
    return {key: amount - after.get(key, 0) for key, amount in sorted(before.items()) if amount > after.get(key, 0)}


async def _pool_drawn(ctx: LedgerContext, month: str, node: str, base: dict[str, int], before: dict[str, int],
                      after: dict[str, int]) -> dict[str, int]:
    """What the node's pool credited each artist at the settlement of ``month`` (in proportion to
    what the node paid it then) for the part of its pay a fraud takes away: the pool credit times
    that part of its earnings, floored, less what earlier adjustments took the same way."""
    drawn = {}
    for payout in await state.records(ctx, records.PAYOUT, month, "artist"):
        artist, account = payout["payee"], payout["account"]
        pool, earned = account["pool"].get(node, 0), account["earned"].get(node, 0)
        if pool and earned:
            gone = [pool * min(base.get(artist, 0) - paid.get(artist, 0), earned) // earned for paid in (before, after)]
            if gone[1] > gone[0]:
                drawn[artist] = gone[1] - gone[0]
    return drawn


def claim(adjustment: Adjustment) -> books.Claim:
    """A due adjustment as the books' claim."""
    found = adjustment["claims"]
    return books.Claim(adjustment["id"], adjustment["kind"], adjustment["node"], found["node_share_micro"],
                       found["artists"], found["waiting_micro"])


def record(proposal_id: str, payload: dict[str, Any], found: dict[str, Any]) -> Adjustment:
    """The adjustment a proposal approves, due at the next settlement."""
    return {"applied_in": "", "claimed_micro": found["node_share_micro"] + found["waiting_micro"]
            + sum(found["artists"].values()), "claims": found, "evidence_sha256": payload["evidence_sha256"],
            "id": proposal_id, "kind": payload["kind"], "listener": payload.get("listener", ""), "losses_micro": 0,
            "month": payload["month"], "node": payload["node"], "reason": payload["reason"],
            "recovered": {"artists": {}, "node_share_micro": 0, "waiting_micro": 0}, "recovered_micro": 0,
            "scope": covers(payload),
            "status": "due"}


async def due(ctx: LedgerContext) -> list[Adjustment]:
    """Every adjustment not yet applied, by id."""
    return [await state.get(ctx, records.ADJUSTMENT, month, node, ident)
            for ident, (month, node) in sorted((attrs[0], value) for attrs, value in
                                               await state.scan(ctx, records.ADJUSTMENT_DUE))]


async def apply(ctx: LedgerContext, adjustments: list[Adjustment], outcome: dict[str, Any], month: str) -> None:
    """Record what the settlement of ``month`` recovered of each due adjustment."""
    for adjustment in adjustments:
        got = outcome[adjustment["id"]]
        await state.put(ctx, {**adjustment, "applied_in": month, "losses_micro": got["losses_micro"],
                              "recovered": got["recovered"], "recovered_micro": got["recovered_micro"],
                              "status": "applied"},
                        records.ADJUSTMENT, adjustment["month"], adjustment["node"], adjustment["id"])
        await state.delete(ctx, records.ADJUSTMENT_DUE, adjustment["id"])
