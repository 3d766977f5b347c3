"""``nineten payouts``: a settled month's payees and their status, what a node owes, confirmations."""

import click

from chaincode.money import format_micro

from . import pass_session, show

KINDS = ("artist", "node", "consortium")


class _MonthOrCommand(click.Group):
    """``payouts MONTH`` is ``payouts show MONTH``; ``payouts owed`` and ``payouts confirm`` are commands."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["show", *args]
        return super().parse_args(ctx, args)


@click.group(cls=_MonthOrCommand)
def payouts() -> None:
    """Payouts: `nineten payouts MONTH` lists each payee of settled MONTH with its status;
    `payouts owed --node N` what node N must still pay whom; `payouts confirm` records a payment.

    \b
    An artist's balance is instructed whole once it reaches the policy's minimum payout, else
    carried (status "carried"); a split sheet divides an instruction among its payees. Each
    payout is owed by the nodes that collected its money (owed_by), and is "paid" once every one
    of them confirmed its part with its external transaction reference (paid_by).
    """


@payouts.command("show")
@click.argument("month")
@click.option("--kind", type=click.Choice(("all",) + KINDS), default="all", show_default=True,
              help="Artists, node operator shares, the consortium wallet, or all.")
@pass_session
def payouts_show(session, month: str, kind: str) -> None:
    """Each payee of settled MONTH's payouts with its status (amounts in the currency with 6 decimals)."""
    from ..payouts import month_rows

    show(month_rows(session, month, KINDS if kind == "all" else (kind,)),
         ["payee", "amount", "amount_micro", "wallet", "status", "kind", "owed_by", "paid_by"])


@payouts.command("owed")
@click.option("--node", required=True, help="The paying node.")
@pass_session
def payouts_owed(session, node: str) -> None:
    """What NODE must still pay, every settled month: each payout (each payee of a split) of which
    it owes a part it has not confirmed yet."""
    from ..payouts import COLUMNS, owed_rows

    rows = owed_rows(session, node)
    show(rows, COLUMNS)
    if click.get_current_context().find_root().meta["format"] == "table":
        click.echo(f"node {node} owes {format_micro(sum(r['amount_micro'] for r in rows))} in {len(rows)} payment(s)")


@payouts.command("confirm")
@click.argument("month")
@click.argument("payee")
@click.option("--node", required=True, help="Your node, which paid its part (you act as <node>.admin unless --as).")
@click.option("--ref", "reference", required=True, help="The external transaction reference of the payment.")
@click.option("--kind", type=click.Choice(KINDS), help="The payout's kind, when PAYEE has several in MONTH.")
@pass_session
def payouts_confirm(session, month: str, payee: str, node: str, reference: str, kind: str | None) -> None:
    """Record that NODE paid its part of MONTH's payout to PAYEE (an artist, a node, or "unallocated"
    / "unclaimed" for the consortium wallet) with the external transaction reference --ref. The
    payout is paid once every node that owes part of it has confirmed. Confirming again with the
    same reference changes nothing; another reference is refused."""
    from chaincode.contracts.settlement import Settlement

    from ..payouts import kind_of

    answer = session.admin(node).submit(Settlement.ConfirmPayout, month, kind_of(session, month, payee, node, kind),
                                        payee, reference).json()
    payout = answer["payout"]
    waiting = sorted(set(payout["by_node"]) - set(payout["paid_by"]))
    state = "paid" if payout["status"] == "paid" else f"still owed by {', '.join(waiting)}"
    verb = "confirmed" if answer["confirmed"] else "was already confirmed"
    click.echo(f"node {node}'s part of the {month} {payout['kind']} payout to {payee} "
               f"({format_micro(payout['by_node'][node])}) {verb} with reference {payout['paid_by'][node]}; {state}")


COMMANDS = [payouts]
