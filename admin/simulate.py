"""A month run through every role on one ledger folder: `simulate` (every node honest) and the
steps `demo` reuses."""

from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from chaincode.contracts.reviews import Reviews
from chaincode.contracts.settlement import Settlement
from chaincode.money import format_micro

from . import node_month
from .bootstrap import holds_ledger, init_folder, load_consortium
from .errors import InputError
from .exports import write_outputs
from .inputs import Consortium, read_consortium, read_subscriptions
from .listens import submit_day
from .session import Session
from .subscriptions import import_subscriptions

Echo = Callable[[str], None]


@dataclass
class Scenario:
    """A scenario folder: consortium.yaml, subscriptions.csv and plays/<node>/<YYYY-MM-DD>.csv."""

    folder: Path
    month: str
    consortium: Consortium

    @classmethod
    def open(cls, folder: Path, month: str | None) -> "Scenario":
        folder = Path(folder)
        for needed in ("consortium.yaml", "subscriptions.csv", "plays"):
            if not (folder / needed).exists():
                raise InputError(f"the scenario has no {needed}", str(folder / needed))
        if month is None:
            months = sorted({s.month for s in read_subscriptions(folder / "subscriptions.csv", _ids(folder))})
            if len(months) != 1:
                raise InputError(f"subscriptions cover {len(months)} months ({', '.join(months) or 'none'}); "
                                 f"choose one with --month", str(folder / "subscriptions.csv"))
            month = months[0]
        return cls(folder, month, read_consortium(folder / "consortium.yaml", month))

    def day_files(self, node: str) -> list[Path]:
        return sorted((self.folder / "plays" / node).glob(f"{self.month}-*.*"))


def _ids(folder: Path) -> set[str]:
    return {n["id"] for n in read_consortium(folder / "consortium.yaml", "2000-01").nodes}


@dataclass
class Run:
    """A month being run on the ledger folder ``out/ledger``: its session, the story told so far
    (each line echoed as it is told) and the progress bar factory."""

    session: Session
    scenario: Scenario
    echo: Echo
    bar: Any
    lines: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        self.lines.append(text)
        self.echo(text)


@contextmanager
def month_run(scenario: Scenario, out: Path, echo: Echo, bar, gateway_profile: Path | None) -> Iterator[Run]:
    """A run of ``scenario``'s month with the ledger folder ``out/ledger`` (a fresh embedded ledger,
    or the network of ``gateway_profile``), its session closed at the end."""
    session = Session(folder=out / "ledger", gateway_profile=gateway_profile)
    try:
        yield Run(session, scenario, echo, bar)
    finally:
        session.close()


def set_up(run: Run) -> None:
    """Create the ledger, bootstrap the consortium and record the month's subscriptions."""
    session, scenario = run.session, run.scenario
    init_folder(session.folder, scenario.consortium, session.gateway_profile)
    load_consortium(session, scenario.consortium)
    run.note(f"consortium: {len(scenario.consortium.nodes)} nodes, "
             f"{len(scenario.consortium.document['artists'])} artists, policy from {scenario.month}")
    file = scenario.folder / "subscriptions.csv"
    rows = [s for s in read_subscriptions(file, {n["id"] for n in scenario.consortium.nodes})
            if s.month == scenario.month]
    with run.bar(2 * len(rows), "subscriptions") as progress:
        totals = import_subscriptions(session, rows, str(file), progress.update)
    run.note(f"subscriptions: {totals['recorded']} paid months recorded")


def anchor_days(run: Run) -> None:
    """Every node submits each of its day files."""
    for node in run.scenario.consortium.nodes:
        files = run.scenario.day_files(node["id"])
        with run.bar(len(files), f"{node['id']} days") as progress:
            for path in files:
                submit_day(run.session, node["id"], path)
                progress.update(1)
    run.note("listening: every day anchored")


def reconcile_all(run: Run) -> None:
    """Every node reconciles its month from the days it anchored and seals it."""
    session, month = run.session, run.scenario.month
    policy = session.policy(month)
    for node in run.scenario.consortium.nodes:
        node_id = node["id"]
        days = node_month.load_month(session, month, node_id)
        if days.problems:
            raise InputError("; ".join(days.problems), str(run.scenario.folder / "plays" / node_id))
        result = node_month.compute(session, month, node_id, days, policy)
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
    session, month = run.session, run.scenario.month
    policy = session.policy(month)
    days = node_month.load_month(session, month, subject)
    result = node_month.compute(session, month, subject, days, policy)
    vote = node_month.review_verdict(session, month, subject, days, result)
    session.reviewer(reviewer).submit(Reviews.Review, month, subject, vote.verdict, vote.reason, vote.sha256,
                                      "" if vote.scope is None else vote.scope)
    node_month.keep_evidence(session.folder, subject, month, reviewer, vote)
    run.note(f"review: {reviewer} {vote.verdict}s {subject}'s month")
    return vote.verdict


def review_all(run: Run) -> None:
    """Each node's assigned reviewers review its month."""
    for node in run.scenario.consortium.nodes:
        for reviewer in reviewers_of(run.session, run.scenario.month, node["id"]).values():
            review(run, node["id"], reviewer)


def settle(run: Run) -> dict[str, Any]:
    """The first node's admin settles the month; the settlement read back."""
    session, month = run.session, run.scenario.month
    committed = session.admin(run.scenario.consortium.nodes[0]["id"]).submit(Settlement.Settle, month)
    settlement = session.reader().evaluate(Settlement.GetSettlement, month)
    run.note(f"settled {month} in block {committed.block}: " + money_line(settlement))
    return settlement


def money_line(s: dict[str, Any]) -> str:
    return (f"income {format_micro(s['income_micro'])} = node operators {format_micro(s['node_operators_micro'])}"
            f" + artists {format_micro(s['artists_micro'])} + unallocated {format_micro(s['unallocated_micro'])}"
            f" + held {format_micro(s['held_micro'])}")


def write_summary(run: Run, out: Path, settlement: dict[str, Any]) -> Path:
    files = write_outputs(run.session, run.scenario.month, out)
    summary = out / "summary.txt"
    summary.write_text("\n".join([f"9ten month {run.scenario.month}", "", *run.lines, "",
                                  money_line(settlement), "", "files:",
                                  *[f"  {p}" for p in files.values()]]) + "\n")
    return summary


def simulate(scenario: Scenario, out: Path, echo: Echo, bar, gateway_profile: Path | None = None) -> Path:
    """Run the month honestly with the ledger folder ``out/ledger`` (a fresh embedded ledger, or
    the network of ``gateway_profile``); returns the summary file."""
    if holds_ledger(out / "ledger"):
        raise InputError("the output folder already holds a ledger; choose an empty --out", str(out / "ledger"))
    with month_run(scenario, out, echo, bar, gateway_profile) as run:
        set_up(run)
        anchor_days(run)
        reconcile_all(run)
        review_all(run)
        return write_summary(run, out, settle(run))
