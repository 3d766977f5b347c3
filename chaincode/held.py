"""Held money of a settled month: released when its dispute resolves, its artist registers, or its
node's pending part is settled; unclaimed when it waited too long for an unregistered artist; the
node's unallocated money when a fraud or chargeback adjustment covers it (:func:`reject_covered`).

Releases leave the month's payout instructions as they were. Money released to an artist is
credited to the artist's balance (:func:`chaincode.accounts.credit`) with a ``release`` record
(:data:`chaincode.records.RELEASE`), and instructed by the next settlement that finds the balance
payable; money of a rejected scope becomes the node's waiting unallocated money
(:func:`chaincode.accounts.wait`). The settlement's totals move from held to artists or
unallocated (or unclaimed), so the money invariant still holds, and ``released_micro`` adds up
what left held for artists or unallocated. Money of an approved dispute whose artist is still
unregistered moves to the artist's unregistered hold and waits for its registration, or until the
policy's holding period ends (:func:`expire`); money held under the ``unreg:`` id of a name goes
to the one registered artist with that name or alias (:func:`payee`). Money is only ever credited
to an artist the consortium registered, and instructed to the wallet the consortium approved for
it (:mod:`chaincode.governance`).
"""

from typing import Any, Mapping

from . import accounts, records, rules, settle, state
from .artist_ids import is_unregistered
from .errors import Conflict, NotFound
from .records import Held, Release, Settlement
from .rules import Policy
from .state import LedgerContext

_SUMMARY = {rules.TO_ARTIST: "to_artists_micro", rules.TO_UNALLOCATED: "to_unallocated_micro",
            rules.TO_UNREGISTERED: "to_unregistered_micro"}


async def _credit(ctx: LedgerContext, settlement: Settlement, month: str, artist: str, by_node: Mapping[str, int],
                  source: str) -> tuple[Settlement, Release]:
    """Credit ``by_node`` of ``month``'s held money to ``artist``'s balance: the settlement moved from
    held to artists, the release written."""
    settlement = settle.release(settlement, by_node, "artists", month)
    settlement["release_count"] += 1
    release = {"amount_micro": sum(by_node.values()), "artist": artist, "by_node": dict(sorted(by_node.items())),
               "month": month, "source": source}
    await state.put(ctx, release, records.RELEASE, month, artist, source)
    await accounts.credit(ctx, artist, by_node)
    return settlement, release


async def payee(ctx: LedgerContext, artist_id: str, month: str) -> str:
    """Who is credited what ``month`` holds for ``artist_id`` as unregistered: the artist itself once
    registered; for an ``unreg:`` id, else the one registered artist whose name or alias derives it
    (:mod:`chaincode.artist_ids`). Refused when there is none, or several."""
    if await state.get(ctx, records.ARTIST, artist_id) is not None:
        return artist_id
    named = (await state.get(ctx, records.ARTIST_NAMED, artist_id) or []) if is_unregistered(artist_id) else []
    if len(named) > 1:
        raise Conflict(f"artists {', '.join(named)} all have the name {artist_id} is derived from; what {month} "
                       "holds for it is released to none of them.")
    if not named:
        hint = " (or add the name it is derived from to a registered artist)" if is_unregistered(artist_id) else ""
        raise NotFound(f"artist {artist_id} is not registered; register the artist{hint} before releasing {month}.")
    return named[0]


async def release_of(ctx: LedgerContext, month: str, artist_id: str) -> Release | None:
    """The release that credited what ``month`` held for ``artist_id`` as unregistered: to the
    artist itself (source "unregistered"), or to the artist whose name derives it (source ``artist_id``)."""
    own = await state.get(ctx, records.RELEASE, month, artist_id, rules.HELD_UNREGISTERED)
    if own is not None:
        return own
    return next((r for r in await state.records(ctx, records.RELEASE, month) if r["source"] == artist_id), None)


async def _hold(ctx: LedgerContext, settlement: Settlement, month: str, reason_key: str, artist: str,
                by_node: dict[str, int]) -> Settlement:
    """Add ``by_node`` to what ``month`` holds for ``artist`` under ``reason_key`` (a dispute id, or
    "unregistered"), opening the hold when there is none."""
    waiting = await state.get(ctx, records.HELD, month, reason_key, artist)
    merged = dict(waiting["by_node"]) if waiting and waiting["status"] == "held" else {}
    for node, amount in by_node.items():
        merged[node] = merged.get(node, 0) + amount
    if waiting is None:
        settlement["held_count"] += 1
    unregistered = reason_key == rules.HELD_UNREGISTERED
    await state.put(ctx, {"amount_micro": sum(merged.values()), "artist": artist,
                          "by_node": dict(sorted(merged.items())), "dispute": "" if unregistered else reason_key,
                          "month": month, "reason": rules.HELD_UNREGISTERED if unregistered else rules.HELD_FOR_DISPUTE,
                          "released_to": "", "status": "held"},
                    records.HELD, month, reason_key, artist)
    return settlement


async def release_dispute(ctx: LedgerContext, month: str, dispute_id: str, resolution: str) -> dict[str, Any] | None:
    """Release what the settlement of ``month`` holds under a dispute just resolved (in the same
    transaction), each amount where :func:`chaincode.rules.release_destination` sends it. None if
    the month is not settled; else {"dispute", "released_micro", "to_artists_micro",
    "to_unallocated_micro", "to_unregistered_micro"}."""
    settlement = await state.get(ctx, records.SETTLEMENT, month)
    if settlement is None:
        return None
    summary = {"dispute": dispute_id, "released_micro": 0, **{name: 0 for name in _SUMMARY.values()}}
    unallocated: dict[str, int] = {}  # the nodes' waiting money is written once (no read of own writes)
    for held in await state.records(ctx, records.HELD, month, dispute_id):
        if held["status"] != "held":
            continue
        registered = await state.get(ctx, records.ARTIST, held["artist"]) is not None
        target = rules.release_destination(resolution, registered)
        if target == rules.TO_UNALLOCATED:
            settlement = settle.release(settlement, held["by_node"], "unallocated", month)
            for node, amount in held["by_node"].items():
                unallocated[node] = unallocated.get(node, 0) + amount
        elif target == rules.TO_ARTIST:
            settlement = (await _credit(ctx, settlement, month, held["artist"], held["by_node"], dispute_id))[0]
        else:
            settlement = await _hold(ctx, settlement, month, rules.HELD_UNREGISTERED, held["artist"], held["by_node"])
        if target != rules.TO_UNREGISTERED:
            summary["released_micro"] += held["amount_micro"]
        summary[_SUMMARY[target]] += held["amount_micro"]
        await state.put(ctx, {**held, "released_to": target, "status": "released"},
                        records.HELD, month, dispute_id, held["artist"])
    await accounts.wait(ctx, unallocated, "unallocated_micro")
    for totals in settlement["nodes"].values():
        if dispute_id in totals["disputes"]:
            totals["disputes"] = {**totals["disputes"], dispute_id: resolution}
    await state.put(ctx, settlement, records.SETTLEMENT, month)
    return summary


async def reject_covered(ctx: LedgerContext, month: str, node: str, covered: list[list]) -> None:
    """Move what ``month``'s holds keep at ``node`` of an adjustment's scope ([[reason_key, artist,
    amount], ...], :func:`chaincode.adjustments.claims`) to the node's waiting unallocated money, as
    if a dispute over that scope had been rejected: each hold less it (released once empty), the
    settlement moved from held to unallocated."""
    moved = 0
    for reason_key, artist, amount in covered:
        hold = await state.get(ctx, records.HELD, month, reason_key, artist)
        taken = min(amount, hold["by_node"].get(node, 0)) if hold and hold["status"] == "held" else 0
        if not taken:
            continue
        by_node = {n: a - (taken if n == node else 0) for n, a in hold["by_node"].items() if n != node or a > taken}
        emptied = {"released_to": rules.TO_UNALLOCATED, "status": "released"} if not by_node else {}
        await state.put(ctx, {**hold, "amount_micro": sum(by_node.values()), "by_node": by_node, **emptied},
                        records.HELD, month, reason_key, artist)
        moved += taken
    if moved:
        settlement = settle.release(await state.get(ctx, records.SETTLEMENT, month), {node: moved}, "unallocated", month)
        await state.put(ctx, settlement, records.SETTLEMENT, month)
        await accounts.wait(ctx, {node: moved}, "unallocated_micro")


async def release_artist(ctx: LedgerContext, settlement: Settlement, held: Held, artist: str) -> dict[str, Any]:
    """Credit what ``settlement`` holds for an artist not registered then to ``artist``'s balance
    (:func:`payee`): the release record (source "unregistered", or the held ``unreg:`` id when
    another artist is credited) and the settlement after it (both written)."""
    source = rules.HELD_UNREGISTERED if artist == held["artist"] else held["artist"]
    settlement, release = await _credit(ctx, settlement, held["month"], artist, held["by_node"], source)
    await state.put(ctx, {**held, "released_to": rules.TO_ARTIST, "status": "released"},
                    records.HELD, held["month"], rules.HELD_UNREGISTERED, held["artist"])
    await state.put(ctx, settlement, records.SETTLEMENT, held["month"])
    return {"release": release, "settlement": settlement}


async def settle_node(ctx: LedgerContext, month: str, node: str, part: dict[str, Any],
                      disputes: dict[str, str]) -> dict[str, Any]:
    """Settle ``node``'s pending part of settled ``month`` as ``part`` (a
    :func:`chaincode.settle.node_part` that is not pending): the settlement updated, each artist's
    amount credited to its balance (a release, source "node:<node>"), the held amounts added to
    their holds, its unallocated money waiting, the node's whole hold released. Returns
    {"settlement", "releases"} (all written)."""
    settlement = settle.settle_node(await state.get(ctx, records.SETTLEMENT, month), node, part, month)
    settlement["nodes"][node] = {**settlement["nodes"][node], "disputes": disputes, "pending": ""}
    source, releases = f"node:{node}", []
    for artist, amount in sorted(part["artists"].items()):
        release = {"amount_micro": amount, "artist": artist, "by_node": {node: amount}, "month": month,
                   "source": source}
        await state.put(ctx, release, records.RELEASE, month, artist, source)
        await accounts.credit(ctx, artist, {node: amount})
        settlement["release_count"] += 1
        releases.append(release)
    for (reason_key, artist), amount in sorted(part["held"].items()):
        settlement = await _hold(ctx, settlement, month, reason_key, artist, {node: amount})
    await accounts.wait(ctx, {node: part["totals"]["unallocated_micro"]}, "unallocated_micro")
    whole = await state.get(ctx, records.NODE_HELD, month, node)
    await state.put(ctx, {**whole, "released_to": "settled", "status": "released"}, records.NODE_HELD, month, node)
    await state.put(ctx, settlement, records.SETTLEMENT, month)
    return {"settlement": settlement, "releases": releases}


async def expire(ctx: LedgerContext, month: str, policy: Policy) -> dict[str, int]:
    """At the settlement of ``month``: what earlier settled months hold for unregistered artists
    and have held for the policy's ``unclaimed_months`` becomes unclaimed (each month's settlement
    moved from held to unclaimed, each hold marked); returns what became unclaimed, per node."""
    expired: dict[str, int] = {}
    for settlement in await state.records(ctx, records.SETTLEMENT):
        earlier = settlement["month"]
        if earlier >= month or not rules.unclaimed(earlier, month, policy.payouts["unclaimed_months"]):
            continue
        changed = False
        for held in await state.records(ctx, records.HELD, earlier, rules.HELD_UNREGISTERED):
            if held["status"] != "held":
                continue
            settlement = settle.release(settlement, held["by_node"], "unclaimed", earlier)
            await state.put(ctx, {**held, "released_to": "unclaimed", "status": "unclaimed"},
                            records.HELD, earlier, rules.HELD_UNREGISTERED, held["artist"])
            for node, amount in held["by_node"].items():
                expired[node] = expired.get(node, 0) + amount
            changed = True
        if changed:
            await state.put(ctx, settlement, records.SETTLEMENT, earlier)
    return dict(sorted(expired.items()))
