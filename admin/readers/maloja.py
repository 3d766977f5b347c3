"""Maloja's export: ``{"maloja": {...}, "scrobbles": [...]}``.

A scrobble: ``time`` — unix seconds; ``track`` with ``artists`` (names), ``title``, ``album`` and
``length`` (the track's length in seconds, or null); ``duration`` — the seconds actually played,
or null. No listener: ``--listener`` names them. Read here: artist = the first artist's name
(the joined names tried as an alias); track = the title.
"""

from typing import Mapping

from .fields import Bad, get, listener, optional_whole, shown, text, unix_micros
from .model import ArtistRef, Listen


def is_scrobble(item: Mapping) -> bool:
    return "time" in item and "track" in item


def read(item: Mapping, line: int, fallback_listener: str | None) -> Listen:
    """One scrobble."""
    played_at = unix_micros("time", get(item, "time"))
    if not isinstance(get(item, "track"), dict):
        raise Bad("track", f"{shown(item['track'])} is not an object")
    artists = get(item, "track.artists")
    if not isinstance(artists, list) or not all(isinstance(a, str) and a.strip() for a in artists) \
            or not artists:
        raise Bad("track.artists", f"{shown(artists)} is not a list of artist names")
    joined = ", ".join(artists)
    artist = ArtistRef(artists[0], "track.artists", aliases=(joined,) if len(artists) > 1 else ())
    who = listener("listener", None, fallback_listener)
    return Listen(line, played_at, who, artist, text(item, "track.title"),
                  optional_whole(item, "duration"), optional_whole(item, "track.length"))
