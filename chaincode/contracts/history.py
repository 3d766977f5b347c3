"""History: every committed write of one world-state key, as the peer's history database keeps it.

A read-only query (evaluate only). It answers what the stub's GetHistoryForKey yields, newest
first: transaction id, transaction timestamp, value and whether the write was a delete. The
answer depends only on committed blocks, never on the evaluating transaction's clock or id.
Block numbers are not in a peer's key history; a client finds them by transaction id (on
Fabric, the ``qscc`` system chaincode).
"""

from .. import canonical_json, guards
from ..errors import InvalidArgument
from ..state import LedgerContext
from .base import LedgerContract

#: The longest key a caller may ask about (Fabric's own limit on state keys is far larger; ours are short).
MAX_KEY = 1024


class History(LedgerContract):
    """Key histories, for audits."""

    Name = "History"
    EVALUATE = ("ForKey",)

    async def ForKey(self, ctx: LedgerContext, key: str) -> str:
        """Every write of the world-state key ``key`` (a composite key, U+0000 separators included),
        newest first: [{"txid", "timestamp_ns", "value" (null for a delete), "is_delete"}]
        (consortium member)."""
        await guards.require_member(ctx)
        if not key or len(key) > MAX_KEY:
            raise InvalidArgument(f"key must be 1 to {MAX_KEY} characters long.")
        iterator = await ctx.get_stub().get_history_for_key(key)
        writes = [{"is_delete": bool(m.is_delete), "timestamp_ns": _nanoseconds(m.timestamp),
                   "txid": m.tx_id, "value": None if m.is_delete else bytes(m.value).decode()}
                  async for m in iterator]
        return canonical_json.dumps(writes)


def _nanoseconds(timestamp) -> int:
    """A protobuf Timestamp in integer nanoseconds."""
    return timestamp.seconds * 10**9 + timestamp.nanos
