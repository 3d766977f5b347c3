"""The whole world state read through the chaincode (``WorldState:Page``), on either backend."""

from typing import Iterator

from .session import Session

PAGE = 500


def world_state(session: Session, identity: str | None = None) -> Iterator[tuple[str, bytes]]:
    """Every (key, value) of the world state in key order, page by page, as ``identity`` (a reader)."""
    reader, after = identity or session.reader(), ""
    while True:
        page = session.query(reader, "WorldState:Page", after, str(PAGE))
        for key, value in page["items"]:
            yield key, value.encode()
        after = page["next"]
        if not after:
            return
