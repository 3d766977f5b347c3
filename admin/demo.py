"""``nineten demo``: a generated month run through every role, with one disputed report."""

import time
from pathlib import Path

from chaincode.contracts.registry import Registry
from chaincode.contracts.reviews import Reviews
from chaincode.contracts.settlement import Settlement
from chaincode.money import format_micro

from . import node_month
from .client import state_digest
from .demo_data import write_demo
from .errors import InputError
from .receipt import listener_receipt
from .simulate import (Echo, Run, Scenario, anchor_days, money_line, month_run, reconcile_all,
                       record_subscriptions, review, reviewers_of, set_up, settle, write_summary)

DISPUTED = "n2"
UNREGISTERED = ("ar200", "n4")  # the artist left out of the consortium file, and the node of its fan


def run_demo(out: Path, echo: Echo, bar, gateway_profile: Path | None = None) -> Path:
    """Generate the demo scenario under ``out`` and run its month with the ledger folder
    ``out/ledger`` (embedded, or on the network of ``gateway_profile``); returns the summary file."""
    started = time.monotonic()
    scenario = Scenario.open(write_demo(out / "scenario"), None)
    echo(f"scenario written to {scenario.folder} ({scenario.months[0]})")
    with month_run(scenario, out, echo, bar, gateway_profile) as run:
        run.note("-- node admins: consortium, subscriptions, daily anchors, reconciliation")
        set_up(run)
        record_subscriptions(run)
        anchor_days(run)
        reconcile_all(run)
        run.note("-- reviewers: each month recomputed by the peer and the external node the chain assigned it")
        dispute_id, farm = _reviews(run)
        run.note("-- settlement while the dispute is open: only what it disputes is held")
        settled = settle(run)
        run.note(_disputed_line(settled, dispute_id, len(farm)))
        run.note("-- three eyes: the local, peer and external nodes vote")
        _three_eyes(run, dispute_id)
        settlement = run.session.reader().evaluate(Settlement.GetSettlement, run.month)
        run.note(_rejected_line(settled, settlement, len(farm)))
        run.note("after the resolution: " + money_line(settlement))
        run.note("-- the consortium registers the unregistered artist; its held money is released to its balance")
        _register(run)
        run.note("-- receipts: what an honest listener and a farm account of n2 see")
        _receipts(run, farm)
        _audit(run)
        settlement = run.session.reader().evaluate(Settlement.GetSettlement, run.month)
        summary = write_summary(run, out, settlement)
    echo(f"done in {time.monotonic() - started:.1f} s; outputs in {out} (summary: {summary})")
    return summary


def _audit(run: Run) -> None:
    """The auditor's view: the world state's hash read through the chaincode, and where this
    machine keeps the blocks (the embedded ledger), the chain re-walked."""
    chain = run.session.client.local_chain()
    run.note("-- auditor: the world state read from the chain" + (", the ledger re-walked" if chain else ""))
    run.note(f"world state: {state_digest(run.session.reader().world_state())}")
    if chain is not None:
        check = chain.verify()
        run.note(f"ledger verify: {check.height} blocks, {'intact' if not check.problems else check.problems}; "
                 f"head {check.head}")


def _reviews(run: Run) -> tuple[str, list[str]]:
    """Honest reviews everywhere, except that n2's external reviewer flags its account farm: the
    flag's scope is the farm's accounts. Returns the dispute's id and the farm's accounts."""
    session, month = run.session, run.month
    farm: list[str] = []
    for node in run.scenario.consortium.nodes:
        for role, reviewer in reviewers_of(session, month, node["id"]).items():
            if node["id"] == DISPUTED and role == "external":
                farm = flag_farm(run, DISPUTED, reviewer)
                continue
            review(run, node["id"], reviewer)
    dispute = session.reader().evaluate(Reviews.ListDisputes, month)[0]
    run.note(f"dispute {dispute['id']} opened on {DISPUTED}: local {dispute['local']}, peer {dispute['peer']}, "
             f"external {dispute['external']} (not {dispute['opened_by']}, who opened it)")
    return dispute["id"], farm


def flag_farm(run: Run, node: str, reviewer: str) -> list[str]:
    """``reviewer`` runs the anomaly checks over ``node``'s shared days and flags its account farm,
    the scope its accounts; returns the accounts."""
    session, month = run.session, run.month
    policy = session.policy(month)
    days = node_month.load_month(session, month, node, policy)
    finding = next(f for f in node_month.anomaly_findings(policy, days) if f["check"] == "account_farm")
    farm = finding["evidence"]["listeners"].split(",")
    reason = f"account farm: {finding['evidence']['accounts']} paid accounts share only the artists {finding['subject']}"
    session.reviewer(reviewer).submit(Reviews.Review, month, node, "flag", reason,
                                      node_month.findings_sha256([finding]), node_month.findings_scope([finding]))
    run.note(f"review: {reviewer} flags {node}'s month: {reason} (scope: those {len(farm)} accounts)")
    return farm


def _disputed_line(settlement: dict, dispute_id: str, accounts: int) -> str:
    part = settlement["nodes"][DISPUTED]
    return (f"{DISPUTED}: {format_micro(part['allocated_micro'])} allocated to artists; "
            f"{format_micro(part['held_micro'])} held under dispute {dispute_id} (the {accounts} farm accounts), "
            f"{format_micro(part['artists_micro'])} paid to the artists of its other listeners")


def _rejected_line(before: dict, after: dict, accounts: int) -> str:
    old, new = before["nodes"][DISPUTED], after["nodes"][DISPUTED]
    return (f"rejected: the {accounts} farm accounts' {format_micro(new['rejected_micro'])} went to unallocated "
            f"(reported); the artists of {DISPUTED}'s other listeners keep their "
            f"{format_micro(old['artists_micro'])}")


def _three_eyes(run: Run, dispute_id: str) -> None:
    session = run.session
    dispute = session.reader().evaluate(Reviews.GetDispute, dispute_id)
    votes = [(dispute["local"], "approve", "our plays are real listeners"),
             (dispute["peer"], "reject", "the 25 accounts share one payment pattern and two artists"),
             (dispute["external"], "reject", "confirmed: scripted plays, 200 s apart, all day")]
    for node, vote, reason in votes:
        result = session.reviewer(node).submit(Reviews.Vote, dispute_id, vote, reason).json()["dispute"]
        run.note(f"{node} votes {vote}: {reason}")
        if result["status"] == "resolved":
            run.note(f"dispute resolved: {result['resolution']} by {result['decided_by']}")
            break


def _register(run: Run) -> None:
    """The fan's node proposes the unregistered artist; a majority approves; its money is released."""
    session, month = run.session, run.month
    artist, proposer = UNREGISTERED
    payload = {"id": artist, "name": f"Artist {artist[2:]}", "wallet": f"usdp:{artist}"}
    proposal = session.admin(proposer).submit(Registry.Propose, "register_artist", payload).json()
    run.note(f"{proposer} proposes register_artist {artist} ({proposal['id']}): {proposal['note']}")
    for node in run.scenario.consortium.nodes:
        if proposal["status"] == "open" and node["id"] != proposer:
            proposal = session.admin(node["id"]).submit(Registry.Approve, proposal["id"]).json()
            run.note(f"{node['id']} approves: {', '.join(proposal['approvals'])} of "
                     f"{len(run.scenario.consortium.nodes)} nodes, {proposal['status']}")
    release = session.admin(proposer).submit(Settlement.ReleaseArtist, month, artist).json()["release"]
    run.note(f"released {format_micro(release['amount_micro'])} to {artist}'s balance (instructed to wallet "
             f"{payload['wallet']} with the next settlement)")


def _receipts(run: Run, farm: list[str]) -> None:
    """The receipts of n2's first honest allocated listener and of its first farm account."""
    session, month = run.session, run.month
    for number in range(25, 500):
        try:
            honest = listener_receipt(session, f"{DISPUTED}-user{number:04d}", month, DISPUTED)
        except InputError:
            continue
        break
    farmed = listener_receipt(session, f"{DISPUTED}-user0000", month, DISPUTED)
    for who, found in ((f"{DISPUTED}-user{number:04d}", honest), (f"{DISPUTED}-user0000", farmed)):
        run.note(f"receipt of {who}: {found['summary']}")
