"""Listening: per node and day, the anchor of the node's daily report file.

An anchor is the SHA-256 of the canonical report file with its row, listener, play and second
counts; the file stays with the node and its reviewers. A day is anchored once; a correction
replaces it and keeps the replaced hash, with the reason, under ``superseded``. Nothing changes
while the node's month is sealed (it unseals it to correct a day: ``Allocations:Unseal``) or once
its part of the month is settled.
"""

from typing import Any

from .. import canonical_json, guards, records, state, validate
from ..errors import Conflict, InvalidArgument, NotFound
from ..guards import node_admin, refuse_node_settled, refuse_sealed
from ..records import Anchor
from ..rules import MAX_PLAY_SECONDS
from ..state import LedgerContext
from .base import LedgerContract

COUNTS = ("rows", "listeners", "plays", "seconds")


def _counts(counts: str) -> dict[str, int]:
    data = validate.json_arg("counts", counts)
    if not isinstance(data, dict) or set(data) != set(COUNTS):
        raise InvalidArgument("counts must be a JSON object with exactly rows, listeners, plays and seconds.")
    for name in COUNTS:
        value = data[name]
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InvalidArgument(f"counts {name} {value!r} is not a whole number of at least 0.")
    for name in ("plays", "listeners"):
        if data[name] > data["rows"]:
            raise InvalidArgument(f"counts {name} {data[name]} exceeds rows {data['rows']}.")
    if data["seconds"] > data["plays"] * MAX_PLAY_SECONDS:
        raise InvalidArgument(f"counts seconds {data['seconds']} exceeds plays {data['plays']} times "
                              f"{MAX_PLAY_SECONDS} (a play lasts at most a day).")
    return {name: data[name] for name in COUNTS}


async def _args(ctx: LedgerContext, node: str, date: str, sha256: str, counts: str) -> dict[str, Any]:
    """The caller check and the anchor's current fields (without ``superseded``)."""
    await node_admin(ctx, node)
    return {"date": validate.date(date), "node": node, "sha256": validate.sha256("sha256", sha256),
            **_counts(counts)}


async def _refuse_closed(ctx: LedgerContext, node: str, date: str) -> None:
    await refuse_node_settled(ctx, date[:7], node, "anchors")
    await refuse_sealed(ctx, date[:7], node, "anchors")


def _same(anchor: Anchor, fields: dict[str, Any]) -> bool:
    return all(anchor[name] == fields[name] for name in ("sha256", *COUNTS))


class Listening(LedgerContract):
    """Daily anchors of the nodes' listening reports."""

    Name = "Listening"
    EVALUATE = ("GetAnchor", "ListAnchors")

    async def Anchor(self, ctx: LedgerContext, node: str, date: str, sha256: str, counts: str) -> str:
        """Anchor a node's report of a day: its SHA-256 and counts {rows, listeners, plays, seconds};
        the same anchor again is a no-op (node admin)."""
        fields = await _args(ctx, node, date, sha256, counts)
        existing = await state.get(ctx, records.ANCHOR, node, fields["date"])
        if existing is not None and _same(existing, fields):
            return canonical_json.dumps({"anchored": False, "anchor": existing})
        await _refuse_closed(ctx, node, fields["date"])
        if existing is not None:
            raise Conflict(
                f"node {node} already anchored {fields['date']} with sha256 {existing['sha256']}; "
                "submit a correction (Listening:Correct) to replace it."
            )
        record = {**fields, "superseded": []}
        await state.put(ctx, record, records.ANCHOR, node, fields["date"])
        state.emit(ctx, "Listening.Anchor", {"date": fields["date"], "node": node, "sha256": fields["sha256"]})
        return canonical_json.dumps({"anchored": True, "anchor": record})

    async def Correct(self, ctx: LedgerContext, node: str, date: str, sha256: str, counts: str,
                      reason: str) -> str:
        """Replace a day's anchor, keeping the replaced one with the reason under ``superseded``;
        the same correction again is a no-op (node admin)."""
        fields = await _args(ctx, node, date, sha256, counts)
        if not validate.text("reason", reason).strip():
            raise InvalidArgument(f"correcting the anchor of {fields['date']} needs a reason.")
        existing = await state.get(ctx, records.ANCHOR, node, fields["date"])
        if existing is None:
            raise NotFound(f"node {node} has no anchor for {fields['date']} to correct.")
        if _same(existing, fields):
            if existing["superseded"] and existing["superseded"][-1]["reason"] == reason:
                return canonical_json.dumps({"corrected": False, "anchor": existing})
            raise Conflict(
                f"node {node} already anchored {fields['date']} with sha256 {fields['sha256']} "
                "and these counts; there is nothing to correct."
            )
        await _refuse_closed(ctx, node, fields["date"])
        replaced = {name: existing[name] for name in ("sha256", *COUNTS)}
        record = {**fields, "superseded": existing["superseded"] + [{**replaced, "reason": reason}]}
        await state.put(ctx, record, records.ANCHOR, node, fields["date"])
        state.emit(ctx, "Listening.Correct", {"date": fields["date"], "node": node, "reason": reason,
                                              "replaced": existing["sha256"], "sha256": fields["sha256"]})
        return canonical_json.dumps({"corrected": True, "anchor": record})

    async def GetAnchor(self, ctx: LedgerContext, node: str, date: str) -> str:
        """A node's anchor of a day."""
        await guards.require_member(ctx)
        validate.ident("node", node)
        validate.date(date)
        record = await state.must_get(ctx, f"node {node} has no anchor for {date}.", records.ANCHOR, node, date)
        return canonical_json.dumps(record)

    async def ListAnchors(self, ctx: LedgerContext, node: str, month: str) -> str:
        """A node's anchors of a month, by date."""
        await guards.require_member(ctx)
        validate.ident("node", node)
        prefix = validate.month(month) + "-"
        return canonical_json.dumps([record for record in await state.records(ctx, records.ANCHOR, node)
                                      if record["date"].startswith(prefix)])
