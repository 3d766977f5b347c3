"""Settlement: closing a month's money by the default payout rule and the month's books across
months, payout instructions and receipts.

Settle refuses a month while a node with paid subscriptions has not sealed it or its assigned
reviewers have not reviewed the sealed version (:mod:`chaincode.readiness`), unless a majority
settles without that node. It reads the month's subscriptions, every node's
sealed month, the disputes on the nodes' months with their scopes and the artist registry;
:func:`chaincode.settle.settle_month` does the month's arithmetic and checks its money invariant.
It then closes the books (:func:`chaincode.books.close`): the stocks before it (balances, holds,
nodes' waiting money), the unregistered holds that are now unclaimed (:func:`chaincode.held.expire`),
the adjustments due (:mod:`chaincode.adjustments`), the split sheets in force; and checks that the
books balance, per node, in total, and with every settlement before. Balances carry from one
settlement to the next, in the order months are settled (the books' ``sequence``): calendar order
when the consortium settles each month once it is ready, as `simulate` and the demo do; a month
settled late closes its books after the later months settled before it.

It writes one record per payee (no hot key): the settlement with its books, an artist's month
(instructed, or carried under the minimum payout), a payout per node and to the consortium wallet,
each artist balance and node's waiting money it changes, what is held, and each adjustment it
applied. Held money is released later by :mod:`chaincode.held`; a pending part is settled by
SettleNode.

Payouts are paid by the nodes that collected the money: ``by_node`` says how much each node owes;
ConfirmPayout records one node's receipt reference and the payout is "paid" when every paying node
has confirmed.
"""

from typing import Any

from .. import (accounts, adjustments, books, canonical_json, guards, held, lookups, month_view, readiness, records,
                rules, settle, state, validate)
from ..errors import AccessDenied, Conflict, NotFound
from ..records import Payout
from ..records import Settlement as SettlementRecord
from ..rules import Policy
from ..state import LedgerContext
from .base import LedgerContract

PAYOUT_KINDS = ("artist", "node", "consortium")


def payout_record(month: str, kind: str, payee: str, wallet: str, by_node: dict[str, int], **more: Any) -> Payout:
    """A payout instruction of ``by_node`` (what each collecting node owes) to ``payee``; an
    artist's month adds its ``account``, ``listeners`` and ``splits`` (``more``)."""
    record = {"account": {}, "amount_micro": sum(by_node.values()), "by_node": dict(sorted(by_node.items())),
              "kind": kind, "listeners": {}, "month": month, "paid_by": {}, "payee": payee, "splits": [],
              "status": "instructed", "wallet": wallet, **more}
    if not record["amount_micro"]:
        record["status"] = "carried"
    return record


async def _wallet(ctx: LedgerContext, kind: records.Kind, ident: str) -> str:
    """The wallet of a registered artist or node, "" when it is not registered."""
    found = await state.get(ctx, kind, ident)
    return found["wallet"] if found else ""


def _inputs_sha256(policy: Policy, subscriptions: list[dict[str, Any]], nodemonths: dict[str, Any]) -> str:
    """The hash of what a settlement may not change under: policy, subscriptions, node months."""
    body = {"nodemonths": nodemonths, "policy": policy.effective_from,
            "subscriptions": [[s["node"], s["listener"], s["amount_micro"], s["status"]] for s in subscriptions]}
    return canonical_json.sha256(body)


async def _inputs(ctx: LedgerContext, month: str) -> dict[str, Any]:
    """What a month's settlement is computed from: its policy, subscriptions and node months,
    with their hash (the contracts that write them refuse changes once the month is settled)."""
    policy = await lookups.policy_for(ctx, month)
    subscriptions, nodemonths = await month_view.month_inputs(ctx, month)
    return {"policy": policy, "subscriptions": subscriptions, "nodemonths": nodemonths,
            "sha256": _inputs_sha256(policy, subscriptions, nodemonths)}


async def _month(ctx: LedgerContext, month: str, given: dict[str, Any]) -> dict[str, Any]:
    """The month's own money: the settle_month result, node months, held records and per-node totals."""
    policy, subscriptions = given["policy"], given["subscriptions"]
    if not any(s["status"] in rules.COUNTED for s in subscriptions):
        raise NotFound(f"{month} has no paid or renewed subscriptions to settle.")
    standings = await month_view.standings(ctx, month, subscriptions)
    for standing, _ in standings.values():
        if standing.blocked:
            raise Conflict(standing.blocked)
    nodes = {node: await month_view.node_month(ctx, month, node, standing, disputes)
             for node, (standing, disputes) in standings.items()}
    try:
        result = settle.settle_month(subscriptions, nodes, await month_view.registered(ctx, nodes.values()),
                                     policy.node_share_micro, policy.artist_share_micro)
    except Conflict as exc:
        raise Conflict(str(exc).replace("the month", month)) from None
    holds = [((key, artist), {"amount_micro": sum(entry["by_node"].values()), "artist": artist,
                              "by_node": dict(sorted(entry["by_node"].items())), "dispute": entry["dispute"],
                              "month": month, "reason": entry["reason"], "released_to": "", "status": "held"})
             for (key, artist), entry in result["held"].items()]
    node_holds = [(node, {"amount_micro": amount, "artist": "", "by_node": {node: amount}, "dispute": "",
                          "month": month, "node": node, "pending": standings[node][0].pending,
                          "reason": "node", "released_to": "", "status": "held"})
                  for node, amount in sorted(result["node_held"].items())]
    per_node = {node: {**totals, "disputes": month_view.states(standings[node][1]) if node in standings else {},
                       "pending": standings[node][0].pending if node in standings else ""}
                for node, totals in result["nodes"].items()}
    return {"result": result, "nodes": nodes, "held": holds, "node_held": node_holds, "per_node": per_node}


async def _payouts(ctx: LedgerContext, month: str, closed: dict[str, Any], nodes: dict[str, settle.NodeMonth],
                   policy: Policy) -> list[tuple[tuple[str, str], Payout]]:
    """Every payout record of the settlement: each artist's month, each node, the consortium wallet."""
    found = []
    for artist, account in closed["accounts"].items():
        instruction = closed["instructions"].get(artist, {"by_node": {}, "splits": []})
        listeners = {n: nodes[n].listeners[artist] for n in sorted(nodes) if nodes[n].listeners.get(artist)}
        found.append((("artist", artist), payout_record(
            month, "artist", artist, await _wallet(ctx, records.ARTIST, artist), instruction["by_node"],
            account=account, listeners=listeners, splits=instruction["splits"])))
    for node, amount in closed["node_payouts"].items():
        found.append((("node", node), payout_record(month, "node", node, await _wallet(ctx, records.NODE, node),
                                                    {node: amount})))
    for part, by_node in sorted(closed["wallet"].items()):
        if by_node:
            found.append((("consortium", part), payout_record(month, "consortium", part,
                                                              policy.payouts["consortium_wallet"], by_node)))
    return found


async def _write_stocks(ctx: LedgerContext, opening: books.Opening, closed: dict[str, Any]) -> None:
    """Each artist balance and node's waiting money the settlement changed."""
    for artist, account in closed["accounts"].items():
        if account["carried_out"] != opening.balances.get(artist, {}) and (account["carried_out"]
                                                                             or artist in opening.balances):
            await state.put(ctx, accounts.balance_record(artist, account["carried_out"]), records.BALANCE, artist)
    for node, parts in closed["waiting"].items():
        if parts != opening.waiting.get(node):
            await state.put(ctx, {"node": node, **parts}, records.WAITING, node)


async def _must_settlement(ctx: LedgerContext, month: str) -> SettlementRecord:
    settlement = await state.get(ctx, records.SETTLEMENT, validate.month(month))
    if settlement is None:
        raise NotFound(f"{month} is not settled.")
    return settlement


def _year(settled: list[dict[str, Any]], now: dict[str, int]) -> dict[str, Any]:
    """The year in total over the settlements, in the order they were made, and the stocks ``now``, checked."""
    return books.year(sorted(({**s["books"], "month": s["month"]} for s in settled), key=lambda b: b["sequence"]), now)


class Settlement(LedgerContract):
    """The month's settlement, its books, payout instructions, held money and receipts."""

    Name = "Settlement"
    EVALUATE = ("GetSettlement", "GetStanding", "ListPayouts", "ListHeld", "ListSettlements", "ListBalances",
                "ListWaiting", "ListAdjustments", "GetBooks")

    async def Settle(self, ctx: LedgerContext, month: str) -> str:
        """Settle a month by the default payout rule once every active node with subscriptions has
        sealed it and its assigned reviewers have reviewed it (or a majority settles without that
        node), and close its books: balances instructed or carried, waiting and unclaimed money
        where the policy says, adjustments due applied; settling again is a no-op while its inputs
        are unchanged (node admin)."""
        node = await guards.caller_node(ctx, "admin")
        validate.month(month)
        given = await _inputs(ctx, month)
        existing = await state.get(ctx, records.SETTLEMENT, month)
        if existing is not None:
            if existing["inputs_sha256"] == given["sha256"]:
                return canonical_json.dumps({"settled": False, "settlement": existing})
            raise Conflict(f"{month} is already settled with other subscriptions or sealed months "
                           f"(inputs {existing['inputs_sha256'][:16]}, now {given['sha256'][:16]}).")
        policy = given["policy"]
        planned = await _month(ctx, month, given)
        result = planned["result"]
        opening = books.Opening(balances=await accounts.balances(ctx), waiting=await accounts.waiting(ctx),
                                held=await accounts.held(ctx))
        due = await adjustments.due(ctx)
        expired = await held.expire(ctx, month, policy)
        closed = books.close(result, opening, expired, [adjustments.claim(a) for a in due],
                             await accounts.sheets(ctx, month), policy, month)
        payouts = await _payouts(ctx, month, closed, planned["nodes"], policy)
        settled = await state.records(ctx, records.SETTLEMENT)
        settlement = {**result["totals"], "books": {**closed["books"], "sequence": len(settled) + 1},
                      "held_count": len(planned["held"]) + len(planned["node_held"]),
                      "inputs_sha256": given["sha256"], "month": month, "nodes": planned["per_node"],
                      "payout_count": sum(1 for _, p in payouts if p["amount_micro"]),
                      "policy": policy.effective_from, "release_count": 0, "settled_by": node["id"]}
        _year([*settled, settlement], closed["books"]["closing"])
        await state.put(ctx, settlement, records.SETTLEMENT, month)
        for (kind, payee), record in payouts:
            await state.put(ctx, record, records.PAYOUT, month, kind, payee)
        for (reason_key, artist), record in planned["held"]:
            await state.put(ctx, record, records.HELD, month, reason_key, artist)
        for node_id, record in planned["node_held"]:
            await state.put(ctx, record, records.NODE_HELD, month, node_id)
        await _write_stocks(ctx, opening, closed)
        await adjustments.apply(ctx, due, closed["claims"], month)
        state.emit(ctx, "Settlement.Settle", {name: settlement[name] for name in (
            "artists_micro", "held_micro", "income_micro", "month", "node_operators_micro", "payout_count",
            "unallocated_micro")})
        return canonical_json.dumps({"settled": True, "settlement": settlement})

    async def SettleNode(self, ctx: LedgerContext, month: str, node: str) -> str:
        """Settle a node's part of a settled month that was held whole (the month settled without
        it, or days of it in dispute), once its month is sealed, reviewed and no day of it is in
        dispute: each artist's amount credited to its balance by a release, held money held as at
        settlement, unallocated money waiting (node admin)."""
        await guards.caller_node(ctx, "admin")
        settlement = await _must_settlement(ctx, month)
        validate.ident("node", node)
        if node not in settlement["nodes"]:
            raise NotFound(f"node {node} has no part in the settlement of {month}.")
        if not settlement["nodes"][node]["pending"]:
            raise Conflict(f"node {node}'s part of {month} is not pending; it was settled.")
        disputes = await lookups.month_disputes(ctx, month, node)
        standing = await readiness.standing(ctx, month, node, disputes, excuse=False)
        if standing.blocked or standing.pending:
            raise Conflict(standing.blocked or f"node {node}'s part of {month} still waits: {standing.pending}.")
        policy = await lookups.policy_for(ctx, month)
        subscriptions = [{**record, "listener": attrs[2]}
                         for attrs, record in await state.scan(ctx, records.SUBSCRIPTION, month, node)]
        nodemonth = await month_view.node_month(ctx, month, node, standing, disputes)
        part = settle.node_part(subscriptions, nodemonth, set(await month_view.registered(ctx, [nodemonth])),
                                policy.node_share_micro, policy.artist_share_micro)
        result = await held.settle_node(ctx, month, node, part, month_view.states(disputes))
        state.emit(ctx, "Settlement.SettleNode", {"artists_micro": part["totals"]["artists_micro"], "month": month,
                                                  "node": node, "releases": len(result["releases"])})
        return canonical_json.dumps({"settled": True, **result})

    async def ReleaseArtist(self, ctx: LedgerContext, month: str, artist_id: str) -> str:
        """Credit to an artist's balance what a settled month holds for it since before it was
        registered (for an ``unreg:`` id, to the one artist with the name it derives from,
        :func:`chaincode.held.payee`); again is a no-op (node admin)."""
        await guards.caller_node(ctx, "admin")
        settlement = await _must_settlement(ctx, month)
        validate.ident("artist id", artist_id)
        waiting = await state.get(ctx, records.HELD, month, rules.HELD_UNREGISTERED, artist_id)
        if waiting is None:
            raise NotFound(f"{month} holds nothing for unregistered artist {artist_id}.")
        if waiting["status"] == "unclaimed":
            raise Conflict(f"what {month} held for artist {artist_id} waited the policy's holding period and is "
                           "unclaimed; it went where the policy sends unclaimed money.")
        if waiting["released_to"] == rules.TO_UNALLOCATED:
            raise Conflict(f"what {month} held for artist {artist_id} was covered by a fraud or chargeback "
                           "adjustment; it went to the unallocated money of the nodes that held it.")
        if waiting["status"] == "released":
            release = await held.release_of(ctx, month, artist_id)
            return canonical_json.dumps({"released": False, "release": release, "settlement": settlement})
        released = await held.release_artist(ctx, settlement, waiting, await held.payee(ctx, artist_id, month))
        state.emit(ctx, "Settlement.ReleaseArtist", {"amount_micro": released["release"]["amount_micro"],
                                                     "artist": artist_id, "month": month})
        return canonical_json.dumps({"released": True, **released})

    async def ConfirmPayout(self, ctx: LedgerContext, month: str, kind: str, payee: str, reference: str) -> str:
        """Record a paying node's receipt reference for its part of a payout (kind artist, node or
        consortium); the payout is paid when every owing node confirmed; the same receipt again is
        a no-op (node admin, of a revoked node too: it still pays what it owes)."""
        node = await guards.caller_node(ctx, "admin", revoked=True)
        await _must_settlement(ctx, month)
        validate.choice("payout kind", kind, PAYOUT_KINDS)
        validate.ident("reference", reference)
        where = (records.PAYOUT, month, kind, validate.ident("payee", payee))
        record = await state.get(ctx, *where)
        if record is None:
            raise NotFound(f"{month} has no {kind} payout to {payee}.")
        if not record["amount_micro"]:
            raise Conflict(f"nothing was instructed to {payee} in {month}: its balance was carried.")
        if node["id"] not in record["by_node"]:
            raise AccessDenied(f"node {node['id']} pays no part of the {month} {kind} payout to {payee}.")
        known = record["paid_by"].get(node["id"])
        if known == reference:
            return canonical_json.dumps({"confirmed": False, "payout": record})
        if known is not None:
            raise Conflict(f"node {node['id']} already confirmed the {month} {kind} payout to {payee} "
                           f"with reference {known}.")
        paid_by = dict(sorted({**record["paid_by"], node["id"]: reference}.items()))
        record = {**record, "paid_by": paid_by,
                  "status": "paid" if set(paid_by) == set(record["by_node"]) else "instructed"}
        await state.put(ctx, record, *where)
        state.emit(ctx, "Settlement.ConfirmPayout", {"kind": kind, "month": month, "node": node["id"],
                                                     "payee": payee, "reference": reference,
                                                     "status": record["status"]})
        return canonical_json.dumps({"confirmed": True, "payout": record})

    async def GetSettlement(self, ctx: LedgerContext, month: str) -> str:
        """A month's settlement record."""
        await guards.require_member(ctx)
        return canonical_json.dumps(await _must_settlement(ctx, month))

    async def ListSettlements(self, ctx: LedgerContext) -> str:
        """Every settled month's settlement record, oldest first."""
        await guards.require_member(ctx)
        return canonical_json.dumps(await state.records(ctx, records.SETTLEMENT))

    async def ListPayouts(self, ctx: LedgerContext, month: str) -> str:
        """A month's payouts (artists instructed or carried, consortium wallet, nodes) followed by
        the releases of its held money (kind "release", payee the artist credited)."""
        await guards.require_member(ctx)
        validate.month(month)
        payouts = await state.records(ctx, records.PAYOUT, month)
        releases = await state.records(ctx, records.RELEASE, month)
        return canonical_json.dumps(payouts + [{**r, "kind": "release", "payee": r["artist"]} for r in releases])

    async def ListHeld(self, ctx: LedgerContext, month: str) -> str:
        """A month's held amounts (under dispute ids, then unregistered, then nodes' whole parts),
        held, released or unclaimed."""
        await guards.require_member(ctx)
        validate.month(month)
        return canonical_json.dumps(await state.records(ctx, records.HELD, month)
                                    + await state.records(ctx, records.NODE_HELD, month))

    async def ListBalances(self, ctx: LedgerContext) -> str:
        """Every artist balance on the ledger (zero once instructed), by artist."""
        await guards.require_member(ctx)
        return canonical_json.dumps(await state.records(ctx, records.BALANCE))

    async def ListWaiting(self, ctx: LedgerContext) -> str:
        """Every node's waiting unallocated and unclaimed money, by node."""
        await guards.require_member(ctx)
        return canonical_json.dumps(await state.records(ctx, records.WAITING))

    async def ListAdjustments(self, ctx: LedgerContext, month: str) -> str:
        """The adjustments of a settled month's nodes ("" for every month), due or applied."""
        await guards.require_member(ctx)
        if month:
            validate.month(month)
        return canonical_json.dumps(await state.records(ctx, records.ADJUSTMENT, *((month,) if month else ())))

    async def GetBooks(self, ctx: LedgerContext) -> str:
        """Every settled month's books and the year in total, checked: income = node shares +
        instructed + carried + held + unallocated + unclaimed + refunded, with the stocks as they
        are now, and the losses of adjustments beside."""
        await guards.require_member(ctx)
        settled = await state.records(ctx, records.SETTLEMENT)
        now = await accounts.stocks(ctx)
        return canonical_json.dumps({"months": [{"books": s["books"], "month": s["month"],
                                                 "terms": books.terms(s["books"])} for s in settled],
                                     "stocks": now, "total": _year(settled, now)})

    async def GetStanding(self, ctx: LedgerContext, month: str) -> str:
        """Where each node with paid subscriptions stands in ``month``: sealed version, assigned
        reviewers and their verdicts on it, what blocks the settlement and why a part would be
        held whole (:mod:`chaincode.readiness`)."""
        await guards.require_member(ctx)
        validate.month(month)
        subscriptions, _ = await month_view.month_inputs(ctx, month)
        return canonical_json.dumps([
            {"blocked": s.blocked, "node": s.node, "pending": s.pending, "reviewed": s.reviewed,
             "reviewers": {r: s.reviewers.get(r, "") for r in ("peer", "external")}, "sealed": s.sealed,
             "version": s.version}
            for s, _ in (await month_view.standings(ctx, month, subscriptions)).values()])
