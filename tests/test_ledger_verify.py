"""`nineten ledger verify` against a forger who has the ledger file but no member's key: every block is
re-executed, so rewritten writes, state, transaction ids or timestamps fail even with every hash
recomputed; a truncated tail shows only in the head, which verify prints."""

import json
import shutil
import sqlite3

import pytest

from admin.embedded.store import block_hash
from chaincode import canonical_json, records
from scenario_files import run, write_scenario


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    """The tiny scenario simulated; tests copy its ledger folder and tamper with the copy."""
    root = tmp_path_factory.mktemp("verify")
    run("simulate", write_scenario(root / "s"), "--out", root / "out")
    return root / "out" / "ledger"


@pytest.fixture
def ledger(simulated, tmp_path):
    copy = tmp_path / "ledger"
    shutil.copytree(simulated, copy)
    return copy


def _db(folder):
    return sqlite3.connect(folder / "ledger.sqlite", isolation_level=None)


def rechain(db, start=0):
    """Recompute every block's hash from block ``start`` on, as a forger without a key can."""
    rows = db.execute("SELECT number, prev_hash, body FROM blocks WHERE number >= ? ORDER BY number",
                      (start,)).fetchall()
    previous = rows[0][1]
    for number, _, body in rows:
        digest = block_hash(number, previous, body)
        db.execute("UPDATE blocks SET prev_hash = ?, hash = ? WHERE number = ?", (previous, digest, number))
        previous = digest


def edit_body(db, number, change):
    body = json.loads(db.execute("SELECT body FROM blocks WHERE number = ?", (number,)).fetchone()[0])
    change(body)
    db.execute("UPDATE blocks SET body = ? WHERE number = ?", (canonical_json.dumps(body), number))


def verify(folder, expect):
    return run("--ledger", folder, "ledger", "verify", expect=expect)


def test_an_untouched_ledger_re_executes_and_prints_its_head(ledger):
    out = verify(ledger, 0)
    db = _db(ledger)
    height, head = db.execute("SELECT COUNT(*), (SELECT hash FROM blocks ORDER BY number DESC LIMIT 1) "
                              "FROM blocks").fetchone()
    assert f"head: height {height}, hash {head}\n" in out
    assert f"ledger verified: {height} blocks re-executed, hash chain intact" in out
    assert "MISMATCH" not in out


def test_a_rewritten_wallet_in_block_writes_and_state_is_caught(ledger):
    """The attack of issue 10: the artist a1's wallet changed in block 0's writes and in the state,
    every block hash recomputed."""
    key = records.ARTIST.key("a1")
    db = _db(ledger)
    forged = None

    def rewrite(body):
        nonlocal forged
        for write in body["writes"]:
            if write[0] == key:
                write[1] = forged = write[1].replace("w-a1", "w-forger")

    edit_body(db, 0, rewrite)
    db.execute("UPDATE state SET value = ? WHERE key = ?", (forged.encode(), key))
    db.execute("UPDATE history SET value = ? WHERE key = ? AND block = 0", (forged.encode(), key))
    rechain(db)
    out = verify(ledger, 1)
    assert ("MISMATCH block 0: its recorded writes differ from what running its signed proposal "
            f"(Registry:Bootstrap) again gives (first differing write: key {key!r}).") in out
    assert f"MISMATCH the world state differs from the one replayed from the blocks (first at {key!r})." in out
    assert "MISMATCH block 0: hash" not in out
    assert "error: the ledger does not re-execute to what it holds: 3 problem(s)." in out


def test_a_changed_argument_breaks_the_signature(ledger):
    db = _db(ledger)
    edit_body(db, 1, lambda body: body["proposal"]["args"].__setitem__(0, "2026-11"))
    rechain(db, 1)
    out = verify(ledger, 1)
    assert "MISMATCH block 1: running its signed proposal (Subscriptions:RecordBatch) again is refused: " \
           "the creator's certificate or signature is not valid for Org1MSP." in out


@pytest.mark.parametrize(("column", "value", "message"), [
    ("txid", "f" * 64, "its transaction id (" + "f" * 64 + " in the block log, "),
    ("timestamp_ns", 1, "its timestamp (1 in the block log, "),
])
def test_an_edited_transaction_id_or_timestamp_is_caught(ledger, column, value, message):
    """Both feed the key history (and so the audit document's sources): they must be the signed ones."""
    db = _db(ledger)
    edit_body(db, 2, lambda body: body.__setitem__(column, value))
    db.execute(f"UPDATE blocks SET {column} = ? WHERE number = 2", (value,))
    rechain(db, 2)
    out = verify(ledger, 1)
    assert f"MISMATCH block 2: {message}" in out
    assert "is not the one its signed proposal carries" in out


def test_a_body_that_is_not_json_is_a_mismatch_line(ledger):
    db = _db(ledger)
    db.execute("UPDATE blocks SET body = ? WHERE number = 3", ("{not json",))
    rechain(db, 3)
    out = verify(ledger, 1)
    assert "MISMATCH block 3: its body is not canonical JSON (" in out
    assert "Traceback" not in out


def test_a_broken_link_is_named(ledger):
    db = _db(ledger)
    db.execute("UPDATE blocks SET prev_hash = ? WHERE number = 4", ("0" * 64,))
    out = verify(ledger, 1)
    assert "MISMATCH block 4: prev_hash does not match block 3's hash." in out
    assert "MISMATCH block 4: hash does not match its content." in out


def test_a_replaced_organisation_ca_is_caught_by_the_genesis_link(ledger, tmp_path):
    """A forger who swaps in a CA of their own (to sign blocks with it) changes the genesis hash."""
    other = tmp_path / "other"
    run("simulate", write_scenario(tmp_path / "s"), "--out", other)
    foreign = _db(other / "ledger").execute("SELECT ca_pem FROM msp WHERE msp_id = 'Org1MSP'").fetchone()[0]
    db = _db(ledger)
    db.execute("UPDATE msp SET ca_pem = ? WHERE msp_id = 'Org1MSP'", (foreign,))
    out = verify(ledger, 1)
    assert "MISMATCH block 0: prev_hash does not match the genesis hash of the ledger's organisations." in out


def test_a_truncated_tail_shows_only_in_the_head(ledger):
    """Removing the last block with its writes re-executes clean: the head is what tells."""
    before = verify(ledger, 0)
    db = _db(ledger)
    last = db.execute("SELECT MAX(number) FROM blocks").fetchone()[0]
    for key, value in db.execute("SELECT key, value FROM history WHERE block = ?", (last,)).fetchall():
        previous = db.execute("SELECT value, is_delete FROM history WHERE key = ? AND block < ? "
                              "ORDER BY block DESC LIMIT 1", (key, last)).fetchone()
        if previous is None or previous[1]:
            db.execute("DELETE FROM state WHERE key = ?", (key,))
        else:
            db.execute("INSERT OR REPLACE INTO state VALUES (?, ?)", (key, previous[0]))
    db.execute("DELETE FROM history WHERE block = ?", (last,))
    db.execute("DELETE FROM blocks WHERE number = ?", (last,))
    after = verify(ledger, 0)
    head = lambda out: next(line for line in out.splitlines() if line.startswith("head: "))  # noqa: E731
    assert head(before) != head(after)
    assert f"head: height {last}," in head(after)
