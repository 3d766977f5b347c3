"""Listening data in the shapes the platforms write, made here from a list of plays.

Every builder renders the same :class:`Play` list the way its platform would (field names,
time formats and units as the platforms document them); the values are this project's own.
"""

import calendar
import datetime as dt
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable


@dataclass(frozen=True)
class Play:
    """A play as it happened: start (ISO UTC), artist, track, seconds played (None when the
    platform knows only the track's length) and the track's length."""

    start: str
    artist: str
    title: str
    played: int | None
    length: int | None
    mbid: str = ""        # the artist's MusicBrainz id
    recording: str = ""   # the recording's MusicBrainz id
    uri: str = ""         # Spotify track URI
    url: str = ""         # the track's ActivityPub id (Funkwhale)


def unix(start: str) -> int:
    return calendar.timegm(dt.datetime.strptime(start, "%Y-%m-%dT%H:%M:%SZ").timetuple())


def end(play: Play) -> int:
    return unix(play.start) + (play.played or 0)


def iso(seconds: int) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_json_lines(path: Path, items: list[dict]) -> Path:
    path.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), encoding="utf-8")
    return path


def write_json(path: Path, document) -> Path:
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


# --- ListenBrainz -------------------------------------------------------------------------

def listenbrainz_listen(play: Play, user: str | None = None, export: bool = False) -> dict:
    """A listen as the API gives it (``user_name``, top-level ``recording_msid``) or as an
    export line (no user; ``mbid_mapping`` and ``recording_msid`` inside ``track_metadata``)."""
    info = {"submission_client": "a test player", "duration_ms": play.length * 1000 + 250}
    if play.recording:
        info["recording_mbid"] = play.recording
    if play.mbid and not export:
        info["artist_mbids"] = [play.mbid]
    metadata = {"artist_name": play.artist, "track_name": play.title, "release_name": "An Album",
                "additional_info": info}
    listen = {"listened_at": unix(play.start), "track_metadata": metadata}
    msid = f"00000000-0000-4000-8000-{unix(play.start) % 10**12:012d}"
    if export:
        listen["listened_at"] = float(unix(play.start))
        listen["inserted_at"] = unix(play.start) + 61.123456
        metadata["recording_msid"] = msid
        metadata["mbid_mapping"] = None if not play.mbid else {
            "artist_mbids": [play.mbid], "recording_mbid": play.recording or None,
            "artists": [{"artist_mbid": play.mbid, "artist_credit_name": play.artist, "join_phrase": ""}],
            "recording_name": play.title, "release_mbid": None, "caa_id": None, "caa_release_mbid": None}
    else:
        listen["user_name"] = user
        listen["recording_msid"] = msid
    return listen


def listenbrainz_zip(path: Path, user: str, plays: list[Play]) -> Path:
    """An export zip: user.json, one listens/YYYY/M.jsonl per month, and the other files."""
    by_month: dict[tuple[int, int], list[str]] = {}
    for play in sorted(plays, key=lambda p: p.start):
        year, month = int(play.start[:4]), int(play.start[5:7])
        by_month.setdefault((year, month), []).append(json.dumps(listenbrainz_listen(play, export=True),
                                                                 ensure_ascii=False))
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("user.json", json.dumps({"user_id": 4242, "username": user}) + "\n")
        for (year, month), lines in sorted(by_month.items()):
            archive.writestr(f"listens/{year}/{month}.jsonl", "\n".join(lines) + "\n")
        archive.writestr("feedback.jsonl", json.dumps({"recording_msid": "x", "score": 1, "created": 1}) + "\n")
    return path


# --- Spotify ------------------------------------------------------------------------------

def spotify_stream(play: Play) -> dict:
    """An Extended Streaming History entry: ``ts`` is when the stream ended."""
    return {"ts": iso(end(play)), "platform": "linux", "ms_played": (play.played or 0) * 1000,
            "conn_country": "ZZ", "ip_addr": "192.0.2.1",
            "master_metadata_track_name": play.title, "master_metadata_album_artist_name": play.artist,
            "master_metadata_album_album_name": "An Album", "spotify_track_uri": play.uri,
            "episode_name": None, "episode_show_name": None, "spotify_episode_uri": None,
            "audiobook_title": None, "audiobook_uri": None, "audiobook_chapter_uri": None,
            "audiobook_chapter_title": None, "reason_start": "trackdone", "reason_end": "trackdone",
            "shuffle": False, "skipped": False, "offline": False, "offline_timestamp": None,
            "incognito_mode": False}


def spotify_episode(ended: str) -> dict:
    return {**spotify_stream(Play(ended, "", "", 600, None)), "ts": ended, "master_metadata_track_name": None,
            "master_metadata_album_artist_name": None, "master_metadata_album_album_name": None,
            "spotify_track_uri": None, "episode_name": "Episode 12", "episode_show_name": "A Show",
            "spotify_episode_uri": "spotify:episode:0000000000000000000012"}


def spotify_zip(path: Path, plays: list[Play]) -> Path:
    """An Extended Streaming History zip, with an episode, a video history and the PDF guide."""
    folder = "Spotify Extended Streaming History"
    entries = [spotify_stream(p) for p in plays] + [spotify_episode("2026-10-09T20:00:00Z")]
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{folder}/Streaming_History_Audio_2026_0.json", json.dumps(entries, indent=1))
        archive.writestr(f"{folder}/Streaming_History_Video_2026.json", "[]")
        archive.writestr(f"{folder}/ReadMeFirst_ExtendedStreamingHistory.pdf", b"%PDF-1.4\n")
    return path


def streaming_history(plays: list[Play]) -> list[dict]:
    """Account data's StreamingHistory_music entries: ``endTime`` to the minute (UTC)."""
    return [{"endTime": iso(end(p))[:16].replace("T", " "), "artistName": p.artist, "trackName": p.title,
             "msPlayed": (p.played or 0) * 1000} for p in plays]


# --- ActivityStreams ----------------------------------------------------------------------

def funkwhale_listen(play: Play, actor: str, number: int) -> dict:
    """A Listen of Funkwhale's activity feed: the object is the track (Audio) with its artist's
    name; no time played."""
    pod = actor.split("/federation/")[0]
    return {"type": "Listen", "id": f"{pod}/activity/listenings/{number}", "local_id": number,
            "actor": {"type": "Person", "id": actor, "local_id": actor.rsplit("/", 1)[-1], "name": "Rob"},
            "object": {"type": "Audio", "id": play.url, "local_id": number + 100, "name": play.title,
                       "artist": play.artist, "album": "An Album"},
            "published": play.start.replace("Z", "+00:00")}


def pleroma_listen(play: Play, actor: str, number: int) -> dict:
    """A Listen as Pleroma federates it: the Audio object is the listener's own (attributedTo the
    listener), the artist a name, ``length`` the track's length in milliseconds."""
    return {"@context": "https://www.w3.org/ns/activitystreams", "type": "Listen",
            "id": f"{actor}/listens/{number}/activity", "actor": actor,
            "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [],
            "object": {"type": "Audio", "id": f"{actor}/listens/{number}", "attributedTo": actor,
                       "actor": actor, "title": play.title, "artist": play.artist, "album": "An Album",
                       "length": play.length * 1000},
            "published": play.start.replace("Z", ".000000Z"), "context": f"{actor}/contexts/{number}"}


def outbox_page(actor: str, items: list[dict]) -> dict:
    """An OrderedCollectionPage of an outbox, with a Note among the Listens."""
    note = {"type": "Create", "actor": actor, "object": {"type": "Note", "content": "hello"}}
    return {"@context": "https://www.w3.org/ns/activitystreams", "type": "OrderedCollectionPage",
            "id": f"{actor}/outbox?page=true", "partOf": f"{actor}/outbox", "orderedItems": [note, *items]}


# --- Maloja, Pano Scrobbler ---------------------------------------------------------------

def maloja_export(plays: list[Play]) -> dict:
    return {"maloja": {"export_time": 1793000000},
            "scrobbles": [{"time": unix(p.start),
                           "track": {"artists": [p.artist], "title": p.title,
                                     "album": {"artists": [p.artist], "albumtitle": "An Album"},
                                     "length": p.length},
                           "duration": p.played, "origin": "client:a-test-player"} for p in plays]}


def pano_entries(plays: list[Play]) -> list[dict]:
    entries = [{"timeHuman": p.start, "timeMs": unix(p.start) * 1000, "artist": p.artist, "track": p.title,
                "album": "An Album", "albumArtist": p.artist, "durationMs": p.length * 1000 + 999,
                "mediaPlayerPackage": "org.example.player", "mediaPlayerName": "Player",
                "mediaPlayerVersion": "1.0", "event": "scrobble"} for p in plays]
    return entries + [{**entries[0], "event": "love"}]


# --- a month of plays, and each platform's file of it ----------------------------------------

M1, M2, M3 = (f"4a1c0000-0000-4000-8000-00000000000{i}" for i in (1, 2, 3))
RECORDS = [{"id": "a1", "name": "Sigrún Ás", "wallet": "w1"},
           {"id": "a2", "name": "The Quiet Hours", "wallet": "w2"},
           {"id": "a3", "name": "Les Étoiles", "wallet": "w3"}]
IDS = {"Sigrún Ás": "a1", "The Quiet Hours": "a2", "Les Étoiles": "a3"}
ROB = "https://pod.example/federation/actors/rob"
ANA = "https://social.example/users/ana"


def month_play(start, artist, title, played, length, n, mbid):
    """A play of the month, with its MusicBrainz, Spotify and ActivityPub track ids numbered ``n``."""
    return Play(start, artist, title, played, length, mbid=mbid, recording=f"5b2d0000-0000-4000-8000-00000000010{n}",
                uri=f"spotify:track:{n:022d}", url=f"https://pod.example/federation/music/tracks/{n}")


#: A month of plays: one crosses midnight (it counts on the day it started), one is under 30 s.
PLAYS = [month_play("2026-10-01T08:15:00Z", "Sigrún Ás", "Morgunn", 180, 200, 1, M1),
         month_play("2026-10-01T23:58:00Z", "The Quiet Hours", "Late", 240, 241, 2, M2),
         month_play("2026-10-02T09:00:00Z", "Les Étoiles", "Nuit", 0, 20, 3, M3),
         month_play("2026-10-15T12:00:00Z", "The Quiet Hours", "Noon", 300, 310, 4, M2)]


@dataclass(frozen=True)
class Platform:
    """A platform's file of PLAYS: how it is written, who listened (named in the file, or given
    with --listener), and the track id and seconds the node's own CSV of the same plays holds."""

    write: Callable[[Path], Path]
    listener: str
    names_listener: bool
    track: Callable[[Play], str]
    seconds: Callable[[Play], int]


PLATFORMS = {
    "listenbrainz lines": Platform(
        lambda d: write_json_lines(d / "rob.jsonl", [listenbrainz_listen(p, "rob") for p in PLAYS]),
        "rob", True, lambda p: p.recording, lambda p: p.length),
    "listenbrainz zip": Platform(
        lambda d: listenbrainz_zip(d / "listenbrainz_rob_1793000000.zip", "rob", PLAYS),
        "rob", True, lambda p: p.recording, lambda p: p.length),
    "spotify extended": Platform(
        lambda d: write_json(d / "Streaming_History_Audio_2026_0.json", [spotify_stream(p) for p in PLAYS]),
        "Ana María López", False, lambda p: p.uri, lambda p: p.played),
    "spotify zip": Platform(
        lambda d: spotify_zip(d / "my_spotify_data.zip", PLAYS),
        "Ana María López", False, lambda p: p.uri, lambda p: p.played),
    "spotify account": Platform(
        lambda d: write_json(d / "StreamingHistory_music_0.json", streaming_history(PLAYS)),
        "Ana María López", False, lambda p: p.title, lambda p: p.played),
    "funkwhale": Platform(  # no length in the feed's object: the rule's 30 s
        lambda d: write_json_lines(d / "listenings.jsonl", [funkwhale_listen(p, ROB, i) for i, p in enumerate(PLAYS)]),
        ROB, True, lambda p: p.url, lambda p: 30),
    "pleroma": Platform(
        lambda d: write_json(d / "outbox.json", outbox_page(ANA, [pleroma_listen(p, ANA, i)
                                                               for i, p in enumerate(PLAYS)])),
        ANA, True, lambda p: p.title, lambda p: p.length),
    "maloja": Platform(
        lambda d: write_json(d / "maloja_export.json", maloja_export(PLAYS)),
        "ユキ", False, lambda p: p.title, lambda p: p.played),
    "pano scrobbler": Platform(
        lambda d: write_json_lines(d / "scrobbles.jsonl", pano_entries(PLAYS)),
        "kim lee", False, lambda p: p.title, lambda p: p.length),
}
