"""`nineten subscriptions import` writes all of its file or nothing, keeps payment references off
the chain, and two importers at once cannot make one payment pay twice."""

import os
import subprocess
import sys
from pathlib import Path

from admin.config import LedgerConfig
from admin.pseudonym import payment_hash
from scenario_files import fingerprint, run

HEADER = "month,node_id,listener_id,payment_ref,amount\n"
ROOT = Path(__file__).resolve().parent.parent


def rows(node, count, start=0, listener="L"):
    return "".join(f"2026-10,{node},{listener}{i},pay-{i},10.00\n" for i in range(start, start + count))


def test_a_repeated_listener_at_the_end_of_601_rows_writes_nothing(month, tmp_path):
    _, ledger = month
    bad = tmp_path / "subs.csv"
    bad.write_text(HEADER + rows("n1", 600, 100) + "2026-10,n1,L100,pay-x,10.00\n")
    before = fingerprint(ledger)
    out = run("--ledger", ledger, "subscriptions", "import", bad, expect=2)
    assert (f"error: {bad}:602: field listener_id: listener 'L100' already has a 2026-10 subscription at node n1 "
            "on line 2") in out
    assert fingerprint(ledger) == before


def test_a_refusal_of_the_chain_in_the_second_batch_writes_nothing(month, tmp_path):
    """The 550th row reuses a payment already on chain (the scenario's pay-1): the first batch of 500
    is not written either, and the refusal names the line and field."""
    _, ledger = month
    bad = tmp_path / "subs.csv"
    lines = rows("n1", 600, 100).splitlines(keepends=True)
    lines[549] = "2026-10,n1,X549,pay-1,10.00\n"
    bad.write_text(HEADER + "".join(lines))
    before = fingerprint(ledger)
    out = run("--ledger", ledger, "subscriptions", "import", bad, expect=2)
    assert f"error: {bad}:551: field payment_ref: the ledger refused it: the payment with keyed hash " in out
    assert "was already used for listener" in out
    assert fingerprint(ledger) == before


def test_importing_the_same_file_again_adds_no_block(month):
    scenario, ledger = month
    before = fingerprint(ledger)
    out = run("--ledger", ledger, "subscriptions", "import", scenario / "subscriptions.csv")
    assert "0 subscriptions recorded, 4 already on chain" in out
    assert fingerprint(ledger) == before


def test_payment_references_reach_the_chain_only_as_their_keyed_hash(month):
    scenario, ledger = month
    data = (ledger / "ledger.sqlite").read_bytes() + b"".join(p.read_bytes() for p in ledger.glob("ledger.sqlite-*"))
    assert b"pay-1" not in data and b"pay-4" not in data
    key = LedgerConfig.load(ledger).payment_key_bytes()
    listed = run("--ledger", ledger, "--format", "json", "subscriptions", "list", "2026-10", "--node", "n2")
    assert f'"payment_hash": "{payment_hash(key, "pay-4")}"' in listed


def test_a_file_with_a_byte_order_mark_imports(month, tmp_path):
    _, ledger = month
    marked = tmp_path / "subs.csv"
    marked.write_bytes("\ufeff".encode() + (HEADER + rows("n1", 2, 50)).encode())
    assert "2 subscriptions recorded, 0 already on chain" in run("--ledger", ledger, "subscriptions", "import", marked)


def test_two_importers_at_once_pay_each_payment_once(month, tmp_path):
    """Two processes import the same 500 payment references, one for n1 and one for n2, at once:
    one file is recorded whole, the other refused whole, and the ledger re-executes clean."""
    _, ledger = month
    files = []
    for node, listener in (("n1", "L"), ("n2", "M")):
        files.append(tmp_path / f"{node}.csv")
        files[-1].write_text(HEADER + rows(node, 500, 100, listener))
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-c", "from admin.cli import main; main()", "--ledger", str(ledger),
               "subscriptions", "import"]
    importers = [subprocess.Popen(command + [str(file)], cwd=ROOT, env=environment, text=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE) for file in files]
    outputs = [importer.communicate(timeout=300) for importer in importers]
    results = [(importer.returncode, *output) for importer, output in zip(importers, outputs)]
    assert sorted(code for code, _, _ in results) == [0, 2], results
    loser = next(err for code, _, err in results if code == 2)
    assert "field payment_ref: the ledger refused it: the payment with keyed hash " in loser
    state = run("--ledger", ledger, "--format", "json", "subscriptions", "list", "2026-10", "--node", "n1") + \
        run("--ledger", ledger, "--format", "json", "subscriptions", "list", "2026-10", "--node", "n2")
    assert state.count('"payment_hash"') == 4 + 500
    assert "ledger verified: " in run("--ledger", ledger, "ledger", "verify")
