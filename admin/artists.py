"""The artist catalogue: which ledger artist a play's artist is — by MusicBrainz id, then by alias.

Built from the chain's artist records (``Registry:ListArtists``): a record's ``name`` and its
``aliases`` (other exact spellings, transliterations, an ActivityPub actor URL), and its
``mbids`` (MusicBrainz artist ids), registered through the consortium
(:mod:`chaincode.artist_ids`). Names and aliases match exactly after Unicode NFC; MBIDs
lower-case. A name, alias or MBID that two artists claim matches neither: it is ambiguous, and
the play is unmapped like any other.

An unmapped artist is either refused, or kept under
:func:`chaincode.artist_ids.unregistered_id` of its name, a stable id every node derives the
same way, whose money the ledger holds until the artist registers, or until an artist with
that name or alias does (DESIGN, payout rule 9).
"""

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from chaincode import validate
from chaincode.artist_ids import nfc as _nfc
from chaincode.errors import InvalidArgument

from .readers.model import ArtistRef


def is_ledger_id(value: str) -> bool:
    """Whether ``value`` is a valid ledger id (chaincode.validate.ident)."""
    try:
        validate.ident("artist id", value)
    except InvalidArgument:
        return False
    return True


@dataclass(frozen=True)
class Match:
    """The ledger artist of a reference, or None and why not (one phrase)."""

    artist_id: str | None
    why: str = ""


class ArtistCatalogue:
    """Ledger artist ids by MBID, by exact alias and by id."""

    def __init__(self, records: Iterable[Mapping[str, Any]]) -> None:
        by_mbid: dict[str, set[str]] = defaultdict(set)
        by_alias: dict[str, set[str]] = defaultdict(set)
        self.ids: set[str] = set()
        for record in records:
            artist = record["id"]
            self.ids.add(artist)
            for mbid in record.get("mbids") or ():
                by_mbid[mbid.strip().lower()].add(artist)
            for alias in [record.get("name"), *(record.get("aliases") or ())]:
                if alias:
                    by_alias[_nfc(alias)].add(artist)
        self.by_mbid = {k: sorted(v) for k, v in by_mbid.items()}
        self.by_alias = {k: sorted(v) for k, v in by_alias.items()}

    def match(self, ref: ArtistRef) -> Match:
        """By the primary MBIDs, then the name and aliases exactly, then a registered ledger id."""
        ambiguous = []
        for mbid in ref.mbids:
            found = self.by_mbid.get(mbid, [])
            if len(found) == 1:
                return Match(found[0])
            if found:
                ambiguous.append(f"MusicBrainz id {mbid} is claimed by {', '.join(found)}")
        for alias in (ref.name, *ref.aliases):
            found = self.by_alias.get(_nfc(alias), [])
            if len(found) == 1:
                return Match(found[0])
            if found:
                ambiguous.append(f"{alias!r} names {', '.join(found)}")
        if ref.ledger_id in self.ids:
            return Match(ref.ledger_id)
        if ambiguous:
            return Match(None, "ambiguous: " + "; ".join(ambiguous))
        tried = "its MusicBrainz id, name or alias" if ref.mbids else "its name or alias"
        return Match(None, f"no registered artist has {tried}")

    def map_id(self, value: str) -> str | None:
        """A value of an ``artist_id`` column: a registered id as is, an alias of one artist as its
        id, any other valid id as is (an artist not registered yet); None when none of these."""
        if value in self.ids:
            return value
        found = self.by_alias.get(_nfc(value), [])
        if len(found) == 1:
            return found[0]
        return value if is_ledger_id(value) else None
