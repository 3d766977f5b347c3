"""What the CLI needs from a ledger, whichever backend holds it."""

from dataclasses import dataclass
from typing import Any, Protocol

from chaincode import canonical


@dataclass(frozen=True)
class Committed:
    """A committed transaction: its response payload, transaction id and block number."""

    payload: str
    txid: str
    block: int

    def json(self) -> Any:
        return canonical.loads(self.payload) if self.payload else None


class Gateway(Protocol):
    """Submit and evaluate chaincode functions (``Contract:Function``) as a wallet identity."""

    def submit(self, identity: str, function: str, *args: str) -> Committed: ...

    def evaluate(self, identity: str, function: str, *args: str) -> str: ...

    def key_history(self, key: str) -> list[dict[str, Any]]: ...

    def close(self) -> None: ...
