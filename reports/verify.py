"""Checking a file against the chain: a file of an audit document, or a node's day file.

A document file matches when its SHA-256 is listed by an audit document anchored on chain; when it
does not, the month is rendered again from the chain and what differs is listed (JSON fields, CSV
rows, text lines). A day file matches when its canonical form hashes to the node's anchor of that
day; when it does not, the hash and each count that differ are listed.
"""

import difflib
import hashlib
import json
import re
from pathlib import Path
from typing import Any

from admin import dayfile
from admin.errors import InputError, Mismatch
from admin.readers.resolve import ReadOptions
from chaincode import records
from chaincode.contracts.audit import Audit
from chaincode.contracts.listening import Listening
from chaincode.money import format_micro

from .chain import ChainReader
from .figures import collect
from .render import render_text

_DOCUMENT = re.compile(r"^audit-(\d{4}-\d{2})")
_SHOWN = 12


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def document_month(path: Path, month: str | None) -> str:
    """The month of a document file: ``month``, else the ``audit-YYYY-MM`` start of its name."""
    if month:
        return month
    match = _DOCUMENT.match(path.name)
    if not match:
        raise InputError("the file name does not start with audit-YYYY-MM; give the month with --month.", str(path))
    return match.group(1)


def verify_document(reader: ChainReader, path: Path, month: str) -> str:
    """The sentence saying which anchored document ``path`` belongs to; Mismatch listing what differs."""
    digest = sha256_file(path)
    documents = reader.query(Audit.ListDocuments, month)
    for document in documents:
        named = [name for name, sha in document["files"].items() if sha == digest] or (
            ["the manifest"] if document["sha256"] == digest else [])
        if named:
            source = reader.source(records.AUDIT_DOCUMENT, month, document["sha256"], document["anchored_by"])
            return (f"{path.name} matches {named[0]} of the {month} audit document {document['sha256']} "
                    f"(figures as of block {document['as_of_block']}), anchored by node {document['anchored_by']} "
                    f"in block {source['block']} (transaction {source['txid']}).")
    differences = _differences(reader, path, month, documents)
    raise Mismatch(f"{path} does not match the chain: no audit document of {month} anchored on chain lists its "
                   f"SHA-256 {digest}.", differences)


def _differences(reader: ChainReader, path: Path, month: str, documents: list[dict[str, Any]]) -> list[str]:
    found = []
    for document in documents:
        if path.name in document["files"]:
            found.append(f"{path.name}: the document {document['sha256']} anchored by node "
                         f"{document['anchored_by']} lists SHA-256 {document['files'][path.name]}")
    if not documents:
        found.append(f"no audit document of {month} is anchored on chain")
    expected = render_text(collect(reader, month)).get(path.name)
    if expected is None:
        return found + [f"{path.name}: not a text file of the document; its bytes cannot be compared figure by figure"]
    actual = path.read_bytes()
    if actual == expected:
        return found + [f"{path.name} is what the chain renders now, but this rendering was never anchored"]
    if path.suffix == ".json":
        return found + _json_differences(actual, expected)
    return found + _line_differences(actual, expected)


def _json_differences(actual: bytes, expected: bytes) -> list[str]:
    try:
        have = json.loads(actual)
    except ValueError as exc:
        return [f"the file is not valid JSON: {exc}"]
    found: list[str] = []
    _walk("", have, json.loads(expected), found)
    return _capped(found)


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
    return json.dumps(value)


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
    return _capped(found)


def _cut(line: str) -> str:
    return line if len(line) <= 160 else line[:157] + "..."


def _capped(found: list[str]) -> list[str]:
    if len(found) <= _SHOWN:
        return found
    return found[:_SHOWN] + [f"... and {len(found) - _SHOWN} more difference(s)"]


def is_day_file(path: Path) -> bool:
    return re.match(r"^\d{4}-\d{2}-\d{2}\.", path.name) is not None


def day_frame(path: Path, secret: bytes | None, fmt: str | None, options: ReadOptions | None = None):
    """The canonical frame of a day file: canonical CSV as is, any other file read with ``options``
    (the catalogue and played-time rule ``listens submit`` reads with) and pseudonymised with ``secret``."""
    with path.open("rb") as handle:
        canonical_file = handle.readline() == dayfile.HEADER
    if canonical_file:
        return dayfile.read_canonical(path)
    if secret is None:
        raise InputError("this is a raw day file; verifying it needs the node's secret (run it in the node's "
                         "ledger folder) or its canonical form.", str(path))
    return dayfile.load_day(path, secret, fmt, options)


def verify_day(reader: ChainReader, path: Path, node: str, frame, min_seconds: int) -> str:
    """The sentence saying the day matches its anchor; Mismatch listing what differs."""
    day = dayfile.day_of(path)
    anchors = {a["date"]: a for a in reader.query(Listening.ListAnchors, node, day[:7])}
    anchor = anchors.get(day)
    if anchor is None:
        raise Mismatch(f"{path} does not match the chain: node {node} anchored no report for {day}.", [])
    computed = dayfile.anchor(frame, min_seconds)
    source = reader.source(records.ANCHOR, node, day)
    where = f"node {node}'s anchor of {day} (block {source['block']}, transaction {source['txid']})"
    differences = [f"{name}: the file gives {computed[name]}, the chain anchored {anchor[name]}"
                   for name in ("sha256", "rows", "listeners", "plays", "seconds") if computed[name] != anchor[name]]
    if differences:
        for old in anchor["superseded"]:
            if old["sha256"] == computed["sha256"]:
                differences.append(f"the file matches an anchor that was replaced: {old['reason']}")
        raise Mismatch(f"{path} does not match {where}.", differences)
    return f"{path} matches {where}: sha256 {anchor['sha256']}, {anchor['rows']} rows, {anchor['plays']} counted plays."
