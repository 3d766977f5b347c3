"""Fabric's own peer CLI (``peer chaincode invoke|query``) drives our chaincode: an independent client.

The CLI runs in the environment ``network/network.sh env org1`` prints, signing with identities
enrolled at Org1's CA with the ``nineten.role`` attribute; each output is compared with what the
embedded ledger answers to the same call.
"""

import pytest

from admin.errors import LedgerRejected
from chaincode import canonical_json
from fabric_support import (INVOKED, PROFILE, anchor_args, bootstrap, fill_wallet, fresh_month, invoke_args,
                            peer_call, peer_cli, profile, refusal, unquote)

pytestmark = pytest.mark.fabric


@pytest.fixture(scope="module")
def cli(tmp_path_factory):
    """``cli(role, *args)``: the peer CLI as an Org1 identity with that role (None: the environment's
    own cryptogen admin, which has no role)."""
    return peer_cli(tmp_path_factory.mktemp("peer-cli"))


@pytest.fixture(scope="module")
def fabric(tmp_path_factory):
    from admin.fabric.client import FabricClient

    tmp = tmp_path_factory.mktemp("peer-cli-gw")
    fill_wallet(tmp, ["n1.admin"])
    gateway = FabricClient.from_profile(PROFILE, tmp / "ledger")
    bootstrap(gateway)
    yield gateway
    gateway.close()


def _query_args(function: str, *args: str) -> list[str]:
    prof = profile()
    return ["chaincode", "query", "-C", prof["channel"], "-n", prof["chaincode"], "-c", peer_call(function, *args)]


def test_query_reads_what_the_gateway_reads(cli, fabric):
    result = cli("admin", *_query_args("Registry:ListClusters"))
    assert (result.returncode, result.stdout) == (0, '[{"id":"A"},{"id":"B"}]\n')
    assert result.stdout.strip() == fabric.evaluate("n1.admin", "Registry:ListClusters")


def test_invoke_anchors_a_day_as_the_embedded_ledger_does(cli, fabric, ledger):
    args = anchor_args("n1", f"{fresh_month()}-07")
    result = cli("admin", *invoke_args("Listening:Anchor", *args))
    assert result.returncode == 0, result.stderr
    payload = INVOKED.search(result.stderr)
    assert payload, result.stderr
    expected = ledger.submit("n1.admin", "Listening:Anchor", *args).payload
    assert unquote(payload.group(1)) == expected
    assert canonical_json.loads(expected)["anchored"] is True

    query = cli("admin", *_query_args("Listening:GetAnchor", args[0], args[1]))
    assert (query.returncode, query.stdout) == (0, ledger.evaluate("n1.admin", "Listening:GetAnchor",
                                                                   args[0], args[1]) + "\n")
    again = cli("admin", *invoke_args("Listening:Anchor", *args))
    assert unquote(INVOKED.search(again.stderr).group(1)) == ledger.submit("n1.admin", "Listening:Anchor",
                                                                             *args).payload


def test_invoke_refusal_is_the_embedded_sentence(cli, fabric, ledger):
    args = anchor_args("n1", f"{fresh_month()}-08")
    result = cli("reviewer", *invoke_args("Listening:Anchor", *args))
    message = refusal(ledger, "n1.reviewer", "Listening:Anchor", *args)
    assert message == "Org1MSP identity with reviewer may not do this; it needs the role admin."
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f'Error: endorsement failure during invoke. response: status:403 message:"{message}"')


def test_query_of_a_missing_anchor_is_the_embedded_sentence(cli, fabric, ledger):
    date = f"{fresh_month()}-09"
    result = cli("admin", *_query_args("Listening:GetAnchor", "n1", date))
    with pytest.raises(LedgerRejected) as caught:
        ledger.evaluate("n1.admin", "Listening:GetAnchor", "n1", date)
    assert caught.value.message == f"node n1 has no anchor for {date}."
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f'Error: endorsement failure during query. response: status:404 message:"{caught.value.message}"')


def test_identity_without_role_is_refused(cli, fabric):
    """cryptogen's org admin carries no ``nineten.role``: the chaincode refuses it by name."""
    result = cli(None, *_query_args("Registry:ListClusters"))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == ('Error: endorsement failure during query. response: '
                                                      'status:403 message:"Org1MSP identity with no role '
                                                      'may not do this; it needs the role admin or reviewer '
                                                      'or arbitrator or auditor."')
