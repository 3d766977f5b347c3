"""What an audit reads from the chain: query answers, and the transaction and block behind each record.

Everything goes through a :class:`admin.session.Session`: queries as its reader identity, and the
key history of its gateway (``Gateway.key_history``), which any backend can provide: the embedded
ledger from its block store, Fabric from the peers.
"""

from dataclasses import dataclass
from typing import Any

from admin.errors import NinetenError
from admin.session import Session
from chaincode import canonical_json

_NS, _SEP = "\x00", "\x00"


def composite_key(object_type: str, *attributes: str) -> str:
    """The world-state key of a record, as the chaincode's stub builds it."""
    return _NS + object_type + _SEP + "".join(str(a) + _SEP for a in attributes)


@dataclass(frozen=True)
class Write:
    """One committed write of a key: its transaction, block and value (None for a delete)."""

    txid: str
    block: int
    value: Any

    def source(self) -> dict[str, Any]:
        return {"block": self.block, "txid": self.txid}


class MissingHistory(NinetenError):
    """A record read by a query has no write in the key history."""

    exit_code = 4


class ChainReader:
    """Queries and key histories of one session, as its reader identity."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.identity = session.reader()

    def query(self, function: str, *args: Any) -> Any:
        return self.session.query(self.identity, function, *args)

    def history(self, object_type: str, *attributes: str) -> list[Write]:
        """Every write of a record, oldest first (key histories come newest first)."""
        key = composite_key(object_type, *attributes)
        return [Write(h["txid"], h["block"], canonical_json.loads(h["value"]) if h["value"] else None)
                for h in reversed(self.session.gateway.key_history(self.identity, key))]

    def source(self, object_type: str, *attributes: str) -> dict[str, Any]:
        """{"block", "txid"} of the write that left a record as it is."""
        writes = self.history(object_type, *attributes)
        if not writes:
            shown = "/".join((object_type, *attributes))
            raise MissingHistory(f"the record {shown} has no write in the ledger's key history.")
        return writes[-1].source()
