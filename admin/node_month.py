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

from . import anomalies, dayfile
from .readers.resolve import ReadOptions
from .reconcile import Reconciliation, batches, reconcile
from .session import Session

BATCH_SIZE = 500
REASON_LIMIT = 1000  # a review's reason on chain (chaincode.validate.text)
@dataclass
class MonthDays:
    """A node's day frames for a month, checked against the anchors on chain."""

    frames: dict[str, pd.DataFrame]
    anchors: dict[str, dict[str, Any]]
    problems: list[str] = field(default_factory=list)


def _day_files(folder: Path, month: str) -> dict[str, Path]:
    files = {}
    for path in sorted(folder.glob(f"{month}-*.*")):
        files.setdefault(dayfile.day_of(path), path)
    return files


def load_month(session: Session, month: str, node: str, plays: Path | None,
               min_seconds: int, secret: bytes | None, options: ReadOptions | None = None) -> MonthDays:
    """Load the node's days (raw files in ``plays`` pseudonymised with ``secret`` and read with
    ``options``, or else the canonical ones kept in the ledger folder) and compare each with its
    on-chain anchor."""
    if plays is not None:
        return load_month_from(session, month, node, plays, min_seconds, secret, options)
    return load_month_from(session, month, node, dayfile.kept_folder(session.folder, node), min_seconds)


def load_month_from(session: Session, month: str, node: str, folder: Path, min_seconds: int,
                    secret: bytes | None = None, options: ReadOptions | None = None) -> MonthDays:
    """Load the day files of ``folder`` (raw when ``secret`` is given, else canonical) and compare each
    with its on-chain anchor: a missing, extra or altered day is a problem, named by date."""
    anchors = {a["date"]: a for a in session.reader().evaluate(Listening.ListAnchors, node, month)}
    files = _day_files(folder, month) if folder.exists() else {}
    frames, problems = {}, []
    for day in sorted(set(anchors) | set(files)):
        if day not in files:
            problems.append(f"{day}: anchored on chain (sha256 {anchors[day]['sha256'][:12]}…) but no file in {folder}")
            continue
        frame = dayfile.load_day(files[day], secret, options=options) if secret else dayfile.read_canonical(files[day])
        if day not in anchors:
            problems.append(f"{day}: {files[day]} has no anchor on chain (submit it with `listens submit`)")
            continue
        sha = dayfile.anchor(frame, min_seconds)["sha256"]
        if sha != anchors[day]["sha256"]:
            problems.append(f"{day}: {files[day]} hashes to {sha[:12]}…, the chain anchored "
                            f"{anchors[day]['sha256'][:12]}… (the file was altered)")
            continue
        frames[day] = frame
    return MonthDays(frames, anchors, problems)


def paid_listeners(session: Session, month: str, node: str) -> list[str]:
    subs = session.reader().evaluate(Subscriptions.List, month, node)
    return [s["listener"] for s in subs if s["status"] in rules.COUNTED]


def compute(session: Session, month: str, node: str, days: MonthDays, policy: Policy) -> Reconciliation:
    """The node's month by the payout rule of ``policy``, from its checked days and paid subscribers."""
    return reconcile(days.frames.values(), paid_listeners(session, month, node), policy.top_n, policy.min_seconds)


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


@dataclass(frozen=True)
class Verdict:
    """A reviewer's vote: the verdict, the reason on chain (a summary that fits, see :func:`summary`)
    and the evidence, whose canonical JSON is the evidence file and its SHA-256 the hash on chain."""

    verdict: str
    reason: str
    evidence: Any

    @property
    def sha256(self) -> str:
        return canonical_json.sha256(self.evidence)


def summary(head: str, items: list[str]) -> str:
    """``head: item; item; ...`` cut to what a reason on chain holds: the items that fit (each at most
    200 characters), then how many more the evidence file lists."""
    items = [item if len(item) <= 200 else item[:199] + "…" for item in items]
    text = f"{head}: {'; '.join(items)}"
    kept = len(items)
    while len(text) > REASON_LIMIT and kept > 0:
        kept -= 1
        listed = "; ".join(items[:kept] + [f"... and {len(items) - kept} more, every one in the evidence file"])
        text = f"{head}: {listed}"
    return text[:REASON_LIMIT]


def review_verdict(session: Session, month: str, node: str, days: MonthDays, result: Reconciliation) -> Verdict:
    """A reviewer's vote on its recomputation of the sealed month; the evidence is the anchors, the
    recomputed root and every problem found."""
    sealed = session.reader().evaluate(Allocations.GetNodeMonth, month, node)
    evidence = {"days": {d: a["sha256"] for d, a in sorted(days.anchors.items())},
                "merkle_root": result.merkle_root, "problems": days.problems}
    if days.problems:
        count = len(days.problems)
        return Verdict("flag", summary(f"{count} day file{'s' if count != 1 else ''} do not match their anchors",
                                       days.problems), evidence)
    if sealed["merkle_root"] != result.merkle_root:
        return Verdict("flag", f"recomputed Merkle root {result.merkle_root} differs from the sealed "
                               f"{sealed['merkle_root']}", evidence)
    return Verdict("approve", f"recomputed {len(result.allocations)} allocations from {len(days.frames)} days: "
                              f"same root", evidence)


def keep_evidence(folder: Path, node: str, month: str, reviewer: str, verdict: Verdict) -> Path:
    """Write a review's evidence file, ``<folder>/findings/<node>/<month>.evidence-<reviewer>.json``
    (canonical JSON: its SHA-256 is the evidence hash on chain)."""
    target = Path(folder) / "findings" / node / f"{month}.evidence-{reviewer}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(canonical_json.dumpb(verdict.evidence))
    return target


def anomaly_findings(policy: Policy, days: MonthDays, result: Reconciliation) -> list[dict[str, Any]]:
    """Every named anomaly check of the policy run over the month: per day, then per month."""
    thresholds, min_seconds = policy.anomalies, policy.min_seconds
    findings = [f for _, frame in sorted(days.frames.items())
                for f in anomalies.day_checks(frame, thresholds, min_seconds)]
    day_seconds = {day: anchor["seconds"] for day, anchor in days.anchors.items()}
    return findings + anomalies.month_checks(result.allocations, day_seconds, thresholds,
                                             policy.artist_share_micro)


def findings_sha256(findings: list[dict[str, Any]]) -> str:
    """The evidence hash of a list of findings (canonical JSON)."""
    return canonical_json.sha256(findings)


def findings_flag(findings: list[dict[str, Any]], checks: set[str]) -> Verdict | None:
    """A flag on the findings of ``checks`` (the evidence: those findings, in order), or None without
    any. The reason counts the findings per check with the first subject."""
    evidence = [f for f in findings if f["check"] in checks]
    if not evidence:
        return None
    first: dict[str, tuple[int, str]] = {}
    for finding in evidence:
        count, subject = first.get(finding["check"], (0, finding["subject"]))
        first[finding["check"]] = (count + 1, subject)
    parts = [f"{check} {count} (first: {subject})" for check, (count, subject) in first.items()]
    return Verdict("flag", summary("anomaly findings", parts), evidence)
