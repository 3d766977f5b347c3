"""`nineten audit report` and `audit verify` on the tiny scenario, run as a user would, on real files."""

import hashlib
import json
import shutil

import pypdfium2
import pytest

from admin.embedded.ledger import EmbeddedLedger
from chaincode.contracts.audit import document_sha256
from chaincode.money import format_micro
from scenario_files import fingerprint, run, write_scenario

MONTH = "2026-10"
BASE = f"audit-{MONTH}"


def evaluate(folder, function, *args):
    ledger = EmbeddedLedger(folder)
    try:
        return json.loads(ledger.evaluate("n1.auditor", function, *args))
    finally:
        ledger.close()


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    """The tiny scenario simulated, and its audit rendered twice into two folders."""
    root = tmp_path_factory.mktemp("audit")
    out = root / "out"
    run("simulate", write_scenario(root / "s"), "--out", out)
    ledger = out / "ledger"
    first = run("--ledger", ledger, "audit", "report", MONTH, "--out", root / "r1")
    before = fingerprint(ledger)
    second = run("--ledger", ledger, "audit", "report", MONTH, "--out", root / "r2")
    return {"root": root, "ledger": ledger, "settlement": json.loads((out / "settlement.json").read_text()),
            "first": first, "second": second, "unchanged": fingerprint(ledger)[0] == before[0]}


def test_the_json_figures_are_the_settlement(audited):
    figures = json.loads((audited["root"] / "r1" / f"{BASE}.json").read_text())
    settlement = audited["settlement"]
    for name in ("income_micro", "node_operators_micro", "artists_micro", "unallocated_micro", "held_micro"):
        assert figures["income"][name] == settlement[name]
    assert figures["income"]["income_micro"] == 40_000_000
    assert {p["payee"]: p["amount_micro"] for p in figures["payouts"]["artist"]} == {
        "a1": 15_000_000, "a2": 7_500_000, "a3": 4_500_000}
    assert {p["payee"]: p["amount_micro"] for p in figures["payouts"]["node"]} == {"n1": 3_000_000, "n2": 1_000_000}
    assert all(check["holds"] for check in figures["checks"])
    n1 = next(n for n in figures["nodes"] if n["id"] == "n1")
    assert [d["date"] for d in n1["days"]] == ["2026-10-01", "2026-10-02"]
    assert n1["totals"]["unallocated_listeners"] == 1
    assert [(r["reviewer"], r["verdict"]) for r in n1["reviews"]] == [("n2", "approve"), ("n3", "approve")]


def test_every_figure_names_a_real_transaction_and_block(audited):
    figures = json.loads((audited["root"] / "r1" / f"{BASE}.json").read_text())
    ledger = EmbeddedLedger(audited["ledger"])
    try:
        n1 = next(n for n in figures["nodes"] if n["id"] == "n1")
        for source in [figures["income"]["source"], n1["days"][0]["source"], n1["sealed"]["source"],
                       figures["payouts"]["artist"][0]["source"]]:
            assert ledger.block(source["block"])["txid"] == source["txid"]
        anchor_block = ledger.block(n1["days"][0]["source"]["block"])
        assert anchor_block["proposal"]["function"] == "Listening:Anchor"
        assert anchor_block["proposal"]["args"][:2] == ["n1", "2026-10-01"]
    finally:
        ledger.close()
    rows = (audited["root"] / "r1" / f"{BASE}.csv").read_text().splitlines()
    assert rows[0] == "month,section,subject,field,value,amount,block,txid"
    income = next(r for r in rows if r.startswith(f"{MONTH},income,{MONTH},income_micro,"))
    assert income.split(",")[4:7] == ["40000000", "40.000000", str(figures["income"]["source"]["block"])]
    markdown = (audited["root"] / "r1" / f"{BASE}.md").read_text()
    assert "| income | 40.000000 | block " in markdown
    assert "**The money balances: every check holds.**" in markdown


def test_rendering_twice_gives_the_same_bytes_and_anchors_once(audited):
    names = sorted(p.name for p in (audited["root"] / "r1").iterdir())
    assert names == sorted([f"{BASE}.html", f"{BASE}.pdf", f"{BASE}.md", f"{BASE}.csv", f"{BASE}.json",
                            f"{BASE}.manifest.json", f"{BASE}-daily-listening.png",
                            f"{BASE}-payout-distribution.png"])
    for name in names:
        assert (audited["root"] / "r1" / name).read_bytes() == (audited["root"] / "r2" / name).read_bytes(), name
    assert (audited["root"] / "r1" / f"{BASE}.pdf").read_bytes().startswith(b"%PDF-")
    assert " anchored in block " in audited["first"]
    assert "was already anchored (nothing written)" in audited["second"]
    assert audited["unchanged"]


def test_the_pdf_shows_every_payout_day_and_source(audited):
    figures = json.loads((audited["root"] / "r1" / f"{BASE}.json").read_text())
    document = pypdfium2.PdfDocument((audited["root"] / "r1" / f"{BASE}.pdf").read_bytes())
    pages = [document[i].get_textpage().get_text_range() for i in range(len(document))]
    text = "\n".join(pages)
    assert pages[-1].rstrip().endswith(f"page {len(pages)} of {len(pages)}")
    for p in figures["payouts"]["artist"] + figures["payouts"]["node"]:
        assert f"{p['payee']}" in text and format_micro(p["amount_micro"]) in text
    for node in figures["nodes"]:
        for day in node["days"]:
            assert day["date"] in text and day["sha256"][:32] in text and day["source"]["txid"][32:] in text
    assert "The money balances: every check holds." in text


def test_the_manifest_is_anchored_on_chain(audited):
    folder = audited["root"] / "r1"
    manifest_bytes = (folder / f"{BASE}.manifest.json").read_bytes()
    manifest = json.loads(manifest_bytes)
    assert manifest["files"] == {name: hashlib.sha256((folder / name).read_bytes()).hexdigest()
                                 for name in manifest["files"]}
    sha = hashlib.sha256(manifest_bytes).hexdigest()
    assert sha == document_sha256(MONTH, manifest["as_of_block"], manifest["files"])
    assert f"document SHA-256 {sha}" in audited["first"]
    documents = evaluate(audited["ledger"], "Audit:ListDocuments", MONTH)
    assert [(d["sha256"], d["anchored_by"], d["files"]) for d in documents] == [(sha, "n1", manifest["files"])]
    out = run("--ledger", audited["ledger"], "audit", "verify", folder / f"{BASE}.manifest.json")
    assert f"{BASE}.manifest.json matches {BASE}.manifest.json of the {MONTH} audit document {sha} as the chain " \
           f"renders it (figures as of block {manifest['as_of_block']}), anchored by node n1 in block " in out


def test_documents_of_two_renderers_of_one_chain_state_are_anchored_side_by_side(audited, tmp_path):
    """The fixture anchored this renderer's document; another renderer's (here: another PDF) of the same
    month and block is anchored beside it, and rendering again still writes nothing."""
    ledger = tmp_path / "ledger"
    shutil.copytree(audited["ledger"], ledger)
    manifest_bytes = (audited["root"] / "r1" / f"{BASE}.manifest.json").read_bytes()
    manifest = json.loads(manifest_bytes)
    other = {**manifest["files"], f"{BASE}.pdf": "0" * 64}
    other_sha = document_sha256(MONTH, manifest["as_of_block"], other)
    chain = EmbeddedLedger(ledger)
    try:
        assert chain.submit("n1.auditor", "Audit:AnchorDocument", MONTH, other_sha, str(manifest["as_of_block"]),
                            json.dumps(other)).json()["anchored"] is True
    finally:
        chain.close()
    listed = evaluate(ledger, "Audit:ListDocuments", MONTH)
    assert sorted(d["sha256"] for d in listed) == sorted([other_sha, hashlib.sha256(manifest_bytes).hexdigest()])
    out = run("--ledger", ledger, "audit", "report", MONTH, "--out", tmp_path / "doc")
    assert "was already anchored (nothing written)" in out
    out = run("--ledger", ledger, "audit", "verify", tmp_path / "doc" / f"{BASE}.pdf")
    assert f"{BASE}.pdf matches {BASE}.pdf of the {MONTH} audit document {hashlib.sha256(manifest_bytes).hexdigest()}" in out
    assert (f"NOTE the document {other_sha} anchored by node n1 (figures as of block {manifest['as_of_block']}) lists "
            f"files the chain does not render: {BASE}.pdf\n") in out


@pytest.mark.parametrize("suffix", [".html", ".pdf", ".md", ".csv", ".json", "-daily-listening.png"])
def test_verify_passes_on_the_untouched_files(audited, suffix):
    out = run("--ledger", audited["ledger"], "audit", "verify", audited["root"] / "r1" / f"{BASE}{suffix}")
    assert f"{BASE}{suffix} matches {BASE}{suffix} of the {MONTH} audit document " in out


def test_verify_lists_the_figure_of_a_tampered_json(audited, tmp_path):
    original = (audited["root"] / "r1" / f"{BASE}.json").read_text()
    tampered = tmp_path / f"{BASE}.json"
    tampered.write_text(original.replace('"amount_micro": 15000000', '"amount_micro": 16000000'))
    digest = hashlib.sha256(tampered.read_bytes()).hexdigest()
    out = run("--ledger", audited["ledger"], "audit", "verify", tampered, expect=1)
    assert "MISMATCH payouts.artist[0].amount_micro: the file says 16.000000, the chain says 15.000000\n" in out
    assert (f"error: {tampered} does not match the chain: it is no file of the {MONTH} audit document the chain "
            f"renders as of block {json.loads(original)['as_of_block']}.") in out
    assert digest not in out


def test_verify_lists_the_line_of_a_tampered_markdown(audited, tmp_path):
    original = (audited["root"] / "r1" / f"{BASE}.md").read_text()
    tampered = tmp_path / f"{BASE}.md"
    tampered.write_text(original.replace("| income | 40.000000 |", "| income | 41.000000 |"))
    out = run("--ledger", audited["ledger"], "audit", "verify", tampered, expect=1)
    line = original.splitlines().index(next(l for l in original.splitlines() if l.startswith("| income | 40.")))
    assert f"MISMATCH line {line + 1}: the file has '| income | 41.000000 |" in out


def test_verify_refuses_a_tampered_pdf(audited, tmp_path):
    tampered = tmp_path / f"{BASE}.pdf"
    tampered.write_bytes((audited["root"] / "r1" / f"{BASE}.pdf").read_bytes() + b"\n")
    out = run("--ledger", audited["ledger"], "audit", "verify", tampered, expect=1)
    assert f"MISMATCH {BASE}.pdf: its bytes are not those of {BASE}.pdf as the chain renders it (SHA-256 " in out


def test_verify_checks_day_files_canonical_and_raw(audited):
    canonical = audited["ledger"] / "days" / "n1" / "2026-10-01.csv"
    out = run("--ledger", audited["ledger"], "audit", "verify", canonical)
    assert f"{canonical} matches node n1's anchor of 2026-10-01 (block " in out
    raw = audited["root"] / "s" / "plays" / "n1" / "2026-10-01.csv"
    out = run("--ledger", audited["ledger"], "audit", "verify", raw, "--node", "n1")
    assert f"{raw} matches node n1's anchor of 2026-10-01 (block " in out


def test_verify_lists_what_differs_in_a_tampered_day_file(audited, tmp_path):
    canonical = (audited["ledger"] / "days" / "n1" / "2026-10-01.csv").read_text()
    tampered = tmp_path / "n1" / "2026-10-01.csv"
    tampered.parent.mkdir()
    tampered.write_text(canonical.replace(",100\n", ",130\n"))
    anchor = evaluate(audited["ledger"], "Listening:GetAnchor", "n1", "2026-10-01")
    out = run("--ledger", audited["ledger"], "audit", "verify", tampered, expect=1)
    assert f"MISMATCH seconds: the file gives {anchor['seconds'] + 30}, the chain anchored {anchor['seconds']}" in out
    assert "MISMATCH rows" not in out
    assert f"error: {tampered} does not match node n1's anchor of 2026-10-01 (block " in out


def test_an_unsettled_month_has_no_audit(audited, tmp_path):
    out = run("--ledger", audited["ledger"], "audit", "report", "2026-11", "--out", tmp_path / "x", expect=3)
    assert "error: Settlement:GetSettlement refused: 2026-11 is not settled." in out
    assert not (tmp_path / "x").exists()


def test_a_forged_document_anchored_by_a_member_does_not_verify(audited, tmp_path):
    """Issue 10's forger: a node admin anchors a manifest naming the SHA-256 of a file of their own;
    verify renders the month again, so the file fails and the anchor is named as vouching for nothing."""
    ledger = tmp_path / "ledger"
    shutil.copytree(audited["ledger"], ledger)
    genuine = (audited["root"] / "r1" / f"{BASE}.json").read_text()
    forged = tmp_path / f"{BASE}.json"
    forged.write_text(genuine.replace('"amount_micro": 15000000', '"amount_micro": 16000000'))
    manifest = json.loads((audited["root"] / "r1" / f"{BASE}.manifest.json").read_bytes())
    files = {**manifest["files"], f"{BASE}.json": hashlib.sha256(forged.read_bytes()).hexdigest()}
    forged_sha = document_sha256(MONTH, manifest["as_of_block"], files)
    run("--ledger", ledger, "--as", "n2.admin", "invoke", "Audit:AnchorDocument", MONTH, forged_sha,
        str(manifest["as_of_block"]), json.dumps(files))
    out = run("--ledger", ledger, "audit", "verify", forged, expect=1)
    assert (f"MISMATCH the document {forged_sha} anchored by node n2 lists this file's SHA-256, but the chain does "
            f"not render it: that anchor vouches for nothing\n") in out
    assert (f"MISMATCH the document {forged_sha} anchored by node n2 (figures as of block {manifest['as_of_block']}) "
            f"lists files the chain does not render: {BASE}.json\n") in out
    assert "MISMATCH payouts.artist[0].amount_micro: the file says 16.000000, the chain says 15.000000\n" in out
    out = run("--ledger", ledger, "audit", "verify", audited["root"] / "r1" / f"{BASE}.json")
    assert f"NOTE the document {forged_sha} anchored by node n2 " in out
    assert f"{BASE}.json matches {BASE}.json of the {MONTH} audit document " in out


def test_a_document_of_an_earlier_state_of_the_chain_still_verifies(audited, tmp_path):
    """A payout confirmed after the audit changes what the chain renders now; the earlier document is
    rendered again as of its own block (the chain replayed) and still verifies."""
    ledger = tmp_path / "ledger"
    shutil.copytree(audited["ledger"], ledger)
    run("--ledger", ledger, "invoke", "Settlement:ConfirmPayout", MONTH, "node", "n1", "bank-1")
    as_of = json.loads((audited["root"] / "r1" / f"{BASE}.manifest.json").read_bytes())["as_of_block"]
    for suffix in (".md", ".pdf", ".csv"):
        out = run("--ledger", ledger, "audit", "verify", audited["root"] / "r1" / f"{BASE}{suffix}")
        assert f"(figures as of block {as_of}), anchored by node n1 in block " in out
        assert "; the chain has changed since: it renders 2026-10 as of block " in out
    report = run("--ledger", ledger, "audit", "report", MONTH, "--out", tmp_path / "now")
    assert " anchored in block " in report
    out = run("--ledger", ledger, "audit", "verify", tmp_path / "now" / f"{BASE}.md")
    assert "the chain has changed since" not in out
