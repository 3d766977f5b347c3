"""Daily listening: a node's day file, pseudonymised and canonicalised here, anchored on chain."""

from pathlib import Path
from typing import Any

from . import dayfile
from .session import Session


def canonical_path(session: Session, node: str, day: str) -> Path:
    """Where the canonical (pseudonymised) form of a node's day is kept, to share with reviewers."""
    return session.folder / "days" / node / f"{day}.csv"


def submit_day(session: Session, node: str, path: Path, fmt: str | None = None) -> dict[str, Any]:
    """Read, check, pseudonymise and anchor one day file; returns the anchor and what happened."""
    day = dayfile.day_of(path)
    frame = dayfile.load_day(path, session.config.secret(node), fmt)
    policy = session.query(session.reader(), "Registry:GetPolicy", day[:7])
    anchor = dayfile.anchor(frame, policy["min_seconds"])
    counts = {k: anchor[k] for k in ("listeners", "plays", "rows", "seconds")}
    record = session.submit(session.identity(node), "Listening:Anchor", node, day, anchor["sha256"], counts)
    target = canonical_path(session, node, day)  # written only once the anchor is on chain
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(dayfile.canonical_bytes(frame))
    return {"node": node, "date": day, **anchor, "txid": record.txid, "block": record.block,
            "canonical_file": str(target)}
