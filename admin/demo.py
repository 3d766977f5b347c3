"""``nineten demo``: a generated month run through every role, with one disputed report."""

import time
from pathlib import Path

from chaincode.contracts.reviews import Reviews
from chaincode.contracts.settlement import Settlement

from . import node_month
from .client import state_digest
from .demo_data import write_demo
from .simulate import (Echo, Run, Scenario, anchor_days, money_line, month_run, reconcile_all, review,
                       reviewers_of, set_up, settle, write_summary)

DISPUTED = "n2"


def run_demo(out: Path, echo: Echo, bar, gateway_profile: Path | None = None) -> Path:
    """Generate the demo scenario under ``out`` and run its month with the ledger folder
    ``out/ledger`` (embedded, or on the network of ``gateway_profile``); returns the summary file."""
    started = time.monotonic()
    scenario = Scenario.open(write_demo(out / "scenario"), None)
    echo(f"scenario written to {scenario.folder} ({scenario.month})")
    with month_run(scenario, out, echo, bar, gateway_profile) as run:
        run.note("-- node admins: consortium, subscriptions, daily anchors, reconciliation")
        set_up(run)
        anchor_days(run)
        reconcile_all(run)
        run.note("-- reviewers: every month recomputed by a peer and an external node")
        dispute_id = _reviews(run)
        run.note("-- settlement while the dispute is open: the disputed node's artist money is held")
        settle(run)
        run.note("-- three eyes: the local, peer and external nodes vote")
        _three_eyes(run, dispute_id)
        settlement = run.session.reader().evaluate(Settlement.GetSettlement, scenario.month)
        run.note("after the resolution: " + money_line(settlement))
        _audit(run)
        summary = write_summary(run, out, settlement)
    echo(f"done in {time.monotonic() - started:.1f} s; outputs in {out} (summary: {summary})")
    return summary


def _audit(run: Run) -> None:
    """The auditor's view: the world state's hash read through the chaincode, and where this
    machine keeps the blocks (the embedded ledger), the chain re-walked."""
    chain = run.session.client.local_chain()
    run.note("-- auditor: the world state read from the chain" + (", the ledger re-walked" if chain else ""))
    run.note(f"world state: {state_digest(run.session.reader().world_state())}")
    if chain is not None:
        checked, problems = chain.verify()
        run.note(f"ledger verify: {checked} blocks, {'intact' if not problems else problems}")


def _reviews(run: Run) -> str:
    """Honest reviews everywhere, except that n2's external reviewer flags its account farm."""
    session, month, nodes = run.session, run.scenario.month, run.scenario.consortium.nodes
    for node in nodes:
        for reviewer in reviewers_of(nodes, node):
            if node["id"] == DISPUTED and reviewer != reviewers_of(nodes, node)[0]:
                farm = _farm_finding(run)
                reason = (f"account farm: {farm['evidence']['accounts']} paid accounts share only the artists "
                          f"{farm['subject']}")
                evidence = node_month.findings_sha256([farm])
                session.reviewer(reviewer).submit(Reviews.Review, month, DISPUTED, "flag", reason, evidence)
                run.note(f"review: {reviewer} flags {DISPUTED}'s month: {reason}")
                continue
            review(run, node["id"], reviewer)
    dispute = session.reader().evaluate(Reviews.ListDisputes, month)[0]
    run.note(f"dispute {dispute['id']} opened on {DISPUTED}: local {dispute['local']}, peer {dispute['peer']}, "
             f"external {dispute['external']}")
    return dispute["id"]


def _farm_finding(run: Run) -> dict:
    """The external reviewer's anomaly checks over the disputed node's shared days: its account farm."""
    session, month = run.session, run.scenario.month
    policy = session.policy(month)
    days = node_month.load_month(session, month, DISPUTED, policy)
    return next(f for f in node_month.anomaly_findings(policy, days) if f["check"] == "account_farm")


def _three_eyes(run: Run, dispute_id: str) -> None:
    session = run.session
    dispute = session.reader().evaluate(Reviews.GetDispute, dispute_id)
    votes = [(dispute["local"], "approve", "our plays are real listeners"),
             (dispute["peer"], "reject", "the 25 accounts share one payment pattern and two artists"),
             (dispute["external"], "reject", "confirmed: scripted plays, 200 s apart, all day")]
    for node, vote, reason in votes:
        result = session.reviewer(node).submit(Reviews.Vote, dispute_id, vote, reason).json()["dispute"]
        run.note(f"{node} votes {vote}: {reason}")
        if result["status"] == "resolved":
            run.note(f"dispute resolved: {result['resolution']} by {result['decided_by']}")
            break
