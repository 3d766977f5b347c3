"""A month's money as pure functions (no ledger, no I/O), property-testable.

The Settlement contract gathers the month's records, calls :func:`settle_month` and writes what it
returns; a dispute resolved or an artist registered after settlement moves held money with
:func:`release`. Every function checks the money invariant before returning:

    income = node operator shares + artist payouts + unallocated + held

for the month and for every node's part of it; a month that does not balance raises Conflict.
What counts, what each listener gives whom and where each amount goes are the payout rule
(:mod:`chaincode.rules`). A node whose month is not sealed contributes no allocations (its
subscribed listeners are all unallocated). Every amount is also kept per paying node
(``by_node``), so each node knows what it owes whom.
"""

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from . import rules
from .errors import Conflict


@dataclass(frozen=True)
class NodeMonth:
    """One node's sealed month as the settlement sees it.

    ``dispute`` is ("open" | "approve" | "reject" | "", dispute id or "").
    """

    sealed: bool = False
    allocated_listeners: frozenset = field(default_factory=frozenset)
    batches: tuple = ()  # each a mapping artist id -> amount_micro
    dispute: tuple = ("", "")


def _add(target: dict, key: str, amount: int) -> None:
    target[key] = target.get(key, 0) + amount


def _node_totals() -> dict[str, int]:
    return {"allocated_micro": 0, "artists_micro": 0, "held_micro": 0, "income_micro": 0,
            "node_share_micro": 0, "paid_subscriptions": 0, "rejected_micro": 0,
            "unallocated_listeners": 0, "unallocated_micro": 0}


def settle_month(subscriptions: Iterable[Mapping[str, Any]], nodes: Mapping[str, NodeMonth],
                 registered: Iterable[str], node_share_micro: int, artist_share_micro: int) -> dict[str, Any]:
    """The month's money by the default payout rule.

    ``subscriptions``: mappings with "node", "listener", "amount_micro", "status".
    ``nodes``: NodeMonth per node id (a node absent here has no sealed month).
    ``registered``: the registered artist ids.

    Returns {"totals": {...}, "nodes": {node: totals}, "artists": {artist: {node: amount}},
    "node_payouts": {node: amount}, "held": {(reason_key, artist): {"by_node", "dispute", "reason"}}}
    where reason_key is the dispute id or "unregistered". Raises Conflict if it does not balance.
    """
    registered = set(registered)
    per_node: dict[str, dict[str, int]] = {}
    subscribed: dict[str, set[str]] = {}
    for sub in subscriptions:
        if sub["status"] not in rules.COUNTED:
            continue
        node = sub["node"]
        totals = per_node.setdefault(node, _node_totals())
        totals["income_micro"] += int(sub["amount_micro"])
        totals["paid_subscriptions"] += 1
        totals["node_share_micro"] += node_share_micro
        subscribed.setdefault(node, set()).add(sub["listener"])
    artists: dict[str, dict[str, int]] = {}
    held: dict[tuple[str, str], dict[str, Any]] = {}
    for node in sorted(set(per_node) | set(nodes)):
        totals = per_node.setdefault(node, _node_totals())
        month = nodes.get(node, NodeMonth())
        allocated = month.allocated_listeners if month.sealed else frozenset()
        missing = subscribed.get(node, set()) - set(allocated)
        totals["unallocated_listeners"] = len(missing)
        totals["unallocated_micro"] += len(missing) * artist_share_micro
        if not month.sealed:
            continue
        for batch in month.batches:
            for artist, amount in sorted(batch.items()):
                amount = int(amount)
                totals["allocated_micro"] += amount
                if amount:
                    _route(totals, artists, held, node, artist, amount, month.dispute, artist in registered)
    node_payouts = {n: t["node_share_micro"] for n, t in sorted(per_node.items()) if t["node_share_micro"]}
    result = {"totals": month_totals(per_node), "nodes": dict(sorted(per_node.items())),
              "artists": dict(sorted(artists.items())), "node_payouts": node_payouts,
              "held": dict(sorted(held.items()))}
    check_invariant(result["totals"], result["nodes"])
    return result


def _route(totals: dict[str, int], artists: dict, held: dict, node: str, artist: str, amount: int,
           dispute: tuple[str, str], registered: bool) -> None:
    """Book one node's amount for an artist where :func:`chaincode.rules.destination` sends it."""
    status, dispute_id = dispute
    where = rules.destination(status, registered)
    if where == rules.PAID:
        _add(artists.setdefault(artist, {}), node, amount)
        totals["artists_micro"] += amount
    elif where == rules.REJECTED:
        totals["unallocated_micro"] += amount
        totals["rejected_micro"] += amount
    else:
        if where == rules.HELD_DISPUTE:
            key, reason = (dispute_id, artist), rules.HELD_FOR_DISPUTE
        else:
            key, reason, dispute_id = (rules.HELD_UNREGISTERED, artist), rules.HELD_UNREGISTERED, ""
        entry = held.setdefault(key, {"by_node": {}, "dispute": dispute_id, "reason": reason})
        _add(entry["by_node"], node, amount)
        totals["held_micro"] += amount


def month_totals(per_node: Mapping[str, Mapping[str, int]]) -> dict[str, int]:
    """The month's totals summed over its nodes."""
    def total(name: str) -> int:
        return sum(t[name] for t in per_node.values())
    return {"artists_micro": total("artists_micro"), "held_micro": total("held_micro"),
            "income_micro": total("income_micro"), "node_operators_micro": total("node_share_micro"),
            "rejected_micro": total("rejected_micro"), "released_micro": 0,
            "unallocated_micro": total("unallocated_micro")}


def check_invariant(totals: Mapping[str, int], per_node: Mapping[str, Mapping[str, int]],
                    month: str = "the month") -> None:
    """Conflict unless income = node operators + artists + unallocated + held, per node and in total."""
    for node, t in sorted(per_node.items()):
        parts = t["node_share_micro"] + t["artists_micro"] + t["unallocated_micro"] + t["held_micro"]
        if parts != t["income_micro"] or min(v for v in t.values() if isinstance(v, int)) < 0:
            raise Conflict(
                f"node {node}'s part of {month} does not balance: income {t['income_micro']} but node share "
                f"{t['node_share_micro']} + artists {t['artists_micro']} + unallocated "
                f"{t['unallocated_micro']} + held {t['held_micro']} = {parts}; the month stays open.")
    parts = (totals["node_operators_micro"] + totals["artists_micro"] + totals["unallocated_micro"]
             + totals["held_micro"])
    if parts != totals["income_micro"] or min(v for v in totals.values() if isinstance(v, int)) < 0:
        raise Conflict(
            f"{month} does not balance: income {totals['income_micro']} but node operators "
            f"{totals['node_operators_micro']} + artists {totals['artists_micro']} + unallocated "
            f"{totals['unallocated_micro']} + held {totals['held_micro']} = {parts}; the month stays open.")
    expected = month_totals(per_node)
    for name in ("artists_micro", "held_micro", "income_micro", "node_operators_micro", "unallocated_micro"):
        if expected[name] != totals[name]:
            raise Conflict(f"{month}'s {name} {totals[name]} is not the sum {expected[name]} of its nodes.")


def release(settlement: Mapping[str, Any], by_node: Mapping[str, int], to: str,
            month: str = "the month") -> dict[str, Any]:
    """The settlement record after moving held money ``by_node`` to ``to``.

    ``to`` is "artists" (paid out: a dispute approved, or the artist registered) or "unallocated"
    (a dispute rejected). Held decreases by the same amount, per node and in total, and
    ``released_micro`` counts what left held. Returns a new record; raises Conflict if it would not
    balance (for example more released than held).
    """
    if to not in ("artists", "unallocated"):
        raise ValueError(f"release target {to!r} is not artists or unallocated")
    record = {**settlement, "nodes": {n: dict(t) for n, t in settlement["nodes"].items()}}
    moved = 0
    for node, amount in sorted(by_node.items()):
        amount = int(amount)
        if node not in record["nodes"] or amount < 0:
            raise Conflict(f"node {node} holds nothing in the settlement of {month} to release.")
        totals = record["nodes"][node]
        totals["held_micro"] -= amount
        totals[f"{to}_micro"] += amount
        if to == "unallocated":
            totals["rejected_micro"] += amount
        moved += amount
    record["held_micro"] -= moved
    record[f"{to}_micro"] += moved
    if to == "unallocated":
        record["rejected_micro"] += moved
    record["released_micro"] += moved
    check_invariant({k: record[k] for k in ("artists_micro", "held_micro", "income_micro",
                                            "node_operators_micro", "unallocated_micro")},
                    record["nodes"], month)
    return record
