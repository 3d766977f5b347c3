"""``nineten demo``: a generated month run through every role, with one disputed report."""

import time
from pathlib import Path

from . import month as monthly
from .demo_data import write_demo
from .embedded.ledger import EmbeddedLedger
from .embedded.store import state_digest
from .simulate import (Echo, Scenario, anchor_days, money_line, reconcile_all, review, reviewers_of, set_up,
                       settle, write_summary)
from .session import Session
from .worldstate import world_state

DISPUTED = "n2"


def run_demo(out: Path, echo: Echo, bar, gateway_profile: Path | None = None) -> Path:
    """Generate the demo scenario under ``out`` and run its month with the ledger folder
    ``out/ledger`` (embedded, or on the network of ``gateway_profile``); returns the summary file."""
    started = time.monotonic()
    scenario = Scenario.open(write_demo(out / "scenario"), None)
    echo(f"scenario written to {scenario.folder} ({scenario.month})")
    session = Session(folder=out / "ledger", gateway_profile=gateway_profile)
    lines: list[str] = []

    def note(text: str) -> None:
        lines.append(text)
        echo(text)

    try:
        note("-- node admins: consortium, subscriptions, daily anchors, reconciliation")
        set_up(session, scenario, note, bar)
        anchor_days(session, scenario, note, bar)
        reconcile_all(session, scenario, note, bar)
        note("-- reviewers: every month recomputed by a peer and an external node")
        dispute_id = _reviews(session, scenario, note)
        note("-- settlement while the dispute is open: the disputed node's artist money is held")
        settle(session, scenario, note)
        note("-- three eyes: the local, peer and external nodes vote")
        _three_eyes(session, dispute_id, note)
        settlement = session.query(session.reader(), "Settlement:GetSettlement", scenario.month)
        note("after the resolution: " + money_line(settlement))
        note("-- auditor: the world state read from the chain" +
             (", the ledger re-walked" if isinstance(session.gateway, EmbeddedLedger) else ""))
        note(f"world state: {state_digest(world_state(session))}")
        if isinstance(session.gateway, EmbeddedLedger):
            checked, problems = session.gateway.verify()
            note(f"ledger verify: {checked} blocks, {'intact' if not problems else problems}")
        summary = write_summary(session, scenario, out, settlement, lines)
    finally:
        session.close()
    echo(f"done in {time.monotonic() - started:.1f} s; outputs in {out} (summary: {summary})")
    return summary


def _reviews(session: Session, scenario: Scenario, echo: Echo) -> str:
    """Honest reviews everywhere, except that n2's external reviewer flags its account farm."""
    nodes = scenario.consortium.nodes
    for node in nodes:
        for reviewer in reviewers_of(nodes, node):
            if node["id"] == DISPUTED and reviewer != reviewers_of(nodes, node)[0]:
                farm = _farm_finding(session, scenario)
                reason = (f"account farm: {farm['evidence']['accounts']} paid accounts share only the artists "
                          f"{farm['subject']}")
                evidence = monthly.findings_sha256([farm])
                session.submit(f"{reviewer}.reviewer", "Reviews:Review", scenario.month, DISPUTED, "flag",
                               reason, evidence)
                echo(f"review: {reviewer} flags {DISPUTED}'s month: {reason}")
                continue
            verdict, _ = review(session, scenario, node["id"], reviewer)
            echo(f"review: {reviewer} {verdict}s {node['id']}'s month")
    disputes = session.query(session.reader(), "Reviews:ListDisputes", scenario.month)
    dispute = disputes[0]
    echo(f"dispute {dispute['id']} opened on {DISPUTED}: local {dispute['local']}, peer {dispute['peer']}, "
         f"external {dispute['external']}")
    return dispute["id"]


def _farm_finding(session: Session, scenario: Scenario) -> dict:
    """The external reviewer's anomaly checks over the disputed node's shared days: its account farm."""
    policy = session.query(session.reader(), "Registry:GetPolicy", scenario.month)
    days = monthly.load_month(session, scenario.month, DISPUTED, None, policy["min_seconds"], None)
    result = monthly.compute(session, scenario.month, DISPUTED, days, policy)
    return next(f for f in monthly.anomaly_findings(policy, days, result) if f["check"] == "account_farm")


def _three_eyes(session: Session, dispute_id: str, echo: Echo) -> None:
    dispute = session.query(session.reader(), "Reviews:GetDispute", dispute_id)
    votes = [(dispute["local"], "approve", "our plays are real listeners"),
             (dispute["peer"], "reject", "the 25 accounts share one payment pattern and two artists"),
             (dispute["external"], "reject", "confirmed: scripted plays, 200 s apart, all day")]
    for node, vote, reason in votes:
        result = session.submit(f"{node}.reviewer", "Reviews:Vote", dispute_id, vote, reason).json()["dispute"]
        echo(f"{node} votes {vote}: {reason}")
        if result["status"] == "resolved":
            echo(f"dispute resolved: {result['resolution']} by {result['decided_by']}")
            break
