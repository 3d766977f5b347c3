"""The CLI as a user runs it, on real files: simulate, and a month step by step with bad inputs."""

import json

import pytest

from scenario_files import fingerprint, run, write_scenario


def test_simulate_writes_exact_payouts(tmp_path):
    scenario = write_scenario(tmp_path / "s")
    out = tmp_path / "out"
    run("simulate", scenario, "--out", out)
    # L1: a1 100 s, a2 50 s (a3's 20 s do not count) -> 6 + 3 USDP; L2: a1 -> 9; L3 silent -> unallocated;
    # M1: a2 60 s, a3 60 s -> 4.5 + 4.5; U1 has no subscription and counts for nothing.
    assert (out / "payouts.csv").read_text() == (
        "month,artist_id,amount_micro,amount\n"
        "2026-10,a1,15000000,15.000000\n"
        "2026-10,a2,7500000,7.500000\n"
        "2026-10,a3,4500000,4.500000\n")
    assert (out / "node_payouts.csv").read_text() == (
        "month,node_id,amount_micro,amount\n"
        "2026-10,n1,3000000,3.000000\n"
        "2026-10,n2,1000000,1.000000\n")
    settlement = json.loads((out / "settlement.json").read_text())
    assert {k: settlement[k] for k in ("month", "income_micro", "node_operators_micro", "artists_micro",
                                       "unallocated_micro", "held_micro")} == {
        "month": "2026-10", "income_micro": 40_000_000, "node_operators_micro": 4_000_000,
        "artists_micro": 27_000_000, "unallocated_micro": 9_000_000, "held_micro": 0}
    summary = (out / "summary.txt").read_text()
    assert "income 40.000000 = node operators 4.000000 + artists 27.000000 + unallocated 9.000000" in summary
    assert "ledger verified: " in run("--ledger", out / "ledger", "ledger", "verify")


def test_simulate_refuses_a_used_output_folder(tmp_path):
    scenario = write_scenario(tmp_path / "s")
    run("simulate", scenario, "--out", tmp_path / "out")
    output = run("simulate", scenario, "--out", tmp_path / "out", expect=2)
    assert "the output folder already holds a ledger; choose an empty --out" in output


def test_a_month_step_by_step(month):
    scenario, ledger = month
    plays = scenario / "plays"
    run("--ledger", ledger, "listens", "submit", *sorted((plays / "n1").glob("*.csv")), "--node", "n1")
    run("--ledger", ledger, "listens", "submit", plays / "n2" / "2026-10-01.csv", "--node", "n2")
    out = run("--ledger", ledger, "month", "reconcile", "2026-10", "--node", "n1", "--plays", plays / "n1")
    assert "n1 2026-10: 2 days, 2 listeners allocated in 1 batches; 1 subscribed without a counted play" in out
    assert f"anomaly findings with their evidence: {ledger}/findings/n1/2026-10.json" in out
    run("--ledger", ledger, "month", "reconcile", "2026-10", "--node", "n2")
    assert "n2 approves n1's 2026-10" in run("--ledger", ledger, "month", "review", "2026-10", "--node", "n1",
                                             "--reviewer", "n2")
    # n1's external reviewer (n3) has not reviewed yet: the month is not paid
    refused = run("--ledger", ledger, "month", "settle", "2026-10", "--node", "n1", expect=3)
    assert refused == ("error: Settlement:Settle refused: node n1's 2026-10 (version 1) awaits the review of its "
                       "assigned external n3; a majority may replace a reviewer that does not review (proposal "
                       "replace_reviewer) or settle the month without it (proposal settle_without).\n")
    for node, reviewer in (("n1", "n3"), ("n2", "n1"), ("n2", "n3")):
        run("--ledger", ledger, "month", "review", "2026-10", "--node", node, "--reviewer", reviewer)
    status = run("--ledger", ledger, "--format", "csv", "month", "status", "2026-10")
    assert status.splitlines() == ["node,sealed,peer,external,blocked,pending",
                                   "n1,version 1,n2 approve,n3 approve,,", "n2,version 1,n1 approve,n3 approve,,"]
    run("--ledger", ledger, "month", "settle", "2026-10", "--node", "n1")
    out = run("--ledger", ledger, "--format", "csv", "payouts", "2026-10")
    assert out.splitlines()[1:] == ["a1,15.000000,15000000,w-a1,instructed", "a2,7.500000,7500000,w-a2,instructed",
                                    "a3,4.500000,4500000,w-a3,instructed"]


def test_loading_the_same_consortium_again_is_a_no_op(month):
    scenario, ledger = month
    before = fingerprint(ledger)
    out = run("--ledger", ledger, "consortium", "load", scenario / "consortium.yaml")
    assert "already bootstrapped with this content (nothing written)" in out
    assert fingerprint(ledger)[0] == before[0]


def test_reimporting_subscriptions_changes_nothing(month):
    scenario, ledger = month
    before = fingerprint(ledger)
    assert "0 subscriptions recorded, 4 already on chain" in run(
        "--ledger", ledger, "subscriptions", "import", scenario / "subscriptions.csv")
    assert fingerprint(ledger)[0] == before[0]


@pytest.mark.parametrize("row, message", [
    ("2026-10,n1,L9,pay-9,9.00", "subs.csv:2: field amount: amount 9.000000 does not equal the 2026-10 price 10.000000"),
    ("2026-10,n1,L9,pay-1,10.00", "subs.csv:2: field payment_ref: the ledger refused it: "),
    ("2026-10,n7,L9,pay-9,10.00", "subs.csv:2: field node_id: node 'n7' is not in the consortium"),
    ("2026-13,n1,L9,pay-9,10.00", "subs.csv:2: field month: month '2026-13' is not of the form YYYY-MM"),
    ("2026-10,n1,L9,pay-9,ten", "subs.csv:2: field amount: 'ten' is not a decimal amount with at most 6 decimals"),
])
def test_bad_subscriptions_are_refused_whole(month, tmp_path, row, message):
    _, ledger = month
    bad = tmp_path / "subs.csv"
    bad.write_text("month,node_id,listener_id,payment_ref,amount\n" + row + "\n")
    before = fingerprint(ledger)
    out = run("--ledger", ledger, "subscriptions", "import", bad, expect=2 if "refused" not in message else 2)
    assert f"error: {bad.parent}/{message}" in out
    assert fingerprint(ledger)[0] == before[0]


def test_a_payment_reference_twice_in_one_file_names_both_lines(month, tmp_path):
    _, ledger = month
    bad = tmp_path / "subs.csv"
    bad.write_text("month,node_id,listener_id,payment_ref,amount\n2026-10,n1,X1,p-x,10\n2026-10,n2,X2,p-x,10\n")
    before = fingerprint(ledger)
    out = run("--ledger", ledger, "subscriptions", "import", bad, expect=2)
    assert f"error: {bad}:3: field payment_ref: payment reference 'p-x' was already used on line 2" in out
    assert fingerprint(ledger) == before


def test_a_day_with_negative_seconds_anchors_nothing(month, tmp_path):
    _, ledger = month
    day = tmp_path / "2026-10-03.csv"
    day.write_text("played_at,listener_id,artist_id,track_id,seconds\n"
                   "2026-10-03T08:00:00Z,L1,a1,t1,40\n2026-10-03T09:00:00Z,L1,a1,t1,-5\n")
    before = fingerprint(ledger)
    out = run("--ledger", ledger, "listens", "submit", day, "--node", "n1", expect=2)
    assert f"error: {day}:3: field seconds:" in out
    assert fingerprint(ledger) == before
    assert not (ledger / "days" / "n1" / "2026-10-03.csv").exists()


def test_a_different_file_for_an_anchored_day_is_refused(month, tmp_path):
    scenario, ledger = month
    original = scenario / "plays" / "n1" / "2026-10-01.csv"
    run("--ledger", ledger, "listens", "submit", original, "--node", "n1")
    kept = (ledger / "days" / "n1" / "2026-10-01.csv").read_bytes()
    assert "2026-10-01" in run("--ledger", ledger, "listens", "submit", original, "--node", "n1")
    other = tmp_path / "2026-10-01.csv"
    other.write_text(original.read_text().replace(",100\n", ",101\n"))
    before = fingerprint(ledger)
    out = run("--ledger", ledger, "listens", "submit", other, "--node", "n1", expect=3)
    assert "error: Listening:Anchor refused: node n1 already anchored 2026-10-01 with sha256" in out
    assert fingerprint(ledger) == before
    assert (ledger / "days" / "n1" / "2026-10-01.csv").read_bytes() == kept


def test_an_altered_day_stops_reconciliation(month, tmp_path):
    scenario, ledger = month
    run("--ledger", ledger, "listens", "submit", *sorted((scenario / "plays" / "n1").glob("*.csv")), "--node", "n1")
    altered = tmp_path / "plays"
    altered.mkdir()
    (altered / "2026-10-01.csv").write_text((scenario / "plays" / "n1" / "2026-10-01.csv").read_text()
                                            .replace(",100\n", ",999\n"))
    before = fingerprint(ledger)
    out = run("--ledger", ledger, "month", "reconcile", "2026-10", "--node", "n1", "--plays", altered, expect=2)
    assert "2026-10-01: the plays of 2026-10-01 hashes to " in out
    assert "(a file was altered, or the artist catalogue changed since the day was anchored" in out
    assert "2026-10-02: anchored on chain" in out and "but no file in" in out
    assert fingerprint(ledger) == before


def test_bad_consortium_names_line_and_field(tmp_path):
    bad = tmp_path / "consortium.yaml"
    bad.write_text(write_scenario(tmp_path / "s").joinpath("consortium.yaml").read_text()
                   .replace("{id: n2, cluster: A,", "{id: n2, cluster: Z,"))
    out = run("--ledger", tmp_path / "l", "init", "--consortium", bad, expect=2)
    assert f"error: {bad}:5: field nodes[1].cluster: cluster 'Z' is not among the clusters" in out
    assert not (tmp_path / "l").exists()


@pytest.mark.parametrize(("change", "message"), [
    (lambda text: text.replace("{id: a3, name: Cy,", "{id: a1, name: Cy,"),
     ":10: field artists[2].id: id 'a1' appears twice"),
    (lambda text: text.replace("{id: n3, cluster: B,", "{id: n3 cluster: B,"),
     ":6: not valid YAML: "),
])
def test_a_repeated_id_or_broken_yaml_names_its_line(tmp_path, change, message):
    bad = tmp_path / "consortium.yaml"
    bad.write_text(change(write_scenario(tmp_path / "s").joinpath("consortium.yaml").read_text()))
    out = run("--ledger", tmp_path / "l", "init", "--consortium", bad, expect=2)
    assert f"error: {bad}{message}" in out
    assert not (tmp_path / "l").exists()


def test_wrong_identity_is_refused_with_the_contract_reason(month):
    scenario, ledger = month
    out = run("--ledger", ledger, "--as", "n2.admin", "listens", "submit",
              scenario / "plays" / "n1" / "2026-10-01.csv", "--node", "n1", expect=3)
    assert "error: Listening:Anchor refused: Org2MSP is node n2 and may not act for node n1." in out
