"""``nineten month``: reconcile, review and settle a month."""

import json
from pathlib import Path

import click

from .. import month as monthly
from ..errors import InputError
from . import pass_session, progress, show

DIR = click.Path(path_type=Path, exists=True, file_okay=False)


@click.group()
def month() -> None:
    """Month-end: reconcile a node's month, review another node's, settle the consortium's."""


@month.command("reconcile")
@click.argument("month_id", metavar="MONTH")
@click.option("--node", required=True, help="The node reconciling its own month.")
@click.option("--plays", type=DIR, help="Folder of the node's raw day files (default: the canonical "
              "days kept by `listens submit`).")
@pass_session
def month_reconcile(session, month_id: str, node: str, plays: Path | None) -> None:
    """Check every day of MONTH against its anchor, compute the allocations of the payout rule,
    submit them in batches and seal the month with its Merkle root.

    A missing, extra or altered day stops the reconciliation before anything is submitted.
    """
    policy = session.query(session.reader(), "Registry:GetPolicy", month_id)
    secret = session.config.secret(node) if plays else None
    days = monthly.load_month(session, month_id, node, plays, policy["min_seconds"], secret)
    if days.problems:
        raise InputError("the days do not match their anchors: " + "; ".join(days.problems),
                         str(plays or session.folder / "days" / node))
    result = monthly.compute(session, month_id, node, days, policy)
    findings = monthly.anomaly_findings(policy, days, result)
    with progress(len(result.allocations), "submitting allocations") as bar:
        sealed = monthly.submit_allocations(session, month_id, node, result, bar.update)
    click.echo(f"{node} {month_id}: {len(days.frames)} days, {len(result.allocations)} listeners allocated in "
               f"{sealed['batches']} batches; {len(result.no_plays)} subscribed without a counted play "
               f"(unallocated); {len(result.unsubscribed)} listeners without a subscription count for "
               f"nothing; sealed with Merkle root {sealed['merkle_root']} in block {sealed['block']}")
    _report_findings(session, month_id, node, findings)


def _report_findings(session, month_id: str, node: str, findings: list[dict]) -> None:
    """A count per anomaly check, and every finding with its evidence in a JSON file."""
    target = session.folder / "findings" / node / f"{month_id}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(findings, indent=2) + "\n")
    counts: dict[str, int] = {}
    for finding in findings:
        counts[finding["check"]] = counts.get(finding["check"], 0) + 1
    show([{"check": check, "findings": n} for check, n in sorted(counts.items())], ["check", "findings"])
    click.echo(f"anomaly findings with their evidence: {target}")


@month.command("review")
@click.argument("month_id", metavar="MONTH")
@click.option("--node", required=True, help="The node whose month is reviewed.")
@click.option("--days", "days_dir", type=DIR, help="Folder of the reviewed node's canonical day files "
              "(default: <ledger>/days/<node>).")
@click.option("--reviewer", required=True, help="Your node (you act as <reviewer>.reviewer unless --as).")
@pass_session
def month_review(session, month_id: str, node: str, days_dir: Path | None, reviewer: str) -> None:
    """Recompute NODE's MONTH from its shared canonical day files and vote: approve when the
    recomputed Merkle root equals the sealed one and every day matches its anchor, else flag
    (which opens a dispute)."""
    policy = session.query(session.reader(), "Registry:GetPolicy", month_id)
    folder = days_dir or session.folder / "days" / node
    days = monthly.load_month_from(session, month_id, node, folder, policy["min_seconds"])
    result = monthly.compute(session, month_id, node, days, policy)
    verdict, reason, evidence = monthly.review_verdict(session, month_id, node, days, result)
    session.submit(session.identity(reviewer, "reviewer"), "Reviews:Review", month_id, node, verdict, reason,
                   evidence)
    click.echo(f"{reviewer} {verdict}s {node}'s {month_id}: {reason}")


@month.command("settle")
@click.argument("month_id", metavar="MONTH")
@click.option("--node", required=True, help="Your node (you act as <node>.admin unless --as).")
@pass_session
def month_settle(session, month_id: str, node: str) -> None:
    """Close MONTH on chain: node operator shares, artist payouts, unallocated and held money,
    checked by the money invariant (a month where it fails is not closed)."""
    committed = session.submit(session.identity(node), "Settlement:Settle", month_id)
    show(session.query(session.reader(), "Settlement:GetSettlement", month_id))
    click.echo(f"settled in block {committed.block} (transaction {committed.txid})")


COMMANDS = [month]
