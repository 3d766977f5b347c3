"""Shared fixtures: a bootstrapped embedded ledger of four nodes in two clusters."""

import json
import logging

import pytest

from admin.errors import LedgerRejected

from admin.embedded.setup import init_ledger
from scenario_files import run, write_scenario

logging.getLogger().setLevel(logging.WARNING)

PRICE, NODE_SHARE = 10_000_000, 1_000_000
NODES = [("n1", "A", "Org1MSP"), ("n2", "A", "Org2MSP"), ("n3", "B", "Org3MSP"), ("n4", "B", "Org4MSP")]


def consortium(artists=("a1", "a2", "a3")) -> dict:
    """The test consortium: policy from 2026-01, nodes n1..n4, the given artists."""
    return {
        "clusters": [{"id": "A"}, {"id": "B"}],
        "nodes": [{"id": n, "cluster": c, "msp_id": m, "wallet": f"wallet-{n}"} for n, c, m in NODES],
        "artists": [{"id": a, "name": f"Artist {a}", "wallet": f"wallet-{a}"} for a in artists],
        "policy": {"effective_from": "2026-01", "price_micro": PRICE, "node_share_micro": NODE_SHARE,
                   "top_n": 9, "min_seconds": 30, "currency": "USDP"},
    }

#: Every identity that may not run a transaction reserved to n1's admin, with its refusal.
NOT_N1_ADMIN = [
    ("n2.admin", "Org2MSP is node n2 and may not act for node n1."),
    ("n3.admin", "Org3MSP is node n3 and may not act for node n1."),
    ("n1.reviewer", "Org1MSP identity with reviewer may not do this; it needs the role admin."),
    ("n1.auditor", "Org1MSP identity with auditor may not do this; it needs the role admin."),
    ("n1.arbitrator", "Org1MSP identity with arbitrator may not do this; it needs the role admin."),
]


def refused(ledger, identity, function, *args) -> str:
    """The rejection message of a transaction, checking that it wrote nothing."""
    before = (ledger.state_hash(), ledger.height())
    with pytest.raises(LedgerRejected) as caught:
        ledger.submit(identity, function, *args)
    assert (ledger.state_hash(), ledger.height()) == before
    return caught.value.message


@pytest.fixture
def bare_ledger(tmp_path):
    """An embedded ledger with identities for n1..n4 and nothing on chain."""
    ledger = init_ledger(tmp_path / "ledger", [(n, m) for n, _, m in NODES])
    yield ledger
    ledger.close()


@pytest.fixture
def ledger(bare_ledger):
    """The embedded ledger with the test consortium bootstrapped by n1's admin."""
    bare_ledger.submit("n1.admin", "Registry:Bootstrap", json.dumps(consortium()))
    return bare_ledger


@pytest.fixture
def month(tmp_path):
    """A ledger folder with the tiny consortium loaded and its subscriptions recorded."""
    scenario = write_scenario(tmp_path / "s")
    ledger = tmp_path / "ledger"
    run("--ledger", ledger, "init", "--consortium", scenario / "consortium.yaml")
    run("--ledger", ledger, "consortium", "load", scenario / "consortium.yaml")
    run("--ledger", ledger, "subscriptions", "import", scenario / "subscriptions.csv")
    return scenario, ledger


@pytest.fixture
def sealed(month):
    """The tiny month's ledger folder with n1's days anchored, reconciled and sealed."""
    scenario, ledger = month
    run("--ledger", ledger, "listens", "submit", *sorted((scenario / "plays" / "n1").glob("*.csv")), "--node", "n1")
    run("--ledger", ledger, "month", "reconcile", "2026-10", "--node", "n1")
    return ledger
