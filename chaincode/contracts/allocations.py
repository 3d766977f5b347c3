"""Allocations: per node and month, each subscribed listener's weighted top-N artists and their money.

A node submits its month in numbered batches of (listener, [[artist_id, weight], ...]), weight being
the listener's counted seconds for the artist. The chaincode applies the payout rule to each
listener (:func:`chaincode.rules.allocate`: the top-N artists by weight, the artist share split
among them). Each batch keeps its
totals, so settlement sums batches and no key is written by every transaction. Sealing the month
checks the Merkle root of every allocation (one leaf per listener, in listener order).

A batch's ``sha256`` is SHA-256 of the canonical JSON of its entries after normalisation: entries
sorted by listener, each listener's artists sorted by (-weight, artist_id), all artists as
submitted (before the top-N cut).

A node may withdraw its batches while its month is not sealed (a reconciliation interrupted, a late
day) and submit them again; it may unseal a sealed month that no open dispute is about (to correct
it), keeping the withdrawn seal under ``superseded``: the next seal is a new version, which its
assigned reviewers review again. The first seal assigns the month's reviewers
(:func:`chaincode.three_eyes.month_reviewers`).
"""

from typing import Any

from .. import canonical_json, guards, lookups, merkle, records, rules, state, three_eyes, validate
from ..errors import Conflict, InvalidArgument, NotFound
from ..guards import node_admin, refuse_node_settled, refuse_sealed
from ..records import Allocation
from ..state import LedgerContext
from .base import LedgerContract

#: At most this many listeners in one batch.
MAX_BATCH = 5000
_ENTRY = "[listener, [[artist_id, weight], ...]]"


def _artists(listener: str, raw: Any) -> list[list]:
    if not isinstance(raw, list) or not raw:
        raise InvalidArgument(f"listener {listener} has no artists; leave out listeners without counted plays.")
    pairs, seen = [], set()
    for pair in raw:
        if not isinstance(pair, list) or len(pair) != 2:
            raise InvalidArgument(f"listener {listener} has an artist entry {pair!r} that is not [artist_id, weight].")
        artist = validate.ident("artist id", pair[0])
        weight = pair[1]
        if isinstance(weight, bool) or not isinstance(weight, int) or weight < 1:
            raise InvalidArgument(
                f"weight {weight!r} of artist {artist} for listener {listener} is not a positive whole number."
            )
        if artist in seen:
            raise InvalidArgument(f"artist {artist} appears twice for listener {listener}.")
        seen.add(artist)
        pairs.append([artist, weight])
    return sorted(pairs, key=lambda p: (-p[1], p[0]))


def _entries(batch: int, entries: str) -> list[list]:
    """The batch's entries, normalised: by listener, artists by (-weight, artist_id)."""
    data = validate.json_arg("entries", entries)
    if not isinstance(data, list) or not data:
        raise InvalidArgument(f"entries must be a non-empty JSON list of {_ENTRY}.")
    if len(data) > MAX_BATCH:
        raise InvalidArgument(f"entries holds {len(data)} listeners, more than {MAX_BATCH} in one batch.")
    normalised, seen = [], set()
    for number, entry in enumerate(data, 1):
        if not isinstance(entry, list) or len(entry) != 2:
            raise InvalidArgument(f"entry {number} of batch {batch} is not {_ENTRY}.")
        listener = validate.ident("listener", entry[0])
        if listener in seen:
            raise InvalidArgument(f"listener {listener} appears twice in batch {batch}.")
        seen.add(listener)
        normalised.append([listener, _artists(listener, entry[1])])
    return sorted(normalised, key=lambda e: e[0])


async def _month_leaves(ctx: LedgerContext, month: str, node: str) -> list[tuple[str, Allocation, bytes]]:
    """Every (listener, allocation, Merkle leaf) of a node's month on chain, in listener order."""
    allocated = sorted((attrs[-1], record) for attrs, record in await state.scan(ctx, records.ALLOCATION, month, node))
    return [(listener, record, merkle.leaf(listener, [[a, w] for a, w, _ in record["artists"]]))
            for listener, record in allocated]


class Allocations(LedgerContract):
    """Monthly allocations of subscribed listeners to their top artists, in batches, sealed by a Merkle root."""

    Name = "Allocations"
    EVALUATE = ("GetAllocation", "GetNodeMonth", "GetProof", "ListBatches")

    async def SubmitBatch(self, ctx: LedgerContext, month: str, node: str, batch: str, entries: str) -> str:
        """Allocate a batch of listeners (entries: JSON list of [listener, [[artist_id, weight], ...]]);
        the same batch again is a no-op (node admin)."""
        await node_admin(ctx, node)
        validate.month(month)
        number = validate.count("batch", batch, 1)
        if number > 999_999:
            raise InvalidArgument(f"batch {number} is more than 999999.")
        normalised = _entries(number, entries)
        digest = records.batch_sha256(normalised)
        existing = await state.get(ctx, records.ALLOCATION_BATCH, month, node, records.batch_attribute(number))
        if existing is not None:
            if existing["sha256"] == digest:
                return canonical_json.dumps({"submitted": False, "batch": existing})
            raise Conflict(
                f"batch {number} of node {node} for {month} was already submitted with other content "
                f"(sha256 {existing['sha256']})."
            )
        await refuse_node_settled(ctx, month, node, "allocations")
        await refuse_sealed(ctx, month, node, "allocations")
        policy = await lookups.policy_for(ctx, month)
        share = policy.artist_share_micro
        allocations, artists = [], {}
        for listener, pairs in normalised:
            subscription = await state.get(ctx, records.SUBSCRIPTION, month, node, listener)
            if subscription is None or subscription["status"] not in rules.COUNTED:
                raise InvalidArgument(
                    f"listener {listener} has no paid subscription for {month} at node {node}; "
                    "unsubscribed plays count for nothing."
                )
            earlier = await state.get(ctx, records.ALLOCATION, month, node, listener)
            if earlier is not None:
                raise Conflict(
                    f"listener {listener} is already allocated for {month} at node {node} in batch {earlier['batch']}."
                )
            allocated = rules.allocate(pairs, policy.top_n, share)
            for artist, _, amount in allocated:
                artists[artist] = artists.get(artist, 0) + amount
            allocations.append((listener, {"artists": allocated, "batch": number}))
        total = share * len(allocations)
        if sum(artists.values()) != total:
            raise Conflict(f"batch {number} allocates {sum(artists.values())}, not {total}; it does not balance.")
        record = {"artists": dict(sorted(artists.items())), "batch": number, "listeners": len(allocations),
                  "month": month, "node": node, "sha256": digest, "total_micro": total}
        for listener, allocation in allocations:
            await state.put(ctx, allocation, records.ALLOCATION, month, node, listener)
        await state.put(ctx, record, records.ALLOCATION_BATCH, month, node, records.batch_attribute(number))
        state.emit(ctx, "Allocations.SubmitBatch", {"batch": number, "listeners": len(allocations), "month": month,
                                                    "node": node, "sha256": digest, "total_micro": total})
        return canonical_json.dumps({"submitted": True, "batch": record})

    async def Seal(self, ctx: LedgerContext, month: str, node: str, merkle_root: str, batches: str) -> str:
        """Seal a node's month: batches 1..N all present and the Merkle root of its allocations;
        the first seal assigns its reviewers; the same seal again is a no-op (node admin)."""
        mine = await node_admin(ctx, node)
        validate.month(month)
        root = validate.sha256("merkle root", merkle_root)
        count = validate.count("batches", batches)
        existing = await state.get(ctx, records.NODE_MONTH, month, node)
        if existing is not None and existing["status"] == "sealed":
            if existing["merkle_root"] == root and existing["batches"] == count:
                return canonical_json.dumps({"sealed": False, "nodemonth": existing})
            raise Conflict(
                f"node {node} already sealed {month} with {existing['batches']} batches "
                f"and merkle root {existing['merkle_root']}."
            )
        await refuse_node_settled(ctx, month, node, "allocations")
        batches_on_chain = await state.records(ctx, records.ALLOCATION_BATCH, month, node)
        found = [record["batch"] for record in batches_on_chain]
        if found != list(range(1, count + 1)):
            have = f"batches {', '.join(str(b) for b in found)}" if found else "no batches"
            want = f"batches 1..{count}" if count else "no batches"
            raise InvalidArgument(f"node {node} has submitted {have} for {month}, not {want}.")
        allocated = await _month_leaves(ctx, month, node)
        actual = merkle.root([leaf for _, _, leaf in allocated])
        if actual != root:
            raise InvalidArgument(f"merkle root {root} does not match the allocations on chain ({actual}).")
        listeners = sum(record["listeners"] for record in batches_on_chain)
        if listeners != len(allocated):
            raise Conflict(f"node {node}'s batches for {month} count {listeners} listeners, "
                           f"but {len(allocated)} are allocated.")
        nodemonth = {"batches": count, "listeners": listeners, "merkle_root": root, "month": month,
                     "node": node, "status": "sealed", "superseded": existing["superseded"] if existing else [],
                     "total_micro": sum(record["total_micro"] for record in batches_on_chain),
                     "version": existing["version"] + 1 if existing else 1}
        await state.put(ctx, nodemonth, records.NODE_MONTH, month, node)
        if await state.get(ctx, records.REVIEWERS, month, node) is None:
            picked = three_eyes.month_reviewers(month, mine, await lookups.active_nodes(ctx))
            await state.put(ctx, {**picked, "month": month, "node": node, "replaced": []},
                            records.REVIEWERS, month, node)
        state.emit(ctx, "Allocations.Seal", nodemonth)
        return canonical_json.dumps({"sealed": True, "nodemonth": nodemonth})

    async def Unseal(self, ctx: LedgerContext, month: str, node: str, reason: str) -> str:
        """Withdraw a node's seal of its month to correct it (its days, its batches): the seal is
        kept under ``superseded``; the month is reviewed again once sealed anew. Refused while a
        dispute is open on it; again is a no-op (node admin)."""
        await node_admin(ctx, node)
        validate.month(month)
        if not validate.text("reason", reason).strip():
            raise InvalidArgument(f"unsealing node {node}'s {month} needs a reason.")
        existing = await state.must_get(ctx, f"node {node} has not sealed {month}.", records.NODE_MONTH, month, node)
        if existing["status"] != "sealed":
            return canonical_json.dumps({"unsealed": False, "nodemonth": existing})
        await refuse_node_settled(ctx, month, node, "allocations")
        open_id = await state.get(ctx, records.OPEN_DISPUTE, month, node)
        if open_id is not None:
            raise Conflict(f"dispute {open_id} is open on node {node}'s {month}; it can be unsealed once "
                           "the dispute is resolved.")
        withdrawn = {name: existing[name] for name in ("batches", "listeners", "merkle_root", "total_micro", "version")}
        nodemonth = {**existing, "batches": 0, "listeners": 0, "merkle_root": "", "status": "unsealed",
                     "superseded": existing["superseded"] + [{**withdrawn, "reason": reason}], "total_micro": 0}
        await state.put(ctx, nodemonth, records.NODE_MONTH, month, node)
        state.emit(ctx, "Allocations.Unseal", {"month": month, "node": node, "reason": reason,
                                               "version": existing["version"]})
        return canonical_json.dumps({"unsealed": True, "nodemonth": nodemonth})

    async def Withdraw(self, ctx: LedgerContext, month: str, node: str, first_batch: str) -> str:
        """Withdraw a node's unsealed batches from ``first_batch`` on, with their allocations, so
        they can be submitted again (a reconciliation resumed after a crash or a late day); with
        none to withdraw it is a no-op (node admin)."""
        await node_admin(ctx, node)
        validate.month(month)
        first = validate.count("first_batch", first_batch, 1)
        await refuse_node_settled(ctx, month, node, "allocations")
        await refuse_sealed(ctx, month, node, "batches")
        withdrawn = [b for b in await state.records(ctx, records.ALLOCATION_BATCH, month, node) if b["batch"] >= first]
        if withdrawn:
            for attrs, allocation in await state.scan(ctx, records.ALLOCATION, month, node):
                if allocation["batch"] >= first:
                    await state.delete(ctx, records.ALLOCATION, month, node, attrs[-1])
            for batch in withdrawn:
                await state.delete(ctx, records.ALLOCATION_BATCH, month, node, records.batch_attribute(batch["batch"]))
            state.emit(ctx, "Allocations.Withdraw", {"batches": [b["batch"] for b in withdrawn], "month": month,
                                                     "node": node})
        return canonical_json.dumps({"withdrawn": [b["batch"] for b in withdrawn],
                                     "listeners": sum(b["listeners"] for b in withdrawn)})

    async def GetAllocation(self, ctx: LedgerContext, month: str, node: str, listener: str) -> str:
        """One listener's allocation for a month at a node."""
        await guards.require_member(ctx)
        validate.month(month)
        validate.ident("node", node)
        validate.ident("listener", listener)
        record = await state.must_get(ctx, f"listener {listener} has no allocation for {month} at node {node}.", records.ALLOCATION, month, node, listener)
        return canonical_json.dumps(record)

    async def GetProof(self, ctx: LedgerContext, month: str, node: str, listener: str) -> str:
        """One listener's allocation in a sealed month with its Merkle audit path, computed from the
        month's allocations on chain: {"allocation", "index", "leaves", "merkle_root" (the sealed
        root), "path": [[side, sibling], ...], "subscription"}; allocation, index and path are null
        for a listener without an allocation."""
        await guards.require_member(ctx)
        validate.month(month)
        validate.ident("node", node)
        validate.ident("listener", listener)
        sealed = await state.get(ctx, records.NODE_MONTH, month, node)
        if sealed is None or sealed["status"] != "sealed":
            raise NotFound(f"node {node} has not sealed {month}; there is no root to prove against.")
        allocated = await _month_leaves(ctx, month, node)
        index = next((i for i, (who, _, _) in enumerate(allocated) if who == listener), None)
        path = None if index is None else [list(step) for step in merkle.proof([leaf for *_, leaf in allocated], index)]
        return canonical_json.dumps({"allocation": None if index is None else allocated[index][1], "index": index,
                                "leaves": len(allocated), "merkle_root": sealed["merkle_root"], "path": path,
                                "subscription": await state.get(ctx, records.SUBSCRIPTION, month, node, listener)})

    async def GetNodeMonth(self, ctx: LedgerContext, month: str, node: str) -> str:
        """A node's sealed month."""
        await guards.require_member(ctx)
        validate.month(month)
        validate.ident("node", node)
        record = await state.must_get(ctx, f"node {node} has not sealed {month}.", records.NODE_MONTH, month, node)
        return canonical_json.dumps(record)

    async def ListBatches(self, ctx: LedgerContext, month: str, node: str) -> str:
        """A node's batches of a month, by number."""
        await guards.require_member(ctx)
        validate.month(month)
        validate.ident("node", node)
        return canonical_json.dumps(await state.records(ctx, records.ALLOCATION_BATCH, month, node))
