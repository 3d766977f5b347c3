"""``nineten events follow``: the chaincode's events as they are committed, resumable."""

import signal
import sys
from contextlib import contextmanager
from pathlib import Path

import click

from . import pass_session


class _Stop(Exception):
    """SIGTERM or SIGINT arrived: stop following."""


class _Signals:
    """SIGTERM and SIGINT stop the follower between events, never between writing an event and
    recording it in the checkpoint (those two are one step for a signal)."""

    def __init__(self) -> None:
        self.pending = self.inside = False

    def __enter__(self) -> "_Signals":
        self.previous = {s: signal.signal(s, self._arrived) for s in (signal.SIGTERM, signal.SIGINT)}
        return self

    def __exit__(self, *exc) -> None:
        for number, handler in self.previous.items():
            signal.signal(number, handler)

    def _arrived(self, number, frame) -> None:
        self.pending = True
        if not self.inside:
            raise _Stop

    @contextmanager
    def critical(self):
        self.inside = True
        try:
            yield
        finally:
            self.inside = False
        if self.pending:
            raise _Stop


@click.group()
def events() -> None:
    """The chaincode's events (every contract's transactions emit one: Listening.Anchor,
    Registry.Proposal, Reviews.Review, Settlement.Settle, ...)."""


@events.command("follow")
@click.option("--checkpoint", "checkpoint_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Checkpoint file: where the follower is, saved after every event, read when it starts "
                   "(then --from-block is ignored). Kill the follower at any time: started again with the "
                   "same file it misses no event and repeats none.")
@click.option("--from-block", type=click.IntRange(min=0), metavar="N",
              help="Start at block N (default: the next block committed), when the checkpoint has no position.")
@click.option("--out", "out_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Append the events to this file instead of standard output; with --checkpoint, even a "
                   "follower killed with SIGKILL writes every event exactly once.")
@pass_session
def events_follow(session, checkpoint_file: Path | None, from_block: int | None, out_file: Path | None) -> None:
    """Print the chaincode's events as they are committed, one line each: block, transaction id,
    event name and payload (--format json: one JSON object a line). Runs until interrupted
    (Ctrl-C or SIGTERM: it stops after the event in hand is printed and recorded).

    \b
    On a Fabric network through the Gateway's ChaincodeEvents (valid transactions only); on the
    embedded ledger from its block log.
      nineten events follow --checkpoint follower.json --from-block 0 --out events.log
    """
    from ..events import Checkpoint, FileOutput, follow, line

    fmt = click.get_current_context().find_root().meta["format"]
    checkpoint = Checkpoint.load(checkpoint_file)
    reader = session.reader()
    output = FileOutput(out_file, checkpoint.output_length) if out_file else None

    def handle(event) -> int | None:
        text = line(event, fmt)
        if output is not None:
            return output.write(text)
        click.echo(text)
        sys.stdout.flush()
        return None

    try:
        with _Signals() as signals:
            for _ in follow(reader.client, reader.identity, checkpoint, from_block, handle, signals.critical):
                pass
    except _Stop:
        pass
    finally:
        if output is not None:
            output.close()


COMMANDS = [events]
