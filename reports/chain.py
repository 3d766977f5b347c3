"""What an audit reads from the chain: query answers, and the transaction and block behind each record.

Everything goes through one :class:`admin.client.Connection` (a reader identity): queries, and the
key histories of records (``Connection.key_histories``), which either backend provides: the embedded
ledger from its block store, Fabric from the peers in batches. A reader is told which records it
will cite (:meth:`ChainReader.prefetch`) and reads all their histories at once; a record asked for
without that is read alone.
"""

from dataclasses import dataclass
from typing import Any, Iterable

from admin.client import Connection, Transaction
from admin.errors import ChainInconsistent
from chaincode import canonical_json
from chaincode.records import Kind

#: A record: its kind, then its key attributes (as :meth:`ChainReader.source` takes them).
Record = tuple[Kind, *tuple[str, ...]]


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
        self._histories: dict[str, list[Write]] = {}

    def query(self, transaction: Transaction, *args: Any) -> Any:
        return self.connection.evaluate(transaction, *args)

    def prefetch(self, records: Iterable[Record]) -> int:
        """Read the key histories of ``records`` not read yet, all at once; how many were read."""
        keys = [key for key in dict.fromkeys(kind.key(*attributes) for kind, *attributes in records)
                if key not in self._histories]
        if not keys:
            return 0
        for key, history in self.connection.key_histories(keys).items():
            self._histories[key] = [Write(h["txid"], h["block"], canonical_json.loads(h["value"]) if h["value"]
                                          else None) for h in reversed(history)]
        return len(keys)

    def history(self, kind: Kind, *attributes: str) -> list[Write]:
        """Every write of a record, oldest first (key histories come newest first)."""
        self.prefetch([(kind, *attributes)])
        return self._histories[kind.key(*attributes)]

    def source(self, kind: Kind, *attributes: str) -> dict[str, Any]:
        """{"block", "txid"} of the write that left a record as it is."""
        writes = self.history(kind, *attributes)
        if not writes:
            shown = "/".join((kind.name, *attributes))
            raise ChainInconsistent(f"the record {shown} has no write in the ledger's key history.")
        return writes[-1].source()
