"""The embedded ledger: runs the chaincode in-process against the SQLite block store.

A transaction is a signed proposal: the creator's certificate must chain to an organisation of
the ledger, be valid at the time, and its signature must verify, so access control takes the same
path as on Fabric. One writer at a time: a submitted transaction is read, executed and committed
under the store's write lock; an endorsed one is committed only if its read set is unchanged
(Fabric's MVCC check) and running its proposal again reproduces its result.
"""

import asyncio
import datetime as dt
import hashlib
import os
import sys
import time
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from chaincode import canonical_json
from chaincode.dispatch import build_chaincode

from ..client import ENDORSEMENTS_DISAGREE, ChainCheck, ChaincodeEvent, Committed, LocalChain, Prepared, state_digest
from ..errors import (AccessRejected, ConfigError, EndorsementRejected, LedgerBusy, LedgerRejected,
                      ReadConflictRejected)
from ..wallet import Identity, Wallet
from .store import BlockStore
from .stub import RESULT, EmbeddedStub

LEDGER_FILE = "ledger.sqlite"
#: How long a writer waits for another process holding the ledger's write lock.
WAIT_SECONDS = 60.0
#: The refusal of an endorsed transaction whose read set changed before its commit.
READ_CONFLICT = ("a key it read changed after it was endorsed (a read conflict, as Fabric's MVCC check finds), "
                 "so nothing was written; submit it again.")
#: How often a follower of the block log looks for new blocks, in seconds.
POLL_EVERY = 0.2
_CHAINCODE = None


def _chaincode():
    global _CHAINCODE
    if _CHAINCODE is None:
        _CHAINCODE = build_chaincode()
    return _CHAINCODE


def transaction_id(nonce_hex: str, cert_pem: str) -> str:
    """A transaction's id, as Fabric derives it: SHA-256 of the nonce and the creator."""
    return hashlib.sha256(bytes.fromhex(nonce_hex) + cert_pem.encode()).hexdigest()


def _proposal(identity: Identity, function: str, args: tuple[str, ...]) -> dict[str, Any]:
    nonce = os.urandom(24).hex()
    cert = identity.cert_pem.decode()
    return {"args": list(args), "creator": {"cert": cert, "msp_id": identity.msp_id},
            "function": function, "nonce": nonce, "timestamp_ns": time.time_ns(),
            "txid": transaction_id(nonce, cert)}


def _tell(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _utc(timestamp_ns: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(timestamp_ns / 1e9, dt.timezone.utc)


class EmbeddedLedger:
    """A ledger folder: ``ledger.sqlite`` and the ``wallet`` of identities.

    ``wait_seconds`` bounds how long a write waits for another process writing to the same file;
    ``tell`` receives the one sentence saying that it waits."""

    def __init__(self, folder: Path, wait_seconds: float = WAIT_SECONDS,
                 tell: Callable[[str], None] = _tell, store: BlockStore | None = None) -> None:
        self.folder = Path(folder)
        if store is None and not (self.folder / LEDGER_FILE).exists():
            raise ConfigError(f"no ledger at {self.folder}; run `nineten init` first.")
        self.store = store or BlockStore(self.folder / LEDGER_FILE)
        self.wallet = Wallet(self.folder / "wallet")
        self.loop = asyncio.new_event_loop()
        self.wait_seconds, self.tell = wait_seconds, tell

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

    def _writing(self, function: str):
        """The store's write lock, waited for at most ``wait_seconds``; LedgerBusy after that."""
        waiting = lambda: self.tell(f"another process is writing to the ledger {self.folder}; "  # noqa: E731
                                    f"waiting for it (up to {self.wait_seconds:g} s)...")
        busy = lambda: LedgerBusy(function, f"another process held the ledger's write lock for "  # noqa: E731
                                            f"{self.wait_seconds:g} s, so nothing was written; try again "
                                            f"when it is done.")
        return self.store.writing(self.wait_seconds, waiting, busy)

    def submit(self, identity: str, function: str, *args: str) -> Committed:
        """Run a transaction and commit it under the write lock; a rejection raises LedgerRejected
        and writes nothing."""
        with self._writing(function):
            body, writes = self._run(identity, function, args)
            number = self.store.commit(body, writes)
        return Committed(body["response"], body["txid"], number)

    def endorse(self, identity: str, function: str, *args: str) -> Prepared:
        """Run a transaction without committing it: the block body it would add."""
        with self.store.reading():
            body = self._run(identity, function, args)[0]
        return Prepared(identity, function, body["txid"], body)

    def commit(self, prepared: Prepared) -> Committed:
        """Commit an endorsed transaction. A key it read that changed since is a read conflict; its
        proposal is then run again, and an endorsed result (event, reads, response, writes) that
        this does not reproduce is refused, as Fabric's peers refuse a transaction whose
        endorsements disagree."""
        body = prepared.transaction
        with self._writing(prepared.function):
            if self.store.changed_read(body["reads"]) is not None:
                raise ReadConflictRejected(prepared.function, READ_CONFLICT)
            stub, payload = self._execute(body["proposal"], bytes.fromhex(body["signature"]))
            if stub.result(payload) != {name: body[name] for name in RESULT}:
                raise EndorsementRejected(prepared.function, ENDORSEMENTS_DISAGREE)
            number = self.store.commit(body, stub.writes)
        return Committed(payload, body["txid"], number)

    def _run(self, identity: str, function: str, args: tuple[str, ...]) -> tuple[dict, dict]:
        """The block body of a transaction run now, and its writes."""
        proposal, signature = self._sign(identity, function, args)
        stub, payload = self._execute(proposal, signature)
        body = {"proposal": proposal, "signature": signature.hex(), "timestamp_ns": proposal["timestamp_ns"],
                "txid": proposal["txid"], **stub.result(payload)}
        return body, stub.writes

    def evaluate(self, identity: str, function: str, *args: str) -> str:
        """Run a query on one snapshot of the ledger; nothing is written."""
        proposal, signature = self._sign(identity, function, args)
        with self.store.reading():
            return self._execute(proposal, signature)[1]

    def _sign(self, identity: str, function: str, args: tuple[str, ...]) -> tuple[dict, bytes]:
        ident = self.wallet.get(identity)
        proposal = _proposal(ident, function, tuple(str(a) for a in args))
        return proposal, ident.sign(canonical_json.dumpb(proposal))

    def _execute(self, proposal: dict[str, Any], signature: bytes, store: BlockStore | None = None,
                 at_ns: int | None = None) -> tuple[EmbeddedStub, str]:
        """Run a signed proposal against ``store`` (this ledger's by default), its creator checked
        at ``at_ns`` (now by default); a refusal raises LedgerRejected."""
        store = store or self.store
        authenticate(store, proposal, signature, time.time_ns() if at_ns is None else at_ns)
        creator = {"mspid": proposal["creator"]["msp_id"], "idBytes": proposal["creator"]["cert"].encode()}
        stub = EmbeddedStub(store, proposal["txid"], proposal["timestamp_ns"], creator,
                            proposal["function"], proposal["args"])
        response = self.loop.run_until_complete(_chaincode().invoke(stub))
        if response.status >= 400:
            raise LedgerRejected.of(proposal["function"], response.status, response.message)
        return stub, response.payload.decode()

    def key_histories(self, identity: str, keys: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """Every write of each key, newest first, with its transaction and block, read from the block
        store itself (whoever ``identity`` is: the ledger file is on this machine)."""
        return {key: [{"txid": t, "block": b, "timestamp_ns": ts, "value": v.decode() if v else None,
                       "is_delete": d} for t, b, ts, v, d in writes]
                for key, writes in self.store.histories(keys).items()}

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

    def as_of(self, number: int) -> "EmbeddedLedger":
        """This ledger as it was after block ``number``, in memory (queries and key histories only;
        close it when done)."""
        with self.store.reading():
            return EmbeddedLedger(self.folder, store=self.store.snapshot(number + 1))

    def verify(self) -> ChainCheck:
        """Re-walk the chain, re-executing every block (see :func:`admin.embedded.replay.verify_chain`)."""
        from .replay import verify_chain

        with self.store.reading():
            return verify_chain(self.store, self._execute)


def authenticate(store: BlockStore, proposal: dict[str, Any], signature: bytes, at_ns: int) -> None:
    """The creator's certificate chains to its organisation's CA, is valid at ``at_ns`` and signed
    this proposal, whose id is derived from its nonce and creator; AccessRejected otherwise."""
    msp_id, cert_pem = proposal["creator"]["msp_id"], proposal["creator"]["cert"]
    root_pem = store.msp_root(msp_id)
    if root_pem is None:
        raise AccessRejected(proposal["function"], f"organisation {msp_id} is not a member of this ledger.")
    try:
        cert = x509.load_pem_x509_certificate(cert_pem.encode())
        cert.verify_directly_issued_by(x509.load_pem_x509_certificate(root_pem))
        cert.public_key().verify(signature, canonical_json.dumpb(proposal), ec.ECDSA(hashes.SHA256()))
        if proposal["txid"] != transaction_id(proposal["nonce"], cert_pem):
            raise ValueError("the transaction id is not derived from the nonce and creator")
    except (InvalidSignature, ValueError, TypeError, AttributeError, UnsupportedAlgorithm, x509.InvalidVersion):
        raise AccessRejected(proposal["function"],
                             f"the creator's certificate or signature is not valid for {msp_id}.") from None
    moment = _utc(at_ns)
    if not cert.not_valid_before_utc <= moment <= cert.not_valid_after_utc:
        raise AccessRejected(proposal["function"],
                             f"the creator's certificate for {msp_id} is not valid on "
                             f"{moment:%Y-%m-%d %H:%M:%S} UTC (valid from {cert.not_valid_before_utc:%Y-%m-%d} "
                             f"to {cert.not_valid_after_utc:%Y-%m-%d}).")
