"""Recording subscriptions on chain: pseudonymised at the edge, validated first, sent in batches."""

from collections import defaultdict
from typing import Callable

from chaincode.money import format_micro

from .errors import InputError, LedgerRejected
from .pseudonym import pseudonym
from .scenario import Subscription
from .session import Session

BATCH_SIZE = 500


def check_prices(session: Session, rows: list[Subscription], file: str) -> None:
    """Every amount equals the policy price of its month, before anything is sent."""
    prices: dict[str, int] = {}
    for row in rows:
        if row.month not in prices:
            prices[row.month] = session.query(session.reader(), "Registry:GetPolicy", row.month)["price_micro"]
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
        secret = session.config.secret(node)
        for start in range(0, len(group), BATCH_SIZE):
            chunk = group[start:start + BATCH_SIZE]
            entries = [[pseudonym(secret, month, r.listener_id), r.payment_ref, r.amount_micro, "paid"]
                       for r in chunk]
            try:
                result = session.submit(session.identity(node), "Subscriptions:RecordBatch",
                                        month, node, entries).json()
            except LedgerRejected as exc:
                raise _locate(exc, chunk, file) from None
            for name in totals:
                totals[name] += result.get(name, 0)
            progress(len(chunk))
    return totals


def _locate(exc: LedgerRejected, chunk: list[Subscription], file: str) -> Exception:
    """Point a chain refusal at the file line whose payment reference it names, where it does."""
    for row in chunk:
        if row.payment_ref in exc.message:
            return InputError(f"the ledger refused it: {exc.message}", file, row.line, "payment_ref")
    return exc
