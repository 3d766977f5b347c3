"""Months of transactions for the tests of balances, pools, unclaimed money, splits and
adjustments, through the real contracts (:mod:`settlement_script` holds one month's steps)."""

import json

from conftest import consortium
from settlement_script import allocate_and_seal, approve, majority, subscribe

MONTHS = ("2026-10", "2026-11", "2026-12", "2027-01")
CONSORTIUM_WALLET = "w-9ten"


def bootstrap(ledger, **payouts) -> None:
    """The test consortium (artists a1..a3) with the policy's ``payouts`` settings."""
    doc = consortium()
    if payouts:
        doc["policy"]["payouts"] = payouts
    ledger.submit("n1.admin", "Registry:Bootstrap", json.dumps(doc))


def month(ledger, month: str, n1: dict | None = None, n3: dict | None = None, silent: tuple = ("L3",)) -> None:
    """A reviewed month: n1's listeners L1, L2 (and the silent ones) and n3's M1 with the given
    weights ({listener: {artist: seconds}}), both months approved by their reviewers."""
    n1 = {"L1": {"a1": 100, "a2": 50}, "L2": {"a3": 300}} if n1 is None else n1
    n3 = {"M1": {"a1": 60, "a9": 30}} if n3 is None else n3
    subscribe(ledger, "n1", sorted(set(n1) | set(silent)), month)
    subscribe(ledger, "n3", sorted(n3), month)
    allocate_and_seal(ledger, "n1", [n1], month)
    allocate_and_seal(ledger, "n3", [n3], month)
    approve(ledger, "n1", month)
    approve(ledger, "n3", month)


def settle(ledger, month: str) -> dict:
    return ledger.submit("n2.admin", "Settlement:Settle", month).json()["settlement"]


def payouts(ledger, month: str) -> dict:
    """{(kind, payee): payout} of a month, releases left out."""
    return {(p["kind"], p["payee"]): p for p in json.loads(ledger.evaluate("n1.auditor", "Settlement:ListPayouts", month))
            if p["kind"] != "release"}


def balances(ledger) -> dict:
    """{artist: {node: amount}} of every balance with money in it."""
    return {b["artist"]: b["by_node"] for b in json.loads(ledger.evaluate("n1.auditor", "Settlement:ListBalances"))
            if b["amount_micro"]}


def waiting(ledger) -> dict:
    """{node: (unallocated, unclaimed)} of every node's waiting money."""
    return {w["node"]: (w["unallocated_micro"], w["unclaimed_micro"])
            for w in json.loads(ledger.evaluate("n1.auditor", "Settlement:ListWaiting"))}


def books(ledger) -> dict:
    return json.loads(ledger.evaluate("n4.auditor", "Settlement:GetBooks"))


def propose(ledger, node: str, kind: str, payload: dict) -> dict:
    return ledger.submit(f"{node}.admin", "Registry:Propose", kind, json.dumps(payload)).json()


__all__ = ["MONTHS", "CONSORTIUM_WALLET", "bootstrap", "month", "settle", "payouts", "balances", "waiting", "books",
           "propose", "majority", "subscribe", "allocate_and_seal", "approve"]
