"""``nineten events follow`` through the Fabric Gateway's ChaincodeEvents (``pytest -m fabric``): a
follower SIGKILLed while transactions are committed and started again with its checkpoint prints
exactly the sequence of events committed, each once."""

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from chaincode import canonical_json
from fabric_support import PROFILE, anchor_args, bootstrap, fill_wallet, fresh_month, wait_lines

pytestmark = pytest.mark.fabric

NINETEN = Path(sys.executable).with_name("nineten")


def test_a_follower_killed_mid_stream_and_restarted_prints_every_committed_event_once(tmp_path):
    from admin.fabric.client import FabricClient

    fill_wallet(tmp_path, ["n1.admin", "n1.auditor"])
    gateway = FabricClient.from_profile(PROFILE, tmp_path / "ledger")
    followers = []
    try:
        bootstrap(gateway)
        month = fresh_month()
        start = gateway.submit("n1.admin", "Listening:Anchor", *anchor_args("n1", f"{month}-01")).block + 1
        checkpoint, out = tmp_path / "follower.json", tmp_path / "events.log"
        command = [str(NINETEN), "--ledger", str(tmp_path / "ledger"), "--gateway", str(PROFILE), "events", "follow",
                   "--checkpoint", str(checkpoint), "--from-block", str(start), "--out", str(out)]
        expected = []

        def anchor(day: int) -> None:
            node, date, digest, _ = args = anchor_args("n1", f"{month}-{day:02d}")
            committed = gateway.submit("n1.admin", "Listening:Anchor", *args)
            payload = canonical_json.dumps({"date": date, "node": node, "sha256": digest})
            expected.append(f"{committed.block} {committed.txid} Listening.Anchor {payload}")

        followers.append(subprocess.Popen(command))
        for day in range(2, 6):
            anchor(day)
        wait_lines(out, 2)
        followers[0].send_signal(signal.SIGKILL)   # mid-stream: more is committed while it is down
        followers[0].wait()
        for day in range(6, 9):
            anchor(day)
        followers.append(subprocess.Popen(command))
        for day in range(9, 12):
            anchor(day)
        assert wait_lines(out, len(expected)) == expected
        followers[1].send_signal(signal.SIGTERM)
        assert followers[1].wait(timeout=30) == 0
        assert out.read_text().splitlines() == expected
    finally:
        for proc in followers:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        gateway.close()
