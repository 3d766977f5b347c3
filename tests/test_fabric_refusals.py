"""Refusal parity: the same call on the embedded ledger and on Fabric is refused with the same sentence.

Covers a caller of the wrong organisation or role, a resubmitted report (the same one is a no-op,
a conflicting one is refused) and a transaction whose endorsements disagree.
"""

import grpc
import pytest

from admin.errors import LedgerRejected
from admin.client import ENDORSEMENTS_DISAGREE, Prepared
from conftest import NOT_N1_ADMIN
from fabric_protos.common import common_pb2
from fabric_protos.peer import peer_pb2_grpc, proposal_pb2, transaction_pb2
from fabric_support import PROFILE, anchor_args, bootstrap, fill_wallet, fresh_month, org_of, refusal

pytestmark = pytest.mark.fabric


@pytest.fixture(scope="module")
def fabric(tmp_path_factory):
    from admin.fabric.client import FabricClient

    tmp = tmp_path_factory.mktemp("refusals")
    fill_wallet(tmp, ["n1.admin", *(name for name, _ in NOT_N1_ADMIN)])
    gateway = FabricClient.from_profile(PROFILE, tmp / "ledger")
    bootstrap(gateway)
    yield gateway
    gateway.close()


@pytest.mark.parametrize("identity, message", NOT_N1_ADMIN)
def test_wrong_organisation_or_role(fabric, ledger, identity, message):
    args = anchor_args("n1", f"{fresh_month()}-03")
    assert refusal(fabric, identity, "Listening:Anchor", *args) == message
    assert refusal(ledger, identity, "Listening:Anchor", *args) == message


def test_resubmitted_report(fabric, ledger):
    date = f"{fresh_month()}-04"
    report, conflicting = anchor_args("n1", date), anchor_args("n1", date, seed="altered")
    for backend in (fabric, ledger):
        assert backend.submit("n1.admin", "Listening:Anchor", *report).json()["anchored"] is True
    again = [backend.submit("n1.admin", "Listening:Anchor", *report).payload for backend in (fabric, ledger)]
    assert again[0] == again[1]
    assert '"anchored":false' in again[0]
    expected = (f"node n1 already anchored {date} with sha256 {report[2]}; "
                "submit a correction (Listening:Correct) to replace it.")
    assert refusal(fabric, "n1.admin", "Listening:Anchor", *conflicting) == expected
    assert refusal(ledger, "n1.admin", "Listening:Anchor", *conflicting) == expected
    assert fabric.evaluate("n1.admin", "Listening:GetAnchor", "n1", date) == \
        ledger.evaluate("n1.admin", "Listening:GetAnchor", "n1", date)


def test_refusal_kinds_are_the_same_on_both(fabric, ledger):
    """Each refusal kind arrives as the same LedgerRejected subclass (its chaincode status) on both."""
    date = f"{fresh_month()}-07"
    report = anchor_args("n1", date)
    for backend in (fabric, ledger):
        backend.submit("n1.admin", "Listening:Anchor", *report)
    calls = [("submit", "n1.reviewer", "Listening:Anchor", *anchor_args("n1", date)),
             ("submit", "n1.admin", "Listening:Anchor", *anchor_args("n1", date, seed="other")),
             ("submit", "n1.admin", "Listening:Anchor", "n1", f"{date[:7]}-32", *report[2:]),
             ("evaluate", "n1.admin", "Listening:GetAnchor", "n1", f"{date[:7]}-08")]
    for how, identity, function, *args in calls:
        kinds = []
        for backend in (fabric, ledger):
            with pytest.raises(LedgerRejected) as caught:
                getattr(backend, how)(identity, function, *args)
            kinds.append((type(caught.value).__name__, caught.value.status, caught.value.message))
        assert kinds[0] == kinds[1]
        assert kinds[0][1] in (400, 403, 404, 409)


# -- endorsements that disagree ----------------------------------------------------------------------

def _endorser(msp_id: str) -> peer_pb2_grpc.EndorserStub:
    peer = org_of(msp_id)["peer"]
    credentials = grpc.ssl_channel_credentials(open(peer["tls_ca_cert"], "rb").read())
    channel = grpc.secure_channel(peer["address"], credentials,
                                  options=[("grpc.ssl_target_name_override", peer["ssl_target_name_override"])])
    return peer_pb2_grpc.EndorserStub(channel)


def _fabric_prepared(fabric, identity: str, function: str, per_peer: dict[str, tuple[str, ...]]) -> Prepared:
    """A transaction endorsed peer by peer through Fabric's Endorser service, each peer given the same
    signed proposal header but the arguments ``per_peer[msp_id]``; the transaction carries the first
    peer's result and every peer's endorsement."""
    ident = fabric.wallet.get(identity)
    first, txid = fabric._proposal(ident, function, next(iter(per_peer.values())))
    header = proposal_pb2.Proposal.FromString(first.proposal_bytes).header
    responses = []
    for msp_id, args in per_peer.items():
        payload = proposal_pb2.Proposal.FromString(fabric._proposal(ident, function, args)[0].proposal_bytes).payload
        proposal = proposal_pb2.Proposal(header=header, payload=payload).SerializeToString()
        signed = proposal_pb2.SignedProposal(proposal_bytes=proposal, signature=ident.sign(proposal))
        response = _endorser(msp_id).ProcessProposal(signed, timeout=30)
        assert response.response.status == 200, response.response.message
        responses.append(response)
    action = transaction_pb2.ChaincodeActionPayload(
        chaincode_proposal_payload=proposal_pb2.Proposal.FromString(first.proposal_bytes).payload,
        action=transaction_pb2.ChaincodeEndorsedAction(proposal_response_payload=responses[0].payload,
                                                       endorsements=[r.endorsement for r in responses]))
    signature_header = common_pb2.Header.FromString(header).signature_header
    transaction = transaction_pb2.Transaction(actions=[transaction_pb2.TransactionAction(
        header=signature_header, payload=action.SerializeToString())])
    payload = common_pb2.Payload(header=common_pb2.Header.FromString(header), data=transaction.SerializeToString())
    return Prepared(identity, function, txid, common_pb2.Envelope(payload=payload.SerializeToString()))


def _embedded_prepared(ledger, identity: str, function: str, args: tuple[str, ...],
                       result_of: tuple[str, ...]) -> Prepared:
    """A transaction of ``args`` carrying the endorsed result of ``result_of`` instead of its own."""
    prepared = ledger.endorse(identity, function, *args)
    other = ledger.endorse(identity, function, *result_of).transaction
    body = {**prepared.transaction, **{name: other[name] for name in ("event", "response", "writes")}}
    return Prepared(identity, function, prepared.txid, body)


def test_endorsements_that_agree_are_committed(fabric, ledger):
    """The control: the same assembly with agreeing peers is a valid transaction on both."""
    args = anchor_args("n1", f"{fresh_month()}-05")
    agreeing = {msp: args for msp in ("Org1MSP", "Org2MSP", "Org3MSP")}
    committed = fabric.commit(_fabric_prepared(fabric, "n1.admin", "Listening:Anchor", agreeing))
    assert committed.payload == ledger.commit(ledger.endorse("n1.admin", "Listening:Anchor", *args)).payload
    assert committed.json()["anchored"] is True


def test_endorsements_that_disagree_are_refused(fabric, ledger):
    month = fresh_month()
    honest, forged = anchor_args("n1", f"{month}-06"), anchor_args("n1", f"{month}-06", seed="forged")
    disagreeing = {"Org1MSP": honest, "Org2MSP": honest, "Org3MSP": forged}
    prepared = _fabric_prepared(fabric, "n1.admin", "Listening:Anchor", disagreeing)
    fabric_message = pytest.raises(LedgerRejected, fabric.commit, prepared).value.message
    embedded = _embedded_prepared(ledger, "n1.admin", "Listening:Anchor", honest, result_of=forged)
    before = ledger.state_hash(), ledger.height()
    embedded_message = pytest.raises(LedgerRejected, ledger.commit, embedded).value.message
    assert fabric_message == embedded_message == ENDORSEMENTS_DISAGREE
    assert (ledger.state_hash(), ledger.height()) == before
    with pytest.raises(LedgerRejected) as missing:
        fabric.evaluate("n1.admin", "Listening:GetAnchor", "n1", f"{month}-06")
    assert missing.value.message == f"node n1 has no anchor for {month}-06."
