"""``nineten listens``: anchor a node's daily listening report."""

from pathlib import Path

import click

from ..formats import FORMATS
from ..listens import submit_day
from . import pass_session, progress, show


@click.group()
def listens() -> None:
    """Daily listening reports."""


@listens.command("submit")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--node", required=True, help="The node whose days these are.")
@click.option("--input-format", "fmt", type=click.Choice(FORMATS), help="Override the format read from the suffix.")
@pass_session
def listens_submit(session, files: tuple[Path, ...], node: str, fmt: str | None) -> None:
    """Validate, pseudonymise, canonicalise and anchor day FILES (named YYYY-MM-DD.<csv|parquet|jsonl>).

    \b
    Formats: CSV or Parquet (played_at,listener_id,artist_id,track_id,seconds), ActivityStreams
    `Listen` activities or ListenBrainz listens as JSON lines. The same plays in any format anchor
    the same hash. A bad row stops the file with its line and field; nothing is anchored for it.
    Submitting the same day again is a no-op; a different file for an anchored day is refused
    (a correction keeps both). The canonical file to share with reviewers is kept under
    <ledger>/days/<node>/.
    """
    rows = []
    with progress(len(files), "anchoring days") as bar:
        for path in files:
            rows.append(submit_day(session, node, path, fmt))
            bar.update(1)
    show(rows, ["date", "rows", "listeners", "plays", "seconds", "sha256", "block"])


@listens.command("anchors")
@click.argument("month")
@click.option("--node", required=True, help="Node id.")
@pass_session
def listens_anchors(session, month: str, node: str) -> None:
    """The day anchors of NODE for MONTH."""
    show(session.query(session.reader(), "Listening:ListAnchors", node, month),
         ["date", "rows", "listeners", "plays", "seconds", "sha256"])


COMMANDS = [listens]
