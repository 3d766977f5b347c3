"""`nineten demo --months 12` end to end (``pytest -m year``: a minute or two, run by .ci/run):
every event of the year happens and the books of every month and of the year balance."""

import csv
import json

import pytest

from admin.session import Session
from chaincode.contracts.settlement import Settlement
from scenario_files import run

pytestmark = pytest.mark.year


def test_a_year_of_the_consortium(tmp_path):
    out = run("demo", "--months", "12", "--out", tmp_path / "year")
    for line in ("n4 admitted by n1, n3", "n3 revoked by n1, n2, n4: it records nothing more, and still pays",
                 "policy from 2027-04 (n1, n2, n3): minimum payout 10.000000, unclaimed after 3 months",
                 "split sheet: artist ar001's payouts instructed from 2026-11 on are split: usdp:ar001 70.00%",
                 "split sheet: artist ar002's payouts instructed from 2027-01 on are split",
                 "n1: 3 subscriptions charged back before settlement",
                 "chargeback of a settled 2027-01 subscription at n2, approved by n1, n2, n3",
                 "fraud found in n4's settled 2027-03, approved by n1, n2, n3",
                 "review: n3 flags n2's month: account farm: 25 paid accounts share only the artists ar148,ar149",
                 "resolved after settlement: reject; 225.000000 to n2's waiting unallocated money",
                 "  2026-10: unclaimed (held longer than the policy allows), went to the consortium wallet",
                 "  2027-06: ", "released to its balance", "== the year in total: income "):
        assert line in out, line
    session = Session(folder=tmp_path / "year" / "ledger")
    try:
        found = session.reader().evaluate(Settlement.GetBooks)
        adjustments = session.reader().evaluate(Settlement.ListAdjustments, "")
    finally:
        session.close()
    total = found["total"]
    assert total["income_micro"] == sum(total[name] for name in (
        "node_shares_micro", "instructed_micro", "carried_micro", "held_micro", "unallocated_micro",
        "unclaimed_micro", "refunded_micro"))
    assert len(found["months"]) == 12
    assert total["refunded_micro"] == 10_000_000 and total["unclaimed_micro"] > 0 and total["losses_micro"] > 0
    fraud = next(a for a in adjustments if a["kind"] == "fraud")
    assert fraud["applied_in"] == "2027-04" and 0 < fraud["recovered_micro"] < fraud["claimed_micro"]
    for entry in found["months"]:
        assert entry["terms"]["income_micro"] == sum(v for k, v in entry["terms"].items() if k != "income_micro")
    summary = (tmp_path / "year" / "summary.txt").read_text()
    assert summary.startswith("9ten, 12 months from 2026-10") and "in total: income" in summary
    balances = list(csv.DictReader((tmp_path / "year" / "balances.csv").open()))
    assert sum(int(r["balance_micro"]) for r in balances) == total["carried_micro"]
    for month in ("2026-10", "2027-09"):
        settled = json.loads((tmp_path / "year" / month / "settlement.json").read_text())
        assert settled["month"] == month and (tmp_path / "year" / month / "payouts.csv").exists()
