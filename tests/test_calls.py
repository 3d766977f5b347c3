"""`nineten invoke` and `nineten query`: ad hoc chaincode calls through the CLI, as `peer chaincode`."""

import json

from scenario_files import fingerprint, run


def test_query_prints_the_chaincode_answer(month):
    _, ledger = month
    out = run("--ledger", ledger, "query", "Registry:ListClusters")
    assert out == '[{"id":"A"},{"id":"B"}]\n'
    pretty = run("--ledger", ledger, "--format", "json", "query", "Registry:GetPolicy", "2026-10")
    assert json.loads(pretty)["price_micro"] == 10_000_000
    assert pretty.startswith("{\n  ")


def test_invoke_commits_as_the_first_admin_and_again_is_a_no_op(month):
    _, ledger = month
    before = fingerprint(ledger)
    artist = json.dumps({"id": "a9", "name": "Nine", "wallet": "w-a9"})
    out = run("--ledger", ledger, "invoke", "Registry:Propose", "register_artist", artist)
    assert (json.loads(out)["status"], json.loads(out)["approvals"]) == ("open", ["n1"])
    assert fingerprint(ledger)[1] == before[1] + 1
    state = fingerprint(ledger)[0]
    assert run("--ledger", ledger, "invoke", "Registry:Propose", "register_artist", artist) == out
    assert fingerprint(ledger)[0] == state


def test_a_refusal_prints_its_sentence_and_exits_3(month):
    _, ledger = month
    before = fingerprint(ledger)
    out = run("--ledger", ledger, "--as", "n1.reviewer", "invoke", "Registry:Propose", "register_artist", "{}",
              expect=3)
    assert out == ("error: Registry:Propose refused: Org1MSP identity with reviewer may not do this; "
                   "it needs the role admin.\n")
    out = run("--ledger", ledger, "query", "Registry:GetPolicy", "2026-1", expect=3)
    assert out == "error: Registry:GetPolicy refused: month '2026-1' is not of the form YYYY-MM.\n"
    assert fingerprint(ledger) == before


def test_a_name_without_contract_is_bad_input(month):
    _, ledger = month
    out = run("--ledger", ledger, "query", "GetPolicy", expect=2)
    assert out == "error: 'GetPolicy' is not CONTRACT:FUNCTION (for example Settlement:GetSettlement).\n"
