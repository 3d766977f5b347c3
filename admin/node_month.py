"""A node's month: load its days, check them against their anchors, reconcile, review, settle."""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from chaincode import canonical_json, rules
from chaincode.contracts.allocations import Allocations
from chaincode.contracts.listening import Listening
from chaincode.contracts.subscriptions import Subscriptions
from chaincode.rules import Policy

from . import anomalies as anomaly_checks
from . import dayfile
from .pseudonym import Pseudonymiser
from .reconcile import MonthSums, Reconciliation, batches
from .session import Session

BATCH_SIZE = 500
REASON_LIMIT = 1000  # a review's reason on chain (chaincode.validate.text)
@dataclass
class MonthDays:
    """A node's month recomputed from its day files, each checked against its anchor on chain.

    days: the days whose file matches its anchor, in order; only those are reconciled (``result``);
    problems: a sentence per missing, extra or altered day; day_findings: the per-day anomaly checks
    of those days (when asked for).
    """

    anchors: dict[str, dict[str, Any]]
    days: list[str]
    result: Reconciliation
    problems: list[str] = field(default_factory=list)
    day_findings: list[dict[str, Any]] = field(default_factory=list)


def _day_files(folder: Path, month: str) -> dict[str, Path]:
    files = {}
    for path in sorted(folder.glob(f"{month}-*.*")):
        files.setdefault(dayfile.day_of(path), path)
    return files


def load_month(session: Session, month: str, node: str, policy: Policy, plays: Path | None = None,
               secret: bytes | None = None, anomalies: bool = False) -> MonthDays:
    """The node's month from its days: the raw files in ``plays`` pseudonymised with ``secret``, or
    else the canonical ones kept in the ledger folder (see :func:`load_month_from`)."""
    if plays is not None:
        return load_month_from(session, month, node, plays, policy, secret, anomalies)
    return load_month_from(session, month, node, dayfile.kept_folder(session.folder, node), policy,
                           anomalies=anomalies)


def load_month_from(session: Session, month: str, node: str, folder: Path, policy: Policy,
                    secret: bytes | None = None, anomalies: bool = False) -> MonthDays:
    """The node's month from the day files of ``folder`` (raw when ``secret`` is given, else canonical),
    read one day after another (:func:`dayfile.anchored_days`; no day is kept): each compared with its
    on-chain anchor (a missing, extra or altered day is a problem, named by date), the matching ones
    reconciled by the payout rule of ``policy`` and, with ``anomalies``, run through the per-day checks."""
    anchors = {a["date"]: a for a in session.reader().evaluate(Listening.ListAnchors, node, month)}
    files = _day_files(folder, month) if folder.exists() else {}
    if secret:
        pseudonyms = Pseudonymiser(secret, month)
        load: Callable[[Path], pd.DataFrame] = lambda path: dayfile.load_day(path, pseudonyms)
    else:
        load = dayfile.read_canonical
    sums = MonthSums(paid_listeners(session, month, node), policy.min_seconds)
    days, problems, findings = [], [], []
    loaded = dayfile.anchored_days([files[day] for day in sorted(files)], load, policy.min_seconds)
    for day in sorted(set(anchors) | set(files)):
        if day not in files:
            problems.append(f"{day}: anchored on chain (sha256 {anchors[day]['sha256'][:12]}…) but no file in {folder}")
            continue
        _, frame, anchor = next(loaded)
        if day not in anchors:
            problems.append(f"{day}: {files[day]} has no anchor on chain (submit it with `listens submit`)")
        elif anchor["sha256"] != anchors[day]["sha256"]:
            problems.append(f"{day}: {files[day]} hashes to {anchor['sha256'][:12]}…, the chain anchored "
                            f"{anchors[day]['sha256'][:12]}… (the file was altered)")
        else:
            sums.add(frame)
            if anomalies:
                findings += anomaly_checks.day_checks(frame, policy.anomalies, policy.min_seconds)
            days.append(day)
        del frame  # not held while the next day is awaited
    return MonthDays(anchors, days, sums.reconciliation(policy.top_n), problems, findings)


def paid_listeners(session: Session, month: str, node: str) -> list[str]:
    subs = session.reader().evaluate(Subscriptions.List, month, node)
    return [s["listener"] for s in subs if s["status"] in rules.COUNTED]


def submit_allocations(session: Session, month: str, node: str, result: Reconciliation,
                       progress: Callable[[int], None] = lambda n: None) -> dict[str, Any]:
    """Submit the allocations in batches, then seal the month with its Merkle root."""
    parts = batches(result.allocations, BATCH_SIZE)
    admin = session.admin(node)
    for number, batch in enumerate(parts, start=1):
        entries = [[listener, [[a, w] for a, w in artists]] for listener, artists in batch]
        admin.submit(Allocations.SubmitBatch, month, node, str(number), entries)
        progress(len(batch))
    sealed = admin.submit(Allocations.Seal, month, node, result.merkle_root, str(len(parts)))
    return {"batches": len(parts), "merkle_root": result.merkle_root, "txid": sealed.txid, "block": sealed.block}


def review_verdict(session: Session, month: str, node: str, days: MonthDays) -> tuple[str, str, str]:
    """(verdict, reason, evidence sha256) of a reviewer's recomputation against the sealed month."""
    result = days.result
    sealed = session.reader().evaluate(Allocations.GetNodeMonth, month, node)
    evidence = {"days": {d: a["sha256"] for d, a in sorted(days.anchors.items())},
                "merkle_root": result.merkle_root, "problems": days.problems}
    evidence_sha = canonical_json.sha256(evidence)
    if days.problems:
        return "flag", "day files do not match their anchors: " + "; ".join(days.problems), evidence_sha
    if sealed["merkle_root"] != result.merkle_root:
        return "flag", (f"recomputed Merkle root {result.merkle_root} differs from the sealed "
                        f"{sealed['merkle_root']}"), evidence_sha
    return "approve", f"recomputed {len(result.allocations)} allocations from {len(days.days)} days: same root", evidence_sha


def anomaly_findings(policy: Policy, days: MonthDays) -> list[dict[str, Any]]:
    """Every named anomaly check of the policy over the month (loaded with ``anomalies``): per day,
    then per month."""
    day_seconds = {day: anchor["seconds"] for day, anchor in days.anchors.items()}
    return days.day_findings + anomaly_checks.month_checks(days.result.allocations, day_seconds, policy.anomalies,
                                                           policy.artist_share_micro)


def findings_sha256(findings: list[dict[str, Any]]) -> str:
    """The evidence hash of a list of findings (canonical JSON)."""
    return canonical_json.sha256(findings)


def findings_flag(findings: list[dict[str, Any]], checks: set[str]) -> tuple[str, list[dict[str, Any]]] | None:
    """A flag's reason and evidence (the findings of ``checks``, in order), or None without any.

    The reason counts the findings per check with the first subject; the evidence hash is
    :func:`findings_sha256` of the evidence.
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
