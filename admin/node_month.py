"""A node's month: load its days, check them against their anchors, reconcile, review, settle."""

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Mapping


from chaincode import canonical_json, records, rules
from chaincode.contracts.allocations import Allocations
from chaincode.contracts.listening import Listening
from chaincode.contracts.subscriptions import Subscriptions
from chaincode.rules import Policy

from . import anomalies as anomaly_checks
from . import dayfile
from .errors import InputError, NotFoundRejected
from .formats import empty_frame, raise_first
from .intake import read_files
from .pseudonym import Pseudonymiser
from .readers.resolve import ReadOptions
from .reconcile import MonthSums, Reconciliation, batches, summing
from .session import Session

BATCH_SIZE = 500
REASON_LIMIT = 1000  # a review's reason on chain (chaincode.validate.text)
#: The checks whose findings name listeners (their subject), artists, or days.
LISTENER_CHECKS = ("over_24h", "overlapping_plays", "track_loops")
ARTIST_CHECKS = ("few_listener_artists",)
DAY_CHECKS = ("day_total_outlier",)


@dataclass
class MonthDays:
    """A node's month recomputed from its days, each checked against its anchor on chain.

    days: the days that match their anchors, in order; only those are reconciled (``result``);
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


def load_month(session: Session, month: str, node: str, policy: Policy, folder: Path | None = None,
               anomalies: bool = False) -> MonthDays:
    """The node's month from the canonical days of ``folder`` (default: those ``listens submit`` kept
    in the ledger folder), each compared with its on-chain anchor (see :func:`_against_anchors`)."""
    folder = folder or dayfile.kept_folder(session.folder, node)
    files = _day_files(folder, month) if folder.exists() else {}
    return _against_anchors(session, month, node, policy, files, dayfile.kept(policy.min_seconds),
                            {d: str(p) for d, p in files.items()}, str(folder), "the file was altered", anomalies)


def raw_files(paths: list[Path], month: str) -> list[Path]:
    """The files of ``paths`` (a folder: every file in it, not hidden) that may hold plays of
    ``month`` (a file named for a day of another month does not)."""
    files = [f for p in paths for f in (sorted(c for c in p.iterdir() if c.is_file() and not c.name.startswith("."))
                                        if p.is_dir() else [p])]
    return [f for f in files if not dayfile.is_day_file(f) or dayfile.day_of(f).startswith(month)]


def load_month_raw(session: Session, month: str, node: str, policy: Policy, files: list[Path],
                   options: ReadOptions, listeners: Mapping[Path, str] | None = None,
                   anomalies: bool = False) -> MonthDays:
    """Read the node's raw ``files`` in any format ``listens submit`` reads, with its catalogue and
    played-time rule, pseudonymise them with the node's secret, and compare each day of ``month``
    with its on-chain anchor. An artist the catalogue does not know is kept under its
    unregistered id, as ``listens submit --unmapped keep`` anchored it."""
    intake = read_files(files, None, replace(options, month=month, keep_unmapped=True), listeners=listeners)
    if intake.problems:
        raise_first(intake.problems)
    pseudonyms = Pseudonymiser(session.config.secret(node), month)
    days = {day: day for day in intake.days}
    read = dayfile.rendered(lambda day: dayfile.canonicalise(intake.day_frame(day)[0], pseudonyms), policy.min_seconds,
                            policy.day_format)
    return _against_anchors(session, month, node, policy, days, read,
                            {d: f"the plays of {d}" for d in days}, ", ".join(sorted({str(f.parent) for f in files})),
                            "a file was altered, or the artist catalogue changed since the day was anchored: "
                            "reconcile from the canonical days `listens submit` kept", anomalies)


def _against_anchors(session: Session, month: str, node: str, policy: Policy, sources: Mapping[str, Any],
                     read: Callable[[Any], dayfile.Day], names: dict[str, str], where: str, altered: str,
                     anomalies: bool) -> MonthDays:
    """Each day (``read`` of its source: its canonical frame and anchor) compared with its on-chain anchor — a
    missing, extra or altered day is a problem, named by date (``altered`` says why a hash may
    differ) — and the matching days reconciled by the payout rule of ``policy`` and, with
    ``anomalies``, run through the per-day checks. The days are read one after another
    (:func:`dayfile.anchored_days`); none is kept."""
    anchors = {a["date"]: a for a in session.reader().evaluate(Listening.ListAnchors, node, month)}
    sums = MonthSums(paid_listeners(session, month, node), policy.min_seconds)
    days, problems, bad_days, findings = [], [], [], []
    loaded = dayfile.anchored_days([sources[day] for day in sorted(sources)], summing(_unreadable_as_empty(read), sums))
    for day in sorted(set(anchors) | set(sources)):
        if day not in sources:
            problems.append(f"{day}: anchored on chain (sha256 {anchors[day]['sha256'][:12]}…) but no file in "
                            f"{where} holds plays of that day")
            bad_days.append(day)
            continue
        _, frame, anchor, day_sums = next(loaded)
        if day not in anchors:
            problems.append(f"{day}: {names[day]} has no anchor on chain (submit it with `listens submit`)")
        elif "unreadable" in anchor:
            problems.append(f"{day}: {names[day]}: {anchor['unreadable']}")
            bad_days.append(day)
        elif anchor["sha256"] != anchors[day]["sha256"]:
            problems.append(f"{day}: {names[day]} hashes to {anchor['sha256'][:12]}…, the chain anchored "
                            f"{anchors[day]['sha256'][:12]}… ({altered})")
            bad_days.append(day)
        else:
            sums.add_sums(day_sums)
            if anomalies:
                findings += anomaly_checks.day_checks(frame, policy.anomalies, policy.min_seconds)
            days.append(day)
        del frame, day_sums  # not held while the next day is awaited
    return MonthDays(anchors, days, sums.reconciliation(policy.top_n), problems, bad_days, findings)


def _unreadable_as_empty(read: Callable[[Any], dayfile.Day]) -> Callable[[Any], dayfile.Day]:
    """``read``; a file it cannot read as a canonical day comes as a day of no plays whose anchor says
    why (``unreadable``), so that day is a problem of the month (a reviewer flags it) instead of
    stopping the reading of every other day."""
    def day(source: Any) -> dayfile.Day:
        try:
            return read(source)
        except InputError as exc:
            empty = empty_frame().rename(columns={"listener_id": "listener"})
            return source, empty, {"unreadable": exc.message}
    return day


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


@dataclass(frozen=True)
class Verdict:
    """A reviewer's vote: the verdict, the reason on chain (a summary that fits, see :func:`summary`),
    the evidence, whose canonical JSON is the evidence file and its SHA-256 the hash on chain, and
    the scope a flag disputes (None for an approval)."""

    verdict: str
    reason: str
    evidence: Any
    scope: dict | None = None

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


def review_verdict(session: Session, month: str, node: str, days: MonthDays) -> Verdict:
    """A reviewer's vote on its recomputation of the sealed month; the evidence is the anchors, the
    recomputed root and every problem found. Days that do not match their anchors are flagged (scope:
    those days), a different root the whole month."""
    result = days.result
    sealed = session.reader().evaluate(Allocations.GetNodeMonth, month, node)
    evidence = {"days": {d: a["sha256"] for d, a in sorted(days.anchors.items())},
                "merkle_root": result.merkle_root, "problems": days.problems}
    if days.problems:
        count = len(days.problems)
        scope = {"days": days.bad_days} if days.bad_days else {"month": True}
        return Verdict("flag", summary(f"{count} day file{'s' if count != 1 else ''} do not match their anchors",
                                       days.problems), evidence, scope)
    if sealed["merkle_root"] != result.merkle_root:
        return Verdict("flag", f"recomputed Merkle root {result.merkle_root} differs from the sealed "
                               f"{sealed['merkle_root']}", evidence, {"month": True})
    return Verdict("approve", f"recomputed {len(result.allocations)} allocations from {len(days.days)} days: "
                              f"same root", evidence)


def keep_evidence(folder: Path, node: str, month: str, reviewer: str, verdict: Verdict) -> Path:
    """Write a review's evidence file, ``<folder>/findings/<node>/<month>.evidence-<reviewer>.json``
    (canonical JSON: its SHA-256 is the evidence hash on chain)."""
    target = Path(folder) / "findings" / node / f"{month}.evidence-{reviewer}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(canonical_json.dumpb(verdict.evidence))
    return target


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


def findings_flag(findings: list[dict[str, Any]], checks: set[str]) -> Verdict | None:
    """A flag on the findings of ``checks`` (the evidence: those findings, in order), or None without
    any. The reason counts the findings per check with the first subject; the scope is
    :func:`findings_scope`."""
    evidence = [f for f in findings if f["check"] in checks]
    if not evidence:
        return None
    first: dict[str, tuple[int, str]] = {}
    for finding in evidence:
        count, subject = first.get(finding["check"], (0, finding["subject"]))
        first[finding["check"]] = (count + 1, subject)
    parts = [f"{check} {count} (first: {subject})" for check, (count, subject) in first.items()]
    return Verdict("flag", summary("anomaly findings", parts), evidence, findings_scope(evidence))
