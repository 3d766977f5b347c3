"""The Go reference chaincode (bench/anchor-go) beside the Python one on the same network.

For the same anchor both endorse the same write (key and value bytes), event and answer, and both
refuse the same bad calls with the same sentence; the Go chaincode answers each refusal kind
with its status (400 invalid argument, 403 access, 404 not found, 409 conflict).
"""

import json
import re

import grpc
import pytest

from admin.errors import LedgerRejected
from admin.fabric.gateway import FabricGateway, _error_details
from conftest import NOT_N1_ADMIN
from fabric_protos.common import common_pb2
from fabric_protos.gateway import gateway_pb2
from fabric_protos.ledger.rwset import rwset_pb2
from fabric_protos.ledger.rwset.kvrwset import kv_rwset_pb2
from fabric_protos.peer import chaincode_event_pb2, proposal_pb2, proposal_response_pb2, transaction_pb2
from fabric_support import (GO_CHAINCODE, PROFILE, anchor_args, bootstrap, deploy_go, fill_wallet, fresh_month,
                            profile)

pytestmark = pytest.mark.fabric

RESPONSE = re.compile(r"chaincode response (\d+), (.*)", re.DOTALL)


@pytest.fixture(scope="module")
def chaincodes(tmp_path_factory):
    """Gateways to the Python and the Go chaincode, each with the test consortium's nodes."""
    deploy_go()
    tmp = tmp_path_factory.mktemp("go-parity")
    wallet = fill_wallet(tmp, ["n1.admin", *(name for name, _ in NOT_N1_ADMIN)])
    python = FabricGateway.from_profile(PROFILE, tmp / "ledger")
    go = FabricGateway({**profile(), "chaincode": GO_CHAINCODE}, wallet, PROFILE)
    bootstrap(python)
    bootstrap(go)
    yield python, go
    python.close()
    go.close()


def _action(prepared) -> proposal_pb2.ChaincodeAction:
    """The endorsed chaincode action of a prepared transaction."""
    payload = common_pb2.Payload.FromString(prepared.transaction.payload)
    action = transaction_pb2.ChaincodeActionPayload.FromString(
        transaction_pb2.Transaction.FromString(payload.data).actions[0].payload)
    return proposal_pb2.ChaincodeAction.FromString(
        proposal_response_pb2.ProposalResponsePayload.FromString(action.action.proposal_response_payload).extension)


def _endorsed(gateway: FabricGateway, *args: str) -> tuple[list[tuple[str, bytes]], tuple[str, bytes], bytes]:
    """Endorse and commit Listening:Anchor: the chaincode's writes (key, value) in its namespace,
    its event (name, payload) and its answer."""
    prepared = gateway.endorse("n1.admin", "Listening:Anchor", *args)
    action = _action(prepared)
    rwset = rwset_pb2.TxReadWriteSet.FromString(action.results)
    [mine] = [ns for ns in rwset.ns_rwset if ns.namespace == gateway.chaincode]
    writes = [(w.key, w.value) for w in kv_rwset_pb2.KVRWSet.FromString(mine.rwset).writes]
    gateway.commit(prepared)
    return writes, _event(action.events), action.response.payload


def _event(raw: bytes) -> tuple[str, bytes]:
    event = chaincode_event_pb2.ChaincodeEvent.FromString(raw)
    return event.event_name, event.payload


def test_same_key_value_event_and_answer(chaincodes):
    python, go = chaincodes
    args = anchor_args("n1", f"{fresh_month()}-07")
    done = [_endorsed(gateway, *args) for gateway in chaincodes]
    assert done[0] == done[1]
    writes, event, answer = done[0]
    record = (f'{{"date":"{args[1]}","listeners":2,"node":"n1","plays":3,"rows":3,"seconds":600,'
              f'"sha256":"{args[2]}","superseded":[]}}').encode()
    assert writes == [(f"\x00anchor\x00n1\x00{args[1]}\x00", record)]
    assert event == ("Listening.Anchor", f'{{"date":"{args[1]}","node":"n1","sha256":"{args[2]}"}}'.encode())
    assert answer == b'{"anchor":' + record + b',"anchored":true}'
    again = [gateway.submit("n1.admin", "Listening:Anchor", *args).payload for gateway in chaincodes]
    assert again[0] == again[1] == '{"anchor":' + record.decode() + ',"anchored":false}'


def _refusal(gateway: FabricGateway, identity: str, function: str, *args: str) -> tuple[int, str]:
    """The status and sentence a chaincode refuses a proposal with (endorsed by one peer)."""
    ident = gateway.wallet.get(identity)
    stub, _ = gateway._stub(ident)
    proposal, txid = gateway._proposal(ident, function, args)
    with pytest.raises(grpc.RpcError) as caught:
        stub.Evaluate(gateway_pb2.EvaluateRequest(transaction_id=txid, channel_id=gateway.channel,
                                                  proposed_transaction=proposal), timeout=30)
    for message in [d.message for d in _error_details(caught.value)] + [caught.value.details() or ""]:
        if match := RESPONSE.search(message):
            return int(match.group(1)), match.group(2)
    raise AssertionError(f"no chaincode response in {caught.value}")


def _bad_calls() -> list[tuple[int, str, str, tuple[str, ...]]]:
    """(Go status, identity, function, arguments) of calls both chaincodes refuse."""
    month = fresh_month()
    node, date, digest, counts = anchor_args("n1", f"{month}-08")
    anchor = "Listening:Anchor"
    calls = [(403, identity, anchor, (node, date, digest, counts)) for identity, _ in NOT_N1_ADMIN]
    calls += [(400, "n1.admin", anchor, args) for args in [
        (node, f"{month}-32", digest, counts),
        (node, f"{date}\n", digest, counts),
        (node, date, digest.upper(), counts),
        (node, date, digest, '{"rows": 3, "listeners": 4, "plays": 1, "seconds": 1}'),
        (node, date, digest, '{"rows": 3, "listeners": 1, "plays": 1}'),
        (node, date, digest, '{"rows": 3, "listeners": 1, "plays": 1, "seconds": 1.5}'),
        (node, date, digest, '{"rows": NaN, "listeners": 1, "plays": 1, "seconds": [1, "\\u00e9\'"]}'),
        (node, date, digest, '{"rows": 3,\n "listeners": }'),
        ("n1 ", date, digest, counts),
        (node, date, digest),
    ]]
    calls += [(404, "n1.admin", anchor, ("n9", date, digest, counts)),
              (404, "n1.admin", "Listening:Nope", ()),
              (404, "n1.admin", "Nope:Anchor", ())]
    return calls


def test_same_refusals(chaincodes):
    for status, identity, function, args in _bad_calls():
        python, go = (_refusal(gateway, identity, function, *args) for gateway in chaincodes)
        assert go[1] == python[1], (function, args)
        assert go[0] == status, (go, function, args)
        assert python[0] in (500, status), (python, function, args)  # 500 until refusals carry their kind


def test_same_conflict(chaincodes):
    python, go = chaincodes
    date = f"{fresh_month()}-09"
    args, conflicting = anchor_args("n1", date), anchor_args("n1", date, seed="altered")
    for gateway in chaincodes:
        gateway.submit("n1.admin", "Listening:Anchor", *args)
    refusals = [_refusal(gateway, "n1.admin", "Listening:Anchor", *conflicting) for gateway in chaincodes]
    sentence = (f"node n1 already anchored {date} with sha256 {args[2]}; "
                "submit a correction (Listening:Correct) to replace it.")
    assert refusals[0][1] == refusals[1][1] == sentence
    assert refusals[1][0] == 409
    with pytest.raises(LedgerRejected) as caught:
        go.submit("n1.admin", "Listening:Anchor", *conflicting)
    assert caught.value.message == sentence
