"""A month under a policy whose ``day_format`` is columnar, through the CLI: the days are anchored
and kept in the columnar form, reconciled, reviewed, verified and settled; the money is the CSV
month's to the micro-unit."""

import json
import re

from admin import daycolumns
from scenario_files import CONSORTIUM, HEADER, fingerprint, run, write_scenario

COLUMNAR_POLICY = CONSORTIUM.replace("currency: USDP}", "currency: USDP, day_format: columnar}")


def submitted(folder, consortium_text):
    """The tiny scenario's month with every day submitted: (scenario, ledger)."""
    scenario = write_scenario(folder / "s")
    (scenario / "consortium.yaml").write_text(consortium_text)
    ledger = folder / "ledger"
    run("--ledger", ledger, "init", "--consortium", scenario / "consortium.yaml")
    run("--ledger", ledger, "consortium", "load", scenario / "consortium.yaml")
    run("--ledger", ledger, "subscriptions", "import", scenario / "subscriptions.csv")
    run("--ledger", ledger, "listens", "submit", *sorted((scenario / "plays" / "n1").glob("*.csv")), "--node", "n1")
    run("--ledger", ledger, "listens", "submit", scenario / "plays" / "n2" / "2026-10-01.csv", "--node", "n2")
    return scenario, ledger


def settled(ledger):
    """Reconcile, review and settle the submitted month."""
    for node in ("n1", "n2"):
        run("--ledger", ledger, "month", "reconcile", "2026-10", "--node", node)
    for node, reviewer in (("n1", "n2"), ("n1", "n3"), ("n2", "n1"), ("n2", "n3")):
        assert "approves" in run("--ledger", ledger, "month", "review", "2026-10", "--node", node, "--reviewer", reviewer)
    run("--ledger", ledger, "month", "settle", "2026-10", "--node", "n1")


def anchors(ledger, node):
    out = run("--ledger", ledger, "--format", "json", "listens", "anchors", "2026-10", "--node", node)
    return {a["date"]: a["sha256"] for a in json.loads(out)}


def test_a_columnar_month_pays_as_the_csv_month(tmp_path):
    _, csv_ledger = submitted(tmp_path / "csv", CONSORTIUM)
    _, ledger = submitted(tmp_path / "columnar", COLUMNAR_POLICY)
    kept = ledger / "days" / "n1"
    assert sorted(p.name for p in kept.iterdir()) == ["2026-10-01.columns", "2026-10-02.columns"]
    assert daycolumns.is_columnar((kept / "2026-10-01.columns").read_bytes())
    assert anchors(ledger, "n1").keys() == anchors(csv_ledger, "n1").keys() == {"2026-10-01", "2026-10-02"}
    assert not set(anchors(ledger, "n1").values()) & set(anchors(csv_ledger, "n1").values())
    settled(ledger)  # (the roots differ from the CSV ledger's: each ledger has its own node secrets, so pseudonyms)
    settled(csv_ledger)
    payouts = ("--format", "csv", "payouts", "2026-10")
    assert run("--ledger", ledger, *payouts) == run("--ledger", csv_ledger, *payouts)


def test_a_columnar_day_verifies_kept_or_raw(tmp_path):
    scenario, ledger = submitted(tmp_path, COLUMNAR_POLICY)
    sha = anchors(ledger, "n1")["2026-10-01"]
    kept = ledger / "days" / "n1" / "2026-10-01.columns"
    assert f"sha256 {sha}" in run("--ledger", ledger, "audit", "verify", kept)
    raw = scenario / "plays" / "n1" / "2026-10-01.csv"
    assert f"sha256 {sha}" in run("--ledger", ledger, "audit", "verify", raw, "--node", "n1")
    out = run("--ledger", ledger, "month", "reconcile", "2026-10", "--node", "n1", "--plays", scenario / "plays" / "n1")
    assert "n1 2026-10: 2 days, 2 listeners allocated in 1 batches" in out
    root = re.search(r"Merkle root ([0-9a-f]{64})", out).group(1)
    assert f"Merkle root {root}" in run("--ledger", ledger, "month", "reconcile", "2026-10", "--node", "n1")


def test_an_altered_columnar_day_is_named_and_stops_reconciliation(tmp_path):
    _, ledger = submitted(tmp_path, COLUMNAR_POLICY)
    kept = ledger / "days" / "n1" / "2026-10-01.columns"
    sha = anchors(ledger, "n1")["2026-10-01"]
    data = bytearray(kept.read_bytes())
    data[-8] ^= 1  # the seconds of the day's last play
    kept.write_bytes(bytes(data))
    out = run("--ledger", ledger, "audit", "verify", kept, expect=1)
    assert f"the chain anchored {sha}" in out
    before = fingerprint(ledger)
    out = run("--ledger", ledger, "month", "reconcile", "2026-10", "--node", "n1", expect=2)
    assert f"2026-10-01: {kept} hashes to " in out and f"the chain anchored {sha[:12]}… (the file was altered)" in out
    assert fingerprint(ledger) == before


def test_the_policy_records_its_day_format_and_refuses_an_unknown_one(tmp_path):
    _, ledger = submitted(tmp_path / "columnar", COLUMNAR_POLICY)
    assert json.loads(run("--ledger", ledger, "query", "Registry:GetPolicy", "2026-10"))["day_format"] == "columnar"
    _, csv_ledger = submitted(tmp_path / "csv", CONSORTIUM)
    assert "day_format" not in json.loads(run("--ledger", csv_ledger, "query", "Registry:GetPolicy", "2026-10"))
    bad = tmp_path / "bad.yaml"
    bad.write_text(CONSORTIUM.replace("currency: USDP}", "currency: USDP, day_format: parquet}"))
    out = run("--ledger", tmp_path / "other", "init", "--consortium", bad, expect=2)
    assert out == f"error: {bad}:1: field policy.day_format: day_format 'parquet' is not one of csv, columnar.\n"


def test_a_corrected_columnar_day_keeps_the_replaced_one_beside_it(tmp_path):
    scenario, ledger = submitted(tmp_path, COLUMNAR_POLICY)
    kept = ledger / "days" / "n1" / "2026-10-02.columns"
    old = kept.read_bytes()
    fixed = tmp_path / "2026-10-02.csv"
    fixed.write_text(HEADER + "\n2026-10-02T08:00:00Z,L2,a2,t2,300\n")
    run("--ledger", ledger, "listens", "correct", fixed, "--node", "n1", "--reason", "a2, not a1")
    superseded = list((ledger / "days" / "n1" / "superseded").iterdir())
    assert [p.read_bytes() for p in superseded] == [old]
    assert superseded[0].name.startswith("2026-10-02.") and superseded[0].suffix == ".columns"
    assert f"sha256 {anchors(ledger, 'n1')['2026-10-02']}" in run("--ledger", ledger, "audit", "verify", kept)
    assert "n1 2026-10: 2 days, 2 listeners allocated" in run("--ledger", ledger, "month", "reconcile", "2026-10",
                                                               "--node", "n1")


def test_a_shared_day_that_is_no_canonical_day_is_flagged_not_a_stop(tmp_path):
    """A node that shares bytes no reader can parse cannot stop its reviewer: the day is flagged."""
    _, ledger = submitted(tmp_path, COLUMNAR_POLICY)
    run("--ledger", ledger, "month", "reconcile", "2026-10", "--node", "n1")
    kept = ledger / "days" / "n1" / "2026-10-01.columns"
    kept.write_bytes(kept.read_bytes()[:-3])
    out = run("--ledger", ledger, "month", "review", "2026-10", "--node", "n1", "--reviewer", "n2")
    assert (f"n2 flags n1's 2026-10: 1 day file do not match their anchors: 2026-10-01: {kept}: not a columnar "
            "canonical day file: it ends before its seconds") in out
    status = run("--ledger", ledger, "--format", "csv", "month", "status", "2026-10")
    assert "n2 flag" in status.splitlines()[1]


def test_a_kept_csv_day_that_is_no_canonical_day_stops_reconciliation_by_name(tmp_path):
    _, ledger = submitted(tmp_path, CONSORTIUM)
    kept = ledger / "days" / "n1" / "2026-10-01.csv"
    kept.write_text("when,who\n1,2\n")
    before = fingerprint(ledger)
    out = run("--ledger", ledger, "month", "reconcile", "2026-10", "--node", "n1", expect=2)
    assert (f"2026-10-01: {kept}: not a canonical day file: its header is not "
            "played_at,listener,artist_id,track_id,seconds") in out
    assert fingerprint(ledger) == before
