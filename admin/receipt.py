"""A listener's receipt: where their month's artist share went — paid, held (under which dispute,
or for what), or rejected — and the Merkle proof that their allocation is a leaf of the root their
node sealed on chain.

A receipt (the JSON form) holds the listener's pseudonym, never the raw id, so it can be handed to
a third party, who checks it with ``nineten receipt --verify FILE`` against the chain.
"""

import json
from pathlib import Path
from typing import Any

from chaincode import merkle, rules, scope
from chaincode.contracts.allocations import Allocations
from chaincode.contracts.registry import Registry
from chaincode.contracts.reviews import Reviews
from chaincode.contracts.settlement import Settlement
from chaincode.money import format_micro

from .errors import InputError, NotFoundRejected
from .pseudonym import pseudonym
from .session import Session

RULE = ("leaf = SHA-256(0x00 || canonical JSON {\"artists\": [[artist_id, seconds], ...], \"listener\": "
        "pseudonym}), artists as listed; parent = SHA-256(0x01 || left || right), an odd last node "
        "carried up unchanged; each proof step is [side of the sibling, sibling hex], bottom up")
_FIELDS = {"month": str, "node": str, "listener": str, "artists": list, "leaf": str, "proof": list,
           "merkle_root": str}


def listener_receipt(session: Session, listener_id: str, month: str, node: str) -> dict[str, Any]:
    """The receipt of raw ``listener_id`` at ``node`` for ``month``: pseudonymised here with the
    node's secret, proven from the chain's allocations against the sealed root."""
    secret = session.config.secret(node)
    try:
        listener = pseudonym(secret, month, listener_id)
    except ValueError as exc:
        raise InputError(str(exc), field="--month") from None
    answer = session.reader().evaluate(Allocations.GetProof, month, node, listener)
    if answer["allocation"] is None:
        raise InputError(_not_allocated(listener_id, listener, month, node, answer["subscription"]))
    artists = answer["allocation"]["artists"]
    leaf = merkle.leaf(listener, [[a, w] for a, w, _ in artists])
    fates = allocation_status(session, month, node, listener, [a for a, _, _ in artists])
    return {"month": month, "node": node, "listener": listener,
            "artists": [{"artist_id": a, "seconds": w, "amount_micro": m, "amount": format_micro(m), "status": f}
                        for (a, w, m), f in zip(artists, fates)],
            "artist_share_micro": sum(m for _, _, m in artists),
            "summary": _summary([(m, f) for (_, _, m), f in zip(artists, fates)]),
            "leaf": leaf.hex(), "index": answer["index"], "leaves": answer["leaves"],
            "proof": answer["path"], "merkle_root": answer["merkle_root"],
            "verified": merkle.verify(leaf, answer["path"], answer["merkle_root"]), "rule": RULE}


def allocation_status(session: Session, month: str, node: str, listener: str, artists: list[str]) -> list[str]:
    """Where ``listener``'s amount for each of ``artists`` stands now, in a phrase: "not settled
    yet", "paid", "held under dispute X (open)", "rejected by dispute X: to unallocated", "held
    until the artist is registered and released", or held with the node's whole part (and why)."""
    reader = session.reader()
    try:
        settlement = reader.evaluate(Settlement.GetSettlement, month)
    except NotFoundRejected:
        return ["not settled yet"] * len(artists)
    pending = settlement["nodes"].get(node, {}).get("pending")
    if pending:
        return [f"held with node {node}'s whole part ({pending})"] * len(artists)
    version = reader.evaluate(Allocations.GetNodeMonth, month, node)["version"]
    disputes = [{**d, "scope": scope.in_force(d["scope"], d["resolution"] == "reject", d["version"], version)}
                for d in reader.evaluate(Reviews.ListDisputes, month) if d["node"] == node]
    unregistered = {h["artist"]: h["status"] for h in reader.evaluate(Settlement.ListHeld, month)
                    if h["reason"] == rules.HELD_UNREGISTERED}
    fates = []
    for artist in artists:
        covering = {("open" if d["status"] == "open" else d["resolution"]): d["id"]
                    for d in disputes if scope.covers(d["scope"], listener, artist)}
        state = rules.dispute_state(covering)
        held = unregistered.get(artist)  # released: to the artist, or to the artist with its name
        where = rules.destination(state, held == "released" or held is None and _registered(reader, artist))
        fates.append({rules.PAID: "paid",
                      rules.REJECTED: f"rejected by dispute {covering.get('reject')}: to unallocated",
                      rules.HELD_DISPUTE: f"held under dispute {covering.get('open')} (open)",
                      rules.HELD_ARTIST: "held until the artist is registered and released"}[where])
    return fates


def _registered(reader, artist: str) -> bool:
    try:
        reader.evaluate(Registry.GetArtist, artist)
    except NotFoundRejected:
        return False
    return True


def _summary(parts: list[tuple[int, str]]) -> str:
    """Each status with the amount it holds: "9.000000 paid"."""
    totals: dict[str, int] = {}
    for amount, fate in parts:
        totals[fate] = totals.get(fate, 0) + amount
    return "; ".join(f"{format_micro(amount)} {fate}" for fate, amount in totals.items())


def _not_allocated(listener_id: str, listener: str, month: str, node: str,
                   subscription: dict[str, Any] | None) -> str:
    who = f"listener {listener_id} (pseudonym {listener})"
    if subscription is None:
        return f"{who} has no subscription for {month} at node {node}; check the id, month and node."
    return (f"{who} has a {subscription['status']} subscription for {month} at node {node} but no "
            f"counted play: the artist share went to unallocated, so there is no allocation to prove.")


def read_receipt(path: Path) -> dict[str, Any]:
    """A saved receipt (the JSON of ``nineten --format json receipt``), its fields checked."""
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"not a receipt JSON file: {exc}", str(path)) from None
    if not isinstance(data, dict):
        raise InputError("not a receipt: expected a JSON object", str(path))
    for name, kind in _FIELDS.items():
        if not isinstance(data.get(name), kind):
            raise InputError(f"is missing or not a JSON {kind.__name__}", str(path), field=name)
    for number, step in enumerate(data["proof"], 1):
        if not (isinstance(step, list) and len(step) == 2 and step[0] in ("left", "right")
                and _is_hash(step[1])):
            raise InputError("is not [\"left\"|\"right\", 64 hex digits]", str(path), field=f"proof[{number}]")
    for number, entry in enumerate(data["artists"], 1):
        if not (isinstance(entry, dict) and isinstance(entry.get("artist_id"), str)
                and _is_int(entry.get("seconds")) and _is_int(entry.get("amount_micro"))):
            raise InputError("is not {\"artist_id\": text, \"seconds\": int, \"amount_micro\": int}",
                             str(path), field=f"artists[{number}]")
    return data


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_hash(value: Any) -> bool:
    try:
        return isinstance(value, str) and len(bytes.fromhex(value)) == 32
    except ValueError:
        return False


def check_receipt(session: Session, receipt: dict[str, Any]) -> list[str]:
    """What does not match in a saved receipt: its own proof, then the chain's sealed root and
    allocation. An empty list means verified."""
    listener, month, node = receipt["listener"], receipt["month"], receipt["node"]
    leaf = merkle.leaf(listener, [[e["artist_id"], e["seconds"]] for e in receipt["artists"]])
    problems = []
    if leaf.hex() != receipt["leaf"]:
        problems.append(f"leaf {receipt['leaf']} is not the hash of the receipt's artists ({leaf.hex()})")
    if not merkle.verify(leaf, receipt["proof"], receipt["merkle_root"]):
        problems.append(f"the proof does not lead from the leaf to the root {receipt['merkle_root']}")
    chain = session.reader().evaluate(Allocations.GetProof, month, node, listener)
    if chain["merkle_root"] != receipt["merkle_root"]:
        problems.append(f"node {node} sealed {month} with root {chain['merkle_root']}, "
                        f"not {receipt['merkle_root']}")
    held = [[e["artist_id"], e["seconds"], e["amount_micro"]] for e in receipt["artists"]]
    if chain["allocation"] is None:
        problems.append(f"listener {listener} has no allocation on chain for {month} at node {node}")
    elif chain["allocation"]["artists"] != held:
        problems.append(f"the chain allocates {_parts(chain['allocation']['artists'])}, "
                        f"the receipt says {_parts(held)}")
    return problems


def _parts(artists: list[list]) -> str:
    return ", ".join(f"{a} {w} s {format_micro(m)}" for a, w, m in artists)
