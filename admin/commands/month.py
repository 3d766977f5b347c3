"""``nineten month``: reconcile, review and settle a month."""

import hashlib
import json
from pathlib import Path

import click

from ..choices import ANOMALY_CHECKS
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
    from .. import node_month
    from ..errors import InputError

    policy = session.policy(month_id)
    secret = session.config.secret(node) if plays else None
    days = node_month.load_month(session, month_id, node, policy, plays, secret, anomalies=True)
    if days.problems:
        raise InputError("the days do not match their anchors: " + "; ".join(days.problems),
                         str(plays or session.folder / "days" / node))
    result = days.result
    findings = node_month.anomaly_findings(policy, days)
    with progress(len(result.allocations), "submitting allocations") as bar:
        sealed = node_month.submit_allocations(session, month_id, node, result, bar.update)
    click.echo(f"{node} {month_id}: {len(days.days)} days, {len(result.allocations)} listeners allocated in "
               f"{sealed['batches']} batches; {len(result.no_plays)} subscribed without a counted play "
               f"(unallocated); {len(result.unsubscribed)} listeners without a subscription count for "
               f"nothing; sealed with Merkle root {sealed['merkle_root']} in block {sealed['block']}")
    _report_findings(session.folder / "findings" / node / f"{month_id}.json", findings)


def _report_findings(target: Path, findings: list[dict]) -> None:
    """A count per anomaly check, and every finding with its evidence in the JSON file ``target``."""
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
@click.option("--dispute", "checks", multiple=True, type=click.Choice(("all",) + ANOMALY_CHECKS),
              help="Run the anomaly checks too, and flag the month (opening a dispute, or adding to the "
              "open one) when this check finds anything; repeat for several, `all` for every check.")
@pass_session
def month_review(session, month_id: str, node: str, days_dir: Path | None, reviewer: str,
                 checks: tuple[str, ...]) -> None:
    """Recompute NODE's MONTH from its shared canonical day files and vote: approve when the
    recomputed Merkle root equals the sealed one and every day matches its anchor, else flag
    (which opens a dispute).

    \b
    With --dispute CHECK, the anomaly checks run over the same days; every finding is written to
    <ledger>/findings/<node>/<month>.by-<reviewer>.json. A month that recomputes to the sealed root
    is still flagged when a chosen check finds something: the reason counts the findings and the
    evidence hash on chain is the SHA-256 of <month>.evidence-<reviewer>.json, the chosen findings
    as canonical JSON. Reviewing again with the same result changes nothing.
    """
    from chaincode.contracts.reviews import Reviews

    from .. import node_month

    policy = session.policy(month_id)
    folder = days_dir or session.folder / "days" / node
    days = node_month.load_month_from(session, month_id, node, folder, policy, anomalies=bool(checks))
    verdict, reason, evidence = node_month.review_verdict(session, month_id, node, days)
    findings, chosen = [], None
    if checks:
        findings = node_month.anomaly_findings(policy, days)
        flag = node_month.findings_flag(findings, set(ANOMALY_CHECKS if "all" in checks else checks))
        if flag is not None and verdict == "approve":
            verdict, (reason, chosen) = "flag", flag
            evidence = node_month.findings_sha256(chosen)
    answer = session.reviewer(reviewer).submit(Reviews.Review, month_id, node, verdict, reason, evidence).json()
    if checks:
        _keep_review_findings(session.folder / "findings" / node, f"{month_id}.%s-{reviewer}.json", findings, chosen)
    click.echo(f"{reviewer} {verdict}s {node}'s {month_id}: {reason}")
    if not answer["reviewed"]:
        click.echo("this review was already on chain; nothing changed")
    elif answer["dispute"] is not None:
        dispute = answer["dispute"]
        click.echo(f"dispute {dispute['id']} is open on {node}'s {month_id}: local {dispute['local']}, "
                   f"peer {dispute['peer'] or '-'}, external {dispute['external'] or '-'}")


def _keep_review_findings(folder: Path, name: str, findings: list[dict], chosen: list[dict] | None) -> None:
    """A reviewer's findings (``name % "by"``) and the evidence of its flag (``name % "evidence"``),
    canonical JSON so that the file's SHA-256 is the evidence hash on chain."""
    from chaincode import canonical_json

    _report_findings(folder / (name % "by"), findings)
    if chosen is not None:
        target = folder / (name % "evidence")
        target.write_bytes(canonical_json.dumpb(chosen))
        click.echo(f"dispute evidence (sha256 {hashlib.sha256(target.read_bytes()).hexdigest()}): {target}")


@month.command("settle")
@click.argument("month_id", metavar="MONTH")
@click.option("--node", required=True, help="Your node (you act as <node>.admin unless --as).")
@pass_session
def month_settle(session, month_id: str, node: str) -> None:
    """Close MONTH on chain: node operator shares, artist payouts, unallocated and held money,
    checked by the money invariant (a month where it fails is not closed)."""
    from chaincode.contracts.settlement import Settlement

    committed = session.admin(node).submit(Settlement.Settle, month_id)
    show(session.reader().evaluate(Settlement.GetSettlement, month_id))
    click.echo(f"settled in block {committed.block} (transaction {committed.txid})")


COMMANDS = [month]
