"""The ledger client: what the tooling needs from a ledger, whichever backend holds it.

Two backends implement :class:`LedgerClient`: the embedded ledger (``admin.embedded.ledger``) and a
Fabric network reached through its peers' Gateway service (``admin.fabric.client``). Calls are in
the shape of fabric-gateway: a :class:`Connection` is one identity's view of the ledger, and a
transaction is named by its contract method (``Settlement.Settle``), so a reader follows a call
straight into the contract::

    session.admin("n1").submit(Settlement.Settle, "2026-10")
    session.reader().evaluate(Settlement.GetSettlement, "2026-10")

What only one backend can do is declared, not discovered: :meth:`LedgerClient.local_chain` is the
block log kept on this machine (the embedded ledger), or None where the peers keep the blocks.
"""

import hashlib
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator, Protocol, Sequence

from chaincode import canonical_json

#: A transaction: a contract method (``Settlement.Settle``) or its wire name ("Settlement:Settle").
Transaction = Callable[..., Any] | str

#: The refusal of a transaction whose endorsements do not vouch for one result of its proposal
#: (on Fabric: endorsing peers that disagree, or too few of them; on the embedded ledger: an
#: endorsed result that running the proposal again does not reproduce).
ENDORSEMENTS_DISAGREE = ("its endorsements do not agree on one result of its proposal, so it does not "
                         "meet the endorsement policy and nothing was written.")


def wire_name(transaction: Transaction) -> str:
    """The name a transaction travels under: ``Contract:Function``."""
    if isinstance(transaction, str):
        return transaction
    contract, _, function = transaction.__qualname__.partition(".")
    return f"{contract}:{function}"


def wire_arg(value: Any) -> str:
    """An argument as it travels: strings as they are, anything else as canonical JSON."""
    return value if isinstance(value, str) else canonical_json.dumps(value)


def state_digest(items: Iterable[tuple[str, bytes]]) -> str:
    """SHA-256 over every (key, value) in key order: equal digests mean equal world states."""
    digest = hashlib.sha256()
    for key, value in items:
        encoded = key.encode()
        digest.update(len(encoded).to_bytes(8, "big") + encoded)
        digest.update(len(value).to_bytes(8, "big") + value)
    return digest.hexdigest()


@dataclass(frozen=True)
class Committed:
    """A committed transaction: its response payload, transaction id and block number."""

    payload: str
    txid: str
    block: int

    def json(self) -> Any:
        return canonical_json.loads(self.payload) if self.payload else None


@dataclass(frozen=True)
class ChaincodeEvent:
    """An event of a committed (valid) transaction: its block, transaction id, name and payload."""

    block: int
    txid: str
    name: str
    payload: str


@dataclass(frozen=True)
class Prepared:
    """An endorsed transaction not yet committed: the identity that signs it, the function it calls,
    its id, and the backend's own form of it (a Fabric envelope, an embedded block body)."""

    identity: str
    function: str
    txid: str
    transaction: Any


@dataclass(frozen=True)
class ChainCheck:
    """What re-walking a block log found: its height, the hash of its head (the last block, or the
    genesis hash of an empty log) and every problem, one sentence each."""

    height: int
    head: str
    problems: list[str]


class LocalChain(Protocol):
    """A block log kept on this machine, which can be re-walked and read block by block."""

    def verify(self) -> ChainCheck:
        """Every block re-executed and compared; see :class:`ChainCheck`."""

    def height(self) -> int: ...

    def block(self, number: int) -> dict[str, Any] | None: ...

    def as_of(self, number: int) -> "LedgerClient":
        """The ledger as it was after block ``number``, for queries and key histories."""


class LedgerClient(Protocol):
    """Submit and evaluate chaincode functions (``Contract:Function``) as a wallet identity."""

    def endorse(self, identity: str, function: str, *args: str) -> Prepared: ...

    def commit(self, prepared: Prepared) -> Committed: ...

    def submit(self, identity: str, function: str, *args: str) -> Committed: ...

    def evaluate(self, identity: str, function: str, *args: str) -> str: ...

    def key_histories(self, identity: str, keys: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """Every write of each of ``keys``, newest first: {key: [{"txid", "block", "timestamp_ns",
        "value" (None for a delete), "is_delete"}, ...]}, read as ``identity``; any number of keys."""

    def local_chain(self) -> LocalChain | None:
        """The block log on this machine, or None (on Fabric the peers keep and validate blocks)."""

    def chaincode_events(self, identity: str, start_block: int | None, after_txid: str = "") -> Iterator[ChaincodeEvent]:
        """The chaincode's events in commit order, from block ``start_block`` (None: the next block
        committed), skipping those of that block up to and including transaction ``after_txid``;
        waits for new blocks, never ends by itself."""

    def close(self) -> None: ...


class Connection:
    """One identity's view of the ledger: submit and evaluate transactions as that identity."""

    def __init__(self, client: LedgerClient, identity: str) -> None:
        self.client, self.identity = client, identity

    def submit(self, transaction: Transaction, *args: Any) -> Committed:
        """Endorse, order and commit; a refusal raises a :class:`admin.errors.LedgerRejected`."""
        return self.client.submit(self.identity, wire_name(transaction), *map(wire_arg, args))

    def endorse(self, transaction: Transaction, *args: Any) -> Prepared:
        """Endorse without committing (commit with ``client.commit``)."""
        return self.client.endorse(self.identity, wire_name(transaction), *map(wire_arg, args))

    def evaluate(self, transaction: Transaction, *args: Any) -> Any:
        """Run a query and parse its JSON answer; nothing is written."""
        return canonical_json.loads(self.client.evaluate(self.identity, wire_name(transaction),
                                                         *map(wire_arg, args)))

    def key_histories(self, keys: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """Every write of each world-state key, newest first (see :meth:`LedgerClient.key_histories`)."""
        return self.client.key_histories(self.identity, keys)

    def world_state(self, page_size: int = 500) -> Iterator[tuple[str, bytes]]:
        """Every (key, value) of the world state in key order, paged through ``WorldState:Page``,
        so both backends answer the same way."""
        after = ""
        while True:
            page = self.evaluate("WorldState:Page", after, str(page_size))
            for key, value in page["items"]:
                yield key, value.encode()
            after = page["next"]
            if not after:
                return
