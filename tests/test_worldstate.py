"""WorldState:Page on the embedded ledger (the same contract code answers on Fabric), the
`ledger state-hash` and `identity` commands, and a ledger folder's secrets surviving init."""

import json

from click.testing import CliRunner

from admin.cli import main
from admin.config import LedgerConfig
from admin.client import state_digest
from chaincode.contracts import worldstate
from conftest import refused
from scenario_files import write_scenario


def pages(ledger, limit: int) -> list[dict]:
    found, after = [], ""
    while True:
        page = json.loads(ledger.evaluate("n3.auditor", "WorldState:Page", after, str(limit)))
        found.append(page)
        after = page["next"]
        if not after:
            return found


def test_pages_cover_every_key_and_value_in_order(ledger):
    stored = [(k, v.decode()) for k, v in ledger.state_items()]
    assert any(k.startswith("\x00node\x00") for k, _ in stored)
    for limit in (1, 7, 1000):
        found = pages(ledger, limit)
        assert [tuple(item) for page in found for item in page["items"]] == stored
        assert all(len(page["items"]) <= limit for page in found)


def test_a_page_stays_under_the_byte_budget(ledger, monkeypatch):
    monkeypatch.setattr(worldstate, "MAX_BYTES", 300)
    found = pages(ledger, 1000)
    assert len(found) > 3
    stored = list(ledger.state_items())
    assert [tuple(item) for page in found for item in page["items"]] == [(k, v.decode()) for k, v in stored]
    for page in found:
        size = sum(len(k.encode()) + len(v.encode()) for k, v in page["items"])
        assert size <= 300 or len(page["items"]) == 1


def test_pages_are_bounded(ledger):
    assert refused(ledger, "n1.auditor", "WorldState:Page", "", "0") == "limit 0 is not a whole number of at least 1."
    assert refused(ledger, "n1.auditor", "WorldState:Page", "", "1001") == (
        "limit 1001 is above the largest page of 1000 keys.")


def test_a_ledger_without_consortium_answers_no_one(bare_ledger):
    assert refused(bare_ledger, "n1.auditor", "WorldState:Page", "", "10") == (
        "organisation Org1MSP is not a node of the consortium.")


def run(*args, expect=0) -> str:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == expect, result.output
    return result.output


def test_state_hash_reads_the_world_state_through_the_chaincode(tmp_path):
    run("simulate", write_scenario(tmp_path / "s"), "--out", tmp_path / "out")
    from admin.embedded.ledger import EmbeddedLedger

    ledger = EmbeddedLedger(tmp_path / "out" / "ledger")
    expected = state_digest(ledger.state_items())
    ledger.close()
    assert run("--ledger", tmp_path / "out" / "ledger", "ledger", "state-hash").strip() == expected


def test_init_keeps_the_node_secrets_of_an_existing_config(tmp_path):
    scenario = write_scenario(tmp_path / "s")
    config = LedgerConfig(tmp_path / "ledger")
    config.add_node("n1", "Org1MSP")
    config.save()
    secret = LedgerConfig.load(tmp_path / "ledger").secret("n1")
    run("--ledger", tmp_path / "ledger", "init", "--consortium", scenario / "consortium.yaml")
    kept = LedgerConfig.load(tmp_path / "ledger")
    assert kept.secret("n1") == secret and set(kept.nodes) == {"n1", "n2", "n3"}
    again = run("--ledger", tmp_path / "ledger", "init", "--consortium", scenario / "consortium.yaml", expect=4)
    assert "a ledger already exists at" in again


def test_identity_commands_need_a_network_and_list_the_wallet(tmp_path):
    scenario = write_scenario(tmp_path / "s")
    run("--ledger", tmp_path / "ledger", "init", "--consortium", scenario / "consortium.yaml")
    out = run("--ledger", tmp_path / "ledger", "identity", "register", "n1.reviewer", expect=4)
    assert "identities are registered at a Fabric network's CAs: pass --gateway PROFILE" in out
    assert "is not <node>.<role>" in run("--ledger", tmp_path / "ledger", "identity", "enroll", "n1.boss",
                                          "--secret", "x", expect=2)
    listed = run("--ledger", tmp_path / "ledger", "--format", "csv", "identity", "list")
    assert "n3.arbitrator,Org3MSP,arbitrator" in listed and len(listed.strip().splitlines()) == 13
