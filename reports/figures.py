"""The figures of a settled month's audit, read from the chain alone, each with its transaction and block.

``collect`` returns one JSON-able dict (integers and strings only; money in micro-units) that every
rendering (HTML, PDF, Markdown, CSV, JSON) shows. Every record carries ``source``: {"block", "txid"}
of the write that left it as it is; a dispute's votes each carry the write that added them.
"""

from typing import Any, Callable

from chaincode import books, records, scope
from chaincode.money import format_bp
from chaincode.contracts.listening import Listening
from chaincode.contracts.registry import Registry
from chaincode.contracts.reviews import Reviews
from chaincode.contracts.settlement import Settlement

from .chain import ChainReader, Record, Write

Progress = Callable[[str], None]
_PARTS = ("node_operators_micro", "artists_micro", "unallocated_micro", "held_micro", "unclaimed_micro")


def collect(reader: ChainReader, month: str, progress: Progress = lambda text: None) -> dict[str, Any]:
    """Every figure of ``month``'s audit document (the month must be settled)."""
    settlement = reader.query(Settlement.GetSettlement, month)
    policy = next(p for p in reader.query(Registry.ListPolicies) if p["effective_from"] == settlement["policy"])
    nodes = {n["id"]: n for n in reader.query(Registry.ListNodes)}
    artists = {a["id"]: a for a in reader.query(Registry.ListArtists)}
    progress(f"reading {month}'s settlement, payouts, held money, days, reviews and disputes")
    payouts = reader.query(Settlement.ListPayouts, month)
    held = reader.query(Settlement.ListHeld, month)
    node_ids = sorted(settlement["nodes"])
    anchors = {node_id: reader.query(Listening.ListAnchors, node_id, month) for node_id in node_ids}
    reviews = {node_id: reader.query(Reviews.ListReviews, month, node_id) for node_id in node_ids}
    disputes = reader.query(Reviews.ListDisputes, month)
    wallets = _wallet_artists(artists, payouts, held)
    cited = [(records.POLICY, policy["effective_from"]), (records.SETTLEMENT, month)]
    cited += [_payout_record(month, p) for p in payouts] + [_held_record(month, h) for h in held]
    cited += [(records.ARTIST, artist_id) for artist_id in wallets]
    cited += [(records.ANCHOR, node_id, a["date"]) for node_id in node_ids for a in anchors[node_id]]
    cited += [(records.NODE_MONTH, month, node_id) for node_id in node_ids]
    cited += [(records.REVIEW, month, node_id, r["reviewer"]) for node_id in node_ids for r in reviews[node_id]]
    cited += [(records.DISPUTE, d["id"]) for d in disputes]
    progress(f"reading the key histories of {len(cited)} records")
    reader.prefetch(cited)
    model: dict[str, Any] = {
        "month": month,
        "currency": policy["currency"],
        "policy": {**_pick(policy, "effective_from", "min_seconds", "node_share_micro", "price_micro", "top_n"),
                   "source": reader.source(records.POLICY, policy["effective_from"])},
        "income": {**_pick(settlement, "income_micro", *_PARTS, "rejected_micro", "released_micro",
                           "inputs_sha256", "settled_by", "payout_count", "held_count", "release_count"),
                   "source": reader.source(records.SETTLEMENT, month)},
        "books": {**_pick(settlement["books"], *books.FLOWS, "earned_micro", "pool_micro", "claimed_micro",
                          "recovered_micro", "losses_micro", "opening", "closing"),
                  "source": reader.source(records.SETTLEMENT, month)},
    }
    model["payouts"] = {kind: _payouts(reader, month, kind, payouts, artists)
                        for kind in ("artist", "node", "consortium", "release")}
    model["held"] = [_held(reader, month, h) for h in held]
    model["wallets"] = _wallets(reader, artists, wallets)
    model["nodes"] = [_node(reader, month, nodes.get(node_id, {"id": node_id}), settlement["nodes"][node_id],
                            model["income"]["source"], anchors[node_id], reviews[node_id]) for node_id in node_ids]
    model["disputes"] = [_dispute(reader, d) for d in disputes]
    model["anomalies"] = [{**_pick(r, "node", "reviewer", "reason", "evidence_sha256"),
                           "disputes": [d["id"] for d in model["disputes"]
                                        if r["evidence_sha256"] in d["evidence"] and d["node"] == r["node"]],
                           "source": r["source"]}
                          for n in model["nodes"] for r in n["reviews"] if r["verdict"] == "flag"]
    model["checks"] = checks(model)
    model["as_of_block"] = max(_blocks(model))
    return model


def _pick(record: dict[str, Any], *names: str) -> dict[str, Any]:
    return {name: record[name] for name in names}


def _payout_record(month: str, payout: dict[str, Any]) -> Record:
    if payout["kind"] == "release":
        return records.RELEASE, month, payout["payee"], payout["source"]
    return records.PAYOUT, month, payout["kind"], payout["payee"]


def _held_record(month: str, held: dict[str, Any]) -> Record:
    if held["reason"] == "node":
        return records.NODE_HELD, month, held["node"]
    return records.HELD, month, held["dispute"] or held["reason"], held["artist"]


def _payouts(reader: ChainReader, month: str, kind: str, payouts: list[dict[str, Any]],
             artists: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The month's payouts of ``kind``; an artist's with what the month earned it and what it
    carries; a release (credited to the artist's balance) with where it was released from."""
    rows = []
    for p in payouts:
        if p["kind"] != kind:
            continue
        source = reader.source(*_payout_record(month, p))
        if kind == "release":
            p = {**p, "paid_by": {}, "status": "credited to the balance", "wallet": ""}
        named = artists.get(p["payee"], {}).get("name", "") if kind in ("artist", "release") else ""
        account = p.get("account") or {}
        rows.append({**_pick(p, "amount_micro", "by_node", "paid_by", "payee", "status", "wallet"),
                     "earned_micro": sum(account.get("earned", {}).values()),
                     "carried_micro": sum(account.get("carried_out", {}).values()),
                     "splits": [f"{s['payee']} {format_bp(s['bp'])}" for s in p.get("splits", [])],
                     "name": named, "released_from": p.get("source", ""), "source": source})
    return sorted(rows, key=lambda r: (r["payee"], r["released_from"]))


def _node(reader: ChainReader, month: str, node: dict[str, Any], totals: dict[str, Any],
          settlement_source: dict[str, Any], anchors: list[dict[str, Any]],
          reviewed: list[dict[str, Any]]) -> dict[str, Any]:
    node_id = node["id"]
    days = [{**_pick(a, "date", "listeners", "plays", "rows", "seconds", "sha256"),
             "superseded": a["superseded"], "source": reader.source(records.ANCHOR, node_id, a["date"])}
            for a in anchors]
    sealed = None
    history = reader.history(records.NODE_MONTH, month, node_id)
    if history and history[-1].value["status"] == "sealed":
        assigned = reader.query(Reviews.GetReviewers, month, node_id)
        sealed = {**_pick(history[-1].value, "batches", "listeners", "merkle_root", "total_micro", "version"),
                  "superseded": len(history[-1].value["superseded"]), "peer": assigned["peer"],
                  "external": assigned["external"], "source": history[-1].source()}
    reviews = [{**_pick(r, "node", "reviewer", "verdict", "reason", "evidence_sha256", "version"),
                "scope": scope.describe(r["scope"]) if r["scope"] else "",
                "source": reader.source(records.REVIEW, month, node_id, r["reviewer"])}
               for r in reviewed]
    state = ", ".join(f"{decided} {ident}" for ident, decided in sorted(totals["disputes"].items()))
    return {"id": node_id, "cluster": node.get("cluster", ""), "msp_id": node.get("msp_id", ""),
            "wallet": node.get("wallet", ""),
            "totals": {**totals, "disputes_text": state or "none", "source": settlement_source},
            "sealed": sealed, "days": days, "reviews": reviews}


def _held(reader: ChainReader, month: str, held: dict[str, Any]) -> dict[str, Any]:
    """A held amount with what it is held for, in words, and its source."""
    if held["reason"] == "node":
        held_for = f"node {held['node']}'s whole part ({held['pending']})"
    else:
        held_for = f"dispute {held['dispute']}" if held["dispute"] else held["reason"]
    return {**_pick(held, "amount_micro", "artist", "by_node", "dispute", "reason", "released_to", "status"),
            "held_for": held_for, "source": reader.source(*_held_record(month, held))}


def _wallet_artists(artists: dict[str, dict[str, Any]], payouts: list[dict[str, Any]],
                    held: list[dict[str, Any]]) -> list[str]:
    """The artists of the month's payouts, releases and held money whose wallet a consortium proposal
    approved (registered after the bootstrap, or changed), sorted."""
    named = {p["payee"] for p in payouts if p["kind"] in ("artist", "release")}
    named |= {h["artist"] for h in held if h["artist"]}
    return [artist_id for artist_id in sorted(named) if artist_id in artists
            and (artists[artist_id]["proposal"] or artists[artist_id]["previous_wallets"])]


def _wallets(reader: ChainReader, artists: dict[str, dict[str, Any]], named: list[str]) -> list[dict[str, Any]]:
    """The wallet history of each of the artists ``named`` (see :func:`_wallet_artists`)."""
    rows = []
    for artist_id in named:
        artist = artists[artist_id]
        earlier = [f"{w['wallet']} ({'bootstrap' if not w['proposal'] else 'proposal ' + w['proposal']})"
                   for w in artist["previous_wallets"]]
        rows.append({"artist": artist_id, "wallet": artist["wallet"], "proposal": artist["proposal"] or "bootstrap",
                     "previous": "; ".join(earlier) or "none",
                     "source": reader.source(records.ARTIST, artist_id)})
    return rows


def _dispute(reader: ChainReader, dispute: dict[str, Any]) -> dict[str, Any]:
    """A dispute with the write that opened it, the write of each vote and the one that resolved it."""
    writes = reader.history(records.DISPUTE, dispute["id"])
    votes, resolved = [], None
    for before, write in zip([Write("", -1, {"votes": {}, "status": "open"})] + writes, writes):
        for node_id in sorted(set(write.value["votes"]) - set(before.value["votes"])):
            votes.append({"node": node_id, **write.value["votes"][node_id], "source": write.source()})
        if write.value["status"] == "resolved" and before.value["status"] != "resolved":
            resolved = write.source()
    return {**_pick(dispute, "id", "node", "opened_by", "local", "peer", "external", "reason", "evidence",
                    "status", "resolution", "decided_by", "arbitrator", "arbitration_reason", "version"),
            "scope": _scope_text(dispute["scope"]), "opened": writes[0].source(), "votes": votes, "resolved": resolved}


def _scope_text(disputed: dict[str, Any]) -> str:
    """A scope in full: the whole month, or every listener, artist and day it names."""
    if disputed["month"]:
        return "the whole month"
    return "; ".join(f"{kind} {', '.join(disputed[kind])}" for kind in scope.KINDS if disputed[kind])


def checks(model: dict[str, Any]) -> list[dict[str, Any]]:
    """The money invariant, for the month and each node, the settlement's books, and the payouts
    against both: {"check", "expected_micro", "actual_micro", "holds"} each."""
    income, ledger = model["income"], model["books"]
    found = [_check(f"{model['month']}: income = node operators + artists + unallocated + held + unclaimed",
                    income["income_micro"], sum(income[p] for p in _PARTS))]
    for node in model["nodes"]:
        t = node["totals"]
        found.append(_check(f"node {node['id']}: income = node share + artists + unallocated + held + unclaimed",
                            t["income_micro"], t["node_share_micro"] + t["artists_micro"] + t["unallocated_micro"]
                            + t["held_micro"] + t["unclaimed_micro"]))
    paid = model["payouts"]
    found += [
        _check("books: stocks before + income = payouts + refunded + stocks after",
               books.stocks(ledger, "opening") + ledger["income_micro"],
               books.outflows(ledger) + books.stocks(ledger, "closing")),
        _check("artists' earnings and releases = artists", income["artists_micro"],
               sum(p["earned_micro"] for p in paid["artist"]) + sum(p["amount_micro"] for p in paid["release"])),
        _check("artist payouts = instructed in the books", ledger["instructed_micro"],
               sum(p["amount_micro"] for p in paid["artist"])),
        _check("node payouts = node shares in the books", ledger["node_shares_micro"],
               sum(p["amount_micro"] for p in paid["node"])),
        _check("consortium wallet payouts = the books' wallet",
               ledger["wallet_unallocated_micro"] + ledger["wallet_unclaimed_micro"],
               sum(p["amount_micro"] for p in paid["consortium"])),
        _check("money still held = held", income["held_micro"],
               sum(h["amount_micro"] for h in model["held"] if h["status"] == "held")),
    ]
    return found


BOOK_ROWS = [("stocks before: artist balances carried", "opening", "carried_micro"),
             ("stocks before: held", "opening", "held_micro"),
             ("stocks before: nodes' waiting unallocated money", "opening", "waiting_unallocated_micro"),
             ("stocks before: nodes' waiting unclaimed money", "opening", "waiting_unclaimed_micro"),
             ("income of the month", "", "income_micro"),
             ("paid: node shares", "", "node_shares_micro"),
             ("paid: instructed to artists", "", "instructed_micro"),
             ("paid: unallocated money to the consortium wallet", "", "wallet_unallocated_micro"),
             ("paid: unclaimed money to the consortium wallet", "", "wallet_unclaimed_micro"),
             ("refunded: recovered for chargebacks", "", "refunded_micro"),
             ("stocks after: artist balances carried", "closing", "carried_micro"),
             ("stocks after: held", "closing", "held_micro"),
             ("stocks after: nodes' waiting unallocated money", "closing", "waiting_unallocated_micro"),
             ("stocks after: nodes' waiting unclaimed money", "closing", "waiting_unclaimed_micro"),
             ("of the balances: earned this month", "", "earned_micro"),
             ("of the balances: from the nodes' artist pools", "", "pool_micro"),
             ("adjustments: claimed", "", "claimed_micro"),
             ("adjustments: recovered", "", "recovered_micro"),
             ("adjustments: losses (claimed, not recovered)", "", "losses_micro")]


def book_rows(model: dict[str, Any]) -> list[tuple[str, int]]:
    """The settlement's books as (figure, amount) rows."""
    ledger = model["books"]
    return [(label, ledger[side][name] if side else ledger[name]) for label, side, name in BOOK_ROWS]


def _check(name: str, expected: int, actual: int) -> dict[str, Any]:
    return {"check": name, "expected_micro": expected, "actual_micro": actual, "holds": expected == actual}


def _blocks(value: Any):
    """Every block number cited by a ``source`` in the model."""
    if isinstance(value, dict):
        if set(value) == {"block", "txid"}:
            yield value["block"]
        for item in value.values():
            yield from _blocks(item)
    elif isinstance(value, list):
        for item in value:
            yield from _blocks(item)
