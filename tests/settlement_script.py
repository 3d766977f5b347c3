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
WHOLE = json.dumps({"month": True})


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


def settlement(ledger, month: str = MONTH) -> dict:
    """The month's settlement record, its money invariant checked, in total and per node."""
    record = json.loads(ledger.evaluate("n4.auditor", "Settlement:GetSettlement", month))
    assert record["income_micro"] == (record["node_operators_micro"] + record["artists_micro"]
                                      + record["unallocated_micro"] + record["held_micro"])
    for totals in record["nodes"].values():
        assert totals["income_micro"] == (totals["node_share_micro"] + totals["artists_micro"]
                                          + totals["unallocated_micro"] + totals["held_micro"])
    for name in ("artists_micro", "held_micro", "income_micro", "unallocated_micro", "rejected_micro"):
        assert record[name] == sum(t[name] for t in record["nodes"].values())
    return record


def reviewers(ledger, node: str, month: str = MONTH) -> dict:
    """The reviewers assigned to ``node``'s month ({"peer", "external", ...})."""
    return json.loads(ledger.evaluate("n1.auditor", "Reviews:GetReviewers", month, node))


def approve(ledger, node: str, month: str = MONTH, roles=("peer", "external")) -> None:
    """``node``'s assigned reviewers (of ``roles``) approve its sealed month."""
    assigned = reviewers(ledger, node, month)
    for role in roles:
        ledger.submit(f"{assigned[role]}.reviewer", "Reviews:Review", month, node, "approve", "", EVIDENCE, "")


def flag(ledger, node: str, role: str = "external", scope: str = WHOLE, reason: str = "loops",
         month: str = MONTH) -> dict:
    """``node``'s assigned ``role`` reviewer flags its month over ``scope``; the review's answer."""
    reviewer = reviewers(ledger, node, month)[role]
    return json.loads(ledger.submit(f"{reviewer}.reviewer", "Reviews:Review", month, node, "flag", reason,
                                    EVIDENCE, scope).payload)


def standard_month(ledger, month: str = MONTH) -> None:
    """n1: L1 (a1 100 s, a2 50 s) and L2 (a3) allocated, L3 subscribed without plays;
    n3: M1 (a1 60 s, a9 30 s; a9 is not registered). n2 and n4 have no subscriptions."""
    subscribe(ledger, "n1", ["L1", "L2", "L3"], month)
    subscribe(ledger, "n3", ["M1"], month)
    allocate_and_seal(ledger, "n1", [{"L1": {"a1": 100, "a2": 50}}, {"L2": {"a3": 300}}], month)
    allocate_and_seal(ledger, "n3", [{"M1": {"a1": 60, "a9": 30}}], month)


def reviewed_month(ledger, month: str = MONTH) -> None:
    """The standard month, n1's and n3's months approved by their assigned reviewers."""
    standard_month(ledger, month)
    approve(ledger, "n1", month)
    approve(ledger, "n3", month)


def flagged_month(ledger, scope: str = WHOLE, reason: str = "loops") -> dict:
    """The standard month, n3's approved, n1's approved by its peer (n2) and flagged by its
    external reviewer (n4) over ``scope``; the flag's dispute: local n1, peer n2, external n3."""
    standard_month(ledger)
    approve(ledger, "n3")
    approve(ledger, "n1", roles=("peer",))
    return flag(ledger, "n1", "external", scope, reason)["dispute"]


def majority(ledger, kind: str, payload: dict, proposer: str = "n1", approvers=("n2", "n3")) -> dict:
    """A proposal of ``proposer`` approved by ``approvers`` (a majority of four with the proposer)."""
    proposal = json.loads(ledger.submit(f"{proposer}.admin", "Registry:Propose", kind, json.dumps(payload)).payload)
    for node in approvers:
        proposal = json.loads(ledger.submit(f"{node}.admin", "Registry:Approve", proposal["id"]).payload)
    return proposal


def script(ledger) -> None:
    """A fixed script: a month with a dispute voted 1-1-abstain and arbitrated after settlement,
    an unregistered artist registered by the consortium and released, and receipts."""
    standard_month(ledger)
    dispute = flag(ledger, "n1", "peer", reason="plays too long")["dispute"]["id"]
    approve(ledger, "n1", roles=("external",))
    approve(ledger, "n3")
    ledger.submit("n1.reviewer", "Reviews:Vote", dispute, "approve", "the report stands")
    ledger.submit("n2.reviewer", "Reviews:Vote", dispute, "abstain", "")
    ledger.submit("n2.admin", "Settlement:Settle", MONTH)
    ledger.submit("n3.reviewer", "Reviews:Vote", dispute, "reject", "loops")
    ledger.submit("n4.arbitrator", "Reviews:Arbitrate", dispute, "approve", "loops are within policy")
    majority(ledger, "register_artist", {"id": "a9", "name": "Artist a9", "wallet": "wallet-a9"})
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
