"""History: every committed write of world-state keys, as the peer's history database keeps them.

Read-only queries (evaluate only). Each answers what the stub's GetHistoryForKey yields for a key,
newest first: transaction id, transaction timestamp, value and whether the write was a delete.
``ForKeys`` answers for many keys at once, so an audit reading thousands of records makes tens of
calls, not thousands. An answer depends only on committed blocks, never on the evaluating
transaction's clock or id. Block numbers are not in a peer's key history; a client finds them by
transaction id (on Fabric, the ``qscc`` system chaincode).
"""

from .. import canonical_json, guards, validate
from ..errors import InvalidArgument
from ..state import LedgerContext
from .base import LedgerContract

#: The longest key a caller may ask about (Fabric's own limit on state keys is far larger; ours are short).
MAX_KEY = 1024
#: The most keys one ``ForKeys`` call may ask about (its answer stays far below the peers' message limit).
MAX_KEYS = 1000


class History(LedgerContract):
    """Key histories, for audits."""

    Name = "History"
    EVALUATE = ("ForKey", "ForKeys")

    async def ForKey(self, ctx: LedgerContext, key: str) -> str:
        """Every write of the world-state key ``key`` (a composite key, U+0000 separators included),
        newest first: [{"txid", "timestamp_ns", "value" (null for a delete), "is_delete"}]
        (consortium member)."""
        await guards.require_member(ctx)
        return canonical_json.dumps(await _writes(ctx, _key(key)))

    async def ForKeys(self, ctx: LedgerContext, keys: str) -> str:
        """The writes of each key of ``keys`` (a JSON array of 1 to MAX_KEYS keys), as ForKey
        answers them: {key: [...]} (consortium member)."""
        await guards.require_member(ctx)
        wanted = validate.json_arg("keys", keys)
        if not isinstance(wanted, list) or not 1 <= len(wanted) <= MAX_KEYS:
            raise InvalidArgument(f"keys must be a JSON array of 1 to {MAX_KEYS} keys.")
        return canonical_json.dumps({key: await _writes(ctx, _key(key)) for key in wanted})


def _key(key: object) -> str:
    if not isinstance(key, str) or not key or len(key) > MAX_KEY:
        raise InvalidArgument(f"key must be 1 to {MAX_KEY} characters long.")
    return key


async def _writes(ctx: LedgerContext, key: str) -> list[dict]:
    iterator = await ctx.get_stub().get_history_for_key(key)
    return [{"is_delete": bool(m.is_delete), "timestamp_ns": _nanoseconds(m.timestamp),
             "txid": m.tx_id, "value": None if m.is_delete else bytes(m.value).decode()}
            async for m in iterator]


def _nanoseconds(timestamp) -> int:
    """A protobuf Timestamp in integer nanoseconds."""
    return timestamp.seconds * 10**9 + timestamp.nanos
