"""Pano Scrobbler's scrobble file (JSON lines, one entry per line).

An entry: ``timeMs`` — unix milliseconds; ``artist``, ``track``, ``album``, ``albumArtist``;
``durationMs`` — the track's length (or null), not the time listened; ``event`` — ``scrobble``,
or ``love`` / ``unlove`` (not plays: counted and left out). No listener: ``--listener``.
"""

from typing import Mapping

from .fields import get, listener, optional_whole, text, unix_micros
from .model import ArtistRef, Listen, Skip

EVENTS = "love and unlove events (not plays)"


def is_entry(item: Mapping) -> bool:
    return "timeMs" in item


def read(item: Mapping, line: int, fallback_listener: str | None) -> Listen | Skip:
    """One entry."""
    if item.get("event", "scrobble") != "scrobble":
        return Skip(EVENTS)
    played_at = unix_micros("timeMs", get(item, "timeMs"), unit=1000)
    length = optional_whole(item, "durationMs")
    who = listener("listener", None, fallback_listener)
    return Listen(line, played_at, who, ArtistRef(text(item, "artist"), "artist"), text(item, "track"),
                  None, None if length is None else length // 1000)
