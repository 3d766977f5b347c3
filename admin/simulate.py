"""Months run through every role on one ledger folder: `simulate` (every node honest) and the steps
`demo` reuses."""

from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from chaincode.contracts.registry import Registry
from chaincode.contracts.reviews import Reviews
from chaincode.contracts.settlement import Settlement
from chaincode.money import format_micro

from . import node_month
from .bootstrap import holds_ledger, init_folder, load_consortium
from .errors import InputError
from .exports import write_balances, write_outputs
from .inputs import Consortium, Subscription, read_consortium, read_subscriptions
from .intake import read_files
from .listens import anchor_days as anchor_intake, check_intake, read_options
from .session import Session
from .subscriptions import import_subscriptions

Echo = Callable[[str], None]


@dataclass
class Scenario:
    """A scenario folder: consortium.yaml, subscriptions.csv and plays/<node>/<YYYY-MM-DD>.csv, run
    over ``months`` (the months of its subscriptions, or the one chosen)."""

    folder: Path
    months: list[str]
    consortium: Consortium
    subscriptions: list[Subscription]

    @classmethod
    def open(cls, folder: Path, month: str | None) -> "Scenario":
        folder = Path(folder)
        for needed in ("consortium.yaml", "subscriptions.csv", "plays"):
            if not (folder / needed).exists():
                raise InputError(f"the scenario has no {needed}", str(folder / needed))
        subscriptions = read_subscriptions(folder / "subscriptions.csv", _ids(folder))
        months = [month] if month is not None else sorted({s.month for s in subscriptions})
        if not months:
            raise InputError("subscriptions cover no month", str(folder / "subscriptions.csv"))
        return cls(folder, months, read_consortium(folder / "consortium.yaml", months[0]), subscriptions)

    def day_files(self, node: str, month: str) -> list[Path]:
        return sorted((self.folder / "plays" / node).glob(f"{month}-*.*"))


def _ids(folder: Path) -> set[str]:
    return {n["id"] for n in read_consortium(folder / "consortium.yaml", "2000-01").nodes}


@dataclass
class Run:
    """Months being run on the ledger folder ``out/ledger``: its session, the month at hand, the
    story told so far (each line echoed as it is told) and the progress bar factory."""

    session: Session
    scenario: Scenario
    echo: Echo
    bar: Any
    lines: list[str] = field(default_factory=list)
    month: str = ""

    def __post_init__(self) -> None:
        self.month = self.month or self.scenario.months[0]

    def note(self, text: str) -> None:
        self.lines.append(text)
        self.echo(text)

    def nodes(self) -> list[str]:
        """The active nodes now, by id."""
        return [n["id"] for n in self.session.reader().evaluate(Registry.ListNodes) if n["status"] == "active"]


@contextmanager
def month_run(scenario: Scenario, out: Path, echo: Echo, bar, gateway_profile: Path | None) -> Iterator[Run]:
    """A run of ``scenario`` with the ledger folder ``out/ledger`` (a fresh embedded ledger, or the
    network of ``gateway_profile``), its session closed at the end."""
    session = Session(folder=out / "ledger", gateway_profile=gateway_profile)
    try:
        yield Run(session, scenario, echo, bar)
    finally:
        session.close()


def majority(run: Run, kind: str, payload: dict[str, Any], proposer: str,
             approvers: list[str] | None = None) -> dict[str, Any]:
    """``proposer`` proposes a consortium change and ``approvers`` (default: the other active nodes,
    in id order) approve it until it applies; the proposal."""
    proposal = run.session.admin(proposer).submit(Registry.Propose, kind, payload).json()
    for node in run.nodes() if approvers is None else approvers:
        if proposal["status"] == "open" and node != proposer:
            proposal = run.session.admin(node).submit(Registry.Approve, proposal["id"]).json()
    return proposal


def set_up(run: Run, consortium: Consortium | None = None) -> None:
    """Create the ledger, bootstrap the consortium (the scenario's, or ``consortium``) and its
    further policy versions."""
    session, scenario = run.session, run.scenario
    consortium = consortium or scenario.consortium
    init_folder(session.folder, scenario.consortium, session.gateway_profile)
    load_consortium(session, consortium)
    run.note(f"consortium: {len(consortium.nodes)} nodes, {len(consortium.document['artists'])} artists, "
             f"policy from {scenario.months[0]}")
    for policy in consortium.policies:
        proposal = majority(run, "set_policy", policy, consortium.nodes[0]["id"])
        run.note(f"policy from {policy['effective_from']} approved by {', '.join(proposal['approvals'])}")


def record_subscriptions(run: Run) -> None:
    """Record the month's subscriptions of the scenario."""
    file = run.scenario.folder / "subscriptions.csv"
    rows = [s for s in run.scenario.subscriptions if s.month == run.month]
    with run.bar(2 * len(rows), f"{run.month} subscriptions") as progress:
        totals = import_subscriptions(run.session, rows, str(file), progress.update)
    run.note(f"subscriptions: {totals['recorded']} paid months recorded for {run.month}")


def anchor_days(run: Run) -> None:
    """Every active node submits its day files of the month (read together, anchored day by day)."""
    for node in run.nodes():
        files = run.scenario.day_files(node, run.month)
        if not files:
            continue
        intake = read_files(files, None, read_options(run.session, month=run.month))
        check_intake(intake, None, len(files))
        with run.bar(len(intake.days), f"{node} days") as progress:
            anchor_intake(run.session, node, intake, progress.update)
    run.note(f"listening: every day of {run.month} anchored")


def reconcile_all(run: Run) -> None:
    """Every active node reconciles its month from the days it anchored and seals it."""
    session, month = run.session, run.month
    policy = session.policy(month)
    for node_id in run.nodes():
        days = node_month.load_month(session, month, node_id, policy)
        if days.problems:
            raise InputError("; ".join(days.problems), str(run.scenario.folder / "plays" / node_id))
        result = days.result
        with run.bar(len(result.allocations), f"{node_id} allocations") as progress:
            sealed = node_month.submit_allocations(session, month, node_id, result, progress.update)
        run.note(f"{node_id}: {len(result.allocations)} listeners allocated in {sealed['batches']} batches, "
                 f"{len(result.no_plays)} subscribed without plays, {len(result.unsubscribed)} unsubscribed "
                 f"listeners ignored; Merkle root {result.merkle_root[:16]}…")


def reviewers_of(session: Session, month: str, node: str) -> dict[str, str]:
    """The reviewers the chain assigned to ``node``'s month when it was sealed ({"peer", "external"})."""
    assigned = session.reader().evaluate(Reviews.GetReviewers, month, node)
    return {role: assigned[role] for role in ("peer", "external") if assigned[role]}


def review(run: Run, subject: str, reviewer: str) -> str:
    """``reviewer`` recomputes ``subject``'s month from the shared canonical days and votes; its verdict."""
    session, month = run.session, run.month
    policy = session.policy(month)
    days = node_month.load_month(session, month, subject, policy)
    vote = node_month.review_verdict(session, month, subject, days)
    session.reviewer(reviewer).submit(Reviews.Review, month, subject, vote.verdict, vote.reason, vote.sha256,
                                      "" if vote.scope is None else vote.scope)
    node_month.keep_evidence(session.folder, subject, month, reviewer, vote)
    run.note(f"review: {reviewer} {vote.verdict}s {subject}'s month")
    return vote.verdict


def review_all(run: Run) -> None:
    """Each active node's assigned reviewers review its month."""
    for node in run.nodes():
        for reviewer in reviewers_of(run.session, run.month, node).values():
            review(run, node, reviewer)


def settle(run: Run) -> dict[str, Any]:
    """The first active node's admin settles the month; the settlement read back."""
    session, month = run.session, run.month
    committed = session.admin(run.nodes()[0]).submit(Settlement.Settle, month)
    settlement = session.reader().evaluate(Settlement.GetSettlement, month)
    run.note(f"settled {month} in block {committed.block}: " + money_line(settlement))
    return settlement


def money_line(s: dict[str, Any]) -> str:
    return (f"income {format_micro(s['income_micro'])} = node operators {format_micro(s['node_operators_micro'])}"
            f" + artists {format_micro(s['artists_micro'])} + unallocated {format_micro(s['unallocated_micro'])}"
            f" + held {format_micro(s['held_micro'])}"
            + (f" + unclaimed {format_micro(s['unclaimed_micro'])}" if s["unclaimed_micro"] else ""))


def books_line(total: dict[str, Any]) -> str:
    """The year's identity in words, every term in the currency."""
    return (f"income {format_micro(total['income_micro'])} = node shares {format_micro(total['node_shares_micro'])}"
            f" + instructed {format_micro(total['instructed_micro'])} + carried {format_micro(total['carried_micro'])}"
            f" + held {format_micro(total['held_micro'])} + unallocated {format_micro(total['unallocated_micro'])}"
            f" + unclaimed {format_micro(total['unclaimed_micro'])} + refunded {format_micro(total['refunded_micro'])}"
            f"; losses {format_micro(total['losses_micro'])}")


def write_summary(run: Run, out: Path, settlement: dict[str, Any]) -> Path:
    files = write_outputs(run.session, run.month, out)
    summary = out / "summary.txt"
    summary.write_text("\n".join([f"9ten month {run.month}", "", *run.lines, "",
                                  money_line(settlement), "", "files:",
                                  *[f"  {p}" for p in files.values()]]) + "\n")
    return summary


def write_year(run: Run, out: Path, title: str) -> Path:
    """Each month's payouts, node payouts and settlement under ``out/<month>/``, the balances after
    the last month in ``out/balances.csv``, and the summary with the books of the whole run."""
    files = [path for month in run.scenario.months
             for path in write_outputs(run.session, month, out / month).values()]
    files.append(write_balances(run.session, out / "balances.csv"))
    total = run.session.reader().evaluate(Settlement.GetBooks)["total"]
    summary = out / "summary.txt"
    summary.write_text("\n".join([title, "", *run.lines, "", "in total: " + books_line(total), "", "files:",
                                  *[f"  {p}" for p in files]]) + "\n")
    return summary


def run_month(run: Run, month: str) -> dict[str, Any]:
    """One month honestly: subscriptions, days, reconciliation, reviews, settlement."""
    run.month = month
    run.note(f"-- {month}")
    record_subscriptions(run)
    anchor_days(run)
    reconcile_all(run)
    review_all(run)
    return settle(run)


def simulate(scenario: Scenario, out: Path, echo: Echo, bar, gateway_profile: Path | None = None) -> Path:
    """Run the scenario's months honestly, in order, with the ledger folder ``out/ledger`` (a fresh
    embedded ledger, or the network of ``gateway_profile``); returns the summary file."""
    if holds_ledger(out / "ledger"):
        raise InputError("the output folder already holds a ledger; choose an empty --out", str(out / "ledger"))
    with month_run(scenario, out, echo, bar, gateway_profile) as run:
        set_up(run)
        settled = [run_month(run, month) for month in scenario.months]
        if len(scenario.months) == 1:
            return write_summary(run, out, settled[0])
        return write_year(run, out, f"9ten months {scenario.months[0]} to {scenario.months[-1]}")
