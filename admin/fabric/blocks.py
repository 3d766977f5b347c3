"""What a Fabric block records: the writes of its valid transactions.

A transaction's writes are in its endorsed result (``ChaincodeAction.results``, a TxReadWriteSet),
one KVRWSet per namespace (chaincode). Only transactions that the peers validated (the block's
``TRANSACTIONS_FILTER`` metadata says VALID) changed the world state: the peers' history database
indexes exactly those writes, and so does :func:`writes`.
"""

from dataclasses import dataclass

from fabric_protos.common import common_pb2
from fabric_protos.ledger.rwset import rwset_pb2
from fabric_protos.ledger.rwset.kvrwset import kv_rwset_pb2
from fabric_protos.peer import proposal_pb2, proposal_response_pb2, transaction_pb2


@dataclass(frozen=True)
class Write:
    """One key written by one valid transaction (``value`` None for a delete)."""

    key: str
    block: int
    txid: str
    timestamp_ns: int
    value: bytes | None


def writes(block: common_pb2.Block, namespace: str) -> list[Write]:
    """Every write in ``namespace`` by the block's valid transactions, in block order."""
    flags = block.metadata.metadata[common_pb2.BlockMetadataIndex.TRANSACTIONS_FILTER]
    found = []
    for index, data in enumerate(block.data.data):
        payload, header = _channel_header(data)
        valid = index < len(flags) and flags[index] == transaction_pb2.TxValidationCode.VALID
        if not valid or header.type != common_pb2.HeaderType.ENDORSER_TRANSACTION:
            continue
        timestamp_ns = header.timestamp.seconds * 10**9 + header.timestamp.nanos
        for action in transaction_pb2.Transaction.FromString(payload.data).actions:
            endorsed = transaction_pb2.ChaincodeActionPayload.FromString(action.payload).action
            response = proposal_response_pb2.ProposalResponsePayload.FromString(endorsed.proposal_response_payload)
            results = proposal_pb2.ChaincodeAction.FromString(response.extension).results
            for space in rwset_pb2.TxReadWriteSet.FromString(results).ns_rwset:
                if space.namespace != namespace:
                    continue
                found += [Write(w.key, block.header.number, header.tx_id, timestamp_ns,
                                None if w.is_delete else bytes(w.value))
                          for w in kv_rwset_pb2.KVRWSet.FromString(space.rwset).writes]
    return found


def _channel_header(envelope: bytes) -> tuple[common_pb2.Payload, common_pb2.ChannelHeader]:
    payload = common_pb2.Payload.FromString(common_pb2.Envelope.FromString(envelope).payload)
    return payload, common_pb2.ChannelHeader.FromString(payload.header.channel_header)
