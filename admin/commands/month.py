"""``nineten month``: reconcile, review and settle a month."""

import json
from dataclasses import replace
from pathlib import Path

import click

from ..choices import ANOMALY_CHECKS
from ..errors import InputError
from . import json_argument, pass_session, progress, show
from .listens import listener_options

DIR = click.Path(path_type=Path, exists=True, file_okay=False)


@click.group()
def month() -> None:
    """Month-end: reconcile a node's month, review another node's, settle the consortium's."""


@month.command("reconcile")
@click.argument("month_id", metavar="MONTH")
@click.option("--node", required=True, help="The node reconciling its own month.")
@click.option("--plays", "plays", multiple=True, type=click.Path(path_type=Path, exists=True),
              help="The node's raw files (a folder: every file in it), read as `listens submit` reads them: any "
              "format, split into UTC days, artists through the catalogue (unmapped ones under their "
              "unregistered ids), seconds by the month's played-time rule. Repeatable. Default: the canonical "
              "days kept by `listens submit`.")
@listener_options
@pass_session
def month_reconcile(session, month_id: str, node: str, plays: tuple[Path, ...], listener: str | None,
                    listener_map: Path | None) -> None:
    """Check every day of MONTH against its anchor, compute the allocations of the payout rule,
    submit them in batches and seal the month with its Merkle root.

    A missing, extra or altered day stops the reconciliation before anything is submitted.
    Running it again resumes: batches already on chain with the same content are kept, and from
    the first that differs (a run interrupted, a day anchored late) the node's unsealed batches
    are withdrawn and submitted again. A month already sealed with another root is refused:
    unseal it first with `month withdraw` (after a correction). The first seal assigns the
    month's reviewers, a peer of the same cluster and an external node, picked by the chain.
    """
    from .. import node_month
    from ..listens import load_listener_map, read_options

    policy = session.policy(month_id)
    if plays:
        files = node_month.raw_files(list(plays), month_id)
        listeners = load_listener_map(listener_map, files) if listener_map else None
        days = node_month.load_month_raw(session, month_id, node, policy, files, read_options(session, listener),
                                         listeners, anomalies=True)
    else:
        days = node_month.load_month(session, month_id, node, policy, anomalies=True)
    if days.problems:
        raise InputError("the days do not match their anchors: " + "; ".join(days.problems),
                         ", ".join(str(p) for p in plays) or str(session.folder / "days" / node))
    result = days.result
    findings = node_month.anomaly_findings(policy, days)
    with progress(len(result.allocations), "submitting allocations") as bar:
        sealed = node_month.submit_allocations(session, month_id, node, result, bar.update)
    click.echo(f"{node} {month_id}: {len(days.days)} days, {len(result.allocations)} listeners allocated in "
               f"{sealed['batches']} batches; {len(result.no_plays)} subscribed without a counted play "
               f"(unallocated); {len(result.unsubscribed)} listeners without a subscription count for "
               f"nothing; sealed (version {sealed['version']}) with Merkle root {sealed['merkle_root']} in "
               f"block {sealed['block']}")
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
@click.option("--reviewer", required=True, help="Your node, an assigned reviewer of NODE's MONTH (you act as "
              "<reviewer>.reviewer unless --as).")
@click.option("--dispute", "checks", multiple=True, type=click.Choice(("all",) + ANOMALY_CHECKS),
              help="Run the anomaly checks too, and flag the month (opening a dispute, or adding to the "
              "open one) when this check finds anything; repeat for several, `all` for every check.")
@click.option("--scope", "scope_text", metavar="JSON|@FILE", help='Flag over this scope instead of the one '
              'derived: {"listeners": [...]}, {"artists": [...]}, {"days": [...]} or {"month": true}.')
@pass_session
def month_review(session, month_id: str, node: str, days_dir: Path | None, reviewer: str,
                 checks: tuple[str, ...], scope_text: str | None) -> None:
    """Recompute NODE's MONTH from its shared canonical day files and vote: approve when the
    recomputed Merkle root equals the sealed one and every day matches its anchor, else flag
    (which opens a dispute). Only NODE's assigned peer and external reviewers review it (see
    `month status`); a month is paid only once both have reviewed its sealed version.

    \b
    A flag names what it disputes, and only that is held when the month is settled: days that do
    not match their anchors (their whole node's part waits for the resolution), the whole month
    when the recomputed root differs, or with --dispute the listeners, artists or days the
    findings name (an account farm: its accounts). With --dispute CHECK, the anomaly checks run
    over the same days; every finding is written to <ledger>/findings/<node>/<month>.by-<reviewer>.json.
    A month that recomputes to the sealed root is still flagged when a chosen check finds something.
    The evidence is written to <ledger>/findings/<node>/<month>.evidence-<reviewer>.json as
    canonical JSON, and its SHA-256 is the evidence hash on chain: the anchors, the recomputed
    root and every problem found (or, for a flag from --dispute, the chosen findings). The reason
    on chain is a summary of at most 1,000 characters; the evidence file lists everything.
    Reviewing again with the same result changes nothing.
    """
    from chaincode import scope as scopes
    from chaincode.contracts.reviews import Reviews

    from .. import node_month

    policy = session.policy(month_id)
    folder = days_dir or session.folder / "days" / node
    days = node_month.load_month(session, month_id, node, policy, folder, anomalies=bool(checks))
    vote = node_month.review_verdict(session, month_id, node, days)
    findings = []
    if checks:
        findings = node_month.anomaly_findings(policy, days)
        flag = node_month.findings_flag(findings, set(ANOMALY_CHECKS if "all" in checks else checks))
        if flag is not None and vote.verdict == "approve":
            vote = flag
    if scope_text is not None:
        if vote.verdict != "flag":
            raise InputError(f"{node}'s {month_id} recomputes to its sealed root: there is nothing to flag "
                             "(use --dispute CHECK to flag anomaly findings)", field="--scope")
        vote = replace(vote, scope=json_argument(scope_text, "--scope"))
    answer = session.reviewer(reviewer).submit(Reviews.Review, month_id, node, vote.verdict, vote.reason,
                                               vote.sha256, "" if vote.scope is None else vote.scope).json()
    if checks:
        _report_findings(session.folder / "findings" / node / f"{month_id}.by-{reviewer}.json", findings)
    evidence = node_month.keep_evidence(session.folder, node, month_id, reviewer, vote)
    click.echo(f"review evidence (sha256 {vote.sha256}): {evidence}")
    click.echo(f"{reviewer} {vote.verdict}s {node}'s {month_id}: {vote.reason}")
    if not answer["reviewed"]:
        click.echo("this review was already on chain; nothing changed")
    elif answer["dispute"] is not None:
        dispute = answer["dispute"]
        click.echo(f"dispute {dispute['id']} is open on {node}'s {month_id} over "
                   f"{scopes.describe(dispute['scope'])}: local {dispute['local']}, "
                   f"peer {dispute['peer'] or '-'}, external {dispute['external'] or '-'}")


@month.command("settle")
@click.argument("month_id", metavar="MONTH")
@click.option("--node", required=True, help="Your node (you act as <node>.admin unless --as).")
@click.option("--part", "part_of", metavar="NODE", help="Settle NODE's part of the settled MONTH, held whole "
              "when the month was settled without it or with days of it in dispute.")
@pass_session
def month_settle(session, month_id: str, node: str, part_of: str | None) -> None:
    """Close MONTH on chain: node operator shares, artist payouts, unallocated and held money,
    checked by the money invariant (a month where it fails is not closed).

    \b
    Refused while a node with paid subscriptions has not sealed MONTH, or an assigned reviewer has
    not reviewed its sealed version (`month status` says who), unless a majority settles without
    that node (`consortium propose settle_without '{"month": ..., "node": ...}'`): its listeners'
    artist share is then held whole for it, and `month settle MONTH --part NODE` settles that part
    once its month is sealed and reviewed.
    """
    from chaincode.contracts.settlement import Settlement

    if part_of is not None:
        committed = session.admin(node).submit(Settlement.SettleNode, month_id, part_of)
        releases = committed.json()["releases"]
        click.echo(f"node {part_of}'s part of {month_id} settled in block {committed.block}: "
                   f"{len(releases)} artist releases")
        return
    committed = session.admin(node).submit(Settlement.Settle, month_id)
    show(session.reader().evaluate(Settlement.GetSettlement, month_id))
    click.echo(f"settled in block {committed.block} (transaction {committed.txid})")


@month.command("status")
@click.argument("month_id", metavar="MONTH")
@pass_session
def month_status(session, month_id: str) -> None:
    """Where each node with paid subscriptions stands in MONTH: its sealed version, its assigned
    reviewers and their verdicts on that version, what still blocks the settlement, and why its
    part would be held whole."""
    from chaincode.contracts.settlement import Settlement

    rows = []
    for s in session.reader().evaluate(Settlement.GetStanding, month_id):
        reviews = {role: f"{who} {s['reviewed'].get(role) or 'awaited'}" for role, who in s["reviewers"].items() if who}
        rows.append({"node": s["node"], "sealed": f"version {s['version']}" if s["sealed"] else "no",
                     "peer": reviews.get("peer", "-"), "external": reviews.get("external", "-"),
                     "blocked": s["blocked"], "pending": s["pending"]})
    show(rows, ["node", "sealed", "peer", "external", "blocked", "pending"])


@month.command("withdraw")
@click.argument("month_id", metavar="MONTH")
@click.option("--node", required=True, help="Your node, whose sealed month is withdrawn (you act as <node>.admin).")
@click.option("--reason", required=True, help="Why: kept on chain with the withdrawn seal.")
@pass_session
def month_withdraw(session, month_id: str, node: str, reason: str) -> None:
    """Unseal NODE's MONTH to correct it: the seal (batches, Merkle root) is kept on chain as
    superseded; correct days with `listens correct`, then `month reconcile` seals a new version,
    which the assigned reviewers review again before its money moves. Refused while a dispute is
    open on the month, and once its part is settled."""
    from chaincode.contracts.allocations import Allocations

    answer = session.admin(node).submit(Allocations.Unseal, month_id, node, reason).json()
    version = answer["nodemonth"]["version"]
    click.echo(f"node {node}'s {month_id} (version {version}) " + ("unsealed; its seal is kept as superseded"
                                                                  if answer["unsealed"] else "was not sealed"))


COMMANDS = [month]
