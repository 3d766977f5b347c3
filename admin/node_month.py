"""A node's month: load its days, check them against their anchors, reconcile, review, settle."""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from chaincode import canonical_json, records, rules
from chaincode.contracts.allocations import Allocations
from chaincode.contracts.listening import Listening
from chaincode.contracts.subscriptions import Subscriptions
from chaincode.rules import Policy

from . import anomalies as anomaly_checks
from . import dayfile
from .errors import InputError, NotFoundRejected
from .pseudonym import Pseudonymiser
from .readers.resolve import ReadOptions
from .reconcile import MonthSums, Reconciliation, batches
from .session import Session

BATCH_SIZE = 500
REASON_LIMIT = 1000  # a review's reason on chain (chaincode.validate.text)
#: The checks whose findings name listeners (their subject), artists, or days.
LISTENER_CHECKS = ("over_24h", "overlapping_plays", "track_loops")
ARTIST_CHECKS = ("few_listener_artists",)
DAY_CHECKS = ("day_total_outlier",)


@dataclass
class MonthDays:
    """A node's month recomputed from its day files, each checked against its anchor on chain.

    days: the days whose file matches its anchor, in order; only those are reconciled (``result``);
    problems: a sentence per missing, extra or altered day; bad_days: the anchored days whose file is
    missing or altered; day_findings: the per-day anomaly checks of ``days`` (when asked for).
    """

    anchors: dict[str, dict[str, Any]]
    days: list[str]
    result: Reconciliation
    problems: list[str] = field(default_factory=list)
    bad_days: list[str] = field(default_factory=list)
    day_findings: list[dict[str, Any]] = field(default_factory=list)


def _day_files(folder: Path, month: str) -> dict[str, Path]:
    files = {}
    for path in sorted(folder.glob(f"{month}-*.*")):
        files.setdefault(dayfile.day_of(path), path)
    return files


def load_month(session: Session, month: str, node: str, policy: Policy, plays: Path | None = None,
               secret: bytes | None = None, options: ReadOptions | None = None,
               anomalies: bool = False) -> MonthDays:
    """The node's month from its days: the raw files in ``plays`` pseudonymised with ``secret`` and
    read with ``options``, or else the canonical ones kept in the ledger folder (see
    :func:`load_month_from`)."""
    if plays is not None:
        return load_month_from(session, month, node, plays, policy, secret, options, anomalies)
    return load_month_from(session, month, node, dayfile.kept_folder(session.folder, node), policy,
                           anomalies=anomalies)


def load_month_from(session: Session, month: str, node: str, folder: Path, policy: Policy,
                    secret: bytes | None = None, options: ReadOptions | None = None,
                    anomalies: bool = False) -> MonthDays:
    """The node's month from the day files of ``folder`` (raw when ``secret`` is given, else canonical),
    read one day after another (:func:`dayfile.anchored_days`; no day is kept): each compared with its
    on-chain anchor (a missing, extra or altered day is a problem, named by date), the matching ones
    reconciled by the payout rule of ``policy`` and, with ``anomalies``, run through the per-day checks."""
    anchors = {a["date"]: a for a in session.reader().evaluate(Listening.ListAnchors, node, month)}
    files = _day_files(folder, month) if folder.exists() else {}
    if secret:
        pseudonyms = Pseudonymiser(secret, month)
        load: Callable[[Path], pd.DataFrame] = lambda path: dayfile.load_day(path, pseudonyms, options=options)
    else:
        load = dayfile.read_canonical
    sums = MonthSums(paid_listeners(session, month, node), policy.min_seconds)
    days, problems, bad_days, findings = [], [], [], []
    loaded = dayfile.anchored_days([files[day] for day in sorted(files)], load, policy.min_seconds)
    for day in sorted(set(anchors) | set(files)):
        if day not in files:
            problems.append(f"{day}: anchored on chain (sha256 {anchors[day]['sha256'][:12]}…) but no file in {folder}")
            bad_days.append(day)
            continue
        _, frame, anchor = next(loaded)
        if day not in anchors:
            problems.append(f"{day}: {files[day]} has no anchor on chain (submit it with `listens submit`)")
        elif anchor["sha256"] != anchors[day]["sha256"]:
            problems.append(f"{day}: {files[day]} hashes to {anchor['sha256'][:12]}…, the chain anchored "
                            f"{anchors[day]['sha256'][:12]}… (the file was altered)")
            bad_days.append(day)
        else:
            sums.add(frame)
            if anomalies:
                findings += anomaly_checks.day_checks(frame, policy.anomalies, policy.min_seconds)
            days.append(day)
        del frame  # not held while the next day is awaited
    return MonthDays(anchors, days, sums.reconciliation(policy.top_n), problems, bad_days, findings)


def paid_listeners(session: Session, month: str, node: str) -> list[str]:
    subs = session.reader().evaluate(Subscriptions.List, month, node)
    return [s["listener"] for s in subs if s["status"] in rules.COUNTED]


def batch_entries(batch: list) -> list[list]:
    """A batch of allocations as ``Allocations:SubmitBatch`` takes it."""
    return [[listener, [[a, w] for a, w in artists]] for listener, artists in batch]


def submit_allocations(session: Session, month: str, node: str, result: Reconciliation,
                       progress: Callable[[int], None] = lambda n: None) -> dict[str, Any]:
    """Submit the allocations in batches, then seal the month with its Merkle root.

    Resumes where the chain is: batches already on chain with the same content are kept; from the
    first that differs (a run interrupted, a late day) the node's batches are withdrawn and
    submitted again. A month sealed with another root is refused: unseal it first.
    """
    parts = [batch_entries(batch) for batch in batches(result.allocations, BATCH_SIZE)]
    admin, reader = session.admin(node), session.reader()
    sealed = _node_month(session, month, node)
    if sealed is not None and sealed["status"] == "sealed" and sealed["merkle_root"] != result.merkle_root:
        raise InputError(f"node {node} sealed {month} (version {sealed['version']}) with Merkle root "
                         f"{sealed['merkle_root']}; its days now give {result.merkle_root}. Unseal it first: "
                         f"nineten month withdraw {month} --node {node} --reason TEXT")
    if sealed is None or sealed["status"] != "sealed":
        on_chain = reader.evaluate(Allocations.ListBatches, month, node)
        kept = 0
        while kept < min(len(on_chain), len(parts)) and on_chain[kept]["sha256"] == records.batch_sha256(parts[kept]):
            kept += 1
        if kept < len(on_chain):
            admin.submit(Allocations.Withdraw, month, node, str(kept + 1))
        for number, entries in enumerate(parts, start=1):
            if number > kept:
                admin.submit(Allocations.SubmitBatch, month, node, str(number), entries)
            progress(len(entries))
    sealed = admin.submit(Allocations.Seal, month, node, result.merkle_root, str(len(parts)))
    return {"batches": len(parts), "merkle_root": result.merkle_root, "txid": sealed.txid, "block": sealed.block,
            "version": sealed.json()["nodemonth"]["version"]}


def _node_month(session: Session, month: str, node: str) -> dict[str, Any] | None:
    try:
        return session.reader().evaluate(Allocations.GetNodeMonth, month, node)
    except NotFoundRejected:
        return None


def review_verdict(session: Session, month: str, node: str, days: MonthDays) -> tuple[str, str, str, dict | None]:
    """(verdict, reason, evidence sha256, scope) of a reviewer's recomputation against the sealed
    month: days that do not match their anchors are flagged (scope: those days), a different root
    the whole month."""
    result = days.result
    sealed = session.reader().evaluate(Allocations.GetNodeMonth, month, node)
    evidence = {"days": {d: a["sha256"] for d, a in sorted(days.anchors.items())},
                "merkle_root": result.merkle_root, "problems": days.problems}
    evidence_sha = canonical_json.sha256(evidence)
    if days.problems:
        scope = {"days": days.bad_days} if days.bad_days else {"month": True}
        return "flag", "day files do not match their anchors: " + "; ".join(days.problems), evidence_sha, scope
    if sealed["merkle_root"] != result.merkle_root:
        return "flag", (f"recomputed Merkle root {result.merkle_root} differs from the sealed "
                        f"{sealed['merkle_root']}"), evidence_sha, {"month": True}
    return ("approve", f"recomputed {len(result.allocations)} allocations from {len(days.days)} days: same root",
            evidence_sha, None)


def anomaly_findings(policy: Policy, days: MonthDays) -> list[dict[str, Any]]:
    """Every named anomaly check of the policy over the month (loaded with ``anomalies``): per day,
    then per month."""
    day_seconds = {day: anchor["seconds"] for day, anchor in days.anchors.items()}
    return days.day_findings + anomaly_checks.month_checks(days.result.allocations, day_seconds, policy.anomalies,
                                                           policy.artist_share_micro)


def findings_sha256(findings: list[dict[str, Any]]) -> str:
    """The evidence hash of a list of findings (canonical JSON)."""
    return canonical_json.sha256(findings)


def findings_scope(findings: list[dict[str, Any]]) -> dict[str, list[str]]:
    """What findings dispute: the listeners they name (an account farm's accounts too), the artists
    and the days; the whole month when they name none of these."""
    named: dict[str, set[str]] = {"listeners": set(), "artists": set(), "days": set()}
    for finding in findings:
        if finding["check"] in LISTENER_CHECKS:
            named["listeners"].add(finding["subject"])
        elif finding["check"] == "account_farm":
            named["listeners"].update(finding["evidence"]["listeners"].split(","))
        elif finding["check"] in ARTIST_CHECKS:
            named["artists"].add(finding["subject"])
        elif finding["check"] in DAY_CHECKS:
            named["days"].add(finding["subject"])
    found = {kind: sorted(items) for kind, items in named.items() if items}
    return found or {"month": True}


def findings_flag(findings: list[dict[str, Any]], checks: set[str]) -> tuple[str, list[dict[str, Any]]] | None:
    """A flag's reason and evidence (the findings of ``checks``, in order), or None without any.

    The reason counts the findings per check with the first subject; the evidence hash is
    :func:`findings_sha256` of the evidence; its scope is :func:`findings_scope`.
    """
    evidence = [f for f in findings if f["check"] in checks]
    if not evidence:
        return None
    first: dict[str, tuple[int, str]] = {}
    for finding in evidence:
        count, subject = first.get(finding["check"], (0, finding["subject"]))
        first[finding["check"]] = (count + 1, subject)
    summary = "; ".join(f"{check} {count} (first: {subject})" for check, (count, subject) in first.items())
    reason = f"anomaly findings: {summary}"
    return (reason if len(reason) <= REASON_LIMIT else reason[:REASON_LIMIT - 1] + "…"), evidence
