"""Checking a file of an audit document against the chain, by rendering the document again.

The document is deterministic (:mod:`reports.render`): the same chain renders the same bytes. So a
file verifies when it is, byte for byte, a file of the month's document as the chain renders it:
now, or as of the block an anchored document (or the file itself) says its figures are as of, where
this machine keeps the blocks to replay the chain to that block (the embedded ledger). What is
anchored on chain is reported, never trusted: an anchor whose files the chain does not render (a
forged manifest, or another renderer's document) is named as such.
"""

import difflib
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from admin.errors import InputError, LedgerRejected, Mismatch
from chaincode import records
from chaincode.contracts.audit import Audit
from chaincode.money import format_micro

from .chain import ChainReader
from .figures import collect
from .render import base_name, manifest_name, render_all

_DOCUMENT = re.compile(r"audit-([0-9]{4}-[0-9]{2})")
_AS_OF = re.compile(rb"as of block ([0-9]{1,12})")
_SHOWN = 12

#: A reader of the chain as it was after a block, or None where that cannot be replayed here.
EarlierReader = Callable[[int], ChainReader | None]


def document_month(path: Path, month: str | None) -> str:
    """The month of a document file: ``month``, else the ``audit-YYYY-MM`` start of its name."""
    if month:
        return month
    match = _DOCUMENT.match(path.name)
    if not match:
        raise InputError("the file name does not start with audit-YYYY-MM; give the month with --month.", str(path))
    return match.group(1)


@dataclass(frozen=True)
class Rendering:
    """The month's document as the chain renders it with figures as of ``block``: its files."""

    month: str
    block: int
    files: dict[str, bytes]

    @property
    def sha256(self) -> str:
        """The document's SHA-256: that of its manifest file."""
        return hashlib.sha256(self.files[manifest_name(self.month)]).hexdigest()

    def named(self, data: bytes, name: str) -> str | None:
        """The name of the file of this rendering whose bytes are ``data`` (``name`` first), or None."""
        if self.files.get(name) == data:
            return name
        return next((n for n, d in sorted(self.files.items()) if d == data), None)


class Renderer:
    """The month's document rendered from the chain now, and as of earlier blocks where possible."""

    def __init__(self, reader: ChainReader, month: str, earlier: EarlierReader) -> None:
        self.reader, self.month, self.earlier = reader, month, earlier
        self._now: Rendering | None = None
        self._as_of: dict[int, Rendering | None] = {}

    def now(self) -> Rendering:
        if self._now is None:
            model = collect(self.reader, self.month)
            self._now = Rendering(self.month, model["as_of_block"], render_all(model))
        return self._now

    def as_of(self, block: int) -> Rendering | None:
        """The document rendered from the chain as it was after ``block`` (None where the chain cannot
        be replayed to it here, or had no settled month then); the current one at its own block."""
        if block == self.now().block:
            return self.now()
        if block not in self._as_of:
            self._as_of[block] = self._render_at(block)
        return self._as_of[block]

    def _render_at(self, block: int) -> Rendering | None:
        if not 0 <= block < self.now().block:
            return None
        reader = self.earlier(block)
        if reader is None:
            return None
        try:
            model = collect(reader, self.month)
        except LedgerRejected:
            return None
        finally:
            reader.connection.client.close()
        return Rendering(self.month, model["as_of_block"], render_all(model))


def verify_document(reader: ChainReader, renderer: Renderer, path: Path) -> tuple[str, list[str]]:
    """(the sentence saying which rendering of the month ``path`` is, notes on anchors the chain does
    not render); Mismatch listing what differs when the chain does not render the file."""
    month, data = renderer.month, path.read_bytes()
    documents = reader.query(Audit.ListDocuments, month)
    now = renderer.now()
    claimed = _claimed_block(data)
    candidates = [now] + [renderer.as_of(block) for block in
                          sorted({d["as_of_block"] for d in documents} | {claimed} - {None, now.block}, reverse=True)]
    for rendering in filter(None, candidates):
        name = rendering.named(data, path.name)
        if name is not None:
            return _matched(reader, path, name, rendering, now, documents), _unrendered(renderer, documents)
    digest = hashlib.sha256(data).hexdigest()
    base = (renderer.as_of(claimed) if claimed is not None else None) or now
    differences = [f"the document {d['sha256']} anchored by node {d['anchored_by']} lists this file's SHA-256, but "
                   f"the chain does not render it: that anchor vouches for nothing"
                   for d in documents if digest in d["files"].values() or digest == d["sha256"]]
    differences += _unrendered(renderer, documents)
    differences += _differences(base, path.name, data)
    where = f"as of block {base.block}" + ("" if base is now else f" (it renders {month} as of block {now.block} now)")
    raise Mismatch(f"{path} does not match the chain: it is no file of the {month} audit document the chain renders "
                   f"{where}.", differences)


def _matched(reader: ChainReader, path: Path, name: str, rendering: Rendering, now: Rendering,
             documents: list[dict[str, Any]]) -> str:
    """The sentence for a file the chain renders: which file, as of which block, anchored or not."""
    month = rendering.month
    anchors = [d for d in documents if d["sha256"] == rendering.sha256]
    if anchors:
        d = anchors[0]
        source = reader.source(records.AUDIT_DOCUMENT, month, d["sha256"], d["anchored_by"])
        anchored = (f"anchored by node {d['anchored_by']} in block {source['block']} "
                    f"(transaction {source['txid']})")
    else:
        anchored = "not anchored on chain (audit report anchors it)"
    later = "" if rendering is now else f"; the chain has changed since: it renders {month} as of block {now.block} now"
    return (f"{path.name} matches {name} of the {month} audit document {rendering.sha256} as the chain renders it "
            f"(figures as of block {rendering.block}), {anchored}{later}.")


def _unrendered(renderer: Renderer, documents: list[dict[str, Any]]) -> list[str]:
    """A note for each anchored document of the month whose files the chain does not render."""
    found = []
    for d in documents:
        rendering = renderer.as_of(d["as_of_block"])
        if rendering is not None and rendering.sha256 == d["sha256"]:
            continue
        who = f"the document {d['sha256']} anchored by node {d['anchored_by']} (figures as of block {d['as_of_block']})"
        if rendering is None:
            found.append(f"{who} cannot be rendered again here: the chain cannot be replayed to that block on "
                         f"this machine")
            continue
        rendered = {name: hashlib.sha256(data).hexdigest() for name, data in rendering.files.items()}
        names = sorted(name for name, sha in d["files"].items() if rendered.get(name) != sha)
        found.append(f"{who} lists files the chain does not render: {', '.join(names) or 'its manifest'}")
    return found


def _claimed_block(data: bytes) -> int | None:
    """The block a document file says its figures are as of (JSON's as_of_block, or the text
    "as of block N" of the Markdown, HTML and PDF), or None."""
    try:
        value = json.loads(data)
        block = value.get("as_of_block") if isinstance(value, dict) else None
        return block if isinstance(block, int) and not isinstance(block, bool) else None
    except (ValueError, UnicodeDecodeError, RecursionError):
        match = _AS_OF.search(data)
        return int(match.group(1)) if match else None


def _differences(rendering: Rendering, name: str, data: bytes) -> list[str]:
    """What differs between ``data`` and the rendering's file of the same name (or kind)."""
    expected_name = name if name in rendering.files else f"{base_name(rendering.month)}{Path(name).suffix}"
    if expected_name not in rendering.files:
        return [f"{name}: the document has no file of this name or kind"]
    expected = rendering.files[expected_name]
    if expected_name.endswith((".pdf", ".png")):
        return [f"{name}: its bytes are not those of {expected_name} as the chain renders it "
                f"(SHA-256 {hashlib.sha256(data).hexdigest()}, the chain renders {hashlib.sha256(expected).hexdigest()}); "
                f"a PDF or PNG cannot be compared figure by figure: verify the document's JSON, CSV or Markdown"]
    if expected_name.endswith(".json"):
        return _json_differences(data, expected)
    return _line_differences(data, expected)


def _json_differences(actual: bytes, expected: bytes) -> list[str]:
    try:
        have = json.loads(actual)
    except (ValueError, RecursionError) as exc:
        return [f"the file is not valid JSON: {exc}"]
    found: list[str] = []
    _walk("", have, json.loads(expected), found)
    return _capped(found or ["the JSON has the chain's figures, written differently (spacing or key order)"])


def _walk(where: str, have: Any, want: Any, found: list[str]) -> None:
    if isinstance(have, dict) and isinstance(want, dict):
        for name in sorted(set(have) | set(want)):
            _walk(f"{where}.{name}" if where else name, have.get(name), want.get(name), found)
    elif isinstance(have, list) and isinstance(want, list) and len(have) == len(want):
        for index, (a, b) in enumerate(zip(have, want)):
            _walk(f"{where}[{index}]", a, b, found)
    elif have != want:
        found.append(f"{where}: the file says {_shown(where, have)}, the chain says {_shown(where, want)}")


def _shown(where: str, value: Any) -> str:
    if where.endswith("_micro") and isinstance(value, int) and not isinstance(value, bool):
        return format_micro(value)
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 160 else text[:157] + "..."


def _line_differences(actual: bytes, expected: bytes) -> list[str]:
    have = actual.decode(errors="replace").splitlines()
    want = expected.decode().splitlines()
    found = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, have, want, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        for offset in range(max(i2 - i1, j2 - j1)):
            line_have = have[i1 + offset] if i1 + offset < i2 else "(no line)"
            line_want = want[j1 + offset] if j1 + offset < j2 else "(no line)"
            found.append(f"line {i1 + offset + 1}: the file has {_cut(line_have)!r}, the chain renders {_cut(line_want)!r}")
    return _capped(found or ["the lines are the chain's, their endings differ"])


def _cut(line: str) -> str:
    return line if len(line) <= 160 else line[:157] + "..."


def _capped(found: list[str]) -> list[str]:
    if len(found) <= _SHOWN:
        return found
    return found[:_SHOWN] + [f"... and {len(found) - _SHOWN} more difference(s)"]
