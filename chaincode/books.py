"""The money across months, as pure functions: artist balances, the minimum payout, split sheets,
each node's waiting money, unclaimed money, adjustments, and the books' identity.

Every month's settlement closes the books of that month (:func:`close`), in this order:

1. The stocks before it (:class:`Opening`): each artist's balance (carried), what is held
   (under disputes, for unregistered artists, for pending nodes) and each node's *waiting* money:
   unallocated and unclaimed money the node holds until a settlement sends it where the policy says.
2. Adjustments (:class:`Claim`) approved since the previous settlement claim money back, each only
   from what the adjusted node itself owes: its own node payout of this month (a chargeback's node
   share), its waiting unallocated money (the part of a charged-back subscription that paid no
   artist), and its part of each artist's balance once this month's credits are in (what the
   subscription or the fraudulent plays paid that artist). Never below zero: what a claim does not
   find is a loss, reported. What a chargeback recovers stays with the node that refunded the
   listener (``refunded``); what a fraud adjustment recovers is that node's unallocated money.
3. Each node's waiting money goes where the policy says: to the consortium wallet (instructed
   now), or to the node's artist pool, split among the artists the node pays this month in
   proportion to what it pays them (floor, then largest remainder, ties by artist id); a node that
   pays no artist this month keeps it waiting.
4. Each artist's balance is its carried balance plus this month's earnings and pool credits, less
   what claims recovered; when it is positive and at least the policy's minimum payout it is
   instructed whole (and split by the artist's split sheet: floor, then largest remainder, ties
   by payee), else carried. Node operators are paid every month.
5. This month's unallocated money (and what fraud adjustments recovered) and the unregistered
   holds that became unclaimed go where the policy says: to the consortium wallet now, or to the
   node's waiting money for its next settlement.

Every amount is kept per node (the node that collected it owes it), and the books balance per node
and in total: opening stocks + income = node payouts + instructed + consortium wallet + refunded
+ closing stocks. Between settlements money only moves between stocks (releases), so the year
balances too: income = node shares + instructed + carried + held + unallocated + unclaimed +
refunded, where carried, held and waiting are what the stocks hold now (:func:`year`).
"""

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

from . import rules
from .errors import Conflict

ByNode = Mapping[str, int]
WAITING_PARTS = ("unallocated_micro", "unclaimed_micro")
#: What an artist's month record (:data:`chaincode.records.PAYOUT`, kind "artist") says of its balance.
ACCOUNT_PARTS = ("carried_in", "earned", "pool", "recovered", "carried_out")
#: The books of one settlement: stocks before and after, and the flows of the settlement.
FLOWS = ("income_micro", "node_shares_micro", "instructed_micro", "wallet_unallocated_micro",
         "wallet_unclaimed_micro", "refunded_micro")
STOCKS = ("carried_micro", "held_micro", "waiting_unallocated_micro", "waiting_unclaimed_micro")


@dataclass(frozen=True)
class Claim:
    """An adjustment's claim at a settlement: from node ``node``'s payout (``node_share_micro``),
    from its part of each artist's balance (``artists``), from its waiting unallocated money
    (``waiting_micro``). ``kind`` "chargeback" (recovered money stays with the node, refunded) or
    "fraud" (recovered money is the node's unallocated money)."""

    id: str
    kind: str
    node: str
    node_share_micro: int = 0
    artists: Mapping[str, int] = field(default_factory=dict)
    waiting_micro: int = 0


@dataclass(frozen=True)
class Opening:
    """The stocks before a settlement: balances {artist: {node: amount}}, waiting {node:
    {"unallocated_micro", "unclaimed_micro"}}, held {node: amount} (every hold still held)."""

    balances: Mapping[str, ByNode] = field(default_factory=dict)
    waiting: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    held: ByNode = field(default_factory=dict)


def _add(target: dict, key: str, amount: int) -> None:
    if amount:
        target[key] = target.get(key, 0) + amount


def _total(by_node: ByNode) -> int:
    return sum(by_node.values())


def northwest(rows: Sequence[tuple[str, int]], columns: Sequence[tuple[str, int]]) -> dict[str, dict[str, int]]:
    """An exact table {row: {column: amount}} whose rows and columns sum to the given totals (which
    must sum to the same), filled in order: each row takes from the columns in order."""
    if sum(a for _, a in rows) != sum(a for _, a in columns):
        raise ValueError("rows and columns of a table must sum to the same total")
    table: dict[str, dict[str, int]] = {}
    left = [[key, amount] for key, amount in columns]
    position = 0
    for row, need in rows:
        cells: dict[str, int] = {}
        while need:
            while not left[position][1]:
                position += 1
            take = min(need, left[position][1])
            cells[left[position][0]] = take
            left[position][1] -= take
            need -= take
        table[row] = cells
    return table


def split_payout(by_node: ByNode, sheet: Sequence[Sequence]) -> list[dict[str, Any]]:
    """An instructed balance split by a split sheet [[payee, basis points], ...] (summing to
    10,000): each payee's amount is floor, then one micro-unit each by largest remainder, ties by
    payee id; which node pays which payee is filled in order (nodes and payees by id)."""
    total = _total(by_node)
    amounts = rules.split(total, [(payee, bp) for payee, bp in sheet])
    payees = sorted(amounts)
    table = northwest([(p, amounts[p]) for p in payees], sorted((n, a) for n, a in by_node.items() if a))
    shares = dict((payee, bp) for payee, bp in sheet)
    return [{"amount_micro": amounts[p], "bp": shares[p], "by_node": dict(sorted(table[p].items())), "payee": p}
            for p in payees]


def _take(balance: dict[str, int], node: str, want: int) -> int:
    """Take up to ``want`` from ``node``'s part of a balance; what was taken."""
    taken = min(want, balance.get(node, 0))
    if taken:
        balance[node] -= taken
    return taken


class _Settling:
    """The books of one settlement being closed: the stocks as they move, step by step."""

    def __init__(self, month: Mapping[str, Any], opening: Opening, policy: rules.Policy) -> None:
        self.month, self.policy, self.settings = month, policy, policy.payouts
        self.node_payouts = dict(month["node_payouts"])
        self.waiting = {n: {p: int(w.get(p, 0)) for p in WAITING_PARTS} for n, w in opening.waiting.items()}
        self.balances = {a: {n: v for n, v in b.items() if v} for a, b in opening.balances.items()}
        self.accounts: dict[str, dict[str, dict[str, int]]] = {}
        self.wallet: dict[str, dict[str, int]] = {"unallocated": {}, "unclaimed": {}}
        self.refunded: dict[str, int] = {}
        self.instructions: dict[str, dict[str, Any]] = {}
        for artist, by_node in sorted(self.balances.items()):
            if by_node:
                self.account(artist)["carried_in"].update(by_node)

    def account(self, artist: str) -> dict[str, dict[str, int]]:
        return self.accounts.setdefault(artist, {part: {} for part in ACCOUNT_PARTS})

    def claim_payouts_and_waiting(self, claim: Claim, got: dict[str, Any]) -> None:
        """A claim on its node's payout and waiting unallocated money, before they move."""
        got["node_share_micro"] = min(claim.node_share_micro, self.node_payouts.get(claim.node, 0))
        _add(self.node_payouts, claim.node, -got["node_share_micro"])
        got["waiting_micro"] = min(claim.waiting_micro, self.waiting.get(claim.node, {}).get("unallocated_micro", 0))
        if got["waiting_micro"]:
            self.waiting[claim.node]["unallocated_micro"] -= got["waiting_micro"]

    def dispose_waiting(self) -> None:
        """Each node's waiting money to the consortium wallet, or split into its artist pool among
        the artists it pays this month (kept waiting when it pays none)."""
        earned = self.month["artists"]
        for node, parts in sorted(self.waiting.items()):
            for part in WAITING_PARTS:
                if _destination(self.settings, part) == "wallet" and parts[part]:
                    _add(self.wallet[part[:-6]], node, parts[part])
                    parts[part] = 0
            pooled = [part for part in WAITING_PARTS if parts[part]]
            paid_here = sorted((a, by[node]) for a, by in earned.items() if by.get(node))
            if pooled and paid_here:
                for artist, amount in rules.split(sum(parts[p] for p in pooled), paid_here).items():
                    _add(self.account(artist)["pool"], node, amount)
                for part in pooled:
                    parts[part] = 0

    def credit(self) -> None:
        """This month's earnings and pool credits into the balances."""
        for artist, by_node in self.month["artists"].items():
            self.account(artist)["earned"].update({n: a for n, a in by_node.items() if a})
        for artist, acc in self.accounts.items():
            balance = self.balances.setdefault(artist, {})
            for part in ("earned", "pool"):
                for node, amount in acc[part].items():
                    _add(balance, node, amount)

    def claim_balances(self, claim: Claim, got: dict[str, Any]) -> int:
        """A claim on its node's part of each artist's balance; all it recovered."""
        for artist, want in sorted(claim.artists.items()):
            taken = _take(self.balances.get(artist, {}), claim.node, want)
            if taken:
                got["artists"][artist] = taken
                _add(self.account(artist)["recovered"], claim.node, taken)
        return got["node_share_micro"] + got["waiting_micro"] + _total(got["artists"])

    def instruct(self, sheets: Mapping[str, Sequence[Sequence]]) -> None:
        """Each balance instructed whole (split by its sheet) when payable, else carried."""
        for artist in sorted(self.accounts):
            balance = {n: a for n, a in sorted(self.balances.get(artist, {}).items()) if a}
            if rules.payable(_total(balance), self.policy.min_payout_micro):
                sheet = sheets.get(artist) or []
                self.instructions[artist] = {"amount_micro": _total(balance), "by_node": balance,
                                             "splits": split_payout(balance, sheet) if sheet else []}
            else:
                self.accounts[artist]["carried_out"] = dict(balance)

    def arrive(self, part: str, by_node: ByNode) -> None:
        """New unallocated or unclaimed money to the consortium wallet now, or to the nodes' waiting money."""
        for node, amount in sorted(by_node.items()):
            if amount and _destination(self.settings, part) == "wallet":
                _add(self.wallet[part[:-6]], node, amount)
            elif amount:
                self.waiting.setdefault(node, {p: 0 for p in WAITING_PARTS})[part] += amount


def close(month: Mapping[str, Any], opening: Opening, expired: ByNode, claims: Iterable[Claim],
          sheets: Mapping[str, Sequence[Sequence]], policy: rules.Policy, label: str = "the month") -> dict[str, Any]:
    """The books of a month's settlement (see the module docstring for the order).

    ``month``: :func:`chaincode.settle.settle_month`'s result (its "artists" earned {artist: {node:
    amount}}, "nodes" totals, "node_payouts"); ``expired``: unregistered holds that are unclaimed at
    this settlement, per node; ``sheets``: the split sheet in force per artist; ``label`` names the
    month in a refusal.

    Returns {"accounts", "instructions", "node_payouts", "wallet", "waiting", "claims", "refunded",
    "books"}; raises Conflict when the books do not balance.
    """
    books = _Settling(month, opening, policy)
    claims = sorted(claims, key=lambda c: c.id)
    recovered = {c.id: {"artists": {}, "node_share_micro": 0, "waiting_micro": 0} for c in claims}
    for claim in claims:
        books.claim_payouts_and_waiting(claim, recovered[claim.id])
    books.dispose_waiting()
    books.credit()
    fraud_recovered: dict[str, int] = {}
    for claim in claims:
        total = books.claim_balances(claim, recovered[claim.id])
        _add(books.refunded if claim.kind == "chargeback" else fraud_recovered, claim.node, total)
    books.instruct(sheets)
    unallocated = {n: t["unallocated_micro"] for n, t in month["nodes"].items() if t["unallocated_micro"]}
    books.arrive("unallocated_micro", _merge(unallocated, fraud_recovered))
    books.arrive("unclaimed_micro", expired)
    claimed = {}
    for c in claims:
        got = recovered[c.id]
        claimed[c.id] = {"claimed_micro": c.node_share_micro + c.waiting_micro + _total(c.artists), "kind": c.kind,
                         "node": c.node, "recovered": got,
                         "recovered_micro": got["node_share_micro"] + got["waiting_micro"] + _total(got["artists"])}
        claimed[c.id]["losses_micro"] = claimed[c.id]["claimed_micro"] - claimed[c.id]["recovered_micro"]
    result = {"accounts": {a: {p: dict(sorted(v.items())) for p, v in acc.items()}
                           for a, acc in sorted(books.accounts.items())},
              "instructions": books.instructions,
              "node_payouts": {n: a for n, a in sorted(books.node_payouts.items()) if a},
              "wallet": {k: dict(sorted(v.items())) for k, v in books.wallet.items()},
              "waiting": dict(sorted(books.waiting.items())), "claims": claimed,
              "refunded": dict(sorted(books.refunded.items()))}
    result["books"] = _books(month, opening, expired, result)
    check(result["books"], label)
    return result


def _destination(settings: Mapping[str, Any], part: str) -> str:
    """Where the policy sends waiting money of ``part`` ("unallocated_micro" or "unclaimed_micro")."""
    return settings["unallocated_to" if part == "unallocated_micro" else "unclaimed_to"]


def _merge(*parts: ByNode) -> dict[str, int]:
    merged: dict[str, int] = {}
    for part in parts:
        for node, amount in part.items():
            _add(merged, node, amount)
    return merged


def _books(month: Mapping[str, Any], opening: Opening, expired: ByNode, result: Mapping[str, Any]) -> dict[str, Any]:
    """The books of the settlement, per node and in total."""
    nodes = sorted(set(month["nodes"]) | set(opening.held) | set(opening.waiting) | set(result["waiting"])
                   | {n for b in opening.balances.values() for n in b}
                   | {n for acc in result["accounts"].values() for n in acc["carried_out"]})
    per_node = {}
    for node in nodes:
        totals = month["nodes"].get(node, {})
        held_open = int(opening.held.get(node, 0))
        wait_open = opening.waiting.get(node, {})
        wait_close = result["waiting"].get(node, {})
        per_node[node] = {
            "income_micro": totals.get("income_micro", 0),
            "node_shares_micro": result["node_payouts"].get(node, 0),
            "instructed_micro": sum(i["by_node"].get(node, 0) for i in result["instructions"].values()),
            "wallet_unallocated_micro": result["wallet"]["unallocated"].get(node, 0),
            "wallet_unclaimed_micro": result["wallet"]["unclaimed"].get(node, 0),
            "refunded_micro": result["refunded"].get(node, 0),
            "earned_micro": sum(acc["earned"].get(node, 0) for acc in result["accounts"].values()),
            "pool_micro": sum(acc["pool"].get(node, 0) for acc in result["accounts"].values()),
            "recovered_micro": sum(c["recovered_micro"] for c in result["claims"].values() if c["node"] == node),
            "opening": {"carried_micro": sum(b.get(node, 0) for b in opening.balances.values()),
                        "held_micro": held_open,
                        "waiting_unallocated_micro": int(wait_open.get("unallocated_micro", 0)),
                        "waiting_unclaimed_micro": int(wait_open.get("unclaimed_micro", 0))},
            "closing": {"carried_micro": sum(acc["carried_out"].get(node, 0) for acc in result["accounts"].values()),
                        "held_micro": held_open + totals.get("held_micro", 0) - int(expired.get(node, 0)),
                        "waiting_unallocated_micro": int(wait_close.get("unallocated_micro", 0)),
                        "waiting_unclaimed_micro": int(wait_close.get("unclaimed_micro", 0))},
        }
    books = {name: sum(t[name] for t in per_node.values()) for name in (*FLOWS, "earned_micro", "pool_micro", "recovered_micro")}
    for side in ("opening", "closing"):
        books[side] = {s: sum(t[side][s] for t in per_node.values()) for s in STOCKS}
    books["claimed_micro"] = sum(c["claimed_micro"] for c in result["claims"].values())
    books["losses_micro"] = sum(c["losses_micro"] for c in result["claims"].values())
    books["nodes"] = per_node
    return books


def stocks(books: Mapping[str, Any], side: str) -> int:
    """The stocks of one side ("opening" or "closing") of a settlement's books, in total."""
    return sum(books[side][s] for s in STOCKS)


def outflows(books: Mapping[str, Any]) -> int:
    """What left the stocks at a settlement: node payouts, instructions, the wallet, refunds."""
    return sum(books[name] for name in FLOWS if name != "income_micro")


def check(books: Mapping[str, Any], month: str = "the month") -> None:
    """Conflict unless opening stocks + income = node payouts + instructed + consortium wallet +
    refunded + closing stocks, per node and in total, every amount and stock non-negative."""
    for who, b in [*((f"node {n}'s part of {month}", t) for n, t in sorted(books["nodes"].items())),
                   (month, books)]:
        left, right = stocks(b, "opening") + b["income_micro"], outflows(b) + stocks(b, "closing")
        negative = [name for name in FLOWS if b[name] < 0] + [f"{side} {s}" for side in ("opening", "closing")
                                                             for s in STOCKS if b[side][s] < 0]
        if left != right or negative:
            raise Conflict(f"the books of {who} do not balance: opening {stocks(b, 'opening')} + income "
                           f"{b['income_micro']} = {left}, but node shares {b['node_shares_micro']} + instructed "
                           f"{b['instructed_micro']} + consortium wallet {b['wallet_unallocated_micro'] + b['wallet_unclaimed_micro']}"
                           f" + refunded {b['refunded_micro']} + closing {stocks(b, 'closing')} = {right}"
                           + (f" (negative: {', '.join(negative)})" if negative else "") + "; the month stays open.")


def terms(books: Mapping[str, Any]) -> dict[str, int]:
    """A settlement's books as the terms of income = node shares + instructed + carried + held +
    unallocated + unclaimed + refunded, where carried, held and the waiting parts are what the
    settlement changed (closing − opening)."""
    change = {s: books["closing"][s] - books["opening"][s] for s in STOCKS}
    return {"income_micro": books["income_micro"], "node_shares_micro": books["node_shares_micro"],
            "instructed_micro": books["instructed_micro"], "carried_micro": change["carried_micro"],
            "held_micro": change["held_micro"],
            "unallocated_micro": books["wallet_unallocated_micro"] + change["waiting_unallocated_micro"],
            "unclaimed_micro": books["wallet_unclaimed_micro"] + change["waiting_unclaimed_micro"],
            "refunded_micro": books["refunded_micro"]}


def year(settled: Iterable[Mapping[str, Any]], now: Mapping[str, int]) -> dict[str, Any]:
    """The year in total from every settlement's books (in the order they were made) and the stocks ``now``
    ({"carried_micro", "held_micro", "waiting_unallocated_micro", "waiting_unclaimed_micro"}):
    income = node shares + instructed + carried + held + unallocated + unclaimed + refunded, with
    the stocks as they are now, and losses beside. Conflict when it does not hold, or when money
    appeared or vanished between two settlements (an opening that is not the previous closing)."""
    settled = list(settled)
    total = {name: sum(b[name] for b in settled) for name in (*FLOWS, "claimed_micro", "recovered_micro", "losses_micro")}
    previous = 0
    for books in settled:
        if stocks(books, "opening") != previous:
            raise Conflict(f"the stocks before the settlement of {books.get('month', 'a month')} hold "
                           f"{stocks(books, 'opening')}, not the {previous} the settlement before left.")
        previous = stocks(books, "closing")
    if sum(now[s] for s in STOCKS) != previous:
        raise Conflict(f"the stocks hold {sum(now[s] for s in STOCKS)} now, not the {previous} the last settlement left.")
    result = {"income_micro": total["income_micro"], "node_shares_micro": total["node_shares_micro"],
              "instructed_micro": total["instructed_micro"], "carried_micro": now["carried_micro"],
              "held_micro": now["held_micro"],
              "unallocated_micro": total["wallet_unallocated_micro"] + now["waiting_unallocated_micro"],
              "unclaimed_micro": total["wallet_unclaimed_micro"] + now["waiting_unclaimed_micro"],
              "refunded_micro": total["refunded_micro"], "claimed_micro": total["claimed_micro"],
              "recovered_micro": total["recovered_micro"], "losses_micro": total["losses_micro"]}
    parts = sum(result[name] for name in YEAR_TERMS[1:])
    if parts != result["income_micro"]:
        raise Conflict(f"the year does not balance: income {result['income_micro']} but its parts sum to {parts}.")
    return result


#: The terms of the year's identity, income first.
YEAR_TERMS = ("income_micro", "node_shares_micro", "instructed_micro", "carried_micro", "held_micro",
              "unallocated_micro", "unclaimed_micro", "refunded_micro")
