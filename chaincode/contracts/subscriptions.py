"""Subscriptions: per month, node and listener pseudonym, the paid amount and its payment reference.

A payment reference pays once in the whole ledger; a listener holds at most one subscription per
month at a node. A chargeback expires a subscription, which then counts for nothing. Nothing
changes once the month is settled.
"""

from typing import Any

from .. import access, canonical, policy, state, validate
from ..errors import Conflict, InvalidArgument, NotFound
from ..state import LedgerContext
from .base import LedgerContract

PAID = ("paid", "renewed")
#: At most this many entries in one RecordBatch (a month's import takes a handful of transactions).
MAX_BATCH = 5000


async def node_admin(ctx: LedgerContext, node_id: str) -> dict[str, Any]:
    """The caller's node, which must be the registered, active node ``node_id``, called by its admin."""
    mine = await access.caller_node(ctx, "admin")
    validate.ident("node", node_id)
    if mine["id"] != node_id and await state.get(ctx, "node", node_id) is None:
        raise NotFound(f"node {node_id} is not registered.")
    return await access.require_node_admin(ctx, node_id)


async def refuse_settled(ctx: LedgerContext, month: str, what: str) -> None:
    """Conflict once ``month`` is settled: its ``what`` can no longer change."""
    if await state.get(ctx, "settlement", month) is not None:
        raise Conflict(f"{month} is settled; its {what} can no longer change.")


def _check_fields(listener: Any, payment_ref: Any, amount_micro: Any, status: Any) -> tuple[str, str, int, str]:
    return (validate.ident("listener", listener), validate.ident("payment reference", payment_ref),
            validate.count("amount_micro", amount_micro), validate.choice("status", status, PAID))


async def _plan(ctx: LedgerContext, month: str, node: str, price: int, listener: str, payment_ref: str,
                amount: int, status: str) -> tuple[dict[str, Any], bool]:
    """The subscription record and whether it is new; refuses a wrong amount or a conflict."""
    record = {"amount_micro": amount, "listener": listener, "month": month, "node": node,
              "payment_ref": payment_ref, "status": status}
    existing = await state.get(ctx, "sub", month, node, listener)
    if existing == record:
        return record, False
    if amount != price:
        raise InvalidArgument(
            f"amount {amount} for listener {listener} does not equal the {month} price {price}."
        )
    used = await state.get(ctx, "payref", payment_ref)
    if used is not None:
        raise Conflict(
            f"payment reference {payment_ref} was already used for listener {used['listener']} "
            f"for {used['month']} at node {used['node']}."
        )
    if existing is not None:
        raise Conflict(
            f"listener {listener} already has a subscription for {month} at node {node} "
            f"(payment reference {existing['payment_ref']}, {existing['status']})."
        )
    return record, True


async def _write(ctx: LedgerContext, record: dict[str, Any]) -> None:
    month, node, listener = record["month"], record["node"], record["listener"]
    await state.put(ctx, record, "sub", month, node, listener)
    await state.put(ctx, {"listener": listener, "month": month, "node": node}, "payref", record["payment_ref"])


def _batch_entries(entries: str) -> list[tuple[str, str, int, str]]:
    data = validate.json_arg("entries", entries)
    if not isinstance(data, list) or not data:
        raise InvalidArgument("entries must be a non-empty JSON list of [listener, payment_ref, amount_micro, status].")
    if len(data) > MAX_BATCH:
        raise InvalidArgument(f"entries holds {len(data)} subscriptions, more than {MAX_BATCH} in one batch.")
    parsed, listeners, refs = [], set(), set()
    for number, entry in enumerate(data, 1):
        if not isinstance(entry, list) or len(entry) != 4:
            raise InvalidArgument(f"entry {number} is not [listener, payment_ref, amount_micro, status].")
        fields = _check_fields(*entry)
        if fields[0] in listeners:
            raise InvalidArgument(f"listener {fields[0]} appears twice in the batch.")
        if fields[1] in refs:
            raise InvalidArgument(f"payment reference {fields[1]} appears twice in the batch.")
        listeners.add(fields[0])
        refs.add(fields[1])
        parsed.append(fields)
    return parsed


class Subscriptions(LedgerContract):
    """Listeners' monthly subscriptions at their node, with unique payment references."""

    Name = "Subscriptions"
    EVALUATE = ("Get", "List")

    async def Record(self, ctx: LedgerContext, month: str, node: str, listener: str, payment_ref: str,
                     amount_micro: str, status: str) -> str:
        """Record one paid or renewed subscription; the same record again is a no-op (node admin)."""
        await node_admin(ctx, node)
        validate.month(month)
        fields = _check_fields(listener, payment_ref, amount_micro, status)
        price = (await policy.for_month(ctx, month))["price_micro"]
        record, new = await _plan(ctx, month, node, price, *fields)
        if new:
            await refuse_settled(ctx, month, "subscriptions")
            await _write(ctx, record)
            state.emit(ctx, "Subscriptions.Record", {"listener": record["listener"], "month": month,
                                                      "node": node, "status": record["status"]})
        return canonical.dumps({"recorded": new, "subscription": record})

    async def RecordBatch(self, ctx: LedgerContext, month: str, node: str, entries: str) -> str:
        """Record many subscriptions, all or nothing; entries is a JSON list of
        [listener, payment_ref, amount_micro, status]; returns how many were recorded (node admin)."""
        await node_admin(ctx, node)
        validate.month(month)
        parsed = _batch_entries(entries)
        price = (await policy.for_month(ctx, month))["price_micro"]
        plans = [await _plan(ctx, month, node, price, *fields) for fields in parsed]
        new = [record for record, is_new in plans if is_new]
        summary = {"month": month, "node": node, "recorded": len(new), "unchanged": len(plans) - len(new)}
        if new:
            await refuse_settled(ctx, month, "subscriptions")
            for record in new:
                await _write(ctx, record)
            state.emit(ctx, "Subscriptions.RecordBatch", summary)
        return canonical.dumps(summary)

    async def Expire(self, ctx: LedgerContext, month: str, node: str, listener: str, reason: str) -> str:
        """Expire a paid or renewed subscription (a chargeback); it then counts for nothing (node admin)."""
        await node_admin(ctx, node)
        validate.month(month)
        validate.ident("listener", listener)
        if not validate.text("reason", reason).strip():
            raise InvalidArgument(f"expiring listener {listener} needs a reason.")
        record = await state.must_get(ctx, f"listener {listener} has no subscription for {month} at node {node}.", "sub", month, node, listener)
        if record["status"] == "expired":
            return canonical.dumps({"expired": False, "subscription": record})
        await refuse_settled(ctx, month, "subscriptions")
        allocation = await state.get(ctx, "alloc", month, node, listener)
        if allocation is not None:
            raise Conflict(
                f"listener {listener} is already allocated for {month} at node {node} "
                f"in batch {allocation['batch']}; the subscription can no longer expire."
            )
        record = {**record, "status": "expired"}
        await state.put(ctx, record, "sub", month, node, listener)
        state.emit(ctx, "Subscriptions.Expire", {"listener": listener, "month": month, "node": node,
                                                 "reason": reason})
        return canonical.dumps({"expired": True, "subscription": record})

    async def Get(self, ctx: LedgerContext, month: str, node: str, listener: str) -> str:
        """One listener's subscription for a month at a node."""
        await access.require_member(ctx)
        validate.month(month)
        validate.ident("node", node)
        validate.ident("listener", listener)
        record = await state.must_get(ctx, f"listener {listener} has no subscription for {month} at node {node}.", "sub", month, node, listener)
        return canonical.dumps(record)

    async def List(self, ctx: LedgerContext, month: str, node: str) -> str:
        """Every subscription for a month at a node, by listener."""
        await access.require_member(ctx)
        validate.month(month)
        validate.ident("node", node)
        return canonical.dumps([record for _, record in await state.scan(ctx, "sub", month, node)])
