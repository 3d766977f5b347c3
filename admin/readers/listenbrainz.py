"""ListenBrainz listens: loose lines (its API), and the lines of its export zip.

A listen (https://listenbrainz.readthedocs.io, "JSON documentation"):
``listened_at`` — when the play started, unix seconds, whole or fractional (the export writes
``1748964167.0``); ``user_name`` — absent from the export's lines (the zip's ``user.json`` names
the user); ``track_metadata`` with ``artist_name``, ``track_name`` and ``additional_info``
(``artist_mbids``, ``recording_mbid``, ``duration_ms`` or ``duration``: the track's length, not
the time listened; ``ms_played`` or ``duration_played``: the time listened, written by
ListenBrainz's Spotify and Maloja importers); the export adds ``track_metadata.mbid_mapping``
(``artist_mbids``, ``artists[].artist_credit_name``, ``recording_mbid``) and
``track_metadata.recording_msid``.

Read here: artist = the first of ``additional_info.artist_mbids``, then of
``mbid_mapping.artist_mbids``, then the name ``artist_name``, then the first credited artist's
name; track = ``recording_mbid`` (submitted, then mapped), else ``recording_msid``, else
``track_name``.
"""

import json
from typing import Any, Mapping

from .fields import Bad, first, get, listener, optional_whole, shown, text, unix_micros
from .model import ArtistRef, Listen


def is_listen(item: Mapping) -> bool:
    """Whether a JSON object is a ListenBrainz listen."""
    return "listened_at" in item or "track_metadata" in item


def export_user(raw: str) -> str:
    """The user name of an export's ``user.json`` (``{"user_id": …, "username": …}``)."""
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise Bad("(json)", f"is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc
    if not isinstance(data, dict):
        raise Bad("(json)", "is not a JSON object")
    return text(data, "username")


def _object(item: Mapping, path: str) -> dict[str, Any]:
    value = get(item, path, required=False)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise Bad(path, f"{shown(value)} is not an object")
    return value


def _mbid(item: Mapping, path: str) -> str | None:
    value = first(item, path)
    return value.strip().lower() if value else None


def read(item: Mapping, line: int, fallback_listener: str | None) -> Listen:
    """One listen."""
    played_at = unix_micros("listened_at", get(item, "listened_at"))
    who = listener("user_name", item.get("user_name"), fallback_listener)
    if not isinstance(get(item, "track_metadata"), dict):
        raise Bad("track_metadata", "is not an object")
    info = _object(item, "track_metadata.additional_info")
    mapping = _object(item, "track_metadata.mbid_mapping")
    base, mapped = "track_metadata.additional_info", "track_metadata.mbid_mapping"
    mbids = tuple(dict.fromkeys(m for m in (_mbid(item, f"{base}.artist_mbids"),
                                            _mbid(item, f"{mapped}.artist_mbids")) if m))
    credits = mapping.get("artists")
    credited = credits[0].get("artist_credit_name") if isinstance(credits, list) and credits \
        and isinstance(credits[0], dict) else None
    artist = ArtistRef(name=text(item, "track_metadata.artist_name"), field="track_metadata.artist_name",
                       mbids=mbids, aliases=(credited,) if isinstance(credited, str) and credited else ())
    track = (text(item, f"{base}.recording_mbid", False) or text(item, f"{mapped}.recording_mbid", False)
             or text(item, "recording_msid", False) or text(item, "track_metadata.recording_msid", False)
             or text(item, "track_metadata.track_name"))
    return Listen(line, played_at, who, artist, track, _played(item, base, info), _length(item, base, info))


def _seconds(item: Mapping, path: str, millis: bool) -> int | None:
    value = optional_whole(item, path)
    return None if value is None else (value // 1000 if millis else value)


def _played(item: Mapping, base: str, info: Mapping) -> int | None:
    """The time listened, where an importer wrote it."""
    if info.get("ms_played") is not None:
        return _seconds(item, f"{base}.ms_played", millis=True)
    return _seconds(item, f"{base}.duration_played", millis=False)


def _length(item: Mapping, base: str, info: Mapping) -> int | None:
    """The track's length (whole seconds, milliseconds floored)."""
    if info.get("duration_ms") is not None:
        return _seconds(item, f"{base}.duration_ms", millis=True)
    return _seconds(item, f"{base}.duration", millis=False)
