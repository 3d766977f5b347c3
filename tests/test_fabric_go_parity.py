"""The Go reference chaincode (bench/anchor-go) beside the Python one on the same network.

For the same anchor both endorse the same write (key and value bytes), event and answer, and both
refuse the same bad calls with the same sentence; the Go chaincode answers each refusal kind
with its status (400 invalid argument, 403 access, 404 not found, 409 conflict).
"""

import pytest

from admin.errors import ConflictRejected, LedgerRejected
from admin.fabric.client import FabricClient
from conftest import NOT_N1_ADMIN
from fabric_protos.common import common_pb2
from fabric_protos.ledger.rwset import rwset_pb2
from fabric_protos.ledger.rwset.kvrwset import kv_rwset_pb2
from fabric_protos.peer import chaincode_event_pb2, proposal_pb2, proposal_response_pb2, transaction_pb2
from fabric_support import (GO_CHAINCODE, PROFILE, anchor_args, bootstrap, deploy_go, fill_wallet, fresh_month,
                            profile)

pytestmark = pytest.mark.fabric


@pytest.fixture(scope="module")
def chaincodes(tmp_path_factory):
    """Clients of the Python and the Go chaincode, each with the test consortium's nodes."""
    deploy_go()
    tmp = tmp_path_factory.mktemp("go-parity")
    wallet = fill_wallet(tmp, ["n1.admin", *(name for name, _ in NOT_N1_ADMIN)])
    python = FabricClient.from_profile(PROFILE, tmp / "ledger")
    go = FabricClient({**profile(), "chaincode": GO_CHAINCODE}, wallet, PROFILE)
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


def _endorsed(client: FabricClient, *args: str) -> tuple[list[tuple[str, bytes]], tuple[str, bytes], bytes]:
    """Endorse and commit Listening:Anchor: the chaincode's writes (key, value) in its namespace,
    its event (name, payload) and its answer."""
    prepared = client.endorse("n1.admin", "Listening:Anchor", *args)
    action = _action(prepared)
    rwset = rwset_pb2.TxReadWriteSet.FromString(action.results)
    [mine] = [ns for ns in rwset.ns_rwset if ns.namespace == client.chaincode]
    writes = [(w.key, w.value) for w in kv_rwset_pb2.KVRWSet.FromString(mine.rwset).writes]
    client.commit(prepared)
    return writes, _event(action.events), action.response.payload


def _event(raw: bytes) -> tuple[str, bytes]:
    event = chaincode_event_pb2.ChaincodeEvent.FromString(raw)
    return event.event_name, event.payload


def test_same_key_value_event_and_answer(chaincodes):
    args = anchor_args("n1", f"{fresh_month()}-07")
    done = [_endorsed(client, *args) for client in chaincodes]
    assert done[0] == done[1]
    writes, event, answer = done[0]
    record = (f'{{"date":"{args[1]}","listeners":2,"node":"n1","plays":3,"rows":3,"seconds":600,'
              f'"sha256":"{args[2]}","superseded":[]}}').encode()
    assert writes == [(f"\x00anchor\x00n1\x00{args[1]}\x00", record)]
    assert event == ("Listening.Anchor", f'{{"date":"{args[1]}","node":"n1","sha256":"{args[2]}"}}'.encode())
    assert answer == b'{"anchor":' + record + b',"anchored":true}'
    again = [client.submit("n1.admin", "Listening:Anchor", *args).payload for client in chaincodes]
    assert again[0] == again[1] == '{"anchor":' + record.decode() + ',"anchored":false}'


def _refusal(client: FabricClient, identity: str, function: str, *args: str) -> tuple[int | None, str]:
    """The status (None: not a refusal kind) and sentence a chaincode refuses a proposal with."""
    with pytest.raises(LedgerRejected) as caught:
        client.evaluate(identity, function, *args)
    return caught.value.status, caught.value.message


def _bad_calls() -> list[tuple[int | None, str, str, tuple[str, ...]]]:
    """(status, identity, function, arguments) of calls both chaincodes refuse."""
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
              (None, "n1.admin", "Listening:Nope", ()),
              (None, "n1.admin", "Nope:Anchor", ())]
    return calls


def test_same_refusals(chaincodes):
    for status, identity, function, args in _bad_calls():
        python, go = (_refusal(client, identity, function, *args) for client in chaincodes)
        assert go == python, (function, args)
        assert go[0] == status, (go, function, args)


def test_same_conflict(chaincodes):
    date = f"{fresh_month()}-09"
    args, conflicting = anchor_args("n1", date), anchor_args("n1", date, seed="altered")
    for client in chaincodes:
        client.submit("n1.admin", "Listening:Anchor", *args)
    sentence = (f"node n1 already anchored {date} with sha256 {args[2]}; "
                "submit a correction (Listening:Correct) to replace it.")
    for client in chaincodes:
        with pytest.raises(ConflictRejected) as caught:
            client.submit("n1.admin", "Listening:Anchor", *conflicting)
        assert caught.value.message == sentence
