"""Spotify's data exports: the Extended Streaming History and the account data's streaming history.

Extended (``Streaming_History_Audio_*.json``, formerly ``endsong_*.json``: JSON arrays): ``ts`` —
when the stream *ended* (UTC); ``ms_played`` — how long it played; ``master_metadata_track_name``,
``master_metadata_album_artist_name``, ``spotify_track_uri``; podcast episodes and audiobook
chapters have ``spotify_episode_uri`` or ``audiobook_uri`` instead.

Account data (``StreamingHistory*.json``, ``StreamingHistory_music_*.json``): ``endTime`` — when
the stream ended, UTC to the minute (``2026-10-01 08:18``); ``artistName``, ``trackName``,
``msPlayed``; podcast entries (``StreamingHistory_podcast_*.json``) have ``podcastName``.

Read here: played_at = the end less the time played (when the play started); seconds played =
``ms_played`` floored; artist = the album artist's name; track = the track URI, else its name.
Neither names the listener: ``--listener`` does.
"""

from typing import Mapping

from .fields import Bad, get, iso_micros, listener, minute_micros, text, whole
from .model import ArtistRef, Listen, Skip

PODCAST = "podcast episodes and audiobook chapters (not music)"
NO_TRACK = "plays without a track or artist (Spotify no longer knows the track)"


def is_extended(item: Mapping) -> bool:
    return "ts" in item and "ms_played" in item


def is_account(item: Mapping) -> bool:
    return "endTime" in item and "msPlayed" in item


def _started(field: str, ended: int, played_ms: int) -> int:
    start = ended - played_ms * 1000
    if start < 0:
        raise Bad(field, "ends before it started (the time played reaches back before 1970)")
    return start


def read_extended(item: Mapping, line: int, fallback_listener: str | None) -> Listen | Skip:
    """One stream of the Extended Streaming History."""
    if item.get("spotify_track_uri") is None and (item.get("spotify_episode_uri") or item.get("audiobook_uri")
                                                  or item.get("audiobook_chapter_uri")):
        return Skip(PODCAST)
    ended = iso_micros("ts", get(item, "ts"))
    played_ms = whole("ms_played", get(item, "ms_played"))
    artist = text(item, "master_metadata_album_artist_name", required=False)
    track = text(item, "spotify_track_uri", required=False) or text(item, "master_metadata_track_name",
                                                                      required=False)
    if artist is None or track is None:
        return Skip(NO_TRACK)
    who = listener("listener", None, fallback_listener)
    return Listen(line, _started("ms_played", ended, played_ms), who,
                  ArtistRef(artist, "master_metadata_album_artist_name"), track, played_ms // 1000, None)


def read_account(item: Mapping, line: int, fallback_listener: str | None) -> Listen | Skip:
    """One stream of the account data's streaming history."""
    if "podcastName" in item or "episodeName" in item:
        return Skip(PODCAST)
    ended = minute_micros("endTime", get(item, "endTime"))
    played_ms = whole("msPlayed", get(item, "msPlayed"))
    artist = text(item, "artistName")
    track = text(item, "trackName")
    who = listener("listener", None, fallback_listener)
    return Listen(line, _started("msPlayed", ended, played_ms), who, ArtistRef(artist, "artistName"),
                  track, played_ms // 1000, None)
