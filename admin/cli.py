"""The ``nineten`` command line: the edge where every error becomes a message and an exit code."""

import logging
import sys
from pathlib import Path

import click

from .errors import NinetenError
from .choices import OUTPUT_FORMATS
from .session import Session


class _Root(click.Group):
    """A group that reports NinetenError as ``error: …`` with the error's exit code."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except NinetenError as exc:
            if str(exc):
                click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)
        finally:
            session = ctx.find_object(Session)
            if session is not None:
                session.close()


@click.group(cls=_Root, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--ledger", "ledger", type=click.Path(path_type=Path), default=Path(".nineten"), show_default=True,
              envvar="NINETEN_LEDGER", help="Ledger folder: embedded ledger, wallet and node secrets.")
@click.option("--as", "as_identity", metavar="IDENTITY", envvar="NINETEN_AS",
              help="Wallet identity to act as (default: <node>.admin, or <node>.auditor for reads).")
@click.option("--format", "fmt", type=click.Choice(OUTPUT_FORMATS), default="table", show_default=True,
              help="How data is printed.")
@click.option("--gateway", "gateway", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              envvar="NINETEN_GATEWAY", help="Fabric connection profile: run against a Fabric network "
              "instead of the embedded ledger.")
@click.pass_context
def main(ctx: click.Context, ledger: Path, as_identity: str | None, fmt: str, gateway: Path | None) -> None:
    """9ten ledger: run a month of the 9ten consortium — subscriptions, daily listening anchors,
    reconciliation, reviews, disputes, settlement and audit.

    \b
    A month, step by step (embedded ledger in ./.nineten):
      nineten init --consortium consortium.yaml
      nineten consortium load consortium.yaml
      nineten subscriptions import subscriptions.csv
      nineten listens submit plays/n1/2026-10-01.csv --node n1     (every day)
      nineten month reconcile 2026-10 --node n1
      nineten month review 2026-10 --node n1 --reviewer n2
      nineten month settle 2026-10 --node n1
      nineten payouts 2026-10
    Or all of it at once: `nineten simulate SCENARIO --out OUT`, or `nineten demo`.
    """
    # A root handler first: the Fabric packages call logging.basicConfig(level=DEBUG) when imported,
    # which then leaves the root logger as it is.
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger().setLevel(logging.WARNING)
    ctx.obj = Session(folder=ledger, gateway_profile=gateway, as_identity=as_identity)
    ctx.meta["format"] = fmt


def _register() -> None:
    from .commands import (adjustments, audit, calls, channel, consortium, disputes, events, identity, ledger, listens,
                           month, payouts, receipt, simulate, statements, subscriptions)

    for module in (adjustments, audit, calls, channel, consortium, disputes, events, identity, ledger, listens, month,
                   payouts, receipt, simulate, statements, subscriptions):
        for command in module.COMMANDS:
            main.add_command(command)


_register()
