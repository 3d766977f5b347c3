"""``nineten listens``: anchor a node's daily listening report."""

from pathlib import Path

import click

from ..choices import DAY_FORMATS, UNMAPPED_CHOICES
from . import pass_session, progress, show


@click.group()
def listens() -> None:
    """Daily listening reports."""


def listener_options(command):
    """The options naming who listened in files that do not say (``--listener``, ``--listeners``)."""
    command = click.option(
        "--listeners", "listener_map", type=click.Path(path_type=Path, exists=True, dir_okay=False),
        help="A CSV file,listener_id naming who listened in each of several files (by the path as given, or "
        "the file name): one command for many listeners' exports; --listener is then the default for the "
        "others.")(command)
    return click.option(
        "--listener", metavar="ID", help="Who listened, for files that do not say (Spotify, Maloja, Pano "
        "Scrobbler, ListenBrainz export lines); replaces the user of a ListenBrainz export's user.json. Any id "
        "your node uses: an actor URL, a name with spaces, any script.")(command)


@listens.command("submit")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--node", required=True, help="The node whose plays these are.")
@click.option("--input-format", "fmt", type=click.Choice(DAY_FORMATS), help="Override the format read from the suffix.")
@listener_options
@click.option("--unmapped", type=click.Choice(UNMAPPED_CHOICES), default="refuse", show_default=True,
              help="Plays of an artist the artist catalogue does not know: refuse them all (nothing is "
              "anchored), or keep them under an id derived from the artist's name, held until it registers.")
@click.option("--month", metavar="YYYY-MM", help="Anchor only this month's days of the files (others are "
              "counted and left out).")
@click.option("--report", type=click.Path(path_type=Path, dir_okay=False),
              help="Write every bad row (file, line, field, message) of every file to this CSV file (JSON if "
              "it ends in .json), header only when there is none.")
@pass_session
def listens_submit(session, files: tuple[Path, ...], node: str, fmt: str | None, listener: str | None,
                   listener_map: Path | None, unmapped: str, month: str | None, report: Path | None) -> None:
    """Read FILES, split their plays into UTC days, pseudonymise, canonicalise and anchor each day.

    \b
    FILES, in any mix:
      CSV or Parquet        played_at,listener_id,artist_id,track_id,seconds
      JSON lines (.jsonl)   ListenBrainz listens, ActivityStreams Listen activities (Funkwhale,
                            Pleroma), Pano Scrobbler entries
      JSON (.json)          a Spotify Extended Streaming History or StreamingHistory file, a Maloja
                            export, a ListenBrainz payload, an ActivityStreams collection (outbox page)
      zip (.zip)            a ListenBrainz export (user.json, listens/YYYY/M.jsonl) or a Spotify export
    A file named YYYY-MM-DD.<suffix> holds that day only; any other file is split into the UTC days
    of its plays, and the plays of all FILES are merged by day. The same plays in any format
    anchor the same hash.

    \b
    Artists are mapped through the artist catalogue (the chain's artist records): by MusicBrainz
    artist id first, then by exact name or alias. Plays of unmapped artists are listed (file, line,
    name) before anything is anchored; see --unmapped.
    Seconds: the time played where the source says it (Spotify's ms_played); where it gives only
    the track's length (ListenBrainz duration_ms) or nothing, the policy's played-time rule decides
    (by default: the track's length, or 30 s without one); such plays are counted as estimated.

    Every file is read and checked first: one bad row anchors nothing. Submitting the same day
    again is a no-op; different plays for an anchored day are refused. The canonical file of each
    day, to share with reviewers, is kept under <ledger>/days/<node>/.
    """
    from chaincode import validate
    from chaincode.errors import InvalidArgument

    from ..errors import InputError
    from ..intake import read_files
    from ..listens import (anchor_days, check_intake, load_listener_map, read_options, skipped_text,
                           unmapped_text)

    if month is not None:
        try:
            validate.month(month)
        except InvalidArgument as exc:
            raise InputError(str(exc).rstrip("."), field="--month") from None
    listeners = load_listener_map(listener_map, files) if listener_map else None
    options = read_options(session, listener, unmapped == "keep", month)
    with progress(len(files), "reading files") as bar:
        intake = read_files(files, fmt, options, bar.update, listeners)
    check_intake(intake, report, len(files))
    for line in skipped_text(intake.skipped):
        click.echo(line, err=True)
    kept = [u for u in intake.unmapped if u.kept_as is not None]
    if kept:
        click.echo(unmapped_text(kept, kept=True), err=True)
    if not intake.days:
        click.echo(f"no plays to anchor{' in ' + month if month else ''}", err=True)
        return
    with progress(len(intake.days), "anchoring days") as bar:
        rows = anchor_days(session, node, intake, bar.update)
    show(rows, ["date", "rows", "listeners", "plays", "seconds", "estimated", "sha256", "block"])


@listens.command("correct")
@click.argument("file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--node", required=True, help="The node whose day this is (you act as <node>.admin unless --as).")
@click.option("--reason", required=True, help="Why the day is corrected: kept on chain with the replaced anchor.")
@click.option("--input-format", "fmt", type=click.Choice(DAY_FORMATS), help="Override the format read from the suffix.")
@pass_session
def listens_correct(session, file: Path, node: str, reason: str, fmt: str | None) -> None:
    """Replace the anchor of the one day FILE holds with FILE's (Listening:Correct): read, checked,
    pseudonymised and canonicalised as `listens submit` does; the replaced anchor stays on chain
    under `superseded` with the reason, and its canonical file under <ledger>/days/<node>/superseded/.

    \b
    The node's month must not be sealed: after a dispute over days, unseal it first
    (`month withdraw`), correct the days, then `month reconcile` seals the corrected month,
    which its reviewers review again before its money moves. Correcting again with the same file
    and reason changes nothing.
    """
    from ..listens import correct_day

    row = correct_day(session, node, file, reason, fmt)
    show([row], ["date", "rows", "listeners", "plays", "seconds", "sha256", "block"])


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
