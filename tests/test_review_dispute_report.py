"""A reviewer's anomaly findings opening a dispute (`month review --dispute`), and the bad-row report
of `listens submit --report`, on real files."""

import hashlib
import json

from scenario_files import fingerprint, run

HEADER = "played_at,listener_id,artist_id,track_id,seconds\n"




def disputes(ledger) -> list[dict]:
    return json.loads(run("--ledger", ledger, "--format", "json", "disputes", "list", "2026-10"))


def test_a_reviewer_finding_opens_a_dispute_with_the_findings_as_evidence(sealed):
    out = run("--ledger", sealed, "month", "review", "2026-10", "--node", "n1", "--reviewer", "n3",
              "--dispute", "few_listener_artists")
    evidence = sealed / "findings" / "n1" / "2026-10.evidence-n3.json"
    digest = hashlib.sha256(evidence.read_bytes()).hexdigest()
    # a1 and a2 are each paid by one listener only (a3's plays are too short to count).
    assert json.loads(evidence.read_text()) == [
        {"check": "few_listener_artists", "day": None, "evidence": {"listeners": 2, "payout_micro": 15_000_000},
         "subject": "a1"},
        {"check": "few_listener_artists", "day": None, "evidence": {"listeners": 1, "payout_micro": 3_000_000},
         "subject": "a2"}]
    [dispute] = disputes(sealed)
    assert out.splitlines()[-3:] == [
        f"review evidence (sha256 {digest}): {evidence}",
        "n3 flags n1's 2026-10: anomaly findings: few_listener_artists 2 (first: a1)",
        f"dispute {dispute['id']} is open on n1's 2026-10 over 2 artists: local n1, peer n2, external n3"]
    shown = json.loads(run("--ledger", sealed, "--format", "json", "disputes", "show", dispute["id"]))
    assert (shown["evidence"], shown["opened_by"], shown["reason"], shown["status"]) == (
        [digest], "n3", "anomaly findings: few_listener_artists 2 (first: a1)", "open")
    assert (sealed / "findings" / "n1" / "2026-10.by-n3.json").exists()


def test_the_same_disputing_review_again_changes_nothing(sealed):
    args = ("--ledger", sealed, "month", "review", "2026-10", "--node", "n1", "--reviewer", "n3",
            "--dispute", "few_listener_artists")
    run(*args)
    before = fingerprint(sealed)
    out = run(*args)
    assert out.splitlines()[-2:] == ["n3 flags n1's 2026-10: anomaly findings: few_listener_artists 2 (first: a1)",
                                     "this review was already on chain; nothing changed"]
    assert fingerprint(sealed)[0] == before[0] and len(disputes(sealed)) == 1


def test_a_second_reviewer_adds_its_findings_to_the_open_dispute(sealed):
    run("--ledger", sealed, "month", "review", "2026-10", "--node", "n1", "--reviewer", "n3",
        "--dispute", "few_listener_artists")
    run("--ledger", sealed, "month", "review", "2026-10", "--node", "n1", "--reviewer", "n2", "--dispute", "all")
    [dispute] = disputes(sealed)
    shown = json.loads(run("--ledger", sealed, "--format", "json", "disputes", "show", dispute["id"]))
    files = [sealed / "findings" / "n1" / f"2026-10.evidence-{n}.json" for n in ("n2", "n3")]
    assert shown["evidence"] == sorted(hashlib.sha256(f.read_bytes()).hexdigest() for f in files)


def test_a_check_without_findings_leaves_the_approval(sealed):
    out = run("--ledger", sealed, "month", "review", "2026-10", "--node", "n1", "--reviewer", "n3",
              "--dispute", "over_24h")
    assert out.splitlines()[-1] == "n3 approves n1's 2026-10: recomputed 2 allocations from 2 days: same root"
    assert disputes(sealed) == []
    evidence = sealed / "findings" / "n1" / "2026-10.evidence-n3.json"
    assert sorted(json.loads(evidence.read_text())) == ["days", "merkle_root", "problems"]
    reviews = json.loads(run("--ledger", sealed, "--format", "json", "query", "Reviews:ListReviews", "2026-10", "n1"))
    assert reviews[0]["evidence_sha256"] == hashlib.sha256(evidence.read_bytes()).hexdigest()


def test_a_node_cannot_dispute_its_own_month(sealed):
    before = fingerprint(sealed)
    out = run("--ledger", sealed, "month", "review", "2026-10", "--node", "n1", "--reviewer", "n1",
              "--dispute", "all", expect=3)
    assert out == "error: Reviews:Review refused: node n1 may not review its own month.\n"
    assert fingerprint(sealed) == before
    assert not (sealed / "findings" / "n1" / "2026-10.by-n1.json").exists()


def test_submit_report_lists_every_bad_row_and_anchors_nothing(month, tmp_path):
    scenario, ledger = month
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "2026-10-03.csv").write_text(HEADER + "2026-10-03T08:00:00Z,L1,a1,t1,40\n"
                                        "2026-10-03T09:00:00Z,L1,a1,t1,-5\n2026-10-03T10:00:00Z,,a1,t1,x\n"
                                        "2026-10-04T10:00:00Z,L2,a1,t1,50\n")
    (bad / "2026-10-05.csv").write_text("played_at,listener_id,artist_id\n")
    (bad / "oct.jsonl").write_text('{"listened_at": 1791014400, "track_metadata": '
                                   '{"artist_name": "Ann", "track_name": "t1"}}\n')
    good = scenario / "plays" / "n1" / "2026-10-01.csv"
    report = tmp_path / "report.csv"
    before = fingerprint(ledger)
    out = run("--ledger", ledger, "listens", "submit", good, *sorted(bad.iterdir()), "--node", "n1",
              "--report", report, expect=2)
    assert out.splitlines()[-1] == (
        f"error: 3 bad rows and 6 problems in 3 of 4 files ({bad}/2026-10-03.csv, {bad}/2026-10-05.csv, "
        f"{bad}/oct.jsonl); nothing was anchored; every problem is listed in {report}")
    assert report.read_text() == (
        "file,line,field,message\n"
        f"{bad}/2026-10-03.csv,3,seconds,'-5 is negative\n"  # a leading - is neutralised (CSV injection)
        f"{bad}/2026-10-03.csv,4,listener_id,is missing\n"
        f"{bad}/2026-10-03.csv,4,seconds,'x' is not a whole number of seconds\n"
        f"{bad}/2026-10-03.csv,5,played_at,\"2026-10-04T10:00:00.000000Z is not on 2026-10-03, the day of the file name\"\n"
        f"{bad}/2026-10-05.csv,1,track_id,\"column track_id is missing; expected the columns "
        "played_at,listener_id,artist_id,track_id,seconds\"\n"
        f"{bad}/oct.jsonl,1,user_name,is missing: this file does not say who listened; name the listener "
        "with --listener\n")
    assert fingerprint(ledger) == before
    assert not (ledger / "days" / "n1").exists()


def test_submit_report_of_good_files_is_empty_and_the_days_are_anchored(month, tmp_path):
    scenario, ledger = month
    report = tmp_path / "report.json"
    report.write_text("stale")
    out = run("--ledger", ledger, "listens", "submit", *sorted((scenario / "plays" / "n1").glob("*.csv")),
              "--node", "n1", "--report", report)
    assert json.loads(report.read_text()) == []
    assert "2026-10-01" in out and "2026-10-02" in out
    assert sorted(p.name for p in (ledger / "days" / "n1").iterdir()) == ["2026-10-01.csv", "2026-10-02.csv"]


def test_a_flag_on_thirty_bad_days_keeps_every_problem_in_the_evidence_file(sealed, tmp_path):
    """Issue 10: 30 bad days made a reason longer than the chain takes (1,000 characters), so
    the flag was refused; the reason on chain is now a summary and the evidence file has them all."""
    days = tmp_path / "days"
    days.mkdir()
    kept = (sealed / "days" / "n1" / "2026-10-01.csv").read_text()
    for day in range(1, 32):
        (days / f"2026-10-{day:02d}.csv").write_text(kept.replace("2026-10-01T", f"2026-10-{day:02d}T"))
    out = run("--ledger", sealed, "month", "review", "2026-10", "--node", "n1", "--reviewer", "n3", "--days", days)
    evidence = sealed / "findings" / "n1" / "2026-10.evidence-n3.json"
    problems = json.loads(evidence.read_text())["problems"]
    assert len(problems) == 30 and problems[0].startswith("2026-10-02: ") and "(the file was altered)" in problems[0]
    [review] = [r for r in json.loads(run("--ledger", sealed, "--format", "json", "query", "Reviews:ListReviews",
                                          "2026-10", "n1")) if r["reviewer"] == "n3"]
    assert review["verdict"] == "flag" and len(review["reason"]) <= 1000
    assert review["reason"].startswith("30 day files do not match their anchors: 2026-10-02: ")
    assert review["reason"].endswith(" more, every one in the evidence file")
    assert review["evidence_sha256"] == hashlib.sha256(evidence.read_bytes()).hexdigest()
    assert f"n3 flags n1's 2026-10: {review['reason']}" in out
