"""Checking a node's day file against the chain (a file of an audit document: :mod:`reports.verify_document`).

A day file matches when its canonical form hashes to the node's anchor of that day; when it does
not, the hash and each count that differ are listed.
"""

from pathlib import Path

from admin import daycolumns, dayfile
from admin.errors import InputError, Mismatch
from admin.readers.resolve import ReadOptions
from chaincode import records
from chaincode.contracts.listening import Listening
from chaincode.rules import Policy

from .chain import ChainReader


def day_frame(path: Path, secret: bytes | None, fmt: str | None, options: ReadOptions | None = None):
    """The canonical frame of a day file: a canonical day (CSV or columnar) as is, any other file read
    with ``options`` (the catalogue and played-time rule ``listens submit`` reads with) and
    pseudonymised with ``secret``."""
    with path.open("rb") as handle:
        head = handle.read(len(dayfile.HEADER))
    if head == dayfile.HEADER or daycolumns.is_columnar(head):
        return dayfile.read_canonical(path)
    if secret is None:
        raise InputError("this is a raw day file; verifying it needs the node's secret (run it in the node's "
                         "ledger folder) or its canonical form.", str(path))
    return dayfile.load_day(path, secret, fmt, options)


def verify_day(reader: ChainReader, path: Path, node: str, frame, policy: Policy) -> str:
    """The sentence saying the day matches its anchor (its canonical bytes in the day format of
    ``policy``, the policy of its month); Mismatch listing what differs."""
    day = dayfile.day_of(path)
    anchors = {a["date"]: a for a in reader.query(Listening.ListAnchors, node, day[:7])}
    anchor = anchors.get(day)
    if anchor is None:
        raise Mismatch(f"{path} does not match the chain: node {node} anchored no report for {day}.", [])
    computed = dayfile.anchor(frame, policy.min_seconds, policy.day_format)
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
