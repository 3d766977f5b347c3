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


def json_argument(text: str, option: str):
    """A JSON value given inline or as @FILE; InputError naming the file (and line) or the option."""
    import json
    from pathlib import Path

    from chaincode import canonical_json

    from ..errors import InputError

    where, kwargs = option, {"field": option}
    if text.startswith("@"):
        path = Path(text[1:])
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read the file: {exc}", str(path)) from None
        where, kwargs = str(path), {}
    try:
        return canonical_json.loads(text)
    except json.JSONDecodeError as exc:
        if where == option:
            raise InputError(f"is not valid JSON: {exc.msg} (column {exc.colno})", **kwargs) from None
        raise InputError(f"not valid JSON: {exc.msg} (column {exc.colno})", where, exc.lineno) from None
    except ValueError as exc:
        raise InputError(str(exc), where if where != option else None, **kwargs) from None


def progress(length: int, label: str):
    """A progress bar on stderr for long work."""
    return click.progressbar(length=length, label=label, file=sys.stderr,
                             show_pos=True, width=30)
