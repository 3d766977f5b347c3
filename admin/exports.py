"""A settled month's payouts and settlement, read from the chain and written as files."""

import json
from pathlib import Path
from typing import Any

from chaincode.contracts.settlement import Settlement
from chaincode.money import format_micro

from .output import write_csv
from .session import Session


def payout_rows(session: Session, month: str, kind: str) -> list[dict[str, Any]]:
    """The month's payout instructions of ``kind`` (artist or node) with a positive amount, by payee."""
    payouts = session.reader().evaluate(Settlement.ListPayouts, month)
    rows = [{"month": month, "payee": p["payee"], "amount_micro": p["amount_micro"],
             "amount": format_micro(p["amount_micro"]), "wallet": p.get("wallet", ""),
             "status": p.get("status", "")}
            for p in payouts if p["kind"] == kind and p["amount_micro"] > 0]
    return sorted(rows, key=lambda r: r["payee"])


def write_outputs(session: Session, month: str, out: Path) -> dict[str, Path]:
    """Write payouts.csv, node_payouts.csv and settlement.json into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    files = {"payouts": out / "payouts.csv", "node_payouts": out / "node_payouts.csv",
             "settlement": out / "settlement.json"}
    _write_csv(files["payouts"], "artist_id", payout_rows(session, month, "artist"))
    _write_csv(files["node_payouts"], "node_id", payout_rows(session, month, "node"))
    settlement = session.reader().evaluate(Settlement.GetSettlement, month)
    files["settlement"].write_text(json.dumps(settlement, indent=2, sort_keys=True) + "\n")
    return files


def _write_csv(path: Path, payee_column: str, rows: list[dict[str, Any]]) -> None:
    with path.open("w", newline="") as handle:
        write_csv(handle, ["month", payee_column, "amount_micro", "amount"],
                  [[r["month"], r["payee"], r["amount_micro"], r["amount"]] for r in rows])
