"""``nineten subscriptions``: record paid months, pseudonymised on this machine."""

from pathlib import Path

import click

from . import pass_session, progress, show


@click.group()
def subscriptions() -> None:
    """Listener subscriptions (one paid month each)."""


@subscriptions.command("import")
@click.argument("csv_file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@pass_session
def subscriptions_import(session, csv_file: Path) -> None:
    """Record the paid months of CSV_FILE (columns month,node_id,listener_id,payment_ref,amount).

    Listener ids are replaced by the node's pseudonym for the month, and payment references by
    their keyed hash under the consortium's payment key (config.yaml payment_key), before anything
    leaves this machine. The whole file is checked first, on this machine (amount = the month's
    price, a payment reference once, a listener once per month and node) and then against the
    chain (every batch run without being committed); a bad row stops the import, naming its line
    and field, before anything is written. Importing the same file again writes nothing.
    """
    from ..inputs import read_subscriptions
    from ..subscriptions import import_subscriptions

    nodes = set(session.config.nodes)
    rows = read_subscriptions(csv_file, nodes)
    with progress(2 * len(rows), "checking, then recording subscriptions") as bar:
        totals = import_subscriptions(session, rows, str(csv_file), bar.update)
    click.echo(f"{totals['recorded']} subscriptions recorded, {totals['unchanged']} already on chain")


@subscriptions.command("list")
@click.argument("month")
@click.option("--node", required=True, help="Node id.")
@pass_session
def subscriptions_list(session, month: str, node: str) -> None:
    """The subscriptions of NODE for MONTH (listeners are pseudonyms)."""
    from chaincode.contracts.subscriptions import Subscriptions

    show(session.reader().evaluate(Subscriptions.List, month, node),
         ["listener", "payment_hash", "amount_micro", "status"])


COMMANDS = [subscriptions]
