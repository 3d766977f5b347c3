"""An artist's identifiers beside its ledger id: MusicBrainz artist ids, aliases, and the id of
the money held for an unregistered artist's name.

* ``mbids``: MusicBrainz artist ids, lower-case UUIDs; one MBID names at most one artist;
* ``aliases``: exact spellings beside the name (a transliteration, a platform's spelling, an
  ActivityPub actor URL), compared in Unicode NFC;
* :func:`unregistered_id`: ``unreg:`` and the first 24 hex digits of SHA-256 of a name in NFC,
  the id every node derives for the plays of an artist the catalogue does not know, under which
  the ledger holds its money. The prefix is reserved: an artist registers under such an id only
  when its name or an alias derives it (:func:`check_reserved`), and money held under the id of
  a name is released to the one registered artist with that name or alias
  (:func:`chaincode.held.payee`).

NFC follows the Unicode tables of the Python that runs the chaincode and the tools (3.11).
"""

import hashlib
import re
import unicodedata
from typing import Any, Iterable

from .errors import InvalidArgument

UNREGISTERED_PREFIX = "unreg:"
#: At most this many MusicBrainz ids, and aliases, per artist; at most this long an alias.
MAX_MBIDS, MAX_ALIASES, ALIAS_LIMIT = 20, 50, 300

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def nfc(text: str) -> str:
    """``text`` in Unicode normalisation form C."""
    return unicodedata.normalize("NFC", text)


def unregistered_id(name: str) -> str:
    """``unreg:`` and the first 24 hex digits of SHA-256 of the UTF-8 of the name in NFC."""
    return UNREGISTERED_PREFIX + hashlib.sha256(nfc(name).encode("utf-8")).hexdigest()[:24]


def is_unregistered(artist_id: str) -> bool:
    """Whether ``artist_id`` is in the reserved ``unreg:`` space."""
    return artist_id.startswith(UNREGISTERED_PREFIX)


def names(artist: dict[str, Any]) -> list[str]:
    """An artist record's name and aliases."""
    return [artist["name"], *artist["aliases"]]


def mbids(value: Any, artist_id: str) -> list[str]:
    """MusicBrainz artist ids, lower-cased, each once, sorted ([] when absent)."""
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_MBIDS:
        raise InvalidArgument(f"artist {artist_id} mbids must be a list of at most {MAX_MBIDS} MusicBrainz ids.")
    found = set()
    for mbid in value:
        if not isinstance(mbid, str) or not _UUID.match(mbid.lower()):
            raise InvalidArgument(f"artist {artist_id} mbid {mbid!r} is not a MusicBrainz id "
                                  "(a UUID, 8-4-4-4-12 hex digits).")
        found.add(mbid.lower())
    return sorted(found)


def aliases(value: Any, artist_id: str, name: str) -> list[str]:
    """Aliases in NFC, each once, sorted, without the name itself ([] when absent)."""
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_ALIASES:
        raise InvalidArgument(f"artist {artist_id} aliases must be a list of at most {MAX_ALIASES} texts.")
    found = set()
    for alias in value:
        if not isinstance(alias, str) or not alias or len(alias) > ALIAS_LIMIT:
            raise InvalidArgument(f"artist {artist_id} alias {alias!r} is not a text of 1 to {ALIAS_LIMIT} characters.")
        if alias != alias.strip() or _CONTROL.search(alias):
            raise InvalidArgument(f"artist {artist_id} alias {alias!r} has spaces around it or a control character.")
        found.add(nfc(alias))
    return sorted(found - {nfc(name)})


def check_reserved(artist_id: str, artist_names: Iterable[str]) -> None:
    """Refuse an ``unreg:`` id that none of the artist's names derives: that id's held money
    belongs to the name it was derived from."""
    artist_names = list(artist_names)
    if is_unregistered(artist_id) and artist_id not in {unregistered_id(n) for n in artist_names}:
        raise InvalidArgument(f"artist id {artist_id} is reserved for the money held for an unregistered artist's "
                              f"name, and neither the name {artist_names[0]!r} nor an alias derives it.")
