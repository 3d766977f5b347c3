"""Recording subscriptions on chain: pseudonymised at the edge, checked against the chain, sent in batches.

An import writes all of its file or nothing: every batch is first run against the chain without
being committed (a refusal is located at its file line and field), and only batches that record
something are then submitted, so importing a file again adds no block.
"""

from collections import defaultdict
from dataclasses import dataclass
from typing import Callable

from chaincode.contracts.subscriptions import Subscriptions
from chaincode.money import format_micro

from .client import Connection
from .errors import InputError, LedgerRejected, NotFoundRejected
from .inputs import Subscription
from .pseudonym import Pseudonymiser, payment_hash
from .session import Session

BATCH_SIZE = 500


@dataclass(frozen=True)
class Batch:
    """One RecordBatch transaction: the rows of the file it holds and their on-chain entries."""

    month: str
    node: str
    rows: list[Subscription]
    entries: list[list]


def check_prices(session: Session, rows: list[Subscription], file: str) -> None:
    """Every amount equals the policy price of its month, before anything is sent."""
    prices: dict[str, int] = {}
    for row in rows:
        if row.month not in prices:
            prices[row.month] = session.policy(row.month).price_micro
        if row.amount_micro != prices[row.month]:
            raise InputError(f"amount {format_micro(row.amount_micro)} does not equal the {row.month} "
                             f"price {format_micro(prices[row.month])}", file, row.line, "amount")


def batches(session: Session, rows: list[Subscription]) -> list[Batch]:
    """The rows grouped by (month, node) and cut into batches, listeners pseudonymised with the
    node's secret and payment references hashed with the consortium's payment key."""
    key = session.config.payment_key_bytes()
    groups: dict[tuple[str, str], list[Subscription]] = defaultdict(list)
    for row in rows:
        groups[(row.month, row.node)].append(row)
    found = []
    for (month, node), group in sorted(groups.items()):
        pseudonyms = Pseudonymiser(session.config.secret(node), month)
        for start in range(0, len(group), BATCH_SIZE):
            chunk = group[start:start + BATCH_SIZE]
            entries = [[pseudonyms(r.listener_id), payment_hash(key, r.payment_ref), r.amount_micro, "paid"]
                       for r in chunk]
            found.append(Batch(month, node, chunk, entries))
    return found


def import_subscriptions(session: Session, rows: list[Subscription], file: str,
                         progress: Callable[[int], None] = lambda n: None) -> dict[str, int]:
    """Record every row as paid: all of them or, when the chain refuses one, none (InputError at its
    line). ``progress`` counts each row twice: checked, then recorded. Returns the counts recorded
    and already on chain."""
    check_prices(session, rows, file)
    totals, pending = {"recorded": 0, "unchanged": 0}, []
    for batch in batches(session, rows):
        admin = session.admin(batch.node)
        try:
            answer = admin.evaluate(Subscriptions.RecordBatch, batch.month, batch.node, batch.entries)
        except LedgerRejected as exc:
            raise _locate(admin, batch, file) or exc from None
        totals["unchanged"] += answer["unchanged"]
        if answer["recorded"]:
            pending.append(batch)
        else:
            progress(len(batch.rows))
        progress(len(batch.rows))
    written: list[Batch] = []
    for batch in pending:
        admin = session.admin(batch.node)
        try:
            totals["recorded"] += admin.submit(Subscriptions.RecordBatch, batch.month, batch.node,
                                               batch.entries).json()["recorded"]
        except LedgerRejected as exc:
            raise _partly_written(_locate(admin, batch, file) or exc, written, file) from None
        written.append(batch)
        progress(len(batch.rows))
    return totals


def _locate(admin: Connection, batch: Batch, file: str) -> InputError | None:
    """The refusal of the first row the ledger refuses on its own (each row evaluated alone, nothing
    written), located at its file line and field: the listener when it already has a subscription
    for the month at the node, else its payment reference; None when every row passes alone."""
    for row, entry in zip(batch.rows, batch.entries):
        try:
            admin.evaluate(Subscriptions.RecordBatch, batch.month, batch.node, [entry])
        except LedgerRejected as exc:
            try:
                admin.evaluate(Subscriptions.Get, batch.month, batch.node, entry[0])
                field = "listener_id"
            except NotFoundRejected:
                field = "payment_ref"
            return InputError(f"the ledger refused it: {exc.message}", file, row.line, field)
    return None


def _partly_written(error: Exception, written: list[Batch], file: str) -> Exception:
    """A refusal after the check passed (another writer changed the chain meanwhile), saying which
    rows were already recorded; importing the file again records the rest."""
    if not written:
        return error
    parts = "; ".join(f"{len(b.rows)} of node {b.node} for {b.month}, lines {b.rows[0].line} to {b.rows[-1].line}"
                      for b in written)
    note = (f" (the chain changed after the file was checked: these rows were recorded before this refusal: "
            f"{parts}; importing the file again records the rest)")
    if isinstance(error, InputError):
        return InputError(error.message + note, error.file, error.line, error.field)
    return InputError(str(error) + note, file)
