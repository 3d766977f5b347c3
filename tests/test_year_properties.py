"""Properties of random years (:mod:`chaincode.books`): month after month of earnings, minimum payouts
that change, releases between settlements, unclaimed money, split sheets and claims; the books of
every settlement and of the year balance, and each rule holds amount by amount."""

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chaincode import books, rules
from chaincode.errors import Conflict

NODES = ("n1", "n2", "n3")
ARTISTS = ("a1", "a2", "a3", "a4", "a5")
PAYEES = ("p1", "p2", "p3")


def _cut(draw, total: int, parts: int) -> list[int]:
    """``total`` cut into ``parts`` non-negative amounts."""
    cuts = sorted(draw(st.lists(st.integers(0, total), min_size=parts - 1, max_size=parts - 1)))
    return [b - a for a, b in zip([0, *cuts], [*cuts, total])]


@st.composite
def month_results(draw, price: int, node_share: int) -> dict:
    """A month's settlement result: per node, its income split into node share, earnings per
    artist, unallocated and newly held money."""
    artists: dict[str, dict[str, int]] = {}
    nodes = {}
    for node in NODES:
        subscriptions = draw(st.integers(0, 4))
        share = (price - node_share) * subscriptions
        earned, unallocated, held = (lambda c: (c[:len(ARTISTS)], c[-2], c[-1]))(_cut(draw, share, len(ARTISTS) + 2))
        for artist, amount in zip(ARTISTS, earned):
            if amount:
                artists.setdefault(artist, {})[node] = amount
        nodes[node] = {"income_micro": price * subscriptions, "node_share_micro": node_share * subscriptions,
                       "artists_micro": sum(earned), "unallocated_micro": unallocated, "held_micro": held}
    return {"artists": artists, "nodes": nodes,
            "node_payouts": {n: t["node_share_micro"] for n, t in nodes.items() if t["node_share_micro"]}}


@st.composite
def policies(draw) -> rules.Policy:
    payouts = {"consortium_wallet": "w-9ten", "min_payout_micro": draw(st.sampled_from([0, 1, 2_000_000, 7_000_000])),
               "unallocated_to": draw(st.sampled_from(rules.DESTINATIONS)), "unclaimed_months": 1,
               "unclaimed_to": draw(st.sampled_from(rules.DESTINATIONS))}
    return rules.Policy("2026-01", 10_000_000, 1_000_000, 9, 30, "USDP", payouts=payouts)


@st.composite
def claims(draw, month: int) -> list[books.Claim]:
    found = []
    for number in range(draw(st.integers(0, 2))):
        node = draw(st.sampled_from(NODES))
        artists = draw(st.dictionaries(st.sampled_from(ARTISTS), st.integers(1, 8_000_000), max_size=3))
        kind = draw(st.sampled_from(("chargeback", "fraud")))
        found.append(books.Claim(f"c{month}-{number}", kind, node,
                                 draw(st.integers(0, 2_000_000)) if kind == "chargeback" else 0, artists,
                                 draw(st.integers(0, 3_000_000)) if kind == "chargeback" else 0))
    return found


@st.composite
def years(draw) -> list[dict]:
    """Months: each with its policy, result, claims, sheets, and the moves between it and the next
    (held money released to balances or waiting, or unclaimed at the next settlement)."""
    months = []
    for index in range(draw(st.integers(1, 6))):
        sheets = {artist: [[p, bp] for p, bp in zip(PAYEES, _split_bp(draw))]
                  for artist in draw(st.sets(st.sampled_from(ARTISTS), max_size=2))}
        months.append({"policy": draw(policies()), "result": draw(month_results(10_000_000, 1_000_000)),
                       "claims": draw(claims(index)), "sheets": sheets,
                       "released": draw(st.sampled_from(("none", "balances", "waiting", "unclaimed")))})
    return months


def _split_bp(draw) -> list[int]:
    cut = sorted(draw(st.lists(st.integers(1, 9_999), min_size=2, max_size=2, unique=True)))
    return [cut[0], cut[1] - cut[0], 10_000 - cut[1]]


def _next_opening(opening: books.Opening, month: dict, closed: dict, expired: dict, how: str
                  ) -> tuple[books.Opening, dict[str, int], dict[str, int]]:
    """The stocks after a settlement, then moved between settlements as ``how`` says: every hold
    released to an artist's balance or to the node's waiting money, or left to become unclaimed.
    Returns the next opening, what becomes unclaimed at the next settlement, and what was credited."""
    balances = {a: dict(acc["carried_out"]) for a, acc in closed["accounts"].items() if acc["carried_out"]}
    waiting = {n: dict(w) for n, w in closed["waiting"].items()}
    held = {n: opening.held.get(n, 0) + month["result"]["nodes"].get(n, {}).get("held_micro", 0) - expired.get(n, 0)
            for n in NODES}
    credited: dict[str, int] = {}
    unclaimed: dict[str, int] = {}
    for node, amount in held.items():
        if not amount:
            continue
        if how == "balances":
            balances.setdefault("a1", {})
            balances["a1"][node] = balances["a1"].get(node, 0) + amount
            credited["a1"] = credited.get("a1", 0) + amount
        elif how == "waiting":
            waiting.setdefault(node, {"unallocated_micro": 0, "unclaimed_micro": 0})["unallocated_micro"] += amount
        elif how == "unclaimed":
            unclaimed[node] = amount
            continue
        else:
            continue
        held[node] = 0
    return books.Opening(balances, waiting, held), unclaimed, credited


@settings(max_examples=150, deadline=None)
@given(years())
def test_every_settlement_and_the_year_balance_and_every_rule_holds(year):
    opening, expired = books.Opening(), {}
    settled, credits, instructed, recovered = [], {}, {}, {}
    for month in year:
        policy = month["policy"]
        closed = books.close(month["result"], opening, expired, month["claims"], month["sheets"], policy)
        settled.append(closed["books"])
        for artist, acc in closed["accounts"].items():
            credits[artist] = credits.get(artist, 0) + sum(acc["earned"].values()) + sum(acc["pool"].values())
            recovered[artist] = recovered.get(artist, 0) + sum(acc["recovered"].values())
            assert min([*acc["carried_out"].values(), 0]) >= 0
            total = sum(acc["carried_out"].values())
            if artist not in closed["instructions"]:
                assert not rules.payable(total, policy.min_payout_micro)
        for artist, instruction in closed["instructions"].items():
            amount = instruction["amount_micro"]
            assert amount > 0 and amount >= policy.min_payout_micro
            instructed[artist] = instructed.get(artist, 0) + amount
            if instruction["splits"]:
                expected = rules.split(amount, month["sheets"][artist])
                assert {s["payee"]: s["amount_micro"] for s in instruction["splits"]} == expected
                for node, owed in instruction["by_node"].items():
                    assert sum(s["by_node"].get(node, 0) for s in instruction["splits"]) == owed
                for part in instruction["splits"]:
                    exact = Fraction(amount * part["bp"], 10_000)
                    assert exact - 1 < part["amount_micro"] < exact + 1
        for claim in month["claims"]:
            got = closed["claims"][claim.id]
            assert got["recovered_micro"] + got["losses_micro"] == got["claimed_micro"]
            assert got["recovered"]["node_share_micro"] <= claim.node_share_micro
            assert all(got["recovered"]["artists"][a] <= claim.artists[a] for a in got["recovered"]["artists"])
        for acc in closed["accounts"].values():  # a claim takes only from the parts its own node owes
            assert set(acc["recovered"]) <= {c.node for c in month["claims"]}
        opening, expired, released = _next_opening(opening, month, closed, expired, month["released"])
        for artist, amount in released.items():
            credits[artist] = credits.get(artist, 0) + amount
    now = {"carried_micro": sum(sum(b.values()) for b in opening.balances.values()),
           "held_micro": sum(opening.held.values()),
           "waiting_unallocated_micro": sum(w["unallocated_micro"] for w in opening.waiting.values()),
           "waiting_unclaimed_micro": sum(w["unclaimed_micro"] for w in opening.waiting.values())}
    total = books.year(settled, now)
    assert total["income_micro"] == sum(t["income_micro"] for m in year for t in m["result"]["nodes"].values())
    assert total["income_micro"] == sum(total[name] for name in books.YEAR_TERMS[1:])
    for artist in credits:  # what each artist was credited = instructed + carried + taken back
        carried = sum(opening.balances.get(artist, {}).values())
        assert credits[artist] == instructed.get(artist, 0) + carried + recovered.get(artist, 0)


@settings(max_examples=60, deadline=None)
@given(years(), st.integers(1, 1000))
def test_money_that_appears_between_settlements_is_refused(year, extra):
    opening = books.Opening()
    settled = []
    for month in year:
        closed = books.close(month["result"], opening, {}, [], {}, month["policy"])
        settled.append(closed["books"])
        opening = books.Opening({a: acc["carried_out"] for a, acc in closed["accounts"].items()}, closed["waiting"],
                                {n: opening.held.get(n, 0) + month["result"]["nodes"][n]["held_micro"] for n in NODES})
    now = {"carried_micro": sum(sum(b.values()) for b in opening.balances.values()) + extra,
           "held_micro": sum(opening.held.values()),
           "waiting_unallocated_micro": sum(w["unallocated_micro"] for w in opening.waiting.values()),
           "waiting_unclaimed_micro": sum(w["unclaimed_micro"] for w in opening.waiting.values())}
    with pytest.raises(Conflict, match="not the .* the last settlement left"):
        books.year(settled, now)


@given(st.lists(st.tuples(st.sampled_from(NODES), st.integers(0, 10**9)), min_size=1, max_size=3, unique_by=lambda t: t[0]),
       st.lists(st.integers(1, 10**6), min_size=1, max_size=4))
def test_the_northwest_table_keeps_both_margins(columns, weights):
    total = sum(a for _, a in columns)
    amounts = rules.split(total, [(f"p{i}", w) for i, w in enumerate(weights)])
    rows = sorted(amounts.items())
    table = books.northwest(rows, sorted(columns))
    for row, amount in rows:
        assert sum(table[row].values()) == amount
    for column, amount in columns:
        assert sum(t.get(column, 0) for t in table.values()) == amount
