"""A month's money as pure functions (no ledger, no I/O), property-testable.

The Settlement contract gathers the month's records, calls :func:`settle_month` and writes what it
returns; a dispute resolved or an artist registered after settlement moves held money with
:func:`release`. Every function checks the money invariant before returning:

    income = node operator shares + artist payouts + unallocated + held

for the month and for every node's part of it; a month that does not balance raises Conflict.
What counts, what each listener gives whom and where each amount goes are the payout rule
(:mod:`chaincode.rules`); what a dispute covers is its scope (:mod:`chaincode.scope`). A node whose
month is not sealed contributes no allocations (its subscribed listeners are all unallocated),
unless its part is pending (:mod:`chaincode.readiness`): then its whole artist share is held for
it, and :func:`settle_node` settles that part later. Every amount is also kept per paying node
(``by_node``), so each node knows what it owes whom.
"""

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

from . import rules, scope
from .errors import Conflict

#: The month's totals the invariant is over.
TOTAL_NAMES = ("artists_micro", "held_micro", "income_micro", "node_operators_micro", "unallocated_micro")


@dataclass(frozen=True)
class DisputeView:
    """A dispute on a node's month as the settlement sees it: its id, its state ("open",
    "approve" or "reject") and its scope (:mod:`chaincode.scope`)."""

    id: str
    state: str
    scope: Mapping[str, Any]


@dataclass(frozen=True)
class NodeMonth:
    """One node's month as the settlement sees it.

    ``pending``: why the node's part waits ("" when it does not): its artist share is then held
    whole for the node. ``totals``: its allocations summed per artist; ``parts``: the
    allocations [[artist, weight, amount], ...] of every listener a dispute's scope names.
    """

    sealed: bool = False
    pending: str = ""
    allocated_listeners: frozenset = frozenset()
    totals: Mapping[str, int] = field(default_factory=dict)
    parts: Mapping[str, Sequence[Sequence]] = field(default_factory=dict)
    disputes: tuple = ()


def _add(target: dict, key: Any, amount: int) -> None:
    target[key] = target.get(key, 0) + amount


def _node_totals() -> dict[str, int]:
    return {"allocated_micro": 0, "artists_micro": 0, "held_micro": 0, "income_micro": 0,
            "node_share_micro": 0, "paid_subscriptions": 0, "rejected_micro": 0,
            "unallocated_listeners": 0, "unallocated_micro": 0}


def node_part(subscriptions: Iterable[Mapping[str, Any]], month: NodeMonth, registered: set[str],
              node_share_micro: int, artist_share_micro: int) -> dict[str, Any]:
    """One node's part of the month from its subscriptions and its month.

    Returns {"totals": {...}, "artists": {artist: amount}, "held": {(reason_key, artist): amount},
    "node_held": amount}: reason_key is the open dispute's id, or "unregistered"; ``node_held`` is
    the artist share held whole while the node's part is pending.
    """
    totals, subscribed = _node_totals(), set()
    for sub in subscriptions:
        if sub["status"] in rules.COUNTED:
            totals["income_micro"] += int(sub["amount_micro"])
            totals["paid_subscriptions"] += 1
            totals["node_share_micro"] += node_share_micro
            subscribed.add(sub["listener"])
    part = {"totals": totals, "artists": {}, "held": {}, "node_held": 0}
    if month.pending:
        part["node_held"] = artist_share_micro * len(subscribed)
        totals["held_micro"] += part["node_held"]
        return part
    allocated = month.allocated_listeners if month.sealed else frozenset()
    missing = subscribed - set(allocated)
    totals["unallocated_listeners"] = len(missing)
    totals["unallocated_micro"] += len(missing) * artist_share_micro
    if month.sealed:
        _route(part, month, registered)
    return part


def _route(part: dict[str, Any], month: NodeMonth, registered: set[str]) -> None:
    """Book each artist's allocated amount where :func:`chaincode.rules.destination` sends it:
    what a rejected dispute's scope covers, then what the open dispute's scope covers, then the rest."""
    totals = part["totals"]
    rejected = scope.union(scope.NONE, *(d.scope for d in month.disputes if d.state == "reject"))
    opened = [d for d in month.disputes if d.state == "open"]
    if len(opened) > 1:
        raise ValueError("a node's month has at most one open dispute")
    by_rejected = scope.covered(rejected, month.totals, month.parts)
    by_either = (scope.covered(scope.union(rejected, opened[0].scope), month.totals, month.parts)
                 if opened else by_rejected)
    for artist, amount in sorted(month.totals.items()):
        amount = int(amount)
        totals["allocated_micro"] += amount
        rejected_part = by_rejected.get(artist, 0)
        held_part = by_either.get(artist, 0) - rejected_part
        for state, share in (("reject", rejected_part), ("open", held_part),
                             ("", amount - rejected_part - held_part)):
            if share:
                _book(part, artist, share, rules.destination(state, artist in registered),
                      opened[0].id if opened else "")


def _book(part: dict[str, Any], artist: str, amount: int, where: str, dispute_id: str) -> None:
    totals = part["totals"]
    if where == rules.PAID:
        _add(part["artists"], artist, amount)
        totals["artists_micro"] += amount
    elif where == rules.REJECTED:
        totals["unallocated_micro"] += amount
        totals["rejected_micro"] += amount
    else:
        key = dispute_id if where == rules.HELD_DISPUTE else rules.HELD_UNREGISTERED
        _add(part["held"], (key, artist), amount)
        totals["held_micro"] += amount


def settle_month(subscriptions: Iterable[Mapping[str, Any]], nodes: Mapping[str, NodeMonth],
                 registered: Iterable[str], node_share_micro: int, artist_share_micro: int) -> dict[str, Any]:
    """The month's money by the default payout rule.

    ``subscriptions``: mappings with "node", "listener", "amount_micro", "status".
    ``nodes``: NodeMonth per node id (a node absent here has no sealed month).
    ``registered``: the registered artist ids.

    Returns {"totals": {...}, "nodes": {node: totals}, "artists": {artist: {node: amount}},
    "node_payouts": {node: amount}, "held": {(reason_key, artist): {"by_node", "dispute", "reason"}},
    "node_held": {node: amount}} where reason_key is the dispute id or "unregistered". Raises
    Conflict if it does not balance.
    """
    registered = set(registered)
    by_node: dict[str, list] = {}
    for sub in subscriptions:
        by_node.setdefault(sub["node"], []).append(sub)
    per_node, artists, held, node_held = {}, {}, {}, {}
    for node in sorted(set(by_node) | set(nodes)):
        part = node_part(by_node.get(node, []), nodes.get(node, NodeMonth()), registered,
                         node_share_micro, artist_share_micro)
        per_node[node] = part["totals"]
        for artist, amount in part["artists"].items():
            artists.setdefault(artist, {})[node] = amount
        for (key, artist), amount in part["held"].items():
            entry = held.setdefault((key, artist), {
                "by_node": {}, "dispute": "" if key == rules.HELD_UNREGISTERED else key,
                "reason": rules.HELD_UNREGISTERED if key == rules.HELD_UNREGISTERED else rules.HELD_FOR_DISPUTE})
            entry["by_node"][node] = amount
        if part["node_held"]:
            node_held[node] = part["node_held"]
    node_payouts = {n: t["node_share_micro"] for n, t in sorted(per_node.items()) if t["node_share_micro"]}
    result = {"totals": month_totals(per_node), "nodes": dict(sorted(per_node.items())),
              "artists": dict(sorted(artists.items())), "node_payouts": node_payouts,
              "held": dict(sorted(held.items())), "node_held": node_held}
    check_invariant(result["totals"], result["nodes"])
    return result


def settle_node(settlement: Mapping[str, Any], node: str, part: Mapping[str, Any],
                month: str = "the month") -> dict[str, Any]:
    """The settlement record after ``node``'s pending part is settled as ``part`` (a
    :func:`node_part` that is not pending): its whole held artist share leaves held for artists,
    unallocated, or held under a dispute or for an unregistered artist; ``released_micro`` counts
    what left held. Raises Conflict if the node's income changed or it would not balance."""
    old, new = settlement["nodes"].get(node), part["totals"]
    if old is None or part["node_held"]:
        raise ValueError(f"node {node}'s part of {month} is not pending, or the new part is")
    for name in ("income_micro", "node_share_micro", "paid_subscriptions"):
        if old[name] != new[name]:
            raise Conflict(f"node {node}'s {name} of {month} was {old[name]} at settlement, now {new[name]}.")
    record = {**settlement, "nodes": {n: dict(t) for n, t in settlement["nodes"].items()}}
    record["nodes"][node] = {**old, **new}
    record.update({k: v for k, v in month_totals(record["nodes"]).items() if k != "released_micro"})
    record["released_micro"] += old["held_micro"] - new["held_micro"]
    check_invariant({k: record[k] for k in TOTAL_NAMES}, record["nodes"], month)
    return record


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
    for name in TOTAL_NAMES:
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
    check_invariant({k: record[k] for k in TOTAL_NAMES}, record["nodes"], month)
    return record
