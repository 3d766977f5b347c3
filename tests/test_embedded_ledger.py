"""The embedded ledger as Fabric's peers would keep it: one writer at a time, read sets checked at
commit (MVCC), certificates only within their validity period; two real processes writing at once."""

import datetime as dt
import json
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from admin.embedded.ledger import READ_CONFLICT, EmbeddedLedger
from admin.embedded.msp import OrgCA
from admin.errors import AccessRejected, LedgerBusy, ReadConflictRejected
from chaincode import records

COUNTS = json.dumps({"rows": 3, "listeners": 2, "plays": 3, "seconds": 600})
NOW = dt.datetime.now(dt.timezone.utc)
ROOT = Path(__file__).resolve().parent.parent


def issue(ledger, name, not_before, not_after):
    ca = OrgCA(ledger.folder / "msp" / "Org1MSP", "Org1MSP")
    ledger.wallet.put(ca.issue(name, "admin", not_before, not_after))


@pytest.mark.parametrize(("name", "start", "end", "shown"), [
    ("n1.expired", NOW - dt.timedelta(days=30), NOW - dt.timedelta(days=1), "to " + (NOW - dt.timedelta(days=1)).strftime("%Y-%m-%d")),
    ("n1.early", NOW + dt.timedelta(days=1), NOW + dt.timedelta(days=30), "valid from " + (NOW + dt.timedelta(days=1)).strftime("%Y-%m-%d")),
])
def test_a_certificate_outside_its_validity_is_refused(ledger, name, start, end, shown):
    issue(ledger, name, start, end)
    before = ledger.state_hash(), ledger.height()
    with pytest.raises(AccessRejected) as refused:
        ledger.submit(name, "Listening:Anchor", "n1", "2026-03-01", "a" * 64, COUNTS)
    assert refused.value.message.startswith("the creator's certificate for Org1MSP is not valid on ")
    assert shown in refused.value.message
    assert (ledger.state_hash(), ledger.height()) == before


def test_blocks_signed_while_a_certificate_was_valid_still_verify(ledger):
    issue(ledger, "n1.brief", NOW - dt.timedelta(days=1), dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=2))
    ledger.submit("n1.brief", "Listening:Anchor", "n1", "2026-03-01", "a" * 64, COUNTS)
    time.sleep(2.5)
    with pytest.raises(AccessRejected):
        ledger.submit("n1.brief", "Listening:Anchor", "n1", "2026-03-02", "a" * 64, COUNTS)
    assert ledger.verify().problems == []


def test_an_endorsement_whose_read_changed_is_a_read_conflict(ledger):
    """Endorsed while the day had no anchor; another anchor of that day lands first: committing the
    first is refused as Fabric's MVCC check refuses it, and nothing is written."""
    prepared = ledger.endorse("n1.admin", "Listening:Anchor", "n1", "2026-03-01", "a" * 64, COUNTS)
    assert [records.ANCHOR.key("n1", "2026-03-01"), None] in prepared.transaction["reads"]["keys"]
    ledger.submit("n1.admin", "Listening:Anchor", "n1", "2026-03-01", "b" * 64, COUNTS)
    before = ledger.state_hash(), ledger.height()
    with pytest.raises(ReadConflictRejected) as refused:
        ledger.commit(prepared)
    assert refused.value.message == READ_CONFLICT
    assert (ledger.state_hash(), ledger.height()) == before


def _hold_lock(path, seconds, held):
    """Another writer: the ledger's write lock held for ``seconds`` by a connection of its own."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("BEGIN IMMEDIATE")
    held.set()
    time.sleep(seconds)
    db.execute("COMMIT")
    db.close()


def test_a_second_writer_waits_with_a_message_then_commits(ledger):
    told = []
    waiting = EmbeddedLedger(ledger.folder, wait_seconds=10, tell=told.append)
    held = threading.Event()
    other = threading.Thread(target=_hold_lock, args=(ledger.folder / "ledger.sqlite", 1.0, held))
    other.start()
    held.wait()
    started = time.monotonic()
    committed = waiting.submit("n1.admin", "Listening:Anchor", "n1", "2026-03-01", "a" * 64, COUNTS)
    other.join()
    waiting.close()
    assert time.monotonic() - started >= 0.8
    assert told == [f"another process is writing to the ledger {ledger.folder}; waiting for it (up to 10 s)..."]
    assert committed.block == ledger.height() - 1


def test_a_writer_that_waits_too_long_is_refused_in_one_sentence(ledger):
    impatient = EmbeddedLedger(ledger.folder, wait_seconds=0.5, tell=lambda text: None)
    held = threading.Event()
    other = threading.Thread(target=_hold_lock, args=(ledger.folder / "ledger.sqlite", 2.0, held))
    other.start()
    held.wait()
    before = ledger.height()
    with pytest.raises(LedgerBusy) as refused:
        impatient.submit("n1.admin", "Listening:Anchor", "n1", "2026-03-01", "a" * 64, COUNTS)
    other.join()
    impatient.close()
    assert refused.value.message == ("another process held the ledger's write lock for 0.5 s, so nothing was "
                                     "written; try again when it is done.")
    assert ledger.height() == before


_WRITER = """
import json, sys, time
from pathlib import Path
from admin.embedded.ledger import EmbeddedLedger
from admin.errors import LedgerRejected
folder, node, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
ledger = EmbeddedLedger(folder)
Path(folder, f"ready-{node}").touch()
while not Path(folder, "go").exists():
    time.sleep(0.01)
recorded = refused = 0
for i in range(count):
    try:
        ledger.submit(f"{node}.admin", "Subscriptions:Record", "2026-10", node, f"{node}-L{i}",
                      "%064x" % i, "10000000", "paid")
        recorded += 1
    except LedgerRejected as exc:
        assert exc.status == 409, exc.message
        refused += 1
print(json.dumps({"recorded": recorded, "refused": refused}))
"""


def test_two_processes_recording_the_same_payments_pay_each_once(ledger):
    """n1's and n2's admins record the same 100 payments from two processes at once: each payment
    is recorded once, by one of them, and the ledger re-executes clean."""
    writers = [subprocess.Popen([sys.executable, "-c", _WRITER, str(ledger.folder), node, "100"], cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for node in ("n1", "n2")]
    deadline = time.monotonic() + 120
    while not all((ledger.folder / f"ready-{node}").exists() for node in ("n1", "n2")):
        assert time.monotonic() < deadline and all(w.poll() is None for w in writers)
        time.sleep(0.05)
    (ledger.folder / "go").touch()
    results = [writer.communicate(timeout=300) for writer in writers]
    for writer, (out, err) in zip(writers, results):
        assert writer.returncode == 0, err
    counts = [json.loads(out) for out, _ in results]
    assert sum(c["recorded"] for c in counts) == 100
    assert sum(c["refused"] for c in counts) == 100
    keys = [key for key, _ in ledger.state_items()]
    assert sum(key.startswith("\x00payref\x00") for key in keys) == 100
    assert sum(key.startswith("\x00sub\x00") for key in keys) == 100
    assert ledger.verify().problems == []
