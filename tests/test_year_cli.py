"""Several months through the CLI as a user runs them: simulate over three months, the payout
lifecycle, chargebacks before and after settlement, an artist's statement and the DSR-like export."""

import csv
import json

import pytest

from chaincode.money import parse_amount
from scenario_files import run, write_scenario, write_year_scenario


@pytest.fixture(scope="module")
def year(tmp_path_factory):
    """The tiny scenario simulated over three months: (scenario, output folder, ledger folder)."""
    base = tmp_path_factory.mktemp("year")
    scenario = write_year_scenario(base / "scenario")
    out = base / "out"
    run("simulate", scenario, "--out", out)
    return scenario, out, out / "ledger"


def test_simulate_runs_the_months_in_order_and_carries_balances(year):
    _, out, _ = year
    # M1 (minimum 5): a1 6 + 9 at n1; a2 3 at n1 and 4.5 at n2; a3 4.5 at n2 is carried.
    # M2: L3's unallocated 9 of M1 is n1's pool, split 15:3 between a1 and a2; a3 carries 4.5 + 4.5.
    # M3 (minimum 10): a2 (9) and a3 (4.5) are carried.
    assert (out / "2026-10" / "payouts.csv").read_text() == (
        "month,artist_id,amount_micro,amount\n2026-10,a1,15000000,15.000000\n2026-10,a2,7500000,7.500000\n")
    assert (out / "2026-11" / "payouts.csv").read_text() == (
        "month,artist_id,amount_micro,amount\n2026-11,a1,22500000,22.500000\n2026-11,a2,9000000,9.000000\n"
        "2026-11,a3,9000000,9.000000\n")
    assert (out / "2026-12" / "payouts.csv").read_text() == (
        "month,artist_id,amount_micro,amount\n2026-12,a1,22500000,22.500000\n")
    for month in ("2026-10", "2026-11", "2026-12"):
        assert (out / month / "node_payouts.csv").read_text() == (
            f"month,node_id,amount_micro,amount\n{month},n1,3000000,3.000000\n{month},n2,1000000,1.000000\n")
        assert json.loads((out / month / "settlement.json").read_text())["month"] == month
    assert (out / "balances.csv").read_text() == "artist_id,balance_micro,balance\na2,9000000,9.000000\na3,4500000,4.500000\n"
    summary = (out / "summary.txt").read_text()
    assert ("in total: income 120.000000 = node shares 12.000000 + instructed 85.500000 + carried 13.500000 + held "
            "0.000000 + unallocated 9.000000 + unclaimed 0.000000 + refunded 0.000000; losses 0.000000") in summary
    assert "policy from 2026-12 approved by n1, n2" in summary


def test_simulate_with_a_month_or_one_month_behaves_as_before(year, tmp_path):
    scenario, _, _ = year
    run("simulate", scenario, "--out", tmp_path / "one", "--month", "2026-11")
    assert (tmp_path / "one" / "payouts.csv").read_text() == (
        "month,artist_id,amount_micro,amount\n2026-11,a1,15000000,15.000000\n2026-11,a2,7500000,7.500000\n")
    assert not (tmp_path / "one" / "balances.csv").exists()


def test_payouts_show_each_payee_owed_and_confirmed(year):
    _, _, ledger = year
    shown = run("--ledger", ledger, "--format", "csv", "payouts", "2026-12")
    assert shown.splitlines() == [
        "payee,amount,amount_micro,wallet,status,kind,owed_by,paid_by",
        "a1,22.500000,22500000,w-a1,instructed,artist,n1 22.500000,",
        "a2,0.000000,0,w-a2,carried (balance 9.000000),artist,,",
        "a3,0.000000,0,w-a3,carried (balance 4.500000),artist,,",
        "n1,3.000000,3000000,w-n1,instructed,node,n1 3.000000,",
        "n2,1.000000,1000000,w-n2,instructed,node,n2 1.000000,"]
    owed = run("--ledger", ledger, "--format", "csv", "payouts", "owed", "--node", "n2")
    assert owed.splitlines()[1:] == [
        "2026-10,artist,a2,w-a2,4.500000,4500000,instructed,n2 4.500000,",
        "2026-10,node,n2,w-n2,1.000000,1000000,instructed,n2 1.000000,",
        "2026-11,artist,a2,w-a2,4.500000,4500000,instructed,n2 4.500000,",
        "2026-11,artist,a3,w-a3,9.000000,9000000,instructed,n2 9.000000,",
        "2026-11,node,n2,w-n2,1.000000,1000000,instructed,n2 1.000000,",
        "2026-12,node,n2,w-n2,1.000000,1000000,instructed,n2 1.000000,"]
    out = run("--ledger", ledger, "payouts", "confirm", "2026-11", "a3", "--node", "n2", "--ref", "sepa-77")
    assert out == ("node n2's part of the 2026-11 artist payout to a3 (9.000000) confirmed with reference sepa-77; "
                   "paid\n")
    out = run("--ledger", ledger, "payouts", "confirm", "2026-11", "a2", "--node", "n2", "--ref", "sepa-78")
    assert out.endswith("confirmed with reference sepa-78; still owed by n1\n")
    again = run("--ledger", ledger, "payouts", "confirm", "2026-11", "a3", "--node", "n2", "--ref", "sepa-77")
    assert "was already confirmed with reference sepa-77; paid" in again
    assert run("--ledger", ledger, "payouts", "confirm", "2026-11", "a3", "--node", "n2", "--ref", "sepa-99",
               expect=3) == ("error: Settlement:ConfirmPayout refused: node n2 already confirmed the 2026-11 artist "
                             "payout to a3 with reference sepa-77.\n")
    assert run("--ledger", ledger, "payouts", "confirm", "2026-11", "a1", "--node", "n2", "--ref", "x", expect=2) == (
        "error: field PAYEE: node n2 owes no part of a 2026-11 payout to a1 (see `nineten payouts owed --node n2`)\n")
    assert "2026-11,artist,a3" not in run("--ledger", ledger, "--format", "csv", "payouts", "owed", "--node", "n2")


def test_a_chargeback_before_settlement_expires_and_after_it_is_an_adjustment(month, year):
    _, ledger = month
    out = run("--ledger", ledger, "subscriptions", "expire", "2026-10", "L3", "--node", "n1", "--reason", "chargeback")
    assert out == "listener L3's 2026-10 subscription at n1 expired: it counts for nothing\n"
    listed = run("--ledger", ledger, "--format", "csv", "subscriptions", "list", "2026-10", "--node", "n1")
    assert sum(line.endswith(",expired") for line in listed.splitlines()) == 1
    _, out_folder, settled = year
    assert run("--ledger", settled, "subscriptions", "expire", "2026-10", "L3", "--node", "n1", "--reason", "x",
               expect=2) == ("error: 2026-10 is settled; a chargeback after settlement is an adjustment the consortium "
                             "approves: nineten adjustments chargeback 2026-10 L3 --node n1 --reason TEXT --evidence "
                             "FILE\n")
    evidence = out_folder / "notice.txt"
    evidence.write_text("bank notice 4471\n")
    proposed = run("--ledger", settled, "--format", "json", "adjustments", "chargeback", "2026-12", "L1", "--node",
                   "n1", "--reason", "card chargeback", "--evidence", evidence)
    proposal = json.loads(proposed[:proposed.rindex("}") + 1])
    assert (proposal["kind"], proposal["status"], proposal["approvals"]) == ("adjust", "open", ["n1"])
    assert proposal["note"].startswith("node n1's 2026-12: listener ")
    run("--ledger", settled, "consortium", "approve", proposal["id"], "--node", "n2")
    listed = run("--ledger", settled, "--format", "csv", "adjustments", "list", "--month", "2026-12")
    assert listed.splitlines()[1] == (f"{proposal['id']},2026-12,n1,chargeback,due,,10.000000,0.000000,0.000000,"
                                      "card chargeback")


def test_a_statement_from_the_chain_alone(year, tmp_path):
    _, _, ledger = year
    out = run("--ledger", ledger, "statement", "a2", "--out", tmp_path / "st")
    assert out.splitlines()[-1] == "a2: 3 months from 2026-10 to 2026-12; balance carried 9.000000"
    rows = list(csv.DictReader((tmp_path / "st" / "statement-a2.csv").open()))
    assert [(r["month"], r["carried_in"], r["earned"], r["earned_by_node"], r["listeners"], r["from_pools"],
             r["instructed"], r["status"], r["balance"]) for r in rows] == [
        ("2026-10", "0.000000", "7.500000", "n1 3.000000; n2 4.500000", "n1 1;n2 1", "0.000000", "7.500000",
         "instructed", "0.000000"),
        ("2026-11", "0.000000", "7.500000", "n1 3.000000; n2 4.500000", "n1 1;n2 1", "1.500000", "9.000000",
         "instructed", "0.000000"),
        ("2026-12", "0.000000", "7.500000", "n1 3.000000; n2 4.500000", "n1 1;n2 1", "1.500000", "0.000000",
         "carried", "9.000000")]
    assert (tmp_path / "st" / "statement-a2.pdf").read_bytes().startswith(b"%PDF")
    html = (tmp_path / "st" / "statement-a2.html").read_text()
    assert "9ten statement of Bob (a2)" in html and "Months 2026-10 to 2026-12" in html
    out = run("--ledger", ledger, "statement", "a2", "--from", "2026-12", "--out", tmp_path / "st2")
    assert "a2: 1 months from 2026-12 to 2026-12" in out
    assert run("--ledger", ledger, "statement", "a2", "--from", "2026-13", "--out", tmp_path / "x", expect=2) == (
        "error: field --from: month '2026-13' is not of the form YYYY-MM\n")


def test_the_dsr_like_export_and_its_control_totals(year, tmp_path):
    _, out, ledger = year
    target = tmp_path / "dsr-2026-11.tsv"
    printed = run("--ledger", ledger, "export", "dsr", "2026-11", "--out", target)
    assert printed == (f"{target}: 2 node summaries, 5 payee lines; income 40.000000, instructed 44.500000\n")
    lines = [line.split("\t") for line in target.read_text().splitlines()]
    assert lines[0][:4] == ["HEAD", "9TEN-DSR-LIKE/1.0 (DSR-like layout, not a DDEX profile)", "9ten", "2026-11"]
    sy01, ru01, foot = ([x for x in lines if x[0] == kind] for kind in ("SY01", "RU01", "FOOT"))
    settlement = json.loads((out / "2026-11" / "settlement.json").read_text())
    # the control totals, recomputed from the lines and from the settlement
    assert foot == [["FOOT", str(len(sy01)), str(len(ru01)), "40.000000", "44.500000", "27.000000"]]
    assert sum(parse_amount(x[3]) for x in sy01) == settlement["income_micro"] == parse_amount(foot[0][3])
    assert sum(parse_amount(x[10]) for x in ru01) == parse_amount(foot[0][4]) == (
        settlement["books"]["instructed_micro"] + settlement["books"]["node_shares_micro"])
    assert sum(parse_amount(x[9]) for x in ru01) == parse_amount(foot[0][5]) == settlement["artists_micro"]
    assert [x[1] for x in ru01] == [str(i) for i in range(1, len(ru01) + 1)]
    assert ["RU01", "3", "artist", "a3", "Cy", "", "w-a3", "", "1", "4.500000", "9.000000", "n2:9.000000"] in [
        line[:12] for line in ru01]


@pytest.mark.parametrize("policy, message", [
    ("policies:\n  - {effective_from: '2026-09', min_payout: '1.00'}\n",
     "policies[0].effective_from: 2026-09 is not after 2026-10, the version before"),
    ("policies:\n  - {effective_from: '2026-12', min_payout: 'ten'}\n",
     "policies[0].min_payout: 'ten' is not a decimal amount with at most 6 decimals"),
    ("policies:\n  - {effective_from: '2026-12', unallocated_to: wallet}\n",
     "policies[0]: policy payouts send money to the consortium wallet but name none (payouts.consortium_wallet)"),
])
def test_a_bad_policy_version_is_refused_with_its_line(tmp_path, policy, message):
    scenario = write_scenario(tmp_path / "s")
    text = (scenario / "consortium.yaml").read_text()
    (scenario / "consortium.yaml").write_text(text.split("\n", 1)[0] + "\n" + policy + text.split("\n", 1)[1])
    out = run("simulate", scenario, "--out", tmp_path / "out", expect=2)
    assert out.startswith(f"error: {scenario / 'consortium.yaml'}:") and message in out
    assert not (tmp_path / "out" / "ledger").exists()
