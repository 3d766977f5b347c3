"""``nineten receipt``: show a listener where their month's money went, with its Merkle proof."""

import json
from pathlib import Path

import click

from ..errors import CheckFailed, InputError
from . import pass_session, show


@click.command("receipt")
@click.argument("listener", required=False)
@click.option("--month", help="The month, YYYY-MM.")
@click.option("--node", help="The listener's node (this machine must hold its secret).")
@click.option("--verify", "saved", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              help="Check a saved receipt (JSON) against the chain instead; needs no secret.")
@pass_session
def receipt(session, listener: str | None, month: str | None, node: str | None, saved: Path | None) -> None:
    """Show LISTENER (the raw id as NODE knows it) where their MONTH's artist share went: each
    artist, the counted seconds, the exact amount and where it stands (paid, held under a dispute
    or for an unregistered artist, rejected by a dispute, or not settled yet), with the Merkle
    proof that this allocation is a leaf of the month root NODE sealed on chain. Exits 1 if the
    proof does not verify.

    \b
    The raw id is pseudonymised here with NODE's secret and never sent to the chain.
    `--format json` gives a receipt a third party can check, holding the pseudonym, the proof path
    and the rule to recompute it:
      nineten --format json receipt L1 --month 2026-10 --node n1 > receipt.json
      nineten receipt --verify receipt.json
    """
    from chaincode.money import format_micro

    from ..receipt import listener_receipt

    if saved is not None:
        if listener or month or node:
            raise InputError("give either --verify FILE or LISTENER --month --node, not both")
        _verify(session, saved)
        return
    if not (listener and month and node):
        raise InputError("give LISTENER, --month and --node (or --verify FILE)")
    found = listener_receipt(session, listener, month, node)
    fmt = click.get_current_context().find_root().meta["format"]
    if fmt == "json":
        click.echo(json.dumps(found, indent=2))
    else:
        if fmt == "table":
            click.echo(f"listener {listener} at {node} in {month} (pseudonym {found['listener']}): "
                       f"{format_micro(found['artist_share_micro'])} to {len(found['artists'])} artists")
        show(found["artists"], ["artist_id", "seconds", "amount", "status"])
    if fmt == "table":
        steps = len(found["proof"])
        click.echo(f"Merkle proof: leaf {found['index'] + 1} of {found['leaves']}, {steps} "
                   f"step{'s' if steps != 1 else ''}, root {found['merkle_root']} sealed by {node}: "
                   + ("verified" if found["verified"] else "NOT verified"))
        click.echo(f"settlement: {found['summary']}")
    if not found["verified"]:
        raise CheckFailed()


def _verify(session, saved: Path) -> None:
    from ..receipt import check_receipt, read_receipt

    data = read_receipt(saved)
    problems = check_receipt(session, data)
    for problem in problems:
        click.echo(f"MISMATCH {problem}")
    if problems:
        raise CheckFailed()
    click.echo(f"receipt verified: listener {data['listener']}'s allocation at {data['node']} in "
               f"{data['month']} is in the sealed root {data['merkle_root']}")


COMMANDS = [receipt]
