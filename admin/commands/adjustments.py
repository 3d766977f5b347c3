"""``nineten adjustments``: chargebacks and fraud found after a month is settled, as consortium proposals."""

import hashlib
from pathlib import Path

import click

from . import json_argument, pass_session, show

FILE = click.Path(path_type=Path, exists=True, dir_okay=False)
COLUMNS = ["id", "month", "node", "kind", "status", "applied_in", "claimed", "recovered", "losses", "reason"]


@click.group()
def adjustments() -> None:
    """Adjustments, never edits: a chargeback or a fraud finding after a month is settled claims
    money back at the next settlement, once a majority of the active nodes approves it.

    \b
    What an adjustment claims is computed by the chaincode from the chain: what the charged-back
    subscription or the fraudulent plays paid, only from what the adjusted node itself owes (its
    node payout, its waiting unallocated money, its part of each artist's balance), never below
    zero; what is not there is reported as a loss. A settled month is never rewritten.
    """


def _propose(session, proposer: str, payload: dict) -> None:
    from chaincode.contracts.registry import Registry

    from .consortium import show_proposal

    show_proposal(session.admin(proposer).submit(Registry.Propose, "adjust", payload).json())
    click.echo("each node approves with `nineten consortium approve ID --node NODE`; the majority applies it")


def _evidence(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@adjustments.command("chargeback")
@click.argument("month")
@click.argument("listener")
@click.option("--node", required=True, help="The listener's node, which refunded the payment (it proposes, as "
              "<node>.admin unless --as).")
@click.option("--reason", required=True, help="Why, in one sentence (kept on chain).")
@click.option("--evidence", type=FILE, required=True, help="The evidence file (the bank's chargeback notice); "
              "its SHA-256 goes on chain, the file stays with you.")
@pass_session
def adjustments_chargeback(session, month: str, listener: str, node: str, reason: str, evidence: Path) -> None:
    """Propose charging back LISTENER's settled MONTH at NODE (the raw id, pseudonymised here): the
    next settlement claims the node share from NODE's payout, what the subscription paid each artist
    from what NODE owes that artist, and the rest from NODE's waiting unallocated money."""
    payload = {"evidence_sha256": _evidence(evidence), "kind": "chargeback", "listener":
               session.pseudonym(node, month, listener, "MONTH"), "month": month, "node": node, "reason": reason}
    _propose(session, node, payload)


@adjustments.command("fraud")
@click.argument("month")
@click.option("--node", required=True, help="The node whose settled month the fraud is in.")
@click.option("--scope", "scope_text", required=True, metavar="JSON|@FILE",
              help='What is fraudulent: {"listeners": [pseudonyms]}, {"artists": [ids]} or {"month": true}.')
@click.option("--reason", required=True, help="Why, in one sentence (kept on chain).")
@click.option("--evidence", type=FILE, required=True, help="The findings file; its SHA-256 goes on chain.")
@click.option("--by", "proposer", required=True, help="Your node, which proposes (as <node>.admin unless --as).")
@pass_session
def adjustments_fraud(session, month: str, node: str, scope_text: str, reason: str, evidence: Path,
                      proposer: str) -> None:
    """Propose a fraud finding over SCOPE of NODE's settled MONTH: the next settlement claims back
    from what NODE owes each artist what the allocations in SCOPE paid it; what it recovers is
    unallocated money (where the policy sends it), never the proposer's."""
    payload = {"evidence_sha256": _evidence(evidence), "kind": "fraud", "month": month, "node": node,
               "reason": reason, "scope": json_argument(scope_text, "--scope")}
    _propose(session, proposer, payload)


@adjustments.command("list")
@click.option("--month", help="Only the adjustments of this settled month.")
@pass_session
def adjustments_list(session, month: str | None) -> None:
    """Every adjustment, due or applied, with what it claimed, recovered and lost."""
    from chaincode.contracts.settlement import Settlement
    from chaincode.money import format_micro

    rows = session.reader().evaluate(Settlement.ListAdjustments, month or "")
    fmt = click.get_current_context().find_root().meta["format"]
    if fmt == "json":
        show(rows, sorted(rows[0]) if rows else COLUMNS)
        return
    show([{**a, "claimed": format_micro(a["claimed_micro"]), "recovered": format_micro(a["recovered_micro"]),
           "losses": format_micro(a["losses_micro"])} for a in rows], COLUMNS)


COMMANDS = [adjustments]
