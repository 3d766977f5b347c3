"""Held money of a settled month: released when its dispute resolves, its artist registers, or
its node's pending part is settled.

Releases leave the month's payout instructions as they were and write a ``release`` record
(:data:`chaincode.records.RELEASE`); the settlement's totals move from held to artists (or to
unallocated for a rejected scope), so the money invariant still holds, and ``released_micro``
adds up what left held. Money of an approved dispute whose artist is still unregistered moves to
the artist's unregistered hold and waits for its registration; money held under the ``unreg:`` id
of a name goes to the one registered artist with that name or alias (:func:`payee`). Money is only ever released to
the wallet the consortium approved for the artist (:mod:`chaincode.governance`).
"""

from typing import Any

from . import records, rules, settle, state
from .artist_ids import is_unregistered
from .errors import Conflict, NotFound
from .records import Held, Payout, Settlement
from .state import LedgerContext

_SUMMARY = {rules.TO_ARTIST: "to_artists_micro", rules.TO_UNALLOCATED: "to_unallocated_micro",
            rules.TO_UNREGISTERED: "to_unregistered_micro"}


async def wallet(ctx: LedgerContext, kind: records.Kind, ident: str) -> str:
    """The wallet of a registered artist or node, "" when it is not registered."""
    record = await state.get(ctx, kind, ident)
    return record["wallet"] if record else ""


def payout_record(month: str, kind: str, payee: str, wallet_id: str, by_node: dict[str, int]) -> Payout:
    """A payout instruction of ``by_node`` (what each collecting node owes) to ``payee``."""
    return {"amount_micro": sum(by_node.values()), "by_node": dict(sorted(by_node.items())), "kind": kind,
            "month": month, "paid_by": {}, "payee": payee, "status": "instructed", "wallet": wallet_id}


async def _pay(ctx: LedgerContext, settlement: Settlement, held: Held, source: str,
               artist: str | None = None) -> tuple[Settlement, dict]:
    """Release ``held`` to ``artist`` (its own artist by default): the settlement moved from held to
    artists, the release written."""
    month, artist = held["month"], artist or held["artist"]
    settlement = settle.release(settlement, held["by_node"], "artists", month)
    settlement["release_count"] += 1
    release = {**payout_record(month, "release", artist, await wallet(ctx, records.ARTIST, artist),
                               held["by_node"]), "source": source}
    await state.put(ctx, release, records.RELEASE, month, artist, source)
    return settlement, release


async def payee(ctx: LedgerContext, artist_id: str, month: str) -> str:
    """Who is paid what ``month`` holds for ``artist_id`` as unregistered: the artist itself once
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


async def release_of(ctx: LedgerContext, month: str, artist_id: str) -> Payout | None:
    """The release that paid what ``month`` held for ``artist_id`` as unregistered: to the artist
    itself (source "unregistered"), or to the artist whose name derives it (source ``artist_id``)."""
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
    for held in await state.records(ctx, records.HELD, month, dispute_id):
        if held["status"] != "held":
            continue
        registered = await state.get(ctx, records.ARTIST, held["artist"]) is not None
        target = rules.release_destination(resolution, registered)
        if target == rules.TO_UNALLOCATED:
            settlement = settle.release(settlement, held["by_node"], "unallocated", month)
        elif target == rules.TO_ARTIST:
            settlement = (await _pay(ctx, settlement, held, dispute_id))[0]
        else:
            settlement = await _hold(ctx, settlement, month, rules.HELD_UNREGISTERED, held["artist"], held["by_node"])
        if target != rules.TO_UNREGISTERED:
            summary["released_micro"] += held["amount_micro"]
        summary[_SUMMARY[target]] += held["amount_micro"]
        await state.put(ctx, {**held, "released_to": target, "status": "released"},
                        records.HELD, month, dispute_id, held["artist"])
    for totals in settlement["nodes"].values():
        if dispute_id in totals["disputes"]:
            totals["disputes"] = {**totals["disputes"], dispute_id: resolution}
    await state.put(ctx, settlement, records.SETTLEMENT, month)
    return summary


async def release_artist(ctx: LedgerContext, settlement: Settlement, held: Held, artist: str) -> dict[str, Any]:
    """Pay what ``settlement`` holds for an artist not registered then to ``artist`` (:func:`payee`):
    the release record (source "unregistered", or the held ``unreg:`` id when another artist is
    paid) and the settlement after it (both written)."""
    source = rules.HELD_UNREGISTERED if artist == held["artist"] else held["artist"]
    settlement, release = await _pay(ctx, settlement, held, source, artist)
    await state.put(ctx, {**held, "released_to": rules.TO_ARTIST, "status": "released"},
                    records.HELD, held["month"], rules.HELD_UNREGISTERED, held["artist"])
    await state.put(ctx, settlement, records.SETTLEMENT, held["month"])
    return {"release": release, "settlement": settlement}


async def settle_node(ctx: LedgerContext, month: str, node: str, part: dict[str, Any],
                      disputes: dict[str, str]) -> dict[str, Any]:
    """Settle ``node``'s pending part of settled ``month`` as ``part`` (a
    :func:`chaincode.settle.node_part` that is not pending): the settlement updated, a release
    (source "node:<node>") per artist paid, the held amounts added to their holds, the node's
    whole hold released. Returns {"settlement", "releases"} (all written)."""
    settlement = settle.settle_node(await state.get(ctx, records.SETTLEMENT, month), node, part, month)
    settlement["nodes"][node] = {**settlement["nodes"][node], "disputes": disputes, "pending": ""}
    source, releases = f"node:{node}", []
    for artist, amount in sorted(part["artists"].items()):
        release = {**payout_record(month, "release", artist, await wallet(ctx, records.ARTIST, artist),
                                   {node: amount}), "source": source}
        await state.put(ctx, release, records.RELEASE, month, artist, source)
        settlement["release_count"] += 1
        releases.append(release)
    for (reason_key, artist), amount in sorted(part["held"].items()):
        settlement = await _hold(ctx, settlement, month, reason_key, artist, {node: amount})
    whole = await state.get(ctx, records.NODE_HELD, month, node)
    await state.put(ctx, {**whole, "released_to": "settled", "status": "released"}, records.NODE_HELD, month, node)
    await state.put(ctx, settlement, records.SETTLEMENT, month)
    return {"settlement": settlement, "releases": releases}
