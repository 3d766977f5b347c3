"""Output that cannot inject: hostile artist names and review reasons come out of every CSV as text a
spreadsheet will not run, out of the Markdown document as text (no heading, row or HTML of their
own), and out of the HTML escaped."""

import csv
import io
from contextlib import nullcontext
from types import SimpleNamespace

import pytest

from admin import simulate
from admin.output import csv_cell, render
from chaincode.contracts.reviews import Reviews
from reports.render import Written, markdown_text
from scenario_files import CONSORTIUM, run, write_scenario

NAMES = {"a1": '=HYPERLINK("http://evil","x")', "a2": "@SUM(1+1)", "a3": "<script>alert(1)</script>|# x"}
REASON = "=looks fine\n# FORGED SECTION\n| a | b |\n<script>alert(2)</script>"
EVIDENCE = "e" * 64


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """The tiny month with hostile artist names, n1's month flagged by its peer reviewer with a
    hostile reason (a dispute open at settlement), and the audit document rendered."""
    root = tmp_path_factory.mktemp("hostile")
    folder = write_scenario(root / "s")
    consortium = CONSORTIUM
    for artist, plain in (("a1", "Ann"), ("a2", "Bob"), ("a3", "Cy")):
        consortium = consortium.replace(f"{{id: {artist}, name: {plain},",
                                        f"{{id: {artist}, name: '{NAMES[artist]}',")
    (folder / "consortium.yaml").write_text(consortium)
    scenario = simulate.Scenario.open(folder, None)
    quiet = lambda length, label: nullcontext(SimpleNamespace(update=lambda n: None))  # noqa: E731
    with simulate.month_run(scenario, root / "out", lambda text: None, quiet, None) as month:
        simulate.set_up(month)
        simulate.anchor_days(month)
        simulate.reconcile_all(month)
        for node in ("n1", "n2", "n3"):
            for role, reviewer in simulate.reviewers_of(month.session, scenario.month, node).items():
                if (node, role) == ("n1", "peer"):
                    month.session.reviewer(reviewer).submit(Reviews.Review, scenario.month, node, "flag", REASON,
                                                            EVIDENCE, {"month": True})
                else:
                    simulate.review(month, node, reviewer)
        simulate.settle(month)
    ledger = root / "out" / "ledger"
    run("--ledger", ledger, "audit", "report", "2026-10", "--out", root / "audit")
    return {"ledger": ledger, "audit": root / "audit", "root": root}


def cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


@pytest.mark.parametrize(("value", "shown"), [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-cmd", "'-cmd"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"),
    ("\rx", "'\rx"), ("-1.500000", "-1.500000"), ("-7", "-7"), (-7, -7), ("plain", "plain"), ("a=b", "a=b"),
])
def test_a_cell_that_would_be_a_formula_gets_an_apostrophe(value, shown):
    assert csv_cell(value) == shown


def test_no_cell_of_the_audit_csv_is_a_formula(hostile):
    text = (hostile["audit"] / "audit-2026-10.csv").read_text()
    values = cells(text)
    assert "'" + NAMES["a2"] in values and "'" + REASON in values  # a1 is held under the dispute: no payout row
    assert not [v for v in values if v.startswith(("=", "+", "@", "\t", "\r"))]
    assert not [v for v in values if v.startswith("-") and not v.lstrip("-").replace(".", "").isdigit()]


def test_format_csv_neutralises_names(hostile):
    out = run("--ledger", hostile["ledger"], "--format", "csv", "consortium", "show", "artists")
    values = cells(out)
    assert "'" + NAMES["a1"] in values and "'" + NAMES["a2"] in values and NAMES["a3"] in values
    assert render([{"n": -3, "t": "-x"}], ["n", "t"], "csv") == "n,t\n-3,'-x"


def test_the_bad_row_report_neutralises_what_it_quotes(month, tmp_path, monkeypatch):
    _, ledger = month
    monkeypatch.chdir(tmp_path)
    (tmp_path / "=1+1.csv").write_text("played_at,listener_id,artist_id,track_id,seconds\n"
                                       "2026-10-03T08:00:00Z,L1,a1,t1,-5\n")
    run("--ledger", ledger, "listens", "submit", "=1+1.csv", "--node", "n1", "--report", "bad.csv", expect=2)
    rows = list(csv.reader((tmp_path / "bad.csv").open()))
    assert rows == [["file", "line", "field", "message"], ["'=1+1.csv", "2", "seconds", "'-5 is negative"]]


def test_the_markdown_shows_hostile_text_as_text(hostile):
    markdown = (hostile["audit"] / "audit-2026-10.md").read_text()
    assert "FORGED SECTION" in markdown and "<script>" not in markdown
    assert not [line for line in markdown.splitlines() if "FORGED" in line and line.startswith("#")]
    lines = markdown.splitlines()
    shown = "=looks fine # FORGED SECTION \\| a \\| b \\| &lt;script&gt;alert(2)&lt;/script&gt;"
    for at, line in enumerate(lines):
        if "FORGED" in line:
            assert shown in line
            if line.startswith("|"):  # a table row keeps its table's columns: no row of the reason's own
                header = next(lines[i] for i in range(at, 0, -1) if lines[i - 1] == "" and lines[i].startswith("|"))
                assert line.replace("\\|", "").count("|") == header.count("|")
    assert "| a3 | &lt;script&gt;alert(1)&lt;/script&gt;\\|# x | w-a3 |" in markdown


def test_markdown_escaping_leaves_only_what_the_renderer_wrote():
    assert markdown_text("*b* _i_ `c` [l](x) ~s~ a|b \\ & <i>") == \
        "\\*b\\* \\_i\\_ \\`c\\` \\[l\\](x) \\~s\\~ a\\|b \\\\ &amp; &lt;i&gt;"
    assert markdown_text("one\r\ntwo\u2028three") == "one two three"
    assert markdown_text(Written("block 3, tx `ab`")) == "block 3, tx `ab`"


def test_the_html_escapes_hostile_text(hostile):
    html = (hostile["audit"] / "audit-2026-10.html").read_text()
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;|# x" in html
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in html


def test_the_hostile_document_still_verifies(hostile):
    for name in ("audit-2026-10.csv", "audit-2026-10.md", "audit-2026-10.html"):
        assert f"{name} matches" in run("--ledger", hostile["ledger"], "audit", "verify", hostile["audit"] / name)
