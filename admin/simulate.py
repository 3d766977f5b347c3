"""A whole month on a fresh embedded ledger, every node acting honestly: the `simulate` command."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from chaincode.money import format_micro

from . import month as monthly
from .bootstrap import holds_ledger, init_folder, load_consortium
from .errors import InputError
from .exports import write_outputs
from .listens import submit_day
from .scenario import Consortium, load_consortium as read_consortium, load_subscriptions
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
            months = sorted({s.month for s in load_subscriptions(folder / "subscriptions.csv", _ids(folder))})
            if len(months) != 1:
                raise InputError(f"subscriptions cover {len(months)} months ({', '.join(months) or 'none'}); "
                                 f"choose one with --month", str(folder / "subscriptions.csv"))
            month = months[0]
        return cls(folder, month, read_consortium(folder / "consortium.yaml", month))

    def day_files(self, node: str) -> list[Path]:
        return sorted((self.folder / "plays" / node).glob(f"{self.month}-*.*"))


def _ids(folder: Path) -> set[str]:
    return {n["id"] for n in read_consortium(folder / "consortium.yaml", "2000-01").nodes}


def set_up(session: Session, scenario: Scenario, echo: Echo, bar) -> None:
    """Create the ledger, bootstrap the consortium and record the month's subscriptions."""
    init_folder(session.folder, scenario.consortium, session.gateway_profile)
    load_consortium(session, scenario.consortium)
    echo(f"consortium: {len(scenario.consortium.nodes)} nodes, "
         f"{len(scenario.consortium.document['artists'])} artists, policy from {scenario.month}")
    file = scenario.folder / "subscriptions.csv"
    rows = [s for s in load_subscriptions(file, {n["id"] for n in scenario.consortium.nodes})
            if s.month == scenario.month]
    with bar(len(rows), "subscriptions") as progress:
        totals = import_subscriptions(session, rows, str(file), progress.update)
    echo(f"subscriptions: {totals['recorded']} paid months recorded")


def anchor_days(session: Session, scenario: Scenario, echo: Echo, bar) -> None:
    """Every node submits each of its day files."""
    for node in scenario.consortium.nodes:
        files = scenario.day_files(node["id"])
        with bar(len(files), f"{node['id']} days") as progress:
            for path in files:
                submit_day(session, node["id"], path)
                progress.update(1)
    echo("listening: every day anchored")


def reconcile_all(session: Session, scenario: Scenario, echo: Echo, bar) -> None:
    """Every node reconciles its month from the days it anchored and seals it."""
    policy = session.query(session.reader(), "Registry:GetPolicy", scenario.month)
    for node in scenario.consortium.nodes:
        node_id = node["id"]
        days = monthly.load_month(session, scenario.month, node_id, None, policy["min_seconds"], None)
        if days.problems:
            raise InputError("; ".join(days.problems), str(scenario.folder / "plays" / node_id))
        result = monthly.compute(session, scenario.month, node_id, days, policy)
        with bar(len(result.allocations), f"{node_id} allocations") as progress:
            sealed = monthly.submit_allocations(session, scenario.month, node_id, result, progress.update)
        echo(f"{node_id}: {len(result.allocations)} listeners allocated in {sealed['batches']} batches, "
             f"{len(result.no_plays)} subscribed without plays, {len(result.unsubscribed)} unsubscribed "
             f"listeners ignored; Merkle root {result.merkle_root[:16]}…")


def reviewers_of(nodes: list[dict[str, Any]], node: dict[str, Any]) -> list[str]:
    """The honest reviewers of a node: the next node of its cluster and the first of another cluster."""
    same = sorted(n["id"] for n in nodes if n["cluster"] == node["cluster"])
    others = sorted(n["id"] for n in nodes if n["cluster"] != node["cluster"])
    peer = [same[(same.index(node["id"]) + 1) % len(same)]] if len(same) > 1 else []
    return peer + others[:1]


def review(session: Session, scenario: Scenario, subject: str, reviewer: str) -> tuple[str, str]:
    """``reviewer`` recomputes ``subject``'s month from the shared canonical days and votes."""
    policy = session.query(session.reader(), "Registry:GetPolicy", scenario.month)
    days = monthly.load_month(session, scenario.month, subject, None, policy["min_seconds"], None)
    result = monthly.compute(session, scenario.month, subject, days, policy)
    verdict, reason, evidence = monthly.review_verdict(session, scenario.month, subject, days, result)
    session.submit(f"{reviewer}.reviewer", "Reviews:Review", scenario.month, subject, verdict, reason, evidence)
    return verdict, reason


def review_all(session: Session, scenario: Scenario, echo: Echo) -> None:
    nodes = scenario.consortium.nodes
    for node in nodes:
        for reviewer in reviewers_of(nodes, node):
            verdict, _ = review(session, scenario, node["id"], reviewer)
            echo(f"review: {reviewer} {verdict}s {node['id']}'s month")


def settle(session: Session, scenario: Scenario, echo: Echo) -> dict[str, Any]:
    admin = f"{scenario.consortium.nodes[0]['id']}.admin"
    committed = session.submit(admin, "Settlement:Settle", scenario.month)
    settlement = session.query(session.reader(), "Settlement:GetSettlement", scenario.month)
    echo(f"settled {scenario.month} in block {committed.block}: " + money_line(settlement))
    return settlement


def money_line(s: dict[str, Any]) -> str:
    return (f"income {format_micro(s['income_micro'])} = node operators {format_micro(s['node_operators_micro'])}"
            f" + artists {format_micro(s['artists_micro'])} + unallocated {format_micro(s['unallocated_micro'])}"
            f" + held {format_micro(s['held_micro'])}")


def write_summary(session: Session, scenario: Scenario, out: Path, settlement: dict[str, Any],
                  lines: list[str]) -> Path:
    files = write_outputs(session, scenario.month, out)
    summary = out / "summary.txt"
    summary.write_text("\n".join([f"9ten month {scenario.month}", "", *lines, "",
                                  money_line(settlement), "", "files:",
                                  *[f"  {p}" for p in files.values()]]) + "\n")
    return summary


def simulate(scenario: Scenario, out: Path, echo: Echo, bar, gateway_profile: Path | None = None) -> Path:
    """Run the month honestly with the ledger folder ``out/ledger`` (a fresh embedded ledger, or
    the network of ``gateway_profile``); returns the summary file."""
    ledger = out / "ledger"
    if holds_ledger(ledger):
        raise InputError("the output folder already holds a ledger; choose an empty --out", str(ledger))
    lines: list[str] = []

    def note(text: str) -> None:
        lines.append(text)
        echo(text)

    session = Session(folder=ledger, gateway_profile=gateway_profile)
    try:
        set_up(session, scenario, note, bar)
        anchor_days(session, scenario, note, bar)
        reconcile_all(session, scenario, note, bar)
        review_all(session, scenario, note)
        settlement = settle(session, scenario, note)
        return write_summary(session, scenario, out, settlement, lines)
    finally:
        session.close()
