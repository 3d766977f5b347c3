"""The artist hijack and settling before review, tried on the real Fabric network with Fabric's own
peer CLI as n1's admin: refused with the embedded ledger's sentence and status, nothing written
(the world state read through the peers is the same before and after).

The month is set up through the Gateway on the network and, call for call, on an embedded ledger,
so each refusal is compared with the one the embedded ledger gives in the same state.
"""

import json
import uuid

import pytest

from admin.client import Connection, state_digest
from chaincode import canonical_json
from fabric_support import (INVOKED, PROFILE, bootstrap, fill_wallet, fresh_month, invoke_args, peer_cli, refusal,
                            unquote)
from settlement_script import allocate_and_seal, approve, settlement, subscribe

pytestmark = pytest.mark.fabric

NODES = ("n1", "n2", "n3", "n4")


@pytest.fixture(scope="module")
def cli(tmp_path_factory):
    """``cli(role, *args)``: the peer CLI as n1's admin or reviewer."""
    return peer_cli(tmp_path_factory.mktemp("hostile-cli"))


@pytest.fixture(scope="module")
def fabric(tmp_path_factory):
    from admin.fabric.client import FabricClient

    tmp = tmp_path_factory.mktemp("hostile-gw")
    fill_wallet(tmp, [f"{n}.{role}" for n in NODES for role in ("admin", "reviewer")] + ["n1.auditor", "n4.auditor"])
    gateway = FabricClient.from_profile(PROFILE, tmp / "ledger")
    bootstrap(gateway)
    yield gateway
    gateway.close()


def world(fabric) -> str:
    return state_digest(Connection(fabric, "n1.admin").world_state())


def sealed_month(backend, month: str, held_artist: str) -> None:
    """n1 allocates L1 to a1; n3 allocates M1 to an artist nobody registered; both seal."""
    subscribe(backend, "n1", ["L1"], month)
    subscribe(backend, "n3", ["M1"], month)
    allocate_and_seal(backend, "n1", [{"L1": {"a1": 100}}], month)
    allocate_and_seal(backend, "n3", [{"M1": {held_artist: 50}}], month)


def peer_refusal(cli, function: str, *args: str) -> str:
    """The last line the peer CLI prints when the peers refuse the transaction of n1's admin."""
    result = cli("admin", *invoke_args(function, *args))
    assert result.returncode == 1, result.stderr
    return result.stderr.strip().splitlines()[-1]


def test_settling_before_review_is_refused_on_the_network(cli, fabric, ledger):
    month, held = fresh_month(), f"h{uuid.uuid4().hex[:12]}"
    for backend in (fabric, ledger):
        sealed_month(backend, month, held)
    expected = refusal(ledger, "n1.admin", "Settlement:Settle", month)
    assert expected.startswith(f"node n1's {month} (version 1) awaits the review of its assigned peer n2")
    before = world(fabric)
    assert peer_refusal(cli, "Settlement:Settle", month) == (
        f'Error: endorsement failure during invoke. response: status:409 message:"{expected}"')
    assert world(fabric) == before
    for backend in (fabric, ledger):
        for node in ("n1", "n3"):
            approve(backend, node, month)
        backend.submit("n2.admin", "Settlement:Settle", month)
    assert settlement(fabric, month) == settlement(ledger, month)


def test_a_node_cannot_hijack_a_held_artist_on_the_network(cli, fabric, ledger):
    month, held = fresh_month(), f"h{uuid.uuid4().hex[:12]}"
    for backend in (fabric, ledger):
        sealed_month(backend, month, held)
        for node in ("n1", "n3"):
            approve(backend, node, month)
        backend.submit("n2.admin", "Settlement:Settle", month)
    hijack = json.dumps({"id": held, "name": "Not Me", "wallet": "wallet-of-n1"})
    proposed = cli("admin", *invoke_args("Registry:Propose", "register_artist", hijack))
    assert proposed.returncode == 0, proposed.stderr
    on_fabric = canonical_json.loads(unquote(INVOKED.search(proposed.stderr).group(1)))
    embedded = ledger.submit("n1.admin", "Registry:Propose", "register_artist", hijack).json()
    assert on_fabric == embedded
    assert (on_fabric["status"], on_fabric["approvals"]) == ("open", ["n1"])
    assert on_fabric["note"] == (f"artist {held} has 9.000000 held for it while unregistered ({month} 9.000000); "
                                 "once registered, it is released to wallet wallet-of-n1.")
    expected = refusal(ledger, "n1.admin", "Settlement:ReleaseArtist", month, held)
    assert expected == f"artist {held} is not registered; register the artist before releasing {month}."
    before = world(fabric)
    assert peer_refusal(cli, "Settlement:ReleaseArtist", month, held) == (
        f'Error: endorsement failure during invoke. response: status:404 message:"{expected}"')
    assert world(fabric) == before
    assert settlement(fabric, month)["held_micro"] == 9_000_000
