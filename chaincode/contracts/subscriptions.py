"""Subscriptions: per month, node and listener pseudonym, the paid amount and its payment's keyed hash.

The chain never sees a payment reference, only its keyed hash under the consortium's payment key
(:func:`admin.pseudonym.payment_hash`), the same at every node: a payment pays once in the whole
ledger; a listener holds at most one subscription per
month at a node. A chargeback expires a subscription, which then counts for nothing. Nothing
changes once the month is settled.
"""

from typing import Any

from .. import canonical_json, guards, lookups, records, rules, state, validate
from ..errors import Conflict, InvalidArgument
from ..guards import node_admin, refuse_settled
from ..records import Subscription
from ..state import LedgerContext
from .base import LedgerContract

#: At most this many entries in one RecordBatch (a month's import takes a handful of transactions).
MAX_BATCH = 5000


def _check_fields(listener: Any, payment_hash: Any, amount_micro: Any, status: Any) -> tuple[str, str, int, str]:
    return (validate.ident("listener", listener), validate.sha256("payment_hash", payment_hash),
            validate.count("amount_micro", amount_micro), validate.choice("status", status, rules.COUNTED))


async def _plan(ctx: LedgerContext, month: str, node: str, price: int, listener: str, payment_hash: str,
                amount: int, status: str) -> tuple[Subscription, bool]:
    """The subscription record and whether it is new; refuses a wrong amount or a conflict."""
    record = {"amount_micro": amount, "listener": listener, "month": month, "node": node,
              "payment_hash": payment_hash, "status": status}
    existing = await state.get(ctx, records.SUBSCRIPTION, month, node, listener)
    if existing == record:
        return record, False
    if amount != price:
        raise InvalidArgument(
            f"amount {amount} for listener {listener} does not equal the {month} price {price}."
        )
    used = await state.get(ctx, records.PAYMENT_REF, payment_hash)
    if used is not None:
        raise Conflict(
            f"the payment with keyed hash {payment_hash} was already used for listener {used['listener']} "
            f"for {used['month']} at node {used['node']}."
        )
    if existing is not None:
        raise Conflict(
            f"listener {listener} already has a subscription for {month} at node {node} "
            f"(payment {existing['payment_hash']}, {existing['status']})."
        )
    return record, True


async def _write(ctx: LedgerContext, record: Subscription) -> None:
    month, node, listener = record["month"], record["node"], record["listener"]
    await state.put(ctx, record, records.SUBSCRIPTION, month, node, listener)
    await state.put(ctx, {"listener": listener, "month": month, "node": node}, records.PAYMENT_REF,
                    record["payment_hash"])


async def _must_subscription(ctx: LedgerContext, month: str, node: str, listener: str) -> Subscription:
    return await state.must_get(ctx, f"listener {listener} has no subscription for {month} at node {node}.",
                                records.SUBSCRIPTION, month, node, listener)


def _batch_entries(entries: str) -> list[tuple[str, str, int, str]]:
    data = validate.json_arg("entries", entries)
    if not isinstance(data, list) or not data:
        raise InvalidArgument("entries must be a non-empty JSON list of [listener, payment_hash, amount_micro, status].")
    if len(data) > MAX_BATCH:
        raise InvalidArgument(f"entries holds {len(data)} subscriptions, more than {MAX_BATCH} in one batch.")
    parsed, listeners, refs = [], set(), set()
    for number, entry in enumerate(data, 1):
        if not isinstance(entry, list) or len(entry) != 4:
            raise InvalidArgument(f"entry {number} is not [listener, payment_hash, amount_micro, status].")
        fields = _check_fields(*entry)
        if fields[0] in listeners:
            raise InvalidArgument(f"listener {fields[0]} appears twice in the batch.")
        if fields[1] in refs:
            raise InvalidArgument(f"payment {fields[1]} appears twice in the batch.")
        listeners.add(fields[0])
        refs.add(fields[1])
        parsed.append(fields)
    return parsed


class Subscriptions(LedgerContract):
    """Listeners' monthly subscriptions at their node, each paid by a payment used once."""

    Name = "Subscriptions"
    EVALUATE = ("Get", "List")

    async def Record(self, ctx: LedgerContext, month: str, node: str, listener: str, payment_hash: str,
                     amount_micro: str, status: str) -> str:
        """Record one paid or renewed subscription; the same record again is a no-op (node admin)."""
        await node_admin(ctx, node)
        validate.month(month)
        fields = _check_fields(listener, payment_hash, amount_micro, status)
        price = (await lookups.policy_for(ctx, month)).price_micro
        record, new = await _plan(ctx, month, node, price, *fields)
        if new:
            await refuse_settled(ctx, month, "subscriptions")
            await _write(ctx, record)
            state.emit(ctx, "Subscriptions.Record", {"listener": record["listener"], "month": month,
                                                      "node": node, "status": record["status"]})
        return canonical_json.dumps({"recorded": new, "subscription": record})

    async def RecordBatch(self, ctx: LedgerContext, month: str, node: str, entries: str) -> str:
        """Record many subscriptions, all or nothing; entries is a JSON list of
        [listener, payment_hash, amount_micro, status]; returns how many were recorded (node admin)."""
        await node_admin(ctx, node)
        validate.month(month)
        parsed = _batch_entries(entries)
        price = (await lookups.policy_for(ctx, month)).price_micro
        plans = [await _plan(ctx, month, node, price, *fields) for fields in parsed]
        new = [record for record, is_new in plans if is_new]
        summary = {"month": month, "node": node, "recorded": len(new), "unchanged": len(plans) - len(new)}
        if new:
            await refuse_settled(ctx, month, "subscriptions")
            for record in new:
                await _write(ctx, record)
            state.emit(ctx, "Subscriptions.RecordBatch", summary)
        return canonical_json.dumps(summary)

    async def Expire(self, ctx: LedgerContext, month: str, node: str, listener: str, reason: str) -> str:
        """Expire a paid or renewed subscription (a chargeback); it then counts for nothing (node admin)."""
        await node_admin(ctx, node)
        validate.month(month)
        validate.ident("listener", listener)
        if not validate.text("reason", reason).strip():
            raise InvalidArgument(f"expiring listener {listener} needs a reason.")
        record = await _must_subscription(ctx, month, node, listener)
        if record["status"] == "expired":
            return canonical_json.dumps({"expired": False, "subscription": record})
        await refuse_settled(ctx, month, "subscriptions")
        allocation = await state.get(ctx, records.ALLOCATION, month, node, listener)
        if allocation is not None:
            raise Conflict(
                f"listener {listener} is already allocated for {month} at node {node} "
                f"in batch {allocation['batch']}; the subscription can no longer expire."
            )
        record = {**record, "status": "expired"}
        await state.put(ctx, record, records.SUBSCRIPTION, month, node, listener)
        state.emit(ctx, "Subscriptions.Expire", {"listener": listener, "month": month, "node": node,
                                                 "reason": reason})
        return canonical_json.dumps({"expired": True, "subscription": record})

    async def Get(self, ctx: LedgerContext, month: str, node: str, listener: str) -> str:
        """One listener's subscription for a month at a node."""
        await guards.require_member(ctx)
        validate.month(month)
        validate.ident("node", node)
        validate.ident("listener", listener)
        return canonical_json.dumps(await _must_subscription(ctx, month, node, listener))

    async def List(self, ctx: LedgerContext, month: str, node: str) -> str:
        """Every subscription for a month at a node, by listener."""
        await guards.require_member(ctx)
        validate.month(month)
        validate.ident("node", node)
        return canonical_json.dumps(await state.records(ctx, records.SUBSCRIPTION, month, node))
