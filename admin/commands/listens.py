"""``nineten listens``: anchor a node's daily listening report."""

from pathlib import Path

import click

from ..choices import DAY_FORMATS
from . import pass_session, progress, show


@click.group()
def listens() -> None:
    """Daily listening reports."""


@listens.command("submit")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--node", required=True, help="The node whose days these are.")
@click.option("--input-format", "fmt", type=click.Choice(DAY_FORMATS), help="Override the format read from the suffix.")
@click.option("--report", type=click.Path(path_type=Path, dir_okay=False),
              help="Check every file first and write every bad row (file, line, field, message) to this "
              "CSV file (JSON if it ends in .json); anchor nothing if there is one.")
@pass_session
def listens_submit(session, files: tuple[Path, ...], node: str, fmt: str | None, report: Path | None) -> None:
    """Validate, pseudonymise, canonicalise and anchor day FILES (named YYYY-MM-DD.<csv|parquet|jsonl>).

    \b
    Formats: CSV or Parquet (played_at,listener_id,artist_id,track_id,seconds), ActivityStreams
    `Listen` activities or ListenBrainz listens as JSON lines. The same plays in any format anchor
    the same hash. A bad row stops the file with its line and field; nothing is anchored for it.
    Submitting the same day again is a no-op; a different file for an anchored day is refused
    (a correction keeps both). The canonical file to share with reviewers is kept under
    <ledger>/days/<node>/.

    With --report FILE, every file is checked before any is anchored: all bad rows of all files
    are written to FILE (header only when there are none) and, if there is one, nothing is anchored.
    """
    from ..listens import submit_day

    if report is not None:
        _check_all(session, files, node, fmt, report)
    rows = []
    with progress(len(files), "anchoring days") as bar:
        for path in files:
            rows.append(submit_day(session, node, path, fmt))
            bar.update(1)
    show(rows, ["date", "rows", "listeners", "plays", "seconds", "sha256", "block"])


def _check_all(session, files: tuple[Path, ...], node: str, fmt: str | None, report: Path) -> None:
    """Check every file, write the report, and refuse them all if any row is bad."""
    from ..errors import InputError
    from ..listens import day_problems, write_problem_report

    with progress(len(files), "checking days") as bar:
        problems = day_problems(session, node, files, fmt, bar.update)
    write_problem_report(problems, report)
    if problems:
        bad = sorted({p.file for p in problems})
        rows = len({(p.file, p.line) for p in problems if not p.whole_file})
        raise InputError(f"{rows} bad row{'s' if rows != 1 else ''} and {len(problems)} problem"
                         f"{'s' if len(problems) != 1 else ''} in {len(bad)} of {len(files)} files "
                         f"({', '.join(bad)}); nothing was anchored; every problem is listed in {report}")


@listens.command("anchors")
@click.argument("month")
@click.option("--node", required=True, help="Node id.")
@pass_session
def listens_anchors(session, month: str, node: str) -> None:
    """The day anchors of NODE for MONTH."""
    from chaincode.contracts.listening import Listening

    show(session.reader().evaluate(Listening.ListAnchors, node, month),
         ["date", "rows", "listeners", "plays", "seconds", "sha256"])


COMMANDS = [listens]
