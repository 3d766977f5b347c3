"""The same month on the real Fabric network as on the embedded ledger: payouts, settlement and
every key and value of the world state (``pytest -m fabric``, network up).

Each scenario needs a network holding no consortium yet, so each test purges the network and
brings it up again (``fabric_network.fresh_network``), and the module leaves it fresh. The two
backends share the node secrets (the Fabric run's ``config.yaml`` seeds the embedded ledger folder),
so the listener pseudonyms, and hence the keys, are the same.

Takes about 5 minutes: the demo month is ~150 transactions, each waiting for its block (the
orderer cuts one per second), ~3 minutes; the tiny scenario ~30 s; three purge+up ~40 s.
"""

import json

import pytest
from click.testing import CliRunner

from admin.cli import main
from fabric_network import fresh_network, require_network
from fabric_support import assert_same_month, seed_secrets
from scenario_files import write_scenario

pytestmark = pytest.mark.fabric


def run(*args) -> str:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module", autouse=True)
def leave_fresh():
    """Whatever these tests bootstrapped, later tests find a freshly purged network."""
    require_network()
    yield
    fresh_network()


def test_simulate_gives_the_same_month_on_fabric(tmp_path):
    profile = fresh_network()
    scenario = write_scenario(tmp_path / "scenario")
    fabric_out, embedded_out = tmp_path / "fabric", tmp_path / "embedded"
    run("--gateway", profile, "simulate", scenario, "--out", fabric_out)
    seed_secrets(fabric_out, embedded_out)
    run("simulate", scenario, "--out", embedded_out)
    state = dict(assert_same_month(fabric_out, embedded_out))
    assert json.loads(state["\x00settlement\x002026-10\x00"])["income_micro"] == 40_000_000
    assert sum(key.startswith("\x00alloc\x00") for key in state) == 3  # L1, L2, M1 (L3 plays nothing)
    hashes = {run("--ledger", out / "ledger", *gateway, "ledger", "state-hash")
              for out, gateway in ((fabric_out, ("--gateway", profile)), (embedded_out, ()))}
    assert len(hashes) == 1


def test_demo_month_is_the_same_on_fabric(tmp_path):
    profile = fresh_network()
    fabric_out, embedded_out = tmp_path / "fabric", tmp_path / "embedded"
    on_fabric = run("--gateway", profile, "demo", "--out", fabric_out)
    seed_secrets(fabric_out, embedded_out)
    embedded = run("demo", "--out", embedded_out)
    state = assert_same_month(fabric_out, embedded_out)
    assert len(state) > 6000
    for output in (on_fabric, embedded):
        assert "review: n3 flags n2's month" in output and "dispute resolved: reject by majority" in output
    world_line = next(line for line in embedded.splitlines() if line.startswith("world state: "))
    assert world_line in on_fabric
    assert "blocks, intact" in embedded
    wallet = run("--ledger", fabric_out / "ledger", "--format", "csv", "identity", "list")
    assert "n4.arbitrator,Org4MSP,arbitrator" in wallet and "n1.admin,Org1MSP,admin" in wallet
