"""A month that gets stuck, and what a listener is told, through the CLI as a node admin runs it: a
reconciliation killed and resumed after a late day, a day corrected after its seal, an artist id the
chaincode would refuse, receipts that say paid, held or rejected, and proposals from the command line.
"""

import json

import pytest

from admin import node_month
from admin.embedded.ledger import EmbeddedLedger
from admin.config import LedgerConfig
from admin.pseudonym import pseudonym
from admin.session import Session
from chaincode import records
from scenario_files import HEADER, fingerprint, run

M = "2026-10"


def alias(ledger, listener: str, node: str = "n1") -> str:
    return pseudonym(LedgerConfig.load(ledger).secret(node), M, listener)


def submit_days(ledger, scenario, node="n1"):
    run("--ledger", ledger, "listens", "submit", *sorted((scenario / "plays" / node).glob("*.csv")), "--node", node)


class Killed(Exception):
    """The reconciliation killed between two batches."""


def test_a_reconciliation_killed_mid_way_resumes_after_a_late_day(month, tmp_path, monkeypatch):
    scenario, ledger = month
    submit_days(ledger, scenario)
    monkeypatch.setattr(node_month, "BATCH_SIZE", 1)  # L1 and L2: two batches

    def kill(_):
        raise Killed()

    session = Session(folder=ledger)
    try:
        policy = session.policy(M)
        days = node_month.load_month(session, M, "n1", policy)
        with pytest.raises(Killed):
            node_month.submit_allocations(session, M, "n1", days.result, kill)
    finally:
        session.close()
    # a day anchored late changes both listeners' allocations (L1 and L2 play a3 on the 3rd)
    late = tmp_path / "2026-10-03.csv"
    late.write_text(HEADER + "\n2026-10-03T08:00:00Z,L1,a3,t3,400\n2026-10-03T09:00:00Z,L2,a3,t3,40\n")
    run("--ledger", ledger, "listens", "submit", late, "--node", "n1")
    out = run("--ledger", ledger, "month", "reconcile", M, "--node", "n1")
    assert "n1 2026-10: 3 days, 2 listeners allocated in 2 batches" in out and "sealed (version 1)" in out
    batches = run("--ledger", ledger, "query", "Allocations:ListBatches", M, "n1")
    assert [b["batch"] for b in json.loads(batches)] == [1, 2]
    chain = EmbeddedLedger(ledger)
    try:  # the batch submitted before the kill was withdrawn, then submitted again with the late day
        first = records.ALLOCATION_BATCH.key(M, "n1", records.batch_attribute(1))
        writes = chain.key_histories("n1.auditor", [first])[first]
    finally:
        chain.close()
    assert [w["is_delete"] for w in writes] == [False, True, False]
    # running it again changes nothing
    before = fingerprint(ledger)
    run("--ledger", ledger, "month", "reconcile", M, "--node", "n1")
    assert fingerprint(ledger)[0] == before[0]
    assert "ledger verified: " in run("--ledger", ledger, "ledger", "verify")


def test_a_sealed_month_is_corrected_by_withdrawing_it_first(month, tmp_path):
    scenario, ledger = month
    submit_days(ledger, scenario)
    run("--ledger", ledger, "month", "reconcile", M, "--node", "n1")
    fixed = tmp_path / "2026-10-02.csv"
    fixed.write_text(HEADER + "\n2026-10-02T08:00:00Z,L2,a2,t2,300\n")
    before = fingerprint(ledger)
    out = run("--ledger", ledger, "listens", "correct", fixed, "--node", "n1", "--reason", "a2, not a1", expect=3)
    assert out == ("error: Listening:Correct refused: node n1 has sealed 2026-10; its anchors can no longer "
                   "change.\n")
    assert fingerprint(ledger) == before
    assert run("--ledger", ledger, "month", "withdraw", M, "--node", "n1", "--reason", "day 2 was wrong") == (
        "node n1's 2026-10 (version 1) unsealed; its seal is kept as superseded\n")
    old = (ledger / "days" / "n1" / "2026-10-02.csv").read_bytes()
    run("--ledger", ledger, "listens", "correct", fixed, "--node", "n1", "--reason", "a2, not a1")
    kept = list((ledger / "days" / "n1" / "superseded").iterdir())
    assert [p.read_bytes() for p in kept] == [old] and kept[0].name.startswith("2026-10-02.")
    anchor = json.loads(run("--ledger", ledger, "query", "Listening:GetAnchor", "n1", "2026-10-02"))
    assert [s["reason"] for s in anchor["superseded"]] == ["a2, not a1"]
    assert "sealed (version 2)" in run("--ledger", ledger, "month", "reconcile", M, "--node", "n1")
    status = run("--ledger", ledger, "--format", "csv", "month", "status", M)
    assert status.splitlines()[1].startswith("n1,version 2,n2 awaited,n3 awaited,node n1's 2026-10 (version 2)")


def test_reconcile_refuses_to_replace_a_sealed_month_with_other_days(month, tmp_path):
    scenario, ledger = month
    submit_days(ledger, scenario)
    run("--ledger", ledger, "month", "reconcile", M, "--node", "n1")
    plays = tmp_path / "plays"
    plays.mkdir()
    for day in sorted((scenario / "plays" / "n1").glob("*.csv")):
        (plays / day.name).write_text(day.read_text())
    sealed = json.loads(run("--ledger", ledger, "query", "Allocations:GetNodeMonth", M, "n1"))["merkle_root"]
    session = Session(folder=ledger)
    try:
        policy = session.policy(M)
        result = node_month.load_month(session, M, "n1", policy).result
        other = result.__class__(result.allocations[:1], result.unsubscribed, result.no_plays, "0" * 64)
        before = fingerprint(ledger)
        with pytest.raises(Exception) as caught:
            node_month.submit_allocations(session, M, "n1", other)
    finally:
        session.close()
    assert str(caught.value) == (f"node n1 sealed {M} (version 1) with Merkle root {sealed}; its days now give "
                                 f"{'0' * 64}. Unseal it first: nineten month withdraw {M} --node n1 --reason TEXT")
    assert fingerprint(ledger) == before


def test_an_artist_id_the_chaincode_would_refuse_is_caught_before_anchoring(month, tmp_path):
    _, ledger = month
    day = tmp_path / "2026-10-05.csv"
    day.write_text(HEADER + "\n2026-10-05T08:00:00Z,L1,new artist!,t1,100\n")
    before = fingerprint(ledger)
    out = run("--ledger", ledger, "listens", "submit", day, "--node", "n1", expect=2)
    assert "'new artist!': 1 play, first at" in out and "nothing was anchored" in out
    assert fingerprint(ledger) == before
    run("--ledger", ledger, "listens", "submit", day, "--node", "n1", "--unmapped", "keep")
    assert "sealed (version 1)" in run("--ledger", ledger, "month", "reconcile", M, "--node", "n1")


def test_receipts_say_paid_held_or_rejected(month):
    scenario, ledger = month
    for node in ("n1", "n2"):
        submit_days(ledger, scenario, node)
        run("--ledger", ledger, "month", "reconcile", M, "--node", node)
    scope = json.dumps({"listeners": [alias(ledger, "L1")]})
    out = run("--ledger", ledger, "month", "review", M, "--node", "n1", "--reviewer", "n3", "--dispute", "all",
              "--scope", scope)
    dispute = out.splitlines()[-1].split()[1]
    assert out.splitlines()[-1].endswith("over 1 listener: local n1, peer n2, external n3")
    for node, reviewer in (("n1", "n2"), ("n2", "n1"), ("n2", "n3")):
        run("--ledger", ledger, "month", "review", M, "--node", node, "--reviewer", reviewer)
    run("--ledger", ledger, "month", "settle", M, "--node", "n2")

    def receipt(listener):
        return json.loads(run("--ledger", ledger, "--format", "json", "receipt", listener, "--month", M,
                              "--node", "n1"))

    assert receipt("L1")["summary"] == f"9.000000 held under dispute {dispute} (open)"
    assert receipt("L2")["summary"] == "9.000000 paid"
    run("--ledger", ledger, "disputes", "vote", dispute, "reject", "--node", "n2", "--reason", "one payment")
    run("--ledger", ledger, "disputes", "vote", dispute, "reject", "--node", "n3", "--reason", "agreed")
    assert [a["status"] for a in receipt("L1")["artists"]] == [f"rejected by dispute {dispute}: to unallocated"] * 2
    table = run("--ledger", ledger, "receipt", "L2", "--month", M, "--node", "n1")
    assert table.splitlines()[-1] == "settlement: 9.000000 paid"


def test_proposals_from_the_command_line(month, tmp_path):
    _, ledger = month
    payload = tmp_path / "artist.json"
    payload.write_text(json.dumps({"id": "a9", "name": "Nine", "wallet": "w-a9"}))
    proposal = json.loads(run("--ledger", ledger, "--format", "json", "consortium", "propose", "register_artist",
                              f"@{payload}", "--node", "n2"))
    assert (proposal["status"], proposal["approvals"], proposal["note"]) == (
        "open", ["n2"], "artist a9 has no money held for it.")
    listed = run("--ledger", ledger, "--format", "csv", "consortium", "proposals", "--status", "open")
    assert listed.splitlines() == ["id,kind,status,approvals,proposer,note",
                                   f"{proposal['id']},register_artist,open,n2,n2,artist a9 has no money held for it."]
    out = run("--ledger", ledger, "consortium", "approve", proposal["id"], "--node", "n3")
    assert f"{proposal['id']}  register_artist  applied  n2,n3" in out  # 2 of 3 nodes: a majority
    assert run("--ledger", ledger, "--format", "csv", "consortium", "proposals", "--status", "open").splitlines() == [
        "id,kind,status,approvals,proposer,note"]
    bad = tmp_path / "bad.json"
    bad.write_text('{"id": "a8",\n "name": }')
    before = fingerprint(ledger)
    assert run("--ledger", ledger, "consortium", "propose", "register_artist", f"@{bad}", expect=2) == (
        f"error: {bad}:2: not valid JSON: Expecting value (column 10)\n")
    assert run("--ledger", ledger, "consortium", "propose", "set_policy", '{"price_micro": 1.5}', expect=2) == (
        "error: field PAYLOAD: a decimal number 1.5 is not allowed here; amounts are integer micro-units\n")
    assert fingerprint(ledger) == before


def test_a_month_is_settled_without_a_node_that_does_not_seal_and_audited(month):
    scenario, ledger = month
    submit_days(ledger, scenario)
    run("--ledger", ledger, "month", "reconcile", M, "--node", "n1")
    for reviewer in ("n2", "n3"):
        run("--ledger", ledger, "month", "review", M, "--node", "n1", "--reviewer", reviewer)
    out = run("--ledger", ledger, "month", "settle", M, "--node", "n1", expect=3)
    assert "node n2 has not sealed 2026-10; it must run month reconcile first" in out
    payload = json.dumps({"month": M, "node": "n2"})
    proposal = json.loads(run("--ledger", ledger, "--format", "json", "consortium", "propose", "settle_without",
                              payload, "--node", "n1"))
    run("--ledger", ledger, "consortium", "approve", proposal["id"], "--node", "n3")
    run("--ledger", ledger, "month", "settle", M, "--node", "n1")
    audit = run("--ledger", ledger, "audit", "report", M, "--out", ledger / "audit1")
    assert "2026-10: the money invariant holds" in audit
    markdown = (ledger / "audit1" / "audit-2026-10.md").read_text()
    assert f"| node n2's whole part (settled without it (proposal {proposal['id']}): it has not sealed) |" in markdown
    # n2 comes back: seals, is reviewed, and its part is settled
    submit_days(ledger, scenario, "n2")
    run("--ledger", ledger, "month", "reconcile", M, "--node", "n2")
    for reviewer in ("n1", "n3"):
        run("--ledger", ledger, "month", "review", M, "--node", "n2", "--reviewer", reviewer)
    assert run("--ledger", ledger, "month", "settle", M, "--node", "n3", "--part", "n2").startswith(
        "node n2's part of 2026-10 settled in block ")
    audit = run("--ledger", ledger, "audit", "report", M, "--out", ledger / "audit2")
    assert "2026-10: the money invariant holds" in audit
    settlement = json.loads(run("--ledger", ledger, "query", "Settlement:GetSettlement", M))
    assert (settlement["held_micro"], settlement["nodes"]["n2"]["artists_micro"]) == (0, 9_000_000)
