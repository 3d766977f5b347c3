"""``nineten payouts``: the payout instructions of a settled month."""

import click

from . import pass_session, show


@click.command()
@click.argument("month")
@click.option("--kind", type=click.Choice(["artist", "node"]), default="artist", show_default=True,
              help="Artist payouts or node operator shares.")
@pass_session
def payouts(session, month: str, kind: str) -> None:
    """The payout instructions of settled MONTH (amounts in USDP with 6 decimals)."""
    from ..exports import payout_rows

    show(payout_rows(session, month, kind), ["payee", "amount", "amount_micro", "wallet", "status"])


COMMANDS = [payouts]
