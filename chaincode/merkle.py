"""The Merkle tree of a node's month: one leaf per listener allocation, sorted by pseudonym.

leaf = SHA-256(0x00 || canonical JSON {"artists": [[artist, weight], ...], "listener": pseudonym})
node = SHA-256(0x01 || left || right); an odd last node is carried up unchanged.
The root of no leaves is SHA-256 of the empty string.
"""

import hashlib
from typing import Sequence

from . import canonical_json


def leaf(listener: str, artists: Sequence[Sequence]) -> bytes:
    """The leaf hash of one listener's allocation (artists as [artist_id, weight] pairs)."""
    if not isinstance(listener, str):
        raise TypeError(f"a leaf's listener is a pseudonym, not {listener!r}")
    body = {"artists": [[str(a), int(w)] for a, w in artists], "listener": listener}
    return hashlib.sha256(b"\x00" + canonical_json.dumpb(body, float_free=True)).digest()


def _parent(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _level_up(level: list[bytes]) -> list[bytes]:
    pairs = [_parent(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
    return pairs + ([level[-1]] if len(level) % 2 else [])


def root(leaves: Sequence[bytes]) -> str:
    """Hex root of leaves already in pseudonym order."""
    level = list(leaves)
    if not level:
        return hashlib.sha256(b"").hexdigest()
    while len(level) > 1:
        level = _level_up(level)
    return level[0].hex()


def proof(leaves: Sequence[bytes], index: int) -> list[tuple[str, str]]:
    """The audit path of leaf ``index``: (side, sibling hex) pairs from the bottom up."""
    level, path = list(leaves), []
    while len(level) > 1:
        sibling = index ^ 1
        if sibling < len(level):
            path.append(("left" if sibling < index else "right", level[sibling].hex()))
        level, index = _level_up(level), index // 2
    return path


def verify(leaf_hash: bytes, path: Sequence[Sequence[str]], expected_root: str) -> bool:
    """True if ``path`` leads from ``leaf_hash`` to ``expected_root``."""
    current = leaf_hash
    for side, sibling in path:
        other = bytes.fromhex(sibling)
        current = _parent(other, current) if side == "left" else _parent(current, other)
    return current.hex() == expected_root
