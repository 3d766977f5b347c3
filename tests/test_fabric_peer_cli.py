"""Fabric's own peer CLI (``peer chaincode invoke|query``) drives our chaincode: an independent client.

The CLI runs in the environment ``network/network.sh env org1`` prints, signing with identities
enrolled at Org1's CA with the ``nineten.role`` attribute; each output is compared with what the
embedded ledger answers to the same call.
"""

import json
import re
import subprocess

import pytest

from admin.errors import LedgerRejected
from chaincode import canonical_json
from fabric_support import (PROFILE, ROOT, anchor_args, bootstrap, enroll_home, fill_wallet, fresh_month,
                            org_of, profile, refusal)

pytestmark = pytest.mark.fabric

_INVOKED = re.compile(r'Chaincode invoke successful\. result: status:200 payload:"((?:[^"\\]|\\.)*)"')


@pytest.fixture(scope="module")
def cli(tmp_path_factory):
    """``cli(role, *args)``: the peer CLI as an Org1 identity with that role (None: the environment's
    own cryptogen admin, which has no role)."""
    tmp = tmp_path_factory.mktemp("peer-cli")
    homes = {role: enroll_home(tmp, org_of("Org1MSP"), f"n1.{role}", role) for role in ("admin", "reviewer")}

    def run(role: str | None, *args: str) -> subprocess.CompletedProcess:
        script = ('eval "$(network/network.sh env org1)"; [ -n "$1" ] && export CORE_PEER_MSPCONFIGPATH="$1"; '
                  'shift; export FABRIC_LOGGING_SPEC=INFO; exec peer "$@"')
        msp = str(homes[role] / "msp") if role else ""
        return subprocess.run(["bash", "-c", script, "peer", msp, *args],
                              cwd=ROOT, capture_output=True, text=True, timeout=120)
    return run


@pytest.fixture(scope="module")
def fabric(tmp_path_factory):
    from admin.fabric.client import FabricClient

    tmp = tmp_path_factory.mktemp("peer-cli-gw")
    fill_wallet(tmp, ["n1.admin"])
    gateway = FabricClient.from_profile(PROFILE, tmp / "ledger")
    bootstrap(gateway)
    yield gateway
    gateway.close()


def _call(function: str, *args: str) -> str:
    return json.dumps({"Args": [function, *args]})


def _invoke_args(function: str, *args: str) -> list[str]:
    """``peer chaincode invoke`` to an orderer and three peers (the MAJORITY policy), waiting for commit."""
    prof = profile()
    orderer = prof["orderers"][0]
    command = ["chaincode", "invoke", "-o", orderer["address"], "--ordererTLSHostnameOverride",
               orderer["ssl_target_name_override"], "--tls", "--cafile", orderer["tls_ca_cert"],
               "-C", prof["channel"], "-n", prof["chaincode"], "--waitForEvent"]
    for org in sorted(prof["organizations"])[:3]:
        peer = prof["organizations"][org]["peer"]
        command += ["--peerAddresses", peer["address"], "--tlsRootCertFiles", peer["tls_ca_cert"]]
    return command + ["-c", _call(function, *args)]


def _query_args(function: str, *args: str) -> list[str]:
    prof = profile()
    return ["chaincode", "query", "-C", prof["channel"], "-n", prof["chaincode"], "-c", _call(function, *args)]


def _unquote(text: str) -> str:
    """A payload as the peer CLI prints it (protobuf text format, ASCII) back to its bytes."""
    return re.sub(r'\\(["\\])', r"\1", text)


def test_query_reads_what_the_gateway_reads(cli, fabric):
    result = cli("admin", *_query_args("Registry:ListClusters"))
    assert (result.returncode, result.stdout) == (0, '[{"id":"A"},{"id":"B"}]\n')
    assert result.stdout.strip() == fabric.evaluate("n1.admin", "Registry:ListClusters")


def test_invoke_anchors_a_day_as_the_embedded_ledger_does(cli, fabric, ledger):
    args = anchor_args("n1", f"{fresh_month()}-07")
    result = cli("admin", *_invoke_args("Listening:Anchor", *args))
    assert result.returncode == 0, result.stderr
    payload = _INVOKED.search(result.stderr)
    assert payload, result.stderr
    expected = ledger.submit("n1.admin", "Listening:Anchor", *args).payload
    assert _unquote(payload.group(1)) == expected
    assert canonical_json.loads(expected)["anchored"] is True

    query = cli("admin", *_query_args("Listening:GetAnchor", args[0], args[1]))
    assert (query.returncode, query.stdout) == (0, ledger.evaluate("n1.admin", "Listening:GetAnchor",
                                                                   args[0], args[1]) + "\n")
    again = cli("admin", *_invoke_args("Listening:Anchor", *args))
    assert _unquote(_INVOKED.search(again.stderr).group(1)) == ledger.submit("n1.admin", "Listening:Anchor",
                                                                             *args).payload


def test_invoke_refusal_is_the_embedded_sentence(cli, fabric, ledger):
    args = anchor_args("n1", f"{fresh_month()}-08")
    result = cli("reviewer", *_invoke_args("Listening:Anchor", *args))
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
