"""ActivityStreams 2.0 ``Listen`` activities, as Funkwhale, Pleroma and this project write them.

Listener = the actor's id (a URL, in full); played_at = ``published``; the activity's own
``duration`` (ISO 8601) is the time listened; the object's ``duration`` (ISO 8601) or Pleroma's
``length`` (milliseconds) is the track's length.

The artist, in this order:
* ``object.artist`` — a name (Funkwhale's activity feed, Pleroma), or an object with ``name``,
  ``id`` and ``musicbrainzId``;
* the first of ``object.artist_credit[].artist`` or ``object.artists[]`` (Funkwhale's Track);
* ``object.attributedTo`` — the artist's actor (a URL, or an object with ``id`` and ``name``),
  unless it is the listener (Pleroma attributes the listen's object to the listener).
The track = ``object.id``, unless it lies under the listener's own URL (Pleroma's per-listen
object, which would name the listener): then the object's ``title`` or ``name``.
A bare track URL as the object (Funkwhale 2's federated Listen) carries no artist: refused.
"""

from typing import Any, Mapping

from .fields import Bad, get, iso_duration, iso_micros, listener, shown, text, whole
from .model import ArtistRef, Listen, Skip

OTHER_ACTIVITIES = "activities other than Listen (in a collection)"


def is_activity(item: Mapping) -> bool:
    return "type" in item


def read(item: Mapping, line: int, fallback_listener: str | None, in_collection: bool = False
         ) -> Listen | Skip:
    """One Listen activity; another activity is refused, or skipped inside a collection."""
    kind = get(item, "type")
    if kind != "Listen":
        if in_collection:
            return Skip(OTHER_ACTIVITIES)
        raise Bad("type", f"activity type {shown(kind)} is not Listen")
    played_at = iso_micros("published", get(item, "published"))
    who = listener("actor", get(item, "actor"), fallback_listener)
    obj = get(item, "object")
    if isinstance(obj, str):
        raise Bad("object", f"{shown(obj)} names the track only, not its artist; give the object with "
                  "its artist or attributedTo")
    if not isinstance(obj, dict):
        raise Bad("object", f"{shown(obj)} is not an object with an artist")
    played = None if item.get("duration") is None else iso_duration("duration", item["duration"])
    return Listen(line, played_at, who, _artist(obj, who), _track(obj, who), played, _length(obj))


def _track(obj: Mapping, who: str) -> str:
    track = obj.get("id")
    if isinstance(track, str) and track.strip() and not track.startswith(who.rstrip("/") + "/"):
        return track
    for field in ("title", "name"):
        if obj.get(field) is not None:
            return text(obj, field)
    raise Bad("object.id", "is missing" if track is None else
              f"{shown(track)} is the listener's own object; the object needs a title or name")


def _length(obj: Mapping) -> int | None:
    if obj.get("duration") is not None:
        return iso_duration("object.duration", obj["duration"])
    if obj.get("length") is not None:
        return whole("object.length", obj["length"]) // 1000
    return None


def _artist(obj: Mapping, who: str) -> ArtistRef:
    artist = obj.get("artist")
    if isinstance(artist, str) and artist.strip():
        return ArtistRef(artist, "object.artist")
    if isinstance(artist, dict):
        return _artist_object(artist, "object.artist")
    for field in ("artist_credit", "artists"):
        entries = obj.get(field)
        if isinstance(entries, list) and entries and isinstance(entries[0], dict):
            entry = entries[0].get("artist", entries[0]) if field == "artist_credit" else entries[0]
            if isinstance(entry, dict):
                return _artist_object(entry, f"object.{field}[0]")
    attributed = obj.get("attributedTo")
    url = attributed.get("id") if isinstance(attributed, dict) else attributed
    if isinstance(url, str) and url.strip() and url.rstrip("/") != who.rstrip("/"):
        name = attributed.get("name") if isinstance(attributed, dict) else None
        return _reference(url, name if isinstance(name, str) else None, None, "object.attributedTo")
    if attributed is not None and not isinstance(url, str):
        raise Bad("object.attributedTo", f"{shown(attributed)} is not an id or an object with an id")
    raise Bad("object.artist", "is missing (neither artist, artist_credit, artists nor attributedTo names "
              "the artist)")


def _artist_object(entry: Mapping[str, Any], field: str) -> ArtistRef:
    url, name, mbid = entry.get("id"), entry.get("name"), entry.get("musicbrainzId") or entry.get("mbid")
    if not (isinstance(url, str) and url) and not (isinstance(name, str) and name):
        raise Bad(field, f"{shown(entry)} has neither a name nor an id")
    return _reference(url if isinstance(url, str) else None, name if isinstance(name, str) else None,
                      mbid if isinstance(mbid, str) else None, field)


def _reference(url: str | None, name: str | None, mbid: str | None, field: str) -> ArtistRef:
    """An artist known by its actor URL, its name and its MBID (any may be missing, not all)."""
    segment = url.rstrip("/").rsplit("/", 1)[-1] if url else None
    aliases = tuple(a for a in (url,) if a and name)
    return ArtistRef(name or url, field, mbids=(mbid.strip().lower(),) if mbid else (),
                     aliases=aliases, ledger_id=segment or None)
