"""`nineten demo` end to end: every role, one dispute resolved by three eyes, the invariant at each step."""

import json

from click.testing import CliRunner

from admin.cli import main


def test_demo_runs_the_month_through_every_role(tmp_path):
    result = CliRunner().invoke(main, ["demo", "--out", str(tmp_path / "demo")])
    assert result.exit_code == 0, result.output
    out = result.output
    assert ("review: n3 flags n2's month: account farm: 25 paid accounts share only the artists ar198,ar199 "
            "(scope: those 25 accounts)") in out
    assert "(not n3, who opened it)" in out
    assert "n2 votes approve" in out and "n1 votes reject" in out and "n4 votes reject" in out
    assert "dispute resolved: reject by majority" in out
    # the flag held only the farm's 25 accounts (25 x 9 USDP); the other n2 listeners' artists are paid
    assert "225.000000 held under dispute" in out
    assert "rejected: the 25 farm accounts' 225.000000 went to unallocated (reported)" in out
    assert "receipt of n2-user0025: 9.000000 paid" in out
    assert "receipt of n2-user0000: 9.000000 rejected by dispute" in out
    assert "ledger verify: " in out and "blocks, intact" in out
    settlement = json.loads((tmp_path / "demo" / "settlement.json").read_text())
    parts = ("node_operators_micro", "artists_micro", "unallocated_micro", "held_micro")
    assert settlement["income_micro"] == sum(settlement[p] for p in parts)
    assert settlement["unallocated_micro"] == 5 * 9_000_000 + 25 * 9_000_000  # n3's silent listeners, the farm
    assert settlement["nodes"]["n2"]["rejected_micro"] == 25 * 9_000_000
    assert settlement["nodes"]["n2"]["artists_micro"] == (464 - 25) * 9_000_000
    assert "ar200" not in (tmp_path / "demo" / "payouts.csv").read_text()  # registered late: paid by a release
    assert "released 3.723930 to ar200 (wallet usdp:ar200)" in out
    assert settlement["held_micro"] == 0
