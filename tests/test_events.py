"""``nineten events follow`` on the embedded ledger: followers killed mid-stream and started again
with their checkpoint print every committed event exactly once (the Fabric run of the same is in
test_fabric_events)."""

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from admin.cli import main
from admin.events import Checkpoint, FileOutput, follow, line
from fabric_support import anchor_args, wait_lines

NINETEN = Path(sys.executable).with_name("nineten")


def committed(ledger, first: int = 0) -> list[str]:
    """Every event of the block log from block ``first``, as the follower prints it."""
    events = []
    for number in range(first, ledger.height()):
        block = ledger.block(number)
        if block["event"]:
            events.append(f"{number} {block['txid']} {block['event']['name']} {block['event']['payload']}")
    return events


def anchors(ledger, count: int, start: int = 1) -> None:
    for day in range(start, start + count):
        ledger.submit("n1.admin", "Listening:Anchor", *anchor_args("n1", f"2026-10-{day:02d}"))


@pytest.fixture
def follower():
    """``follower(folder, *args, **popen)``: a ``nineten events follow`` process, killed at the end
    of the test if it still runs."""
    started = []

    def start(folder: Path, *args: str, **popen) -> subprocess.Popen:
        started.append(subprocess.Popen([str(NINETEN), "--ledger", str(folder), "events", "follow", *args], **popen))
        return started[-1]
    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_a_follower_killed_and_started_again_prints_every_event_once(ledger, tmp_path, follower):
    checkpoint, out = tmp_path / "follower.json", tmp_path / "events.log"
    args = ("--checkpoint", str(checkpoint), "--from-block", "0", "--out", str(out))
    first = follower(ledger.folder, *args)
    anchors(ledger, 12)
    wait_lines(out, 4)
    first.send_signal(signal.SIGKILL)
    first.wait()
    anchors(ledger, 12, start=13)
    second = follower(ledger.folder, *args)
    expected = committed(ledger)
    assert wait_lines(out, len(expected)) == expected
    second.send_signal(signal.SIGTERM)
    assert second.wait(timeout=10) == 0
    state = json.loads(checkpoint.read_text())
    assert state == {"blockNumber": ledger.height() - 1, "transactionId": ledger.block(ledger.height() - 1)["txid"],
                     "outputLength": out.stat().st_size}


def test_sigterm_stops_a_follower_between_events_and_it_resumes_after_the_last(ledger, tmp_path, follower):
    checkpoint, printed = tmp_path / "follower.json", tmp_path / "stdout"
    for round_ in range(2):
        anchors(ledger, 3, start=1 + 3 * round_)   # committed while no follower runs
        with printed.open("a") as stdout:
            proc = follower(ledger.folder, "--checkpoint", str(checkpoint), "--from-block", "1", stdout=stdout)
            wait_lines(printed, 3 * (round_ + 1))
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=10) == 0
    assert printed.read_text().splitlines() == committed(ledger, first=1)


def test_an_event_written_but_not_recorded_is_written_again_once(ledger, tmp_path):
    """A follower killed between writing an event and recording it in the checkpoint: started
    again, it cuts the file back to the recorded length before writing the event again."""
    anchors(ledger, 3)
    checkpoint_path, out_path = tmp_path / "follower.json", tmp_path / "events.log"
    checkpoint, output = Checkpoint.load(checkpoint_path), FileOutput(out_path, None)
    stream = follow(ledger, "n1.auditor", checkpoint, 0, lambda e: output.write(line(e, "table")))
    next(stream), next(stream)
    stream.close()
    unrecorded = committed(ledger)[2]
    output.write(unrecorded)   # the crash: written, never recorded
    output.close()
    resumed = Checkpoint.load(checkpoint_path)
    output = FileOutput(out_path, resumed.output_length)
    stream = follow(ledger, "n1.auditor", resumed, None, lambda e: output.write(line(e, "table")))
    for _ in range(2):
        next(stream)
    stream.close()
    output.close()
    assert out_path.read_text().splitlines() == committed(ledger)


def test_json_lines_and_bad_checkpoints(ledger, tmp_path):
    anchors(ledger, 1)
    event = next(ledger.chaincode_events("n1.auditor", 1))
    assert json.loads(line(event, "json")) == {"block": 1, "event": "Listening.Anchor", "txid": event.txid,
                                               "payload": json.loads(event.payload)}
    bad = tmp_path / "bad.json"
    bad.write_text('{"blockNumber": -1, "transactionId": ""}')
    result = CliRunner().invoke(main, ["--ledger", str(ledger.folder), "events", "follow", "--checkpoint", str(bad)])
    assert result.exit_code == 2
    assert f"error: {bad}: not a checkpoint" in result.output
    good = tmp_path / "good.json"
    good.write_text('{"blockNumber": 1, "transactionId": "x", "outputLength": 99}')
    (tmp_path / "short.log").write_text("one line\n")
    result = CliRunner().invoke(main, ["--ledger", str(ledger.folder), "events", "follow", "--checkpoint", str(good),
                                       "--out", str(tmp_path / "short.log")])
    assert result.exit_code == 2
    assert (f"error: {tmp_path / 'short.log'}: is shorter (9 bytes) than the checkpoint records (99); it is not "
            "the output of this checkpoint") in result.output
