"""What an audit reads from the chain: query answers, and the transaction and block behind each record.

Everything goes through one :class:`admin.client.Connection` (a reader identity): queries, and the
key history of a record (``Connection.key_history``), which either backend provides: the embedded
ledger from its block store, Fabric from the peers.
"""

from dataclasses import dataclass
from typing import Any

from admin.client import Connection, Transaction
from admin.errors import ChainInconsistent
from chaincode import canonical_json
from chaincode.records import Kind


@dataclass(frozen=True)
class Write:
    """One committed write of a key: its transaction, block and value (None for a delete)."""

    txid: str
    block: int
    value: Any

    def source(self) -> dict[str, Any]:
        return {"block": self.block, "txid": self.txid}


class ChainReader:
    """Queries and key histories, as one reader identity."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.identity = connection.identity

    def query(self, transaction: Transaction, *args: Any) -> Any:
        return self.connection.evaluate(transaction, *args)

    def history(self, kind: Kind, *attributes: str) -> list[Write]:
        """Every write of a record, oldest first (key histories come newest first)."""
        return [Write(h["txid"], h["block"], canonical_json.loads(h["value"]) if h["value"] else None)
                for h in reversed(self.connection.key_history(kind.key(*attributes)))]

    def source(self, kind: Kind, *attributes: str) -> dict[str, Any]:
        """{"block", "txid"} of the write that left a record as it is."""
        writes = self.history(kind, *attributes)
        if not writes:
            shown = "/".join((kind.name, *attributes))
            raise ChainInconsistent(f"the record {shown} has no write in the ledger's key history.")
        return writes[-1].source()
