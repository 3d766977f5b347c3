"""An artist catalogue file into consortium proposals (``nineten consortium artists import``).

The file is CSV (a header naming its columns; several MBIDs or aliases in one cell separated by
``|``) or JSON lines (one object per line, ``mbids`` and ``aliases`` as lists), with the columns

    id, name, wallet (needed for a new artist), mbids, isni, aliases

Every row is checked first with the chaincode's own checks (:mod:`chaincode.artist_ids`,
:func:`chaincode.artists.check_artist`) and against the chain: an artist already registered
keeps its name and wallet (a wallet changes by ``set_artist_wallet``), an ISNI once set stays,
an MBID names one artist. A bad row is named by file, line and field, and nothing is proposed.

The rows, sorted by id, are cut into chunks of :data:`chaincode.artists.MAX_IMPORT`; each
chunk becomes one ``import_artists`` proposal of what the chain does not hold yet (new artists,
identifiers new to an artist). The same file imported again proposes nothing new: a chunk the
chain already holds is skipped, and a chunk proposed but not yet applied is the same proposal.
"""

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from chaincode import artist_ids, artists, validate
from chaincode.errors import InvalidArgument

from .errors import InputError
from .formats import Problem

COLUMNS = ("id", "name", "wallet", "mbids", "isni", "aliases")
LISTS = ("mbids", "aliases")
SEPARATOR = "|"


@dataclass
class Plan:
    """What a file adds to the chain: per chunk, its import_artists payload (None when the chain
    already holds the whole chunk); how many rows are new artists, extensions, or already held."""

    payloads: list[dict[str, list] | None] = field(default_factory=list)
    registers: int = 0
    extends: int = 0
    unchanged: int = 0


def read_rows(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """(line, row) of every artist of a CSV or JSON-lines file; InputError for a file that is
    neither, or a line that is not a JSON object."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            return _csv_rows(path)
        if suffix in (".jsonl", ".ndjson"):
            return _json_rows(path)
    except UnicodeDecodeError as exc:
        raise InputError(f"is not UTF-8 text ({exc.reason})", str(path)) from None
    raise InputError(f"unknown file type {path.suffix!r}; an artist catalogue is .csv or .jsonl", str(path))


def _csv_rows(path: Path) -> list[tuple[int, dict[str, Any]]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        unknown = [c for c in header if c not in COLUMNS]
        missing = [c for c in ("id", "name") if c not in header]
        if unknown or missing or len(set(header)) != len(header):
            raise InputError(f"header must name columns among {','.join(COLUMNS)} (id and name at least), each "
                             f"once; got {','.join(header)}", str(path), 1)
        rows = []
        for line, row in enumerate(reader, start=2):
            values = {k: (v or "").strip() for k, v in row.items() if k is not None}
            rows.append((line, {k: ([p.strip() for p in v.split(SEPARATOR) if p.strip()] if k in LISTS else v)
                                for k, v in values.items() if v}))
        return rows


def _json_rows(path: Path) -> list[tuple[int, dict[str, Any]]]:
    rows = []
    with path.open(encoding="utf-8-sig") as handle:
        for line, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            try:
                row = json.loads(text)
            except json.JSONDecodeError as exc:
                raise InputError(f"is not valid JSON: {exc.msg} (column {exc.colno})", str(path), line,
                                 "(json)") from None
            if not isinstance(row, dict):
                raise InputError("is not a JSON object", str(path), line, "(json)")
            unknown = sorted(set(row) - set(COLUMNS))
            if unknown:
                raise InputError(f"is not a column of an artist catalogue ({', '.join(COLUMNS)})", str(path),
                                 line, unknown[0])
            rows.append((line, {k: v for k, v in row.items() if v not in (None, "", [])}))
    return rows


class _Row:
    """One row's checks, each problem located by the row's line and the field checked."""

    def __init__(self, file: str, line: int, problems: list[Problem]) -> None:
        self.file, self.line, self.problems, self.failed = file, line, problems, False

    def check(self, name: str, check: Callable[[], Any]) -> Any:
        """``check()``, or None with its refusal recorded as a problem of field ``name``."""
        try:
            return check()
        except InvalidArgument as exc:
            self.fail(name, str(exc).rstrip("."))
            return None

    def fail(self, name: str, message: str) -> None:
        self.problems.append(Problem(self.file, self.line, name, message))
        self.failed = True


def plan(path: Path, rows: list[tuple[int, dict[str, Any]]], chain: Iterable[dict[str, Any]]
         ) -> tuple[Plan, list[Problem]]:
    """The proposals a catalogue file makes against the chain's artist records, or its problems."""
    file, problems = str(path), []
    on_chain = {a["id"]: a for a in chain}
    owners = {mbid: a["id"] for a in on_chain.values() for mbid in a["mbids"]}
    lines: dict[str, int] = {}
    entries: dict[str, tuple[str, dict[str, Any]] | None] = {}
    for line, raw in rows:
        row = _Row(file, line, problems)
        artist_id = row.check("id", lambda: validate.ident("artist id", raw.get("id")))
        if artist_id is None:
            continue
        if artist_id in lines:
            row.fail("id", f"artist {artist_id} is also on line {lines[artist_id]}")
            continue
        lines[artist_id] = line
        existing = on_chain.get(artist_id)
        entry = _extension(row, raw, existing) if existing else _registration(row, raw)
        for mbid in (entry[1]["mbids"] if entry else ()):
            owner = owners.setdefault(mbid, artist_id)
            if owner != artist_id:
                where = f" (line {lines[owner]})" if owner in lines and owner not in on_chain else ""
                row.fail("mbids", f"MusicBrainz id {mbid} already names artist {owner}{where}")
        entries[artist_id] = entry
    result = Plan()
    ordered = sorted(entries)
    for start in range(0, len(ordered), artists.MAX_IMPORT):
        payload: dict[str, list] = {"extend": [], "register": []}
        for artist_id in ordered[start:start + artists.MAX_IMPORT]:
            entry = entries[artist_id]
            if entry is None:
                result.unchanged += 1
            else:
                payload[entry[0]].append(entry[1])
        result.registers += len(payload["register"])
        result.extends += len(payload["extend"])
        result.payloads.append(payload if payload["register"] or payload["extend"] else None)
    order = {column: i for i, column in enumerate(COLUMNS)}
    return result, sorted(problems, key=lambda p: (p.line, order.get(p.field, len(order))))


def _registration(row: _Row, raw: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """A new artist's register entry, each field checked as the chaincode checks it."""
    artist_id = raw["id"]

    def required(column: str, check: Callable[[Any], Any]) -> Any:
        if raw.get(column) is None:
            row.fail(column, f"is missing: artist {artist_id} is new, and a new artist needs a {column}")
            return None
        return row.check(column, lambda: check(raw[column]))

    name = required("name", lambda v: validate.text("artist name", v, 300)) or ""
    entry = {"aliases": row.check("aliases", lambda: artist_ids.aliases(raw.get("aliases"), artist_id, name)),
             "id": artist_id, "isni": row.check("isni", lambda: artists.check_isni(raw)),
             "mbids": row.check("mbids", lambda: artist_ids.mbids(raw.get("mbids"), artist_id)),
             "name": name, "wallet": required("wallet", lambda v: validate.ident("artist wallet", v))}
    if row.failed or row.check("id", lambda: artists.check_artist(entry)) is None:
        return None
    return "register", entry


def _extension(row: _Row, raw: dict[str, Any], artist: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """What a row adds to a registered artist (its extend entry), None when nothing."""
    artist_id, name = artist["id"], artist["name"]
    if raw.get("name") is not None and raw["name"] != name:
        row.fail("name", f"artist {artist_id} is registered as {name!r}; put {raw['name']!r} among its aliases")
    if raw.get("wallet") is not None and raw["wallet"] != artist["wallet"]:
        row.fail("wallet", f"artist {artist_id}'s wallet is {artist['wallet']}; change it with a "
                 "set_artist_wallet proposal")
    isni = row.check("isni", lambda: artists.check_isni(raw))
    if isni and artist["isni"] and isni != artist["isni"]:
        row.fail("isni", f"artist {artist_id}'s ISNI is {artist['isni']}, not {isni}")
    mbids = row.check("mbids", lambda: artist_ids.mbids(
        artist["mbids"] + artist_ids.mbids(raw.get("mbids"), artist_id), artist_id))
    aliases = row.check("aliases", lambda: artist_ids.aliases(
        artist["aliases"] + artist_ids.aliases(raw.get("aliases"), artist_id, name), artist_id, name))
    if row.failed:
        return None
    change = {"aliases": sorted(set(aliases) - set(artist["aliases"])), "id": artist_id,
              "isni": "" if isni == artist["isni"] else isni, "mbids": sorted(set(mbids) - set(artist["mbids"]))}
    return ("extend", change) if change["aliases"] or change["isni"] or change["mbids"] else None
