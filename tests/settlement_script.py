"""A month of transactions for the Reviews and Settlement tests, through the real contracts.

Also runnable on its own (``python tests/settlement_script.py FOLDER``): it makes a fresh embedded
ledger in FOLDER, runs a fixed script of transactions and prints the state hash, so two processes
can be compared.
"""

import hashlib
import json
import sys
from pathlib import Path

from chaincode import merkle

MONTH = "2026-10"
SHARE = 9_000_000  # artist share: price 10_000_000 − node share 1_000_000
EVIDENCE = "e" * 64


def subscribe(ledger, node: str, listeners: list[str], month: str = MONTH) -> None:
    entries = [[listener, hashlib.sha256(f"pay-{month}-{node}-{listener}".encode()).hexdigest(), "10000000", "paid"] for listener in listeners]
    ledger.submit(f"{node}.admin", "Subscriptions:RecordBatch", month, node, json.dumps(entries))


def allocate_and_seal(ledger, node: str, batches: list[dict[str, dict[str, int]]], month: str = MONTH) -> str:
    """Submit ``batches`` ({listener: {artist: weight}} each, numbered from 1) and seal; the root."""
    leaves = {}
    for number, batch in enumerate(batches, 1):
        entries = [[listener, [[a, w] for a, w in sorted(weights.items())]] for listener, weights in batch.items()]
        ledger.submit(f"{node}.admin", "Allocations:SubmitBatch", month, node, str(number), json.dumps(entries))
        for listener, weights in batch.items():
            leaves[listener] = sorted(weights.items(), key=lambda p: (-p[1], p[0]))[:9]
    root = merkle.root([merkle.leaf(listener, leaves[listener]) for listener in sorted(leaves)])
    ledger.submit(f"{node}.admin", "Allocations:Seal", month, node, root, str(len(batches)))
    return root


def standard_month(ledger, month: str = MONTH) -> None:
    """n1: L1 (a1 100 s, a2 50 s) and L2 (a3) allocated, L3 subscribed without plays;
    n3: M1 (a1 60 s, a9 30 s; a9 is not registered). n2 and n4 have no subscriptions."""
    subscribe(ledger, "n1", ["L1", "L2", "L3"], month)
    subscribe(ledger, "n3", ["M1"], month)
    allocate_and_seal(ledger, "n1", [{"L1": {"a1": 100, "a2": 50}}, {"L2": {"a3": 300}}], month)
    allocate_and_seal(ledger, "n3", [{"M1": {"a1": 60, "a9": 30}}], month)


def script(ledger) -> None:
    """A fixed script: a month with a dispute voted 1-1-abstain and arbitrated after settlement,
    an unregistered artist registered and released, and receipts."""
    standard_month(ledger)
    flag = json.loads(ledger.submit("n3.reviewer", "Reviews:Review", MONTH, "n1", "flag", "plays too long",
                                    EVIDENCE).payload)
    dispute = flag["dispute"]["id"]
    ledger.submit("n1.admin", "Reviews:Review", MONTH, "n3", "approve", "", "f" * 64)
    ledger.submit("n1.reviewer", "Reviews:Vote", dispute, "approve", "the report stands")
    ledger.submit("n2.reviewer", "Reviews:Vote", dispute, "abstain", "")
    ledger.submit("n2.admin", "Settlement:Settle", MONTH)
    ledger.submit("n4.reviewer", "Reviews:Vote", dispute, "reject", "loops")
    ledger.submit("n3.arbitrator", "Reviews:Arbitrate", dispute, "approve", "loops are within policy")
    ledger.submit("n1.admin", "Registry:RegisterArtist",
                  json.dumps({"id": "a9", "name": "Artist a9", "wallet": "wallet-a9"}))
    ledger.submit("n3.admin", "Settlement:ReleaseArtist", MONTH, "a9")
    ledger.submit("n1.admin", "Settlement:ConfirmPayout", MONTH, "node", "n1", "bank-1")


def run(folder: Path) -> str:
    """A fresh ledger in ``folder`` with the test consortium and the script; its state hash."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from admin.embedded.setup import init_ledger
    from conftest import NODES, consortium

    ledger = init_ledger(Path(folder), [(n, m) for n, _, m in NODES])
    try:
        ledger.submit("n1.admin", "Registry:Bootstrap", json.dumps(consortium()))
        script(ledger)
        return ledger.state_hash()
    finally:
        ledger.close()


if __name__ == "__main__":
    print(run(Path(sys.argv[1])))
