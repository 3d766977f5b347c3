"""Recording subscriptions on chain: pseudonymised at the edge, validated first, sent in batches."""

from collections import defaultdict
from typing import Callable

from chaincode.contracts.subscriptions import Subscriptions
from chaincode.money import format_micro

from .client import Connection
from .errors import InputError, LedgerRejected, NotFoundRejected
from .inputs import Subscription
from .pseudonym import pseudonym
from .session import Session

BATCH_SIZE = 500


def check_prices(session: Session, rows: list[Subscription], file: str) -> None:
    """Every amount equals the policy price of its month, before anything is sent."""
    prices: dict[str, int] = {}
    for row in rows:
        if row.month not in prices:
            prices[row.month] = session.policy(row.month).price_micro
        if row.amount_micro != prices[row.month]:
            raise InputError(f"amount {format_micro(row.amount_micro)} does not equal the {row.month} "
                             f"price {format_micro(prices[row.month])}", file, row.line, "amount")


def import_subscriptions(session: Session, rows: list[Subscription], file: str,
                         progress: Callable[[int], None] = lambda n: None) -> dict[str, int]:
    """Record every row as paid, grouped by (month, node); returns counts recorded and unchanged."""
    check_prices(session, rows, file)
    groups: dict[tuple[str, str], list[Subscription]] = defaultdict(list)
    for row in rows:
        groups[(row.month, row.node)].append(row)
    totals = {"recorded": 0, "unchanged": 0}
    for (month, node), group in sorted(groups.items()):
        secret, admin = session.config.secret(node), session.admin(node)
        for start in range(0, len(group), BATCH_SIZE):
            chunk = group[start:start + BATCH_SIZE]
            entries = [[pseudonym(secret, month, r.listener_id), r.payment_ref, r.amount_micro, "paid"]
                       for r in chunk]
            try:
                result = admin.submit(Subscriptions.RecordBatch, month, node, entries).json()
            except LedgerRejected as exc:
                raise _locate(admin, month, node, chunk, entries, file) or exc from None
            for name in totals:
                totals[name] += result.get(name, 0)
            progress(len(chunk))
    return totals


def _locate(admin: Connection, month: str, node: str, chunk: list[Subscription], entries: list[list],
            file: str) -> InputError | None:
    """The refusal of the first row the ledger refuses on its own (each row evaluated alone, nothing
    written), located at its file line and field: the listener when it already has a subscription
    for the month at the node, else its payment reference; None when every row passes alone."""
    for row, entry in zip(chunk, entries):
        try:
            admin.evaluate(Subscriptions.RecordBatch, month, node, [entry])
        except LedgerRejected as exc:
            try:
                admin.evaluate(Subscriptions.Get, month, node, entry[0])
                field = "listener_id"
            except NotFoundRejected:
                field = "payment_ref"
            return InputError(f"the ledger refused it: {exc.message}", file, row.line, field)
    return None
