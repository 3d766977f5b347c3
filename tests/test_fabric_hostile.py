"""The artist hijack and settling before review, tried on the real Fabric network with Fabric's own
peer CLI as n1's admin: refused with the embedded ledger's sentence and status, nothing written
(the world state read through the peers is the same before and after).

The month is set up through the Gateway on the network and, call for call, on an embedded ledger,
so each refusal is compared with the one the embedded ledger gives in the same state.
"""

import json
import time
import uuid

import pytest

from admin.client import Connection, state_digest
from admin.errors import ConflictRejected, LedgerRejected, NotFoundRejected
from chaincode import canonical_json
from chaincode.artist_ids import unregistered_id
from fabric_support import (INVOKED, PROFILE, bootstrap, fill_wallet, fresh_month, invoke_args, peer_cli, refusal,
                            unquote)
from settlement_script import allocate_and_seal, approve, majority, settlement, subscribe

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


def once_seen(call, refusal: type[LedgerRejected]):
    """``call()``, tried again for at most 10 s while refused with ``refusal``: the gateway reports
    a commit on the submitter's own peer, and another organisation's peer may still be behind
    (under load, by seconds)."""
    deadline = time.monotonic() + 10
    while True:
        try:
            return call()
        except refusal:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def settled_month(backend, month: str, held_artist: str) -> None:
    """:func:`sealed_month`, both months approved by their reviewers, and the month settled."""
    sealed_month(backend, month, held_artist)
    for node in ("n1", "n3"):
        approve(backend, node, month)
    settle(backend, month)


def settle(backend, month: str) -> None:
    """n2's admin settles ``month`` once its peer has the reviews other organisations' peers took."""
    once_seen(lambda: backend.submit("n2.admin", "Settlement:Settle", month), ConflictRejected)


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
        settle(backend, month)
    assert settlement(fabric, month) == settlement(ledger, month)


def test_a_node_cannot_hijack_a_held_artist_on_the_network(cli, fabric, ledger):
    month, held = fresh_month(), f"h{uuid.uuid4().hex[:12]}"
    for backend in (fabric, ledger):
        settled_month(backend, month, held)
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


def test_money_held_under_a_name_is_claimed_only_through_that_name_on_the_network(cli, fabric, ledger):
    month, name = fresh_month(), f"Band {uuid.uuid4().hex[:12]}"
    held = unregistered_id(name)
    for backend in (fabric, ledger):
        settled_month(backend, month, held)
    hijack = json.dumps({"id": held, "name": "Not Me", "wallet": "wallet-of-n1"})
    expected = refusal(ledger, "n1.admin", "Registry:Propose", "register_artist", hijack)
    assert expected == (f"artist id {held} is reserved for the money held for an unregistered artist's name, and "
                        "neither the name 'Not Me' nor an alias derives it.")
    before = world(fabric)
    assert peer_refusal(cli, "Registry:Propose", "register_artist", hijack) == (
        f'Error: endorsement failure during invoke. response: status:400 message:"{expected}"')
    assert world(fabric) == before
    # two artists with that name in one import: each index key is written once with both (a
    # transaction does not read its own writes on Fabric), so the money goes to neither
    ids = sorted(f"b{uuid.uuid4().hex[:12]}" for _ in range(2))
    batch = {"register": [{"id": artist, "name": name, "wallet": f"w-{artist}"} for artist in ids]}
    proposal = fabric.submit("n1.admin", "Registry:Propose", "import_artists", json.dumps(batch)).json()
    for node in ("n2", "n3"):
        once_seen(lambda: fabric.submit(f"{node}.admin", "Registry:Approve", proposal["id"]), NotFoundRejected)
    assert majority(ledger, "import_artists", batch)["status"] == "applied"
    expected = refusal(ledger, "n1.admin", "Settlement:ReleaseArtist", month, held)
    assert expected == (f"artists {', '.join(ids)} all have the name {held} is derived from; what {month} holds for "
                        "it is released to none of them.")
    deadline = time.monotonic() + 10  # until n1's peer has the import's block
    while refusal(fabric, "n1.admin", "Settlement:ReleaseArtist", month, held) != expected:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert peer_refusal(cli, "Settlement:ReleaseArtist", month, held) == (
        f'Error: endorsement failure during invoke. response: status:409 message:"{expected}"')
    assert settlement(fabric, month)["held_micro"] == settlement(ledger, month)["held_micro"] == 9_000_000
