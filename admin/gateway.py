"""What the CLI needs from a ledger, whichever backend holds it."""

from dataclasses import dataclass
from typing import Any, Protocol

from chaincode import canonical_json


@dataclass(frozen=True)
class Committed:
    """A committed transaction: its response payload, transaction id and block number."""

    payload: str
    txid: str
    block: int

    def json(self) -> Any:
        return canonical_json.loads(self.payload) if self.payload else None


@dataclass(frozen=True)
class Prepared:
    """An endorsed transaction not yet committed: the identity that signs it, the function it calls,
    its id, and the backend's own form of it (a Fabric envelope, an embedded block body)."""

    identity: str
    function: str
    txid: str
    transaction: Any


#: The refusal of a transaction whose endorsements do not vouch for one result of its proposal
#: (on Fabric: endorsing peers that disagree, or too few of them; on the embedded ledger: an
#: endorsed result that running the proposal again does not reproduce).
ENDORSEMENTS_DISAGREE = ("its endorsements do not agree on one result of its proposal, so it does not "
                         "meet the endorsement policy and nothing was written.")


class Gateway(Protocol):
    """Submit and evaluate chaincode functions (``Contract:Function``) as a wallet identity."""

    def submit(self, identity: str, function: str, *args: str) -> Committed: ...

    def endorse(self, identity: str, function: str, *args: str) -> Prepared: ...

    def commit(self, prepared: Prepared) -> Committed: ...

    def evaluate(self, identity: str, function: str, *args: str) -> str: ...

    def key_history(self, identity: str, key: str) -> list[dict[str, Any]]:
        """Every write of ``key``, newest first: {"txid", "block", "timestamp_ns", "value" (None for
        a delete), "is_delete"}, read as ``identity``."""

    def close(self) -> None: ...
