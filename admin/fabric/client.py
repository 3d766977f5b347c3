"""Submit and evaluate chaincode functions on a Fabric 2.5 network through the Fabric Gateway.

Each call builds and signs a Fabric proposal with a wallet identity and sends it over TLS to the
peer of the identity's own organisation; that peer's gateway collects endorsements per the
chaincode's policy, orders the transaction and reports its commit status.
"""

import hashlib
import os
import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Iterator, Sequence

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from fabric_protos.common import common_pb2, ledger_pb2
from fabric_protos.gateway import gateway_pb2, gateway_pb2_grpc
from fabric_protos.orderer import ab_pb2
from fabric_protos.msp import identities_pb2
from fabric_protos.peer import chaincode_pb2, proposal_pb2, proposal_response_pb2, transaction_pb2

from ..client import ENDORSEMENTS_DISAGREE, ChaincodeEvent, Committed, Prepared
from ..errors import ConfigError, EndorsementRejected, LedgerRejected
from ..wallet import Identity, Wallet
from . import blocks
from .profile import load_profile, organisations

# How long a call may take: endorsement and commit wait for the orderer to cut a block.
# (Endorsing the settlement of a month of 20,000 artists takes about a minute on the local network:
# the peers allow 300 s, see network/network.sh.)
ENDORSE_TIMEOUT, SUBMIT_TIMEOUT, EVALUATE_TIMEOUT = 300.0, 30.0, 30.0
# How long a transaction may take to be reported committed, and after how long without a report
# the same signed transaction is sent to the orderers again.
COMMIT_TIMEOUT, RESUBMIT_AFTER = 90.0, 15.0
CONNECT_TIMEOUT = 10.0
# Blocks read at once when reading the chain (key histories).
CALLS_IN_FLIGHT = 4
MAX_MESSAGE = 100 * 1024 * 1024  # as the peers allow (gRPC clients default to 4 MiB answers)
# How long a call is sent again while the peers cannot reach the chaincode server, the orderers or
# each other (a restart, a Raft election, a network partition) or do not yet see enough
# organisations (gossip converging after `up`), and the pauses between tries.
RETRY_FOR, RETRY_FIRST_PAUSE, RETRY_MAX_PAUSE = 60.0, 0.2, 2.0
#: Endorsers that disagree are asked again for this long: peers endorsing a transaction right after
#: the block before it may not all have committed that block yet (the caller's gateway peer has),
#: so for a moment their results differ; a chaincode whose results really differ is still refused.
LAG_FOR = 3.0
# How many times a transaction is endorsed when what it read changed before it was committed.
STALE_TRIES = 5
# How long a call waits for its peer to hold every block this client saw its transactions committed
# in (another organisation's peer may not have the block the caller's own peer reported yet).
CATCH_UP_FOR = 30.0
# The peers' query system chaincode: blocks and transactions of a channel.
QSCC = "qscc"
# Peer messages of an endorsement that another try can get: the chaincode server is down or went
# away mid-transaction, or the peer does not run the chaincode definition just committed (its
# organisation has not approved it yet).
_TRY_AGAIN = ("could not launch chaincode", "chaincode stream terminated", "has not yet been approved by this org")
# The caller's peer endorsed, but too few others did: they are unreachable, restarting, or have not
# yet committed the block the caller's peer read (their chaincode refuses, or answers otherwise).
_TOO_FEW = "failed to collect enough transaction endorsements"
# A transaction that wrote nothing because the state it read changed before it was committed
# (another transaction's write, or a new chaincode definition): endorsing it again is safe.
_STALE = (transaction_pb2.TxValidationCode.MVCC_READ_CONFLICT, transaction_pb2.TxValidationCode.PHANTOM_READ_CONFLICT)
# Nothing was endorsed yet: the gateway's discovery sees too few organisations' peers for the policy.
_NO_PLAN = "no combination of peers can be derived"
# A peer reports a chaincode refusal as "chaincode response STATUS, MESSAGE" (the status is its kind).
_CHAINCODE_MESSAGE = re.compile(r"chaincode response (\d+), (.*)", re.DOTALL)
# The gateway's note on an endorser whose result differs from the others'.
_MISMATCH = "ProposalResponsePayloads do not match"


class FabricClient:
    """The ledger client of a Fabric network: a connection profile (``network/README.md``) and the
    wallet of a ledger folder."""

    def __init__(self, profile: dict[str, Any], wallet: Wallet, profile_path: Path | None = None) -> None:
        self.profile, self.wallet = profile, wallet
        self.profile_path = profile_path
        try:
            self.channel = str(profile["channel"])
            self.chaincode = str(profile["chaincode"])
        except KeyError as exc:
            raise ConfigError(f"the connection profile {profile_path} lacks {exc}; "
                              "see network/README.md for its fields.") from None
        self.orgs = organisations(profile, profile_path)
        self._channels: dict[str, grpc.Channel] = {}
        self._blocks: dict[str, int] = {}  # transaction id -> number of its block
        self._needed = 0  # the chain height holding every transaction this client saw committed
        self._heights: dict[str, int] = {}  # peer address -> a chain height it is known to hold
        self._writes: dict[str, list[blocks.Write]] = {}  # key -> its writes in the blocks read, oldest first
        self._blocks_read = 0

    @classmethod
    def from_profile(cls, profile_path: Path, ledger_folder: Path) -> "FabricClient":
        return cls(load_profile(profile_path), Wallet(Path(ledger_folder) / "wallet"), Path(profile_path))

    def close(self) -> None:
        for channel in self._channels.values():
            channel.close()
        self._channels.clear()

    # -- the LedgerClient interface ----------------------------------------------------------------

    def submit(self, identity: str, function: str, *args: str) -> Committed:
        """Endorse, order and commit a transaction; a rejection raises LedgerRejected. A transaction
        invalidated because what it read changed before it was committed (it wrote nothing) is
        endorsed again, up to STALE_TRIES times."""
        for _ in range(STALE_TRIES - 1):
            prepared = self.endorse(identity, function, *args)
            status = self._order(prepared)
            if status.result not in _STALE:
                return _committed(prepared, status)
        return self.commit(self.endorse(identity, function, *args))

    def endorse(self, identity: str, function: str, *args: str) -> Prepared:
        """Have the peers run the transaction and collect the endorsements the policy needs."""
        ident = self.wallet.get(identity)
        stub, address = self._stub(ident)
        self._catch_up(ident, stub, address)
        proposal, txid = self._proposal(ident, function, args)
        endorse = gateway_pb2.EndorseRequest(transaction_id=txid, channel_id=self.channel,
                                             proposed_transaction=proposal)
        envelope = self._call(stub.Endorse, endorse, ENDORSE_TIMEOUT, function, address).prepared_transaction
        return Prepared(identity, function, txid, envelope)

    def commit(self, prepared: Prepared) -> Committed:
        """Sign an endorsed transaction, have it ordered and wait until the peers validate it."""
        return _committed(prepared, self._order(prepared))

    def _order(self, prepared: Prepared) -> gateway_pb2.CommitStatusResponse:
        """Sign an endorsed transaction, send it to the orderers and wait for its validation code.

        Every try sends this same signed transaction, so it is committed at most once: a copy that
        reaches the ledger twice is invalidated by the peers as a duplicate transaction id, and the
        status reported is the first copy's. It is sent again when its commit is not reported within
        RESUBMIT_AFTER: an orderer that accepted it may have lost it (a Raft leader that fails
        before replicating it).
        """
        ident = self.wallet.get(prepared.identity)
        stub, address = self._stub(ident)
        function, txid = prepared.function, prepared.txid
        unsigned = prepared.transaction.payload
        envelope = common_pb2.Envelope(payload=unsigned, signature=ident.sign(unsigned))
        submit = gateway_pb2.SubmitRequest(transaction_id=txid, channel_id=self.channel, prepared_transaction=envelope)
        request = gateway_pb2.CommitStatusRequest(transaction_id=txid, channel_id=self.channel,
                                                  identity=_creator(ident)).SerializeToString()
        signed = gateway_pb2.SignedCommitStatusRequest(request=request, signature=ident.sign(request))
        deadline = time.monotonic() + COMMIT_TIMEOUT
        while True:
            self._call(stub.Submit, submit, SUBMIT_TIMEOUT, function, address)
            try:
                status = stub.CommitStatus(signed, timeout=min(RESUBMIT_AFTER, max(deadline - time.monotonic(), 1.0)))
                self._saw(address, status.block_number + 1)
                return status
            except grpc.RpcError as exc:
                waited = exc.code() == grpc.StatusCode.DEADLINE_EXCEEDED
                if not (waited or _transient(exc)) or time.monotonic() >= deadline:
                    raise _translate(exc, function, address) from None
                if not waited:
                    time.sleep(RETRY_MAX_PAUSE)

    def evaluate(self, identity: str, function: str, *args: str) -> str:
        """Run a query on the caller's organisation's peer; nothing is written."""
        return self._evaluate(identity, self.chaincode, function, args).decode()

    def local_chain(self) -> None:
        """None: the peers keep and validate the blocks (``qscc`` reads them)."""
        return None

    def key_histories(self, identity: str, keys: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """Every write of each key, newest first, with its transaction and block, read as
        ``identity`` from the channel's blocks (``qscc``; each block once per client, new blocks
        when asked again).

        The peers' history database (``History:ForKeys``) answers the same, but re-reads, for every
        key, the whole transaction that wrote it: some 20 ms a key for the thousands of payouts one
        ``Settlement:Settle`` writes, where reading the blocks costs the same for any number of keys.
        """
        self._read_blocks(identity)
        return {key: [{"txid": w.txid, "block": w.block, "timestamp_ns": w.timestamp_ns,
                       "value": None if w.value is None else w.value.decode(), "is_delete": w.value is None}
                      for w in reversed(self._writes.get(key, []))] for key in keys}

    def _read_blocks(self, identity: str) -> None:
        """Add the writes of the blocks committed since the last read, :data:`CALLS_IN_FLIGHT` at once."""
        height = ledger_pb2.BlockchainInfo.FromString(
            self._evaluate(identity, QSCC, "GetChainInfo", (self.channel,))).height

        def block(number: int) -> common_pb2.Block:
            return common_pb2.Block.FromString(
                self._evaluate(identity, QSCC, "GetBlockByNumber", (self.channel, str(number))))

        with ThreadPoolExecutor(CALLS_IN_FLIGHT) as pool:
            for read in pool.map(block, range(self._blocks_read, height)):
                for write in blocks.writes(read, self.chaincode):
                    self._writes.setdefault(write.key, []).append(write)
        self._blocks_read = max(self._blocks_read, height)

    def system_query(self, identity: str, chaincode: str, function: str, *args: str) -> bytes:
        """The answer of a system chaincode (``qscc``, ``cscc``) on the caller's organisation's peer."""
        return self._evaluate(identity, chaincode, function, args)

    def chaincode_events(self, identity: str, start_block: int | None, after_txid: str = "") -> Iterator[ChaincodeEvent]:
        """The chaincode's events through the Gateway's ``ChaincodeEvents`` (valid transactions only),
        from ``start_block`` (None: the next block committed) after ``after_txid`` within it. A stream
        the peer drops (a restart) is opened again after the last event yielded, for up to RETRY_FOR."""
        ident = self.wallet.get(identity)
        stub, address = self._stub(ident)
        failed_since = None
        while True:
            start = (ab_pb2.SeekPosition(next_commit=ab_pb2.SeekNextCommit()) if start_block is None
                     else ab_pb2.SeekPosition(specified=ab_pb2.SeekSpecified(number=start_block)))
            request = gateway_pb2.ChaincodeEventsRequest(
                channel_id=self.channel, chaincode_id=self.chaincode, identity=_creator(ident),
                start_position=start, after_transaction_id=after_txid).SerializeToString()
            try:
                for response in stub.ChaincodeEvents(gateway_pb2.SignedChaincodeEventsRequest(
                        request=request, signature=ident.sign(request))):
                    failed_since = None
                    for event in response.events:
                        start_block, after_txid = response.block_number, event.tx_id
                        yield ChaincodeEvent(response.block_number, event.tx_id, event.event_name,
                                             event.payload.decode())
            except grpc.RpcError as exc:
                failed_since = failed_since or time.monotonic()
                if exc.code() != grpc.StatusCode.UNAVAILABLE or time.monotonic() - failed_since > RETRY_FOR:
                    raise _translate(exc, "ChaincodeEvents", address) from None
                time.sleep(RETRY_MAX_PAUSE)

    # -- plumbing --------------------------------------------------------------------------------

    def _evaluate(self, identity: str, chaincode: str, function: str, args: tuple[str, ...]) -> bytes:
        """The payload of ``chaincode``'s ``function(*args)`` run on the caller's organisation's peer,
        once that peer holds every block this client saw its transactions committed in."""
        ident = self.wallet.get(identity)
        stub, address = self._stub(ident)
        self._catch_up(ident, stub, address)
        return self._evaluate_on(ident, stub, address, chaincode, function, args)

    def _evaluate_on(self, ident: Identity, stub: gateway_pb2_grpc.GatewayStub, address: str, chaincode: str,
                     function: str, args: tuple[str, ...]) -> bytes:
        proposal, txid = self._proposal(ident, function, args, chaincode)
        request = gateway_pb2.EvaluateRequest(transaction_id=txid, channel_id=self.channel,
                                              proposed_transaction=proposal)
        return self._call(stub.Evaluate, request, EVALUATE_TIMEOUT, function, address).result.payload

    def _saw(self, address: str, height: int) -> None:
        """The peer at ``address`` reported a transaction of this client committed below ``height``."""
        self._needed = max(self._needed, height)
        self._heights[address] = max(self._heights.get(address, 0), height)

    def _catch_up(self, ident: Identity, stub: gateway_pb2_grpc.GatewayStub, address: str) -> None:
        """Wait (at most CATCH_UP_FOR) until the peer at ``address`` holds every block this client saw
        its transactions committed in, so a call through another organisation's peer reads what the
        calls before it wrote; a peer still behind then answers as it is."""
        deadline = time.monotonic() + CATCH_UP_FOR
        while self._heights.get(address, 0) < self._needed:
            info = ledger_pb2.BlockchainInfo.FromString(
                self._evaluate_on(ident, stub, address, QSCC, "GetChainInfo", (self.channel,)))
            self._heights[address] = max(self._heights.get(address, 0), info.height)
            if self._heights[address] >= self._needed or time.monotonic() >= deadline:
                return
            time.sleep(0.1)

    def _stub(self, ident: Identity) -> tuple[gateway_pb2_grpc.GatewayStub, str]:
        org = self.orgs.get(ident.msp_id)
        if org is None:
            known = ", ".join(sorted(self.orgs)) or "none"
            raise ConfigError(f"identity {ident.name!r} is of {ident.msp_id}, which has no peer in the "
                              f"connection profile {self.profile_path} (it has: {known}).")
        peer = org.get("peer") or {}
        address = peer.get("address")
        if not address or not peer.get("tls_ca_cert"):
            raise ConfigError(f"the connection profile {self.profile_path} gives no peer address "
                              f"or tls_ca_cert for {ident.msp_id}.")
        if address not in self._channels:
            try:
                root = Path(peer["tls_ca_cert"]).read_bytes()
            except OSError as exc:
                raise ConfigError(f"cannot read the TLS CA certificate of {ident.msp_id}'s peer "
                                  f"{peer['tls_ca_cert']}: {exc.strerror}.") from None
            options = [("grpc.max_receive_message_length", MAX_MESSAGE),
                       ("grpc.max_send_message_length", MAX_MESSAGE)]
            if peer.get("ssl_target_name_override"):
                options.append(("grpc.ssl_target_name_override", peer["ssl_target_name_override"]))
            channel = grpc.secure_channel(address, grpc.ssl_channel_credentials(root), options=options)
            try:
                grpc.channel_ready_future(channel).result(timeout=CONNECT_TIMEOUT)
            except grpc.FutureTimeoutError:
                channel.close()
                raise ConfigError(f"the peer of {ident.msp_id} at {address} is unreachable "
                                  f"(no TLS connection within {CONNECT_TIMEOUT:.0f}s); "
                                  "is the network up (network/network.sh status)?") from None
            self._channels[address] = channel
        return gateway_pb2_grpc.GatewayStub(self._channels[address]), address

    def _proposal(self, ident: Identity, function: str, args: tuple[str, ...],
                  chaincode: str | None = None) -> tuple[proposal_pb2.SignedProposal, str]:
        """A signed proposal invoking ``function(*args)`` of ``chaincode`` (default: ours) as
        ``ident``, and its transaction id."""
        creator = _creator(ident)
        nonce = os.urandom(24)
        txid = hashlib.sha256(nonce + creator).hexdigest()
        chaincode_id = chaincode_pb2.ChaincodeID(name=chaincode or self.chaincode)
        timestamp = Timestamp()
        timestamp.FromNanoseconds(time.time_ns())
        channel_header = common_pb2.ChannelHeader(
            type=common_pb2.HeaderType.ENDORSER_TRANSACTION, channel_id=self.channel, tx_id=txid,
            timestamp=timestamp,
            extension=proposal_pb2.ChaincodeHeaderExtension(chaincode_id=chaincode_id).SerializeToString())
        header = common_pb2.Header(
            channel_header=channel_header.SerializeToString(),
            signature_header=common_pb2.SignatureHeader(creator=creator, nonce=nonce).SerializeToString())
        spec = chaincode_pb2.ChaincodeSpec(
            type=chaincode_pb2.ChaincodeSpec.Type.NODE, chaincode_id=chaincode_id,
            input=chaincode_pb2.ChaincodeInput(args=[a.encode() for a in (function, *map(str, args))]))
        payload = proposal_pb2.ChaincodeProposalPayload(
            input=chaincode_pb2.ChaincodeInvocationSpec(chaincode_spec=spec).SerializeToString())
        proposal = proposal_pb2.Proposal(header=header.SerializeToString(),
                                         payload=payload.SerializeToString()).SerializeToString()
        return proposal_pb2.SignedProposal(proposal_bytes=proposal, signature=ident.sign(proposal)), txid

    def _call(self, method, request, timeout: float, function: str, address: str):
        """One gRPC call, sent again while the failure is transient (see ``_transient``), or while
        endorsers disagree for up to ``LAG_FOR`` seconds."""
        started, pause = time.monotonic(), RETRY_FIRST_PAUSE
        while True:
            try:
                return method(request, timeout=timeout)
            except grpc.RpcError as exc:
                lagging = _disagree(exc) and time.monotonic() + pause <= started + LAG_FOR
                if not (_transient(exc) or lagging) or time.monotonic() + pause > started + RETRY_FOR:
                    raise _translate(exc, function, address) from None
            time.sleep(pause)
            pause = min(pause * 2, RETRY_MAX_PAUSE)


def _creator(ident: Identity) -> bytes:
    return identities_pb2.SerializedIdentity(mspid=ident.msp_id, id_bytes=ident.cert_pem).SerializeToString()


def _response_payload(envelope: common_pb2.Envelope) -> bytes:
    """The chaincode's response payload inside a prepared transaction envelope."""
    payload = common_pb2.Payload.FromString(envelope.payload)
    tx = transaction_pb2.Transaction.FromString(payload.data)
    if not tx.actions:
        return b""
    action = transaction_pb2.ChaincodeActionPayload.FromString(tx.actions[0].payload)
    prp = proposal_response_pb2.ProposalResponsePayload.FromString(action.action.proposal_response_payload)
    return proposal_pb2.ChaincodeAction.FromString(prp.extension).response.payload


def _transient(exc: grpc.RpcError) -> bool:
    """A failure a later try of the same request can get past: a chaincode server, an orderer or a
    peer is restarting, unreachable or behind, or took too long (every try sends the same signed
    request, so none can land twice). A refusal by the caller's own peer's chaincode or a
    validation failure is not."""
    code = exc.code()
    if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
        return True
    if code == grpc.StatusCode.FAILED_PRECONDITION:
        return _NO_PLAN in (exc.details() or "")
    if code == grpc.StatusCode.ABORTED and _TOO_FEW in (exc.details() or ""):
        return True
    messages = [d.message for d in _error_details(exc)]
    return code == grpc.StatusCode.ABORTED and bool(messages) and all(
        any(again in message for again in _TRY_AGAIN) for message in messages)


def _committed(prepared: Prepared, status: gateway_pb2.CommitStatusResponse) -> Committed:
    """The committed transaction, or LedgerRejected when the peers invalidated it."""
    function, txid = prepared.function, prepared.txid
    if status.result == transaction_pb2.TxValidationCode.ENDORSEMENT_POLICY_FAILURE:
        raise EndorsementRejected(function, ENDORSEMENTS_DISAGREE)
    if status.result != transaction_pb2.TxValidationCode.VALID:
        code = transaction_pb2.TxValidationCode.Name(status.result)
        raise LedgerRejected(function, f"transaction {txid} was not committed: validation code {code} "
                                       f"(block {status.block_number}).")
    return Committed(_response_payload(prepared.transaction).decode(), txid, status.block_number)


def _disagree(exc: grpc.RpcError) -> bool:
    """Whether the gateway found the endorsers' results different."""
    return any(_MISMATCH in message for message in [d.message for d in _error_details(exc)] + [exc.details() or ""])


def _translate(exc: grpc.RpcError, function: str, address: str) -> Exception:
    """A gRPC failure as the CLI's error: the chaincode's own refusal, or what went wrong."""
    code, details = exc.code(), exc.details() or ""
    if code == grpc.StatusCode.UNAVAILABLE and not _error_details(exc):
        return ConfigError(f"the peer at {address} is unreachable: {details}")
    messages = [d.message for d in _error_details(exc)] + [details]
    if _disagree(exc):
        return EndorsementRejected(function, ENDORSEMENTS_DISAGREE)
    for message in messages:
        match = _CHAINCODE_MESSAGE.search(message)
        if match and int(match.group(1)) >= 400:
            return LedgerRejected.of(function, int(match.group(1)), match.group(2))
    described = "; ".join(f"{d.msp_id or d.address}: {d.message}" for d in _error_details(exc))
    return LedgerRejected(function, f"{details}" + (f" ({described})" if described else ""))


def _error_details(exc: grpc.RpcError) -> list[gateway_pb2.ErrorDetail]:
    """The ErrorDetail messages of a google.rpc.Status in the call's trailing metadata."""
    for key, value in (exc.trailing_metadata() or ()):
        if key == "grpc-status-details-bin":
            details = []
            for any_bytes in _fields(value, 3):              # Status.details: repeated Any
                type_url = b"".join(_fields(any_bytes, 1)).decode(errors="replace")
                if type_url.endswith("gateway.ErrorDetail"):
                    for body in _fields(any_bytes, 2):
                        details.append(gateway_pb2.ErrorDetail.FromString(body))
            return details
    return []


def _fields(data: bytes, number: int) -> list[bytes]:
    """The length-delimited fields ``number`` of a serialized protobuf message."""
    found, i = [], 0
    while i < len(data):
        key, i = _varint(data, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            _, i = _varint(data, i)
        elif wire == 1:
            i += 8
        elif wire == 5:
            i += 4
        elif wire == 2:
            length, i = _varint(data, i)
            if field == number:
                found.append(data[i:i + length])
            i += length
        else:
            break
    return found


def _varint(data: bytes, i: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, i
