"""The payout lifecycle read from the chain: each payee's status in a month, what a node still owes
whom, and which payout a confirmation is for."""

from typing import Any, Iterable

from chaincode.contracts.settlement import PAYOUT_KINDS, Settlement
from chaincode.money import format_bp, format_micro

from .errors import InputError
from .session import Session

COLUMNS = ["month", "kind", "payee", "wallet", "amount", "amount_micro", "status", "owed_by", "paid_by"]


def _parts(payout: dict[str, Any]) -> Iterable[tuple[str, int, dict[str, int]]]:
    """(wallet, amount, by_node) of each payee of a payout: its split parts, else its wallet."""
    if payout["splits"]:
        for part in payout["splits"]:
            yield f"{part['payee']} ({format_bp(part['bp'])})", part["amount_micro"], part["by_node"]
    else:
        yield payout["wallet"], payout["amount_micro"], payout["by_node"]


def _text(by_node: dict[str, Any]) -> str:
    return "; ".join(f"{node} {value if isinstance(value, str) else format_micro(value)}"
                     for node, value in sorted(by_node.items()))


def month_rows(session: Session, month: str, kinds: tuple[str, ...] = PAYOUT_KINDS) -> list[dict[str, Any]]:
    """Each payee of ``month``'s payouts of ``kinds`` with its status: artists (instructed, paid,
    or carried with their balance), nodes, the consortium wallet; a split payout one row per payee."""
    rows = []
    for payout in session.reader().evaluate(Settlement.ListPayouts, month):
        if payout["kind"] not in kinds:
            continue
        if payout["status"] == "carried":
            carried = sum(payout["account"]["carried_out"].values())
            rows.append({"month": month, "kind": payout["kind"], "payee": payout["payee"], "wallet": payout["wallet"],
                         "amount": format_micro(0), "amount_micro": 0,
                         "status": f"carried (balance {format_micro(carried)})", "owed_by": "", "paid_by": ""})
            continue
        for wallet, amount, by_node in _parts(payout):
            rows.append({"month": month, "kind": payout["kind"], "payee": payout["payee"], "wallet": wallet,
                         "amount": format_micro(amount), "amount_micro": amount, "status": payout["status"],
                         "owed_by": _text(by_node), "paid_by": _text(payout["paid_by"])})
    return rows


def owed_rows(session: Session, node: str) -> list[dict[str, Any]]:
    """What ``node`` must still pay, every settled month: each payout (each split payee) of which it
    owes a part it has not confirmed, with its part."""
    reader = session.reader()
    rows = []
    for settlement in reader.evaluate(Settlement.ListSettlements):
        month = settlement["month"]
        for payout in reader.evaluate(Settlement.ListPayouts, month):
            if payout["kind"] not in PAYOUT_KINDS or node not in payout["by_node"] or node in payout["paid_by"]:
                continue
            for wallet, _, by_node in _parts(payout):
                if by_node.get(node):
                    rows.append({"month": month, "kind": payout["kind"], "payee": payout["payee"], "wallet": wallet,
                                 "amount": format_micro(by_node[node]), "amount_micro": by_node[node],
                                 "status": payout["status"], "owed_by": _text({node: by_node[node]}),
                                 "paid_by": _text(payout["paid_by"])})
    return rows


def kind_of(session: Session, month: str, payee: str, node: str, kind: str | None) -> str:
    """The kind of ``month``'s payout to ``payee`` that ``node`` confirms: ``kind`` when given, else
    the one kind with a payout to that payee of which the node owes a part."""
    if kind is not None:
        return kind
    found = sorted({p["kind"] for p in session.reader().evaluate(Settlement.ListPayouts, month)
                    if p["kind"] in PAYOUT_KINDS and p["payee"] == payee and node in p["by_node"]})
    if len(found) == 1:
        return found[0]
    if not found:
        raise InputError(f"node {node} owes no part of a {month} payout to {payee} "
                         f"(see `nineten payouts owed --node {node}`)", field="PAYEE")
    raise InputError(f"{month} has {' and '.join(found)} payouts to {payee}; choose one with --kind", field="--kind")
