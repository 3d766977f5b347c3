"""``nineten demo --months N``: a year of the consortium, month after month on one ledger.

The story: three nodes start (n1, n2 in the north, n3 in the south); n4 is admitted for the third
month and n3 revoked before the ninth; a policy change at the seventh month lowers the minimum
payout, shortens how long money waits for an unregistered artist and sends unallocated money to
the consortium wallet; an account farm is flagged and rejected in the first month; listeners
charge back before and after settlement; a farm that passed review is found after settlement and
clawed back; two artists' payouts are split among collaborators; the unregistered artist's oldest
money goes unclaimed before it registers; nodes confirm payments with their references.
"""

import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from chaincode.contracts.reviews import Reviews
from chaincode.contracts.settlement import Settlement
from chaincode.money import format_micro

from .demo import flag_farm
from .demo_data import CORE, FAN, YEAR_FARMS, YearShape, write_year
from .inputs import Consortium
from .simulate import (Echo, Run, Scenario, anchor_days, books_line, majority, month_run, reconcile_all,
                       record_subscriptions, review, reviewers_of, settle, set_up, write_year as write_outputs)
from .session import Session

#: Where each event of the year happens (month indices from 0).
ADMIT, REVOKE, POLICY, FOUND, CHARGED, REFUND, REGISTER = 2, 8, 6, 6, 1, 4, 9
#: Split sheets by month index: (artist, [(payee wallet, basis points), ...]).
SPLITS = {1: ("ar001", [("usdp:ar001", 7000), ("usdp:producer-ada", 3000)]),
          3: ("ar002", [("usdp:ar002", 5000), ("usdp:ar002-drummer", 5000)]),
          7: ("ar001", [("usdp:ar001", 5000), ("usdp:producer-ada", 3000), ("usdp:mixer-bo", 2000)])}
UNREGISTERED = "ar150"


def run_year(out: Path, months: int, echo: Echo, bar, gateway_profile: Path | None = None) -> Path:
    """Generate a year's scenario under ``out`` and run its first ``months`` months with the ledger
    folder ``out/ledger``; returns the summary file."""
    started = time.monotonic()
    scenario = Scenario.open(write_year(out / "scenario", replace(YearShape(), months=months)), None)
    echo(f"scenario written to {scenario.folder} ({scenario.months[0]} to {scenario.months[-1]})")
    first = scenario.consortium
    start = Consortium({**first.document, "nodes": [n for n in first.nodes if n["id"] != "n4"]})
    with month_run(scenario, out, echo, bar, gateway_profile) as run:
        set_up(run, start)
        for index, month in enumerate(scenario.months):
            run.month = month
            run.note(f"== {month}")
            _before(run, index, first)
            record_subscriptions(run)
            if index == CHARGED:
                _expire(run)
            anchor_days(run)
            reconcile_all(run)
            dispute = _reviews(run, index)
            settlement = settle(run)
            if dispute:
                _vote(run, dispute)
            _confirm(run)
            run.note(_month_line(run.session, month, settlement))
        total = run.session.reader().evaluate(Settlement.GetBooks)["total"]
        run.note(f"== the year in total: {books_line(total)}")
        summary = write_outputs(run, out, f"9ten, {months} months from {scenario.months[0]}")
    echo(f"done in {time.monotonic() - started:.1f} s; outputs in {out} (summary: {summary})")
    return summary


def _before(run: Run, index: int, consortium: Consortium) -> None:
    """What the consortium decides at the start of month ``index``, before anything is recorded in it."""
    if index == ADMIT:
        node = next(n for n in consortium.nodes if n["id"] == "n4")
        proposal = majority(run, "admit_node", node, "n3")
        run.note(f"n4 admitted by {', '.join(proposal['approvals'])} (proposal {proposal['id']})")
    if index == REVOKE:
        proposal = majority(run, "revoke_node", {"node_id": "n3"}, "n1", ["n2", "n4"])
        run.note(f"n3 revoked by {', '.join(proposal['approvals'])}: it records nothing more, and still pays "
                 "what it owes")
    if index == POLICY and consortium.policies:
        policy = consortium.policies[0]
        proposal = majority(run, "set_policy", policy, "n1")
        run.note(f"policy from {policy['effective_from']} ({', '.join(proposal['approvals'])}): minimum payout "
                 f"{format_micro(policy['payouts']['min_payout_micro'])}, unclaimed after "
                 f"{policy['payouts']['unclaimed_months']} months, unallocated money to the consortium wallet")
    if index in SPLITS:
        artist, payees = SPLITS[index]
        proposal = majority(run, "set_split", {"artist_id": artist, "effective_from": run.month,
                                               "payees": [{"payee": p, "bp": bp} for p, bp in payees]}, "n1")
        run.note(f"split sheet: {proposal['note']}")
    if index == REFUND:
        _chargeback(run, index - 1)
    if index == FOUND:
        _fraud(run, index - 1)
    if index == REGISTER:
        _register(run)


def _expire(run: Run) -> None:
    """Three of n1's listeners charge back before the month is settled: their months count for nothing."""
    from chaincode.contracts.subscriptions import Subscriptions

    for i in range(30, 33):
        listener = f"n1-user{i:04d}"
        run.session.admin("n1").submit(Subscriptions.Expire, run.month, "n1",
                                       run.session.pseudonym("n1", run.month, listener), "card chargeback")
    run.note("n1: 3 subscriptions charged back before settlement (expired: they count for nothing)")


def _chargeback(run: Run, index: int) -> None:
    """A listener of n2 charges back a settled month: n2 proposes the adjustment, a majority approves."""
    month = run.scenario.months[index]
    listener = run.session.pseudonym("n2", month, f"n2-user{CORE - 7:04d}")
    proposal = majority(run, "adjust", {"evidence_sha256": "c" * 64, "kind": "chargeback", "listener": listener,
                                        "month": month, "node": "n2", "reason": "card chargeback after settlement"},
                        "n2")
    run.note(f"chargeback of a settled {month} subscription at n2, approved by {', '.join(proposal['approvals'])}: "
             f"{proposal['note']}")


def _fraud(run: Run, index: int) -> None:
    """The farm that passed review in month ``index`` is found: a fraud adjustment over its artists."""
    month = run.scenario.months[index]
    node, _, artists = YEAR_FARMS[index]
    proposal = majority(run, "adjust", {"evidence_sha256": "f" * 64, "kind": "fraud", "month": month, "node": node,
                                        "reason": "account farm found after settlement",
                                        "scope": {"artists": list(artists)}}, "n1")
    run.note(f"fraud found in {node}'s settled {month}, approved by {', '.join(proposal['approvals'])}: "
             f"{proposal['note']}")


def _register(run: Run) -> None:
    """The unregistered artist registers: what is still held for it is released to its balance."""
    session = run.session
    payload = {"id": UNREGISTERED, "name": f"Artist {UNREGISTERED[2:]}", "wallet": f"usdp:{UNREGISTERED}"}
    proposal = majority(run, "register_artist", payload, FAN[0])
    run.note(f"{UNREGISTERED} registered ({', '.join(proposal['approvals'])}): {proposal['note']}")
    for month in run.scenario.months:
        held = [h for h in session.reader().evaluate(Settlement.ListHeld, month) if h["artist"] == UNREGISTERED]
        if any(h["status"] == "held" for h in held):
            release = session.admin(FAN[0]).submit(Settlement.ReleaseArtist, month, UNREGISTERED).json()["release"]
            run.note(f"  {month}: {format_micro(release['amount_micro'])} released to its balance")
        elif any(h["status"] == "unclaimed" for h in held):
            run.note(f"  {month}: unclaimed (held longer than the policy allows), went to the consortium wallet")


def _reviews(run: Run, index: int) -> str:
    """Every assigned reviewer reviews; in a month with a farm flagged at review, the farm's node's
    external reviewer flags it (its dispute id is returned)."""
    farm = YEAR_FARMS.get(index)
    flagged = farm[0] if farm and index == 0 else ""
    dispute = ""
    for node in run.nodes():
        for role, reviewer in reviewers_of(run.session, run.month, node).items():
            if node == flagged and role == "external":
                flag_farm(run, node, reviewer)
                dispute = run.session.reader().evaluate(Reviews.ListDisputes, run.month)[0]["id"]
            else:
                review(run, node, reviewer)
    return dispute


def _vote(run: Run, dispute_id: str) -> None:
    """The dispute's voters vote after settlement: its held money goes where the vote sends it."""
    dispute = run.session.reader().evaluate(Reviews.GetDispute, dispute_id)
    for node, vote in ((dispute["local"], "approve"), (dispute["peer"], "reject"), (dispute["external"], "reject")):
        result = run.session.reviewer(node).submit(Reviews.Vote, dispute_id, vote, "farm").json()
        if result["dispute"]["status"] == "resolved":
            released = result["released"]
            run.note(f"dispute {dispute_id} resolved after settlement: {result['dispute']['resolution']}; "
                     f"{format_micro(released['to_unallocated_micro'])} to {dispute['local']}'s waiting "
                     "unallocated money")
            return


def _confirm(run: Run) -> None:
    """Each node pays and confirms its node payout, its consortium wallet part and its part of the
    month's three largest artist payouts; the rest stays owed (`nineten payouts owed`)."""
    session, month = run.session, run.month
    payouts = session.reader().evaluate(Settlement.ListPayouts, month)
    artists = sorted((p for p in payouts if p["kind"] == "artist" and p["amount_micro"]),
                     key=lambda p: (-p["amount_micro"], p["payee"]))[:3]
    chosen = [p for p in payouts if p["kind"] in ("node", "consortium")] + artists
    confirmed = 0
    for payout in chosen:
        for node in payout["by_node"]:
            reference = f"sepa-{node}-{month}-{payout['kind']}-{payout['payee']}"
            session.admin(node).submit(Settlement.ConfirmPayout, month, payout["kind"], payout["payee"], reference)
            confirmed += 1
    run.note(f"payments confirmed: {confirmed} references for {len(chosen)} payouts")


def _month_line(session: Session, month: str, settlement: dict[str, Any]) -> str:
    books = settlement["books"]
    payouts = session.reader().evaluate(Settlement.ListPayouts, month)
    instructed = sum(1 for p in payouts if p["kind"] == "artist" and p["amount_micro"])
    carried = sum(1 for p in payouts if p["kind"] == "artist" and p["status"] == "carried")
    return (f"{month} books: income {format_micro(books['income_micro'])}; node shares "
            f"{format_micro(books['node_shares_micro'])}; instructed {format_micro(books['instructed_micro'])} to "
            f"{instructed} artists, {carried} carried; consortium wallet "
            f"{format_micro(books['wallet_unallocated_micro'] + books['wallet_unclaimed_micro'])}; refunded "
            f"{format_micro(books['refunded_micro'])}, lost {format_micro(books['losses_micro'])}; after it: carried "
            f"{format_micro(books['closing']['carried_micro'])}, held {format_micro(books['closing']['held_micro'])}, "
            f"waiting {format_micro(books['closing']['waiting_unallocated_micro'] + books['closing']['waiting_unclaimed_micro'])}")
