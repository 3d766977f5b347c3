"""``nineten statement`` and ``nineten export dsr``: an artist's statement and a month's sales-report
file, from the chain alone."""

from pathlib import Path

import click

from . import pass_session


@click.command("statement")
@click.argument("artist")
@click.option("--from", "first", metavar="YYYY-MM", help="First settled month (default: the first).")
@click.option("--to", "last", metavar="YYYY-MM", help="Last settled month (default: the last).")
@click.option("--out", required=True, type=click.Path(path_type=Path, file_okay=False),
              help="Folder for statement-ARTIST.html, .pdf and .csv (created if missing).")
@pass_session
def statement(session, artist: str, first: str | None, last: str | None, out: Path) -> None:
    """ARTIST's statement from the chain alone, per settled month: earned by node and from how many
    listeners, from the nodes' pools, held and released, adjusted (chargebacks, fraud), instructed
    (split among its payees), paid with which references, and the balance carried; as HTML, PDF
    and CSV."""
    from chaincode import validate
    from chaincode.errors import InvalidArgument
    from chaincode.money import format_micro
    from reports.chain import ChainReader
    from reports.statement import collect, render

    from ..errors import InputError

    for option, value in (("--from", first), ("--to", last)):
        try:
            if value is not None:
                validate.month(value)
        except InvalidArgument as exc:
            raise InputError(str(exc).rstrip("."), field=option) from None
    model = collect(ChainReader(session.reader()), artist, first or "", last or "")
    out.mkdir(parents=True, exist_ok=True)
    for name, data in render(model).items():
        (out / name).write_bytes(data)
        click.echo(str(out / name))
    click.echo(f"{artist}: {len(model['rows'])} months from {model['from']} to {model['to']}; balance carried "
               f"{format_micro(model['balance_micro'])}" if model["rows"] else f"{artist}: nothing in these months")


@click.group("export")
def export() -> None:
    """Files for the industry's tools, from the chain alone."""


@export.command("dsr")
@click.argument("month")
@click.option("--out", "target", required=True, type=click.Path(path_type=Path, dir_okay=False),
              help="The file to write (tab-separated).")
@pass_session
def export_dsr(session, month: str, target: Path) -> None:
    """Settled MONTH as a DSR-like flat file (a layout in the style of DDEX DSR, not a licensed
    DDEX profile): HEAD, one SY01 summary per node, one RU01 line per payee with its identifiers,
    and a FOOT with the control totals (lines, income, instructed, earned)."""
    from reports.chain import ChainReader
    from reports.dsr import lines, render

    rows = lines(ChainReader(session.reader()), month)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(render(rows))
    foot = rows[-1]
    click.echo(f"{target}: {foot[1]} node summaries, {foot[2]} payee lines; income {foot[3]}, instructed {foot[4]}")


COMMANDS = [statement, export]
