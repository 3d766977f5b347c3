"""The ``nineten`` commands, one module per subject; each exports COMMANDS."""

import sys

import click

from ..output import render, render_record
from ..session import Session

pass_session = click.make_pass_decorator(Session)


def show(rows_or_record, columns=None) -> None:
    """Print a list of rows (with ``columns``) or one record in the chosen --format."""
    fmt = click.get_current_context().find_root().meta["format"]
    if columns is None:
        click.echo(render_record(rows_or_record, fmt))
    else:
        click.echo(render(rows_or_record, columns, fmt))


def progress(length: int, label: str):
    """A progress bar on stderr for long work."""
    return click.progressbar(length=length, label=label, file=sys.stderr,
                             show_pos=True, width=30)
