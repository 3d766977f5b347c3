"""Audit: the SHA-256 of a settled month's audit document, anchored by an auditor.

An audit document is a set of files rendered from the chain (HTML, PDF, Markdown, CSV, JSON,
plots). Its manifest is the canonical JSON ``{"as_of_block", "files": {name: sha256}, "month"}``,
``as_of_block`` being the newest block any of its figures comes from; the document's SHA-256 is
the SHA-256 of the manifest's bytes, which the contract recomputes.

Record: ("auditdoc", month, sha256, node) → {"anchored_by", "as_of_block", "files", "month",
"sha256"}. The same chain and renderer render the same document, so anchoring it again is a no-op;
a different document of the same month and chain state (a newer renderer: templates or libraries
upgraded) is anchored beside it, each naming the block its figures are as of.
"""

from .. import canonical_json, guards, records, state, validate
from ..errors import InvalidArgument, NotFound
from ..state import LedgerContext
from .base import LedgerContract

#: At most this many files in one document.
MAX_FILES = 32


def document_sha256(month: str, as_of_block: int, files: dict[str, str]) -> str:
    """The SHA-256 of a document's manifest."""
    manifest = {"as_of_block": as_of_block, "files": files, "month": month}
    return canonical_json.sha256(manifest)


def _files(files: str) -> dict[str, str]:
    data = validate.json_arg("files", files)
    if not isinstance(data, dict) or not 1 <= len(data) <= MAX_FILES:
        raise InvalidArgument(f"files must be a JSON object of 1 to {MAX_FILES} file names and their SHA-256.")
    for name, sha in data.items():
        validate.ident("file name", name)
        validate.sha256(f"sha256 of {name}", sha)
    return dict(sorted(data.items()))


class Audit(LedgerContract):
    """Anchors of audit documents."""

    Name = "Audit"
    EVALUATE = ("GetDocument", "ListDocuments")

    async def AnchorDocument(self, ctx: LedgerContext, month: str, sha256: str, as_of_block: str,
                             files: str) -> str:
        """Anchor a settled month's audit document: its SHA-256, the block its figures are as of and
        its files ({name: sha256}); the same document again by the same node is a no-op (auditor or
        admin)."""
        node = await guards.caller_node(ctx, "auditor", "admin")
        validate.month(month)
        validate.sha256("sha256", sha256)
        block = validate.count("as_of_block", as_of_block)
        listed = _files(files)
        expected = document_sha256(month, block, listed)
        if sha256 != expected:
            raise InvalidArgument(f"sha256 {sha256} is not the SHA-256 {expected} of the document's manifest.")
        if await state.get(ctx, records.SETTLEMENT, month) is None:
            raise NotFound(f"{month} is not settled; it has no audit document to anchor.")
        record = {"anchored_by": node["id"], "as_of_block": block, "files": listed, "month": month,
                  "sha256": sha256}
        where = (records.AUDIT_DOCUMENT, month, sha256, node["id"])
        if await state.get(ctx, *where) is not None:
            return canonical_json.dumps({"anchored": False, "document": record})
        await state.put(ctx, record, *where)
        state.emit(ctx, "Audit.AnchorDocument", {"anchored_by": node["id"], "month": month, "sha256": sha256})
        return canonical_json.dumps({"anchored": True, "document": record})

    async def GetDocument(self, ctx: LedgerContext, month: str, sha256: str) -> str:
        """The anchors of a month's audit document with this SHA-256, by node."""
        await guards.require_member(ctx)
        validate.month(month)
        validate.sha256("sha256", sha256)
        found = await state.records(ctx, records.AUDIT_DOCUMENT, month, sha256)
        if not found:
            raise NotFound(f"no audit document of {month} with sha256 {sha256} is anchored.")
        return canonical_json.dumps(found)

    async def ListDocuments(self, ctx: LedgerContext, month: str) -> str:
        """A month's anchored audit documents, by the block their figures are as of, then SHA-256 and node."""
        await guards.require_member(ctx)
        validate.month(month)
        documents = await state.records(ctx, records.AUDIT_DOCUMENT, month)
        return canonical_json.dumps(sorted(documents, key=lambda r: (r["as_of_block"], r["sha256"], r["anchored_by"])))

