"""The platform readers, the artist catalogue and the played-time rule, on files made in each
platform's shape (tests/platform_fixtures.py)."""

import json
import unicodedata
import zipfile

import pytest

from admin import dayfile, formats
from admin.artists import ArtistCatalogue
from admin.errors import InputError
from admin.intake import read_files
from admin.pseudonym import Pseudonymiser, check_listener, pseudonym
from admin.readers.model import ArtistRef
from admin.readers.playtime import PlaytimeRule
from admin.readers.resolve import ReadOptions
from chaincode.artist_ids import unregistered_id
from chaincode.errors import InvalidArgument
from chaincode.rules import PLAYED_TIME_DEFAULTS, Policy
from platform_fixtures import (ANA, IDS, M1, M2, M3, PLATFORMS, PLAYS, RECORDS, ROB, month_play,
                               listenbrainz_listen, listenbrainz_zip,
                               maloja_export, pano_entries, pleroma_listen, spotify_episode,
                               spotify_stream, spotify_zip, streaming_history, unix, write_json,
                               write_json_lines)

SECRET = b"node-secret"
OPTIONS = ReadOptions(catalogue=ArtistCatalogue(RECORDS))


def day_anchors(paths, options=OPTIONS):
    """Each day's anchor (hash and counts) of the plays of ``paths``."""
    intake = read_files(paths, None, options)
    assert [str(p.error()) for p in intake.problems] == []
    anchors = {}
    for day in sorted(intake.days):
        frame, _ = intake.day_frame(day)
        anchors[day] = dayfile.anchor(dayfile.canonicalise(frame, Pseudonymiser(SECRET, day[:7])), 30)
    return anchors


def twin(tmp_path, listener, track, seconds):
    """The same plays as the node's own CSV (ledger artist ids)."""
    path = tmp_path / "twin.csv"
    path.write_text("played_at,listener_id,artist_id,track_id,seconds\n" + "".join(
        f"{p.start},{listener},{IDS[p.artist]},{track(p)},{seconds(p)}\n" for p in PLAYS))
    return path


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_every_platform_gives_the_days_and_hashes_of_the_same_plays_as_csv(tmp_path, platform):
    shape = PLATFORMS[platform]
    path = shape.write(tmp_path)
    options = OPTIONS if shape.names_listener else ReadOptions(shape.listener, OPTIONS.catalogue)
    expected = day_anchors([twin(tmp_path, shape.listener, shape.track, shape.seconds)])
    assert sorted(expected) == ["2026-10-01", "2026-10-02", "2026-10-15"]
    assert day_anchors([path], options) == expected


def test_a_file_that_names_no_listener_needs_one(tmp_path):
    path = write_json(tmp_path / "Streaming_History_Audio_2026_0.json", [spotify_stream(p) for p in PLAYS])
    reading = formats.read_plays(path, options=OPTIONS)
    assert [str(p.error()) for p in reading.problems] == [
        f"{path}:2: field listener: is missing: this file does not say who listened; name the listener "
        "with --listener"]


# --- ListenBrainz ---------------------------------------------------------------------------

def test_listenbrainz_export_lines_fractional_times_mapping_and_estimates(tmp_path):
    line = listenbrainz_listen(PLAYS[0], export=True)
    line["listened_at"] = 1790842500.25
    del line["track_metadata"]["additional_info"]["duration_ms"]
    nameless = listenbrainz_listen(PLAYS[1], export=True)
    nameless["track_metadata"]["artist_name"] = "Quiet Hours, The"  # only the MBID can map it
    path = write_json_lines(tmp_path / "10.jsonl", [line, nameless])
    records = [dict(r, mbids=[m]) for r, m in zip(RECORDS, (M1, M2, M3))]
    reading = formats.read_plays(path, options=ReadOptions(listener="rob", catalogue=ArtistCatalogue(records)))
    assert reading.problems == []
    frame = reading.frame()
    assert list(frame["played_at"]) == [1790842500_250000, unix(PLAYS[1].start) * 1_000_000]
    assert list(frame["listener_id"]) == ["rob", "rob"]
    assert list(frame["artist_id"]) == ["a1", "a2"]
    assert list(frame["track_id"]) == [PLAYS[0].recording, PLAYS[1].recording]
    assert list(frame["seconds"]) == [30, 241]  # no duration: the rule's 30 s; else the track's length
    assert list(reading.parts[0].estimated) == [True, True]


def test_listenbrainz_track_and_artist_fallbacks(tmp_path):
    bare = {"listened_at": 1790842500, "user_name": "rob",
            "track_metadata": {"artist_name": "Les Étoiles", "track_name": "Nuit",
                               "additional_info": {"ms_played": 61_999, "duration_ms": 200_000,
                                                   "artist_mbids": M3}}}
    msid = {**bare, "recording_msid": "msid-7"}
    path = write_json_lines(tmp_path / "l.jsonl", [bare, msid])
    frame = formats.read_day(path)  # without a catalogue: the source's own references
    assert list(frame["artist_id"]) == [M3, M3]
    assert list(frame["track_id"]) == ["Nuit", "msid-7"]
    assert list(frame["seconds"]) == [61, 61]  # ms_played (an importer's) is time played


def test_listenbrainz_zip_names_its_user_and_its_files(tmp_path):
    path = listenbrainz_zip(tmp_path / "export.zip", "rob", PLAYS + [
        month_play("2026-09-30T10:00:00Z", "Sigrún Ás", "Sept", 100, 100, 5, M1)])
    reading = formats.read_plays(path, options=OPTIONS)
    assert [p.file for p in reading.parts] == [f"{path}:listens/2026/9.jsonl", f"{path}:listens/2026/10.jsonl"]
    assert set(reading.frame()["listener_id"]) == {"rob"}
    renamed = formats.read_plays(path, options=ReadOptions(listener=ROB, catalogue=OPTIONS.catalogue))
    assert set(renamed.frame()["listener_id"]) == {ROB}
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("listens/2026/11.jsonl", '{"listened_at": "soon", "track_metadata": {}}\n')
    problems = formats.read_plays(path, options=OPTIONS).problems
    assert [str(p.error()) for p in problems] == [
        f"{path}:listens/2026/11.jsonl:1: field listened_at: 'soon' is not a number of seconds"]


@pytest.mark.parametrize(("content", "message"), [
    (b"not a zip", "is not a zip archive (File is not a zip file)"),
    ({"notes.txt": "hello"}, "none of its 1 files holds listens (expected listens/YYYY/M.jsonl of a ListenBrainz "
     "export, or Streaming_History_Audio_*.json or StreamingHistory*.json of a Spotify export)"),
])
def test_a_zip_that_is_no_export_is_refused(tmp_path, content, message):
    path = tmp_path / "export.zip"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        with zipfile.ZipFile(path, "w") as archive:
            for name, text in content.items():
                archive.writestr(name, text)
    with pytest.raises(InputError) as error:
        formats.read_plays(path, options=OPTIONS)
    assert str(error.value) == f"{path}: {message}"


def test_a_broken_user_json_is_named(tmp_path):
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("user.json", '{"user_id": 1}')
        archive.writestr("listens/2026/10.jsonl", "")
    with pytest.raises(InputError) as error:
        formats.read_plays(path, options=OPTIONS)
    assert str(error.value) == f"{path}:user.json: field username: is missing"


# --- Spotify -------------------------------------------------------------------------------

def test_spotify_extended_starts_when_the_stream_began_and_leaves_out_episodes(tmp_path):
    stream = spotify_stream(PLAYS[0]) | {"ms_played": 180_999}
    lost = spotify_stream(PLAYS[1]) | {"spotify_track_uri": None, "master_metadata_track_name": None,
                                       "master_metadata_album_artist_name": None}
    path = spotify_zip(tmp_path / "s.zip", [])
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("Spotify Extended Streaming History/Streaming_History_Audio_2026_1.json",
                         json.dumps([stream, spotify_episode("2026-10-03T07:00:00Z"), lost]))
    reading = formats.read_plays(path, options=ReadOptions(listener="ana", catalogue=OPTIONS.catalogue))
    assert reading.problems == []
    frame = reading.frame()
    # ts 08:18:00 less 180.999 s played
    assert list(frame["played_at"]) == [unix(PLAYS[0].start) * 1_000_000 - 999_000]
    assert list(frame["seconds"]) == [180]
    assert dict(reading.skipped) == {
        "files of podcasts and videos (not music)": 1,
        "podcast episodes and audiobook chapters (not music)": 2,
        "plays without a track or artist (Spotify no longer knows the track)": 1}


def test_spotify_account_history_bad_entries_are_named(tmp_path):
    entries = streaming_history(PLAYS[:1]) + [
        {"endTime": "2026-10-01T08:18", "artistName": "X", "trackName": "Y", "msPlayed": 1},
        {"endTime": "2026-10-01 08:18", "artistName": "X", "trackName": "Y", "msPlayed": -1},
        {"endTime": "2026-10-01 08:18", "podcastName": "A Show", "episodeName": "E1", "msPlayed": 5}]
    path = write_json(tmp_path / "StreamingHistory0.json", entries)
    reading = formats.read_plays(path, options=ReadOptions(listener="ana", catalogue=OPTIONS.catalogue))
    assert [str(p.error()) for p in reading.problems] == [
        f"{path}:8: field endTime: '2026-10-01T08:18' is not a UTC time such as 2026-10-01 08:15",
        f"{path}:14: field msPlayed: -1 is negative"]
    assert len(reading.frame()) == 1 and sum(reading.skipped.values()) == 1


# --- ActivityStreams ------------------------------------------------------------------------

def test_pleroma_listens_are_attributed_to_the_listener_and_their_object_is_not_the_track(tmp_path):
    item = pleroma_listen(PLAYS[0], ANA, 7)
    path = write_json_lines(tmp_path / "2026-10-01.jsonl", [item])
    frame = formats.read_day(path, options=OPTIONS)
    assert list(frame["artist_id"]) == ["a1"]
    assert list(frame["track_id"]) == ["Morgunn"]  # not .../users/ana/listens/7, which names her
    assert list(frame["seconds"]) == [200]  # length 200000 ms: the track's length, by the rule


def test_funkwhale_tracks_map_by_musicbrainz_id_and_bare_track_listens_are_refused(tmp_path):
    track = {"type": "Track", "id": PLAYS[0].url, "name": "Morgunn", "musicbrainzId": PLAYS[0].recording,
             "artist_credit": [{"credit": "S. Ás", "joinphrase": "",
                                "artist": {"type": "Artist", "id": "https://pod.example/federation/music/artists/9",
                                           "name": "S. Ás", "musicbrainzId": M1}}]}
    listens = [{"type": "Listen", "id": "https://pod.example/l/1", "actor": ROB, "object": track,
                "published": "2026-10-01T08:15:00+00:00", "duration": "PT2M5S"},
               {"type": "Listen", "id": "https://pod.example/l/2", "actor": ROB, "object": PLAYS[0].url,
                "published": "2026-10-01T08:20:00+00:00"}]
    path = write_json_lines(tmp_path / "2026-10-01.jsonl", listens)
    records = [dict(RECORDS[0], mbids=[M1]), *RECORDS[1:]]
    frame, problems = formats.read_day_report(path, options=ReadOptions(catalogue=ArtistCatalogue(records)))
    assert list(zip(frame["artist_id"], frame["track_id"], frame["seconds"])) == [("a1", PLAYS[0].url, 125)]
    assert [str(p.error()) for p in problems] == [
        f"{path}:2: field object: '{PLAYS[0].url}' names the track only, not its artist; give the object "
        "with its artist or attributedTo"]


# --- Maloja, Pano Scrobbler -----------------------------------------------------------------

def test_maloja_duration_is_time_played_and_its_length_the_fallback(tmp_path):
    export = maloja_export(PLAYS[:2])
    export["scrobbles"][1]["duration"] = None
    export["scrobbles"].append({"time": 1790900000, "track": {"artists": [], "title": "Z"}})
    path = write_json(tmp_path / "maloja.json", export)
    reading = formats.read_plays(path, options=ReadOptions(listener="ユキ", catalogue=OPTIONS.catalogue))
    assert list(reading.frame()["seconds"]) == [180, 241]
    assert list(reading.parts[0].estimated) == [False, True]
    assert [str(p.error()) for p in reading.problems] == [
        f"{path}:42: field track.artists: [] is not a list of artist names"]


def test_pano_scrobbler_love_events_are_not_plays(tmp_path):
    path = write_json_lines(tmp_path / "scrobbles.jsonl", pano_entries(PLAYS[:1]))
    reading = formats.read_plays(path, options=ReadOptions(listener="kim lee", catalogue=OPTIONS.catalogue))
    assert len(reading.frame()) == 1
    assert dict(reading.skipped) == {"love and unlove events (not plays)": 1}


def test_entries_of_no_known_platform_and_broken_documents_are_named(tmp_path):
    lines = write_json_lines(tmp_path / "x.jsonl", [{"hello": 1}, [1, 2]])
    assert [str(p.error()) for p in formats.read_plays(lines, options=OPTIONS).problems] == [
        f"{lines}:1: field (json): is not a ListenBrainz listen, an ActivityStreams Listen, a Spotify stream, "
        "a Maloja scrobble or a Pano Scrobbler entry",
        f"{lines}:2: field (json): is not a JSON object"]
    broken = tmp_path / "x.json"
    broken.write_text('[\n  {"ts": "2026-10-01T08:18:00Z",\n   "ms_played": 1,\n}\n]\n')
    assert [str(p.error()) for p in formats.read_plays(broken, options=OPTIONS).problems] == [
        f"{broken}:4: field (json): is not valid JSON: Expecting property name enclosed in double quotes at "
        "column 1"]


# --- the artist catalogue --------------------------------------------------------------------

def test_catalogue_maps_by_musicbrainz_id_first_then_exact_alias():
    catalogue = ArtistCatalogue([{"id": "a1", "name": "Sigrún Ás", "mbids": [M1.upper()]},
                                 {"id": "a2", "name": "Sigrun As", "aliases": ["S. Ás", "https://pod/a/2"]},
                                 {"id": "a3", "name": "Twin"}, {"id": "a4", "name": "Twin"}])
    assert catalogue.match(ArtistRef("Sigrun As", "f", mbids=(M1,))).artist_id == "a1"  # MBID first
    nfd = unicodedata.normalize("NFD", "S. Ás")
    assert catalogue.match(ArtistRef(nfd, "f")).artist_id == "a2"  # exact, after NFC
    assert catalogue.match(ArtistRef("s. ás", "f")).why == "no registered artist has its name or alias"
    assert catalogue.match(ArtistRef("x", "f", aliases=("https://pod/a/2",))).artist_id == "a2"
    assert catalogue.match(ArtistRef("Twin", "f")).why == "ambiguous: 'Twin' names a3, a4"
    assert catalogue.match(ArtistRef("https://pod/artists/a3", "f", ledger_id="a3")).artist_id == "a3"
    assert [catalogue.map_id(v) for v in ("a4", "S. Ás", "not-yet-registered", "Sigrún Ás!?")] == [
        "a4", "a2", "not-yet-registered", None]


def test_unregistered_ids_are_derived_from_the_name_alone():
    assert unregistered_id("Glass Flowers") == unregistered_id("Glass Flowers")
    assert unregistered_id(unicodedata.normalize("NFD", "Les Étoiles")) == unregistered_id("Les Étoiles")
    assert unregistered_id("Glass Flowers") != unregistered_id("glass flowers")
    assert unregistered_id("Glass Flowers").startswith("unreg:") and len(unregistered_id("x")) == 30


def test_csv_artist_ids_go_through_the_catalogue(tmp_path):
    path = tmp_path / "2026-10-01.csv"
    path.write_text("played_at,listener_id,artist_id,track_id,seconds\n"
                    "2026-10-01T08:00:00Z,L1,a1,t,40\n2026-10-01T08:01:00Z,L1,Les Étoiles,t,40\n"
                    "2026-10-01T08:02:00Z,L1,a9,t,40\n2026-10-01T08:03:00Z,L1,Glass Flowers,t,40\n")
    frame, problems = formats.read_day_report(path, options=OPTIONS)
    assert list(frame["artist_id"]) == ["a1", "a3", "a9"]
    assert [str(p.error()) for p in problems] == [
        f"{path}:5: field artist_id: artist 'Glass Flowers' is not in the artist catalogue (not a registered "
        "id, a name or alias of one artist, nor a valid id); pass --unmapped keep to hold its money under an "
        "id derived from its name"]
    kept = formats.read_plays(path, options=ReadOptions(catalogue=OPTIONS.catalogue, keep_unmapped=True))
    assert list(kept.frame()["artist_id"])[-1] == unregistered_id("Glass Flowers")
    assert [(u.line, u.name, u.kept_as) for u in kept.unmapped] == [
        (5, "Glass Flowers", unregistered_id("Glass Flowers"))]


# --- played time ---------------------------------------------------------------------------

@pytest.mark.parametrize(("setting", "seconds"), [
    (None, [200, 30]),
    ({"rule": "track_length", "ceiling_seconds": 120}, [120, 30]),
    ({"rule": "track_length", "default_seconds": 0}, [200, 0]),
    ({"rule": "default", "default_seconds": 45}, [45, 45]),
])
def test_the_policy_decides_what_a_listen_without_a_played_time_counts(tmp_path, setting, seconds):
    with_length = listenbrainz_listen(PLAYS[0], "rob")
    without = listenbrainz_listen(PLAYS[1], "rob")
    del without["track_metadata"]["additional_info"]["duration_ms"]
    path = write_json_lines(tmp_path / "l.jsonl", [with_length, without])
    rule = PlaytimeRule.of(policy_with(setting))
    reading = formats.read_plays(path, options=ReadOptions(catalogue=OPTIONS.catalogue, playtime=lambda m: rule))
    assert list(reading.frame()["seconds"]) == seconds
    assert list(reading.parts[0].estimated) == [True, True]


def test_a_refusing_policy_names_each_listen_without_a_played_time(tmp_path):
    path = write_json_lines(tmp_path / "l.jsonl", [listenbrainz_listen(PLAYS[0], "rob")]
                            + [{**spotify_stream(PLAYS[1]), "ignored": True}])
    rule = PlaytimeRule.of(policy_with({"rule": "refuse"}))
    reading = formats.read_plays(path, options=ReadOptions("rob", OPTIONS.catalogue, playtime=lambda m: rule))
    assert [str(p.error()) for p in reading.problems] == [
        f"{path}:1: field (played time): the listen says no time played; the policy refuses listens without "
        "a played time (played_time.rule = refuse)"]
    assert list(reading.frame()["seconds"]) == [240]


def policy_with(setting):
    """A policy of the standard values with this played_time setting (None: absent)."""
    raw = {"effective_from": "2026-01", "price_micro": 10_000_000, "node_share_micro": 1_000_000, "top_n": 9,
           "min_seconds": 30, "currency": "USDP"}
    return Policy.parse(raw if setting is None else {**raw, "played_time": setting})


@pytest.mark.parametrize(("setting", "message"), [
    ({"rule": "guess"}, "policy played_time.rule 'guess' is not one of track_length, default, refuse."),
    ({"ceiling_seconds": -1}, "policy played_time.ceiling_seconds -1 is not a whole number of at least 0."),
    ({"default_seconds": 1.5}, "policy played_time.default_seconds 1.5 is not a whole number of at least 0."),
    ({"cap": 1}, "policy played_time setting 'cap' is unknown."),
    ("track_length", "policy played_time must be a JSON object."),
])
def test_a_malformed_played_time_setting_is_refused(setting, message):
    with pytest.raises(InvalidArgument) as caught:
        policy_with(setting)
    assert str(caught.value) == message


def test_a_policy_at_the_default_played_time_keeps_the_record_it_had_before_the_setting():
    default = policy_with(None)
    assert "played_time" not in default.record()
    spelled_out = policy_with({"rule": "track_length", "ceiling_seconds": 0, "default_seconds": 30})
    assert spelled_out.record() == default.record()
    assert Policy.of(default.record()).played_time == PLAYED_TIME_DEFAULTS
    capped = policy_with({"ceiling_seconds": "120"})
    assert capped.record()["played_time"] == {"ceiling_seconds": 120, "default_seconds": 30, "rule": "track_length"}
    assert Policy.of(capped.record()) == capped


# --- listener ids -----------------------------------------------------------------------------

def test_any_listener_id_is_accepted_and_taken_in_nfc():
    for listener in (ROB, "Ana María López", "ユキ", "kim lee"):
        assert check_listener(listener) == listener
    nfd = unicodedata.normalize("NFD", "Ana María López")
    assert pseudonym(SECRET, "2026-10", nfd) == pseudonym(SECRET, "2026-10", "Ana María López")
    for bad, message in ((" rob", "listener id ' rob' has spaces around it"), ("", "listener id is empty"),
                         ("a\tb", "listener id 'a\\tb' holds a control character"), (7, "listener id 7 is not text")):
        with pytest.raises(ValueError, match=f"^{message}$".replace("\\", "\\\\")):
            check_listener(bad)


def test_csv_listener_ids_are_checked_like_any_other(tmp_path):
    path = tmp_path / "2026-10-01.csv"
    path.write_text("played_at,listener_id,artist_id,track_id,seconds\n"
                    f"2026-10-01T08:00:00Z,{ROB},a1,t,40\n2026-10-01T08:01:00Z,Ana María López,a1,t,40\n"
                    "2026-10-01T08:02:00Z,ana ,a1,t,40\n2026-10-01T08:03:00Z,\"a\tb\",a1,t,40\n", encoding="utf-8")
    frame, problems = formats.read_day_report(path)
    assert list(frame["listener_id"]) == [ROB, "Ana María López"]
    assert [str(p.error()) for p in problems] == [
        f"{path}:4: field listener_id: listener id 'ana ' has spaces around it",
        f"{path}:5: field listener_id: listener id 'a\\tb' holds a control character"]
