"""``ledger verify`` on the embedded ledger: every block re-executed against the state replayed so far.

A block is what its signed proposal does: the proposal (function, arguments, creator, nonce,
transaction id and timestamp) is covered by the creator's signature, so re-running it against the
state replayed from the blocks before it must give the block's read set, writes, response and
event. Editing a block's writes, or the state, or a block's transaction id or timestamp (which the
key history shows), therefore fails here even with every hash recomputed; forging a block needs a
member's signing key. What re-walking one copy cannot see is a block removed from the end with its
writes: compare the head (height and hash) with another copy for that.
"""

from itertools import zip_longest
from typing import Any, Callable, Iterable

from chaincode import canonical_json

from ..client import ChainCheck
from ..errors import LedgerRejected
from .store import BlockStore, block_hash, genesis_hash
from .stub import RESULT

Execute = Callable[..., Any]


def verify_chain(store: BlockStore, execute: Execute) -> ChainCheck:
    """Check the links and hashes of every block, re-execute each against a replayed state (an
    in-memory store) and compare, then compare the world state and key history with the replay.

    ``execute(proposal, signature, store, at_ns)`` runs a signed proposal as the ledger does."""
    roots = store.roots()
    replay = BlockStore(":memory:")
    for msp_id, pem in roots.items():
        replay.add_msp(msp_id, pem)
    problems: list[str] = []
    previous, height = genesis_hash(roots), 0
    for number, prev_hash, stored_hash, txid, timestamp_ns, text in store.blocks():
        if number != height:
            problems.append(f"block {number}: expected number {height}.")
        if prev_hash != previous:
            linked = "the genesis hash of the ledger's organisations" if height == 0 else f"block {height - 1}'s hash"
            problems.append(f"block {number}: prev_hash does not match {linked}.")
        if block_hash(number, prev_hash, text) != stored_hash:
            problems.append(f"block {number}: hash does not match its content.")
        problems += [f"block {number}: {problem}"
                     for problem in _replay_block(replay, execute, height, txid, timestamp_ns, text)]
        previous, height = stored_hash, height + 1
    problems += _compare("world state", store.state_items(), replay.state_items())
    problems += _compare("key history", store.history_rows(), replay.history_rows())
    replay.close()
    return ChainCheck(height, previous, problems)


def _replay_block(replay: BlockStore, execute: Execute, number: int, txid: str, timestamp_ns: int,
                  text: str) -> list[str]:
    """Re-execute one block's proposal on ``replay`` and commit what it yields there (an empty
    block when it cannot run); every problem found."""
    try:
        body = canonical_json.loads(text)
        malformed = _malformed(body)
    except ValueError as exc:
        malformed = f"its body is not canonical JSON ({exc})"
    if malformed is not None:
        replay.commit({"timestamp_ns": timestamp_ns, "txid": f"(block {number}: not replayed)"}, {})
        return [malformed + "."]
    proposal = body["proposal"]
    problems = _unsigned(body, number, txid, timestamp_ns)
    signed = {"proposal": proposal, "signature": body["signature"], "timestamp_ns": proposal["timestamp_ns"],
              "txid": proposal["txid"]}
    try:
        stub, payload = execute(proposal, bytes.fromhex(body["signature"]), replay, proposal["timestamp_ns"])
    except (LedgerRejected, ValueError) as exc:
        replay.commit({"timestamp_ns": timestamp_ns, "txid": f"(block {number}: refused)"}, {})
        reason = exc.message if isinstance(exc, LedgerRejected) else f"its signature is not hex ({exc})"
        return problems + [f"running its signed proposal ({proposal['function']}) again is refused: {reason}"]
    redone = stub.result(payload)
    replay.commit({**signed, **redone}, stub.writes)
    differing = [part for part in RESULT if redone[part] != body[part]]
    if differing:
        detail = _first_write_difference(redone["writes"], body["writes"]) if "writes" in differing else ""
        problems.append(f"its recorded {', '.join(differing)} differ from what running its signed proposal "
                        f"({proposal['function']}) again gives{detail}.")
    return problems


def _malformed(body: Any) -> str | None:
    """Why a parsed block body is not a transaction, or None."""
    expected = {"proposal": dict, "signature": str, "timestamp_ns": int, "txid": str, "number": int,
                "event": (dict, type(None)), "reads": dict, "response": str, "writes": list}
    if not isinstance(body, dict):
        return "its body is not a JSON object"
    for name, kind in expected.items():
        if not isinstance(body.get(name), kind):
            return f"its body has no valid {name}"
    proposal = body["proposal"]
    shape = {"args": list, "creator": dict, "function": str, "nonce": str, "timestamp_ns": int, "txid": str}
    for name, kind in shape.items():
        if not isinstance(proposal.get(name), kind):
            return f"its proposal has no valid {name}"
    creator = proposal["creator"]
    if not (isinstance(creator.get("cert"), str) and isinstance(creator.get("msp_id"), str)
            and all(isinstance(a, str) for a in proposal["args"])):
        return "its proposal has no valid creator or arguments"
    return None


def _unsigned(body: dict[str, Any], number: int, txid: str, timestamp_ns: int) -> list[str]:
    """Where a block's number, transaction id or timestamp differ from its signed proposal's."""
    proposal, found = body["proposal"], []
    if body["number"] != number:
        found.append(f"its body says number {body['number']}.")
    if not body["txid"] == txid == proposal["txid"]:
        found.append(f"its transaction id ({txid} in the block log, {body['txid']} in its body) is not the "
                     f"one its signed proposal carries ({proposal['txid']}).")
    if not body["timestamp_ns"] == timestamp_ns == proposal["timestamp_ns"]:
        found.append(f"its timestamp ({timestamp_ns} in the block log, {body['timestamp_ns']} in its body) is "
                     f"not the one its signed proposal carries ({proposal['timestamp_ns']}).")
    return found


def _first_write_difference(redone: list, recorded: list) -> str:
    have, want = dict(map(tuple, recorded)), dict(map(tuple, redone))
    for key in sorted(set(have) | set(want)):
        if have.get(key, "(no write)") != want.get(key, "(no write)"):
            return f" (first differing write: key {key!r})"
    return ""


def _compare(what: str, stored: Iterable[tuple], replayed: Iterable[tuple]) -> list[str]:
    """A problem naming the first differing entry when two ordered sequences of rows differ."""
    for have, want in zip_longest(stored, replayed):
        if have != want:
            first = (have or want)[:2] if what == "key history" else (have or want)[0]
            return [f"the {what} differs from the one replayed from the blocks (first at {first!r})."]
    return []
