"""The embedded ledger: runs the chaincode in-process against the SQLite block store.

A transaction is a signed proposal: the creator's certificate must chain to an organisation of
the ledger and its signature must verify, so access control takes the same path as on Fabric.
"""

import asyncio
import hashlib
import os
import time
from pathlib import Path
from typing import Any, Iterator

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from chaincode import canonical_json
from chaincode.dispatch import build_chaincode

from ..client import ENDORSEMENTS_DISAGREE, ChaincodeEvent, Committed, LocalChain, Prepared, state_digest
from ..errors import AccessRejected, ConfigError, EndorsementRejected, LedgerRejected
from ..wallet import Identity, Wallet
from .store import GENESIS, BlockStore, block_hash
from .stub import EmbeddedStub

LEDGER_FILE = "ledger.sqlite"
#: How often a follower of the block log looks for new blocks, in seconds.
POLL_EVERY = 0.2
_CHAINCODE = None


def _chaincode():
    global _CHAINCODE
    if _CHAINCODE is None:
        _CHAINCODE = build_chaincode()
    return _CHAINCODE


def _proposal(identity: Identity, function: str, args: tuple[str, ...]) -> dict[str, Any]:
    nonce = os.urandom(24)
    return {"args": list(args), "creator": {"cert": identity.cert_pem.decode(), "msp_id": identity.msp_id},
            "function": function, "nonce": nonce.hex(), "timestamp_ns": time.time_ns(),
            "txid": hashlib.sha256(nonce + identity.cert_pem).hexdigest()}


def _result(stub: EmbeddedStub, payload: str) -> dict[str, Any]:
    """What a run of a proposal yields, as a block records it: response, writes and event."""
    event = {"name": stub.event[0], "payload": stub.event[1].decode()} if stub.event else None
    writes = [[k, None if v is None else v.decode()] for k, v in sorted(stub.writes.items())]
    return {"event": event, "response": payload, "writes": writes}


class EmbeddedLedger:
    """A ledger folder: ``ledger.sqlite`` and the ``wallet`` of identities."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        if not (self.folder / LEDGER_FILE).exists():
            raise ConfigError(f"no ledger at {self.folder}; run `nineten init` first.")
        self.store = BlockStore(self.folder / LEDGER_FILE)
        self.wallet = Wallet(self.folder / "wallet")
        self.loop = asyncio.new_event_loop()

    @classmethod
    def create(cls, folder: Path, roots: dict[str, bytes]) -> "EmbeddedLedger":
        """Make an empty ledger trusting the organisations' CA certificates ``roots``."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        store = BlockStore(folder / LEDGER_FILE)
        for msp_id, pem in sorted(roots.items()):
            store.add_msp(msp_id, pem)
        store.close()
        return cls(folder)

    def close(self) -> None:
        self.store.close()
        self.loop.close()

    def submit(self, identity: str, function: str, *args: str) -> Committed:
        """Run a transaction and commit it; a rejection raises LedgerRejected and writes nothing."""
        body, writes = self._run(identity, function, args)
        return Committed(body["response"], body["txid"], self.store.commit(body, writes))

    def endorse(self, identity: str, function: str, *args: str) -> Prepared:
        """Run a transaction without committing it: the block body it would add."""
        body = self._run(identity, function, args)[0]
        return Prepared(identity, function, body["txid"], body)

    def commit(self, prepared: Prepared) -> Committed:
        """Commit an endorsed transaction. Its proposal is run again, and an endorsed result (response,
        writes, event) that this does not reproduce is refused, as Fabric's peers refuse a
        transaction whose endorsements disagree."""
        body = prepared.transaction
        stub, payload = self._execute(body["proposal"], bytes.fromhex(body["signature"]))
        if _result(stub, payload) != {name: body[name] for name in ("event", "response", "writes")}:
            raise EndorsementRejected(prepared.function, ENDORSEMENTS_DISAGREE)
        return Committed(payload, body["txid"], self.store.commit(body, stub.writes))

    def _run(self, identity: str, function: str, args: tuple[str, ...]) -> tuple[dict, dict]:
        """The block body of a transaction run now, and its writes."""
        proposal, signature = self._sign(identity, function, args)
        stub, payload = self._execute(proposal, signature)
        body = {"proposal": proposal, "signature": signature.hex(), "timestamp_ns": proposal["timestamp_ns"],
                "txid": proposal["txid"], **_result(stub, payload)}
        return body, stub.writes

    def evaluate(self, identity: str, function: str, *args: str) -> str:
        """Run a query; nothing is written."""
        proposal, signature = self._sign(identity, function, args)
        return self._execute(proposal, signature)[1]

    def _sign(self, identity: str, function: str, args: tuple[str, ...]) -> tuple[dict, bytes]:
        ident = self.wallet.get(identity)
        proposal = _proposal(ident, function, tuple(str(a) for a in args))
        return proposal, ident.sign(canonical_json.dumpb(proposal))

    def _execute(self, proposal: dict[str, Any], signature: bytes) -> tuple[EmbeddedStub, str]:
        self._authenticate(proposal, signature)
        creator = {"mspid": proposal["creator"]["msp_id"], "idBytes": proposal["creator"]["cert"].encode()}
        stub = EmbeddedStub(self.store, proposal["txid"], proposal["timestamp_ns"], creator,
                            proposal["function"], proposal["args"])
        response = self.loop.run_until_complete(_chaincode().invoke(stub))
        if response.status >= 400:
            raise LedgerRejected.of(proposal["function"], response.status, response.message)
        return stub, response.payload.decode()

    def _authenticate(self, proposal: dict[str, Any], signature: bytes) -> None:
        """The creator's certificate chains to its MSP's root and signed this proposal."""
        msp_id, cert_pem = proposal["creator"]["msp_id"], proposal["creator"]["cert"].encode()
        root_pem = self.store.msp_root(msp_id)
        if root_pem is None:
            raise AccessRejected(proposal["function"], f"organisation {msp_id} is not a member of this ledger.")
        cert = x509.load_pem_x509_certificate(cert_pem)
        try:
            cert.verify_directly_issued_by(x509.load_pem_x509_certificate(root_pem))
            cert.public_key().verify(signature, canonical_json.dumpb(proposal), ec.ECDSA(hashes.SHA256()))
        except (InvalidSignature, ValueError, TypeError):
            raise AccessRejected(proposal["function"],
                                 f"the creator's certificate or signature is not valid for {msp_id}.") from None

    def key_history(self, identity: str, key: str) -> list[dict[str, Any]]:
        """Every write of ``key``, newest first, with its transaction and block, read from the block
        store itself (whoever ``identity`` is: the ledger file is on this machine)."""
        return [{"txid": t, "block": b, "timestamp_ns": ts, "value": v.decode() if v else None,
                 "is_delete": d} for t, b, ts, v, d in self.store.history(key)]

    def state_items(self) -> Iterator[tuple[str, bytes]]:
        """Every (key, value) of the world state in key order, read from the block store itself."""
        return self.store.state_items()

    def state_hash(self) -> str:
        """The world state's digest, read from the block store itself."""
        return state_digest(self.store.state_items())

    def local_chain(self) -> LocalChain:
        """This ledger's own block log."""
        return self

    def chaincode_events(self, identity: str, start_block: int | None, after_txid: str = "") -> Iterator[ChaincodeEvent]:
        """The events of the block log (one transaction per block), from ``start_block`` (None: the
        next block committed); polls for blocks other processes commit. Whoever ``identity`` is: the
        ledger file is on this machine."""
        number = self.store.height() if start_block is None else start_block
        while True:
            block = self.store.block(number)
            if block is None:
                time.sleep(POLL_EVERY)
                continue
            if block["event"] and not (number == start_block and block["txid"] == after_txid):
                yield ChaincodeEvent(number, block["txid"], block["event"]["name"], block["event"]["payload"])
            number += 1

    def height(self) -> int:
        """The number of blocks."""
        return self.store.height()

    def block(self, number: int) -> dict[str, Any] | None:
        """Block ``number``'s body with its hash, or None past the head."""
        return self.store.block(number)

    def verify(self) -> tuple[int, list[str]]:
        """Re-walk the chain: links, hashes, signatures, and state and history replayed from blocks.

        Returns (blocks checked, problems found).
        """
        problems: list[str] = []
        replayed: dict[str, bytes] = {}
        expected_history: list[tuple[str, int, bytes | None]] = []
        prev_hash, count = GENESIS, 0
        for number, stored_prev, stored_hash, text in self.store.blocks():
            count += 1
            if number != count - 1:
                problems.append(f"block {number}: expected number {count - 1}.")
            if stored_prev != prev_hash:
                problems.append(f"block {number}: prev_hash does not match block {number - 1}'s hash.")
            if block_hash(number, stored_prev, text) != stored_hash:
                problems.append(f"block {number}: hash does not match its content.")
            body = canonical_json.loads(text)
            try:
                self._authenticate(body["proposal"], bytes.fromhex(body["signature"]))
            except LedgerRejected as exc:
                problems.append(f"block {number}: {exc.message}")
            for key, value in body["writes"]:
                raw = None if value is None else value.encode()
                expected_history.append((key, number, raw))
                if raw is None:
                    replayed.pop(key, None)
                else:
                    replayed[key] = raw
            prev_hash = stored_hash
        if state_digest(iter(sorted(replayed.items()))) != self.state_hash():
            problems.append("world state differs from the state replayed from the blocks.")
        if expected_history != sorted(self.store.history_rows(), key=lambda r: (r[1], r[0])):
            problems.append("key history differs from the writes recorded in the blocks.")
        return count, problems
