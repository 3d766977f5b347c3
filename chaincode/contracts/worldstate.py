"""WorldState: every key and value of the world state, page by page, so ledgers compare key by key.

A read-only query (evaluate only: Fabric refuses paginated range queries in a transaction that
writes). Pages are bounded in items and in bytes, so no answer comes near a message limit.
"""

from .. import canonical_json, guards, state, validate
from ..errors import InvalidArgument
from ..state import LedgerContext
from .base import LedgerContract

MAX_ITEMS = 1000
MAX_BYTES = 1 << 20


class WorldState(LedgerContract):
    """The whole world state, composite keys included, in key (byte) order."""

    Name = "WorldState"
    EVALUATE = ("Page",)

    async def Page(self, ctx: LedgerContext, after: str, limit: str) -> str:
        """Up to ``limit`` (1–1000) keys after the key ``after`` ('' = from the first) with their
        values, at most about 1 MiB; ``next`` is the key to pass as ``after`` for the next page,
        '' at the end (consortium member)."""
        await guards.require_member(ctx)
        size = validate.count("limit", limit, 1)
        if size > MAX_ITEMS:
            raise InvalidArgument(f"limit {size} is above the largest page of {MAX_ITEMS} keys.")
        fetched = await state.page(ctx, after + "\x00" if after else state.FIRST_KEY, size)
        items, used = [], 0
        for key, value in fetched:
            used += len(key.encode()) + len(value)
            if items and used > MAX_BYTES:
                break
            items.append([key, value.decode()])
        more = len(items) < len(fetched) or len(fetched) == size
        return canonical_json.dumps({"items": items, "next": items[-1][0] if more and items else ""})
