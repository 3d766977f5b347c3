"""Bringing a node's listening data through the CLI, as a user would: every platform's file
submitted, its month reconciled end to end; unmapped artists; any listener id; bad input."""

import csv
import json

import pytest

from chaincode.artist_ids import unregistered_id
from platform_fixtures import (ANA, M1, PLATFORMS, PLAYS, ROB, listenbrainz_listen, month_play, spotify_stream,
                               write_json, write_json_lines)
import scenario_files
from scenario_files import fingerprint, run

#: The tiny scenario's consortium, its artists named as the platforms' files name them.
CONSORTIUM = scenario_files.CONSORTIUM.split("artists:")[0] + """artists:
  - {id: a1, name: "Sigrún Ás", wallet: w-a1}
  - {id: a2, name: The Quiet Hours, wallet: w-a2}
  - {id: a3, name: Les Étoiles, wallet: w-a3}
"""
LISTENERS = ["rob", "Ana María López", ROB, ANA, "ユキ", "kim lee"]


@pytest.fixture
def ledger(tmp_path):
    """A ledger folder with the consortium loaded and every listener subscribed at n1 for 2026-10."""
    (tmp_path / "consortium.yaml").write_text(CONSORTIUM, encoding="utf-8")
    with (tmp_path / "subscriptions.csv").open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["month", "node_id", "listener_id", "payment_ref", "amount"])
        writer.writerows([["2026-10", "n1", who, f"pay-{i}", "10.00"] for i, who in enumerate(LISTENERS)])
    folder = tmp_path / "ledger"
    run("--ledger", folder, "init", "--consortium", tmp_path / "consortium.yaml")
    run("--ledger", folder, "consortium", "load", tmp_path / "consortium.yaml")
    assert "6 subscriptions recorded" in run("--ledger", folder, "subscriptions", "import",
                                             tmp_path / "subscriptions.csv")
    return folder


def submit(ledger, *args, expect=0):
    return run("--ledger", ledger, "listens", "submit", *args, "--node", "n1", expect=expect)


def expected_weights(shape):
    """(artist, counted seconds) of the month's plays as the platform gives them, by weight."""
    weights: dict[str, int] = {}
    for play in PLAYS:
        seconds = shape.seconds(play)
        if seconds >= 30:
            artist = {"Sigrún Ás": "a1", "The Quiet Hours": "a2", "Les Étoiles": "a3"}[play.artist]
            weights[artist] = weights.get(artist, 0) + seconds
    return sorted(weights.items(), key=lambda aw: (-aw[1], aw[0]))


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_a_month_from_each_platform_is_reconciled_end_to_end(ledger, tmp_path, platform):
    shape = PLATFORMS[platform]
    path = shape.write(tmp_path)
    listener = [] if shape.names_listener else ["--listener", shape.listener]
    out = submit(ledger, path, *listener, "--month", "2026-10")
    assert [line.split()[0] for line in out.splitlines() if line.startswith("2026-")] == [
        "2026-10-01", "2026-10-02", "2026-10-15"]
    # the raw file reconciles as `listens submit` read it; the canonical days it kept give the same root
    reconciled = run("--ledger", ledger, "month", "reconcile", "2026-10", "--node", "n1", "--plays", path, *listener)
    assert "1 listeners allocated" in reconciled
    root = reconciled.split("Merkle root ")[1].split()[0]
    assert f"Merkle root {root}" in run("--ledger", ledger, "month", "reconcile", "2026-10", "--node", "n1")
    receipt = json.loads(run("--ledger", ledger, "--format", "json", "receipt", shape.listener,
                             "--month", "2026-10", "--node", "n1"))
    assert [(a["artist_id"], a["seconds"]) for a in receipt["artists"]] == expected_weights(shape)
    assert receipt["verified"] and receipt["artist_share_micro"] == 9_000_000


def test_many_listeners_files_in_one_command_and_only_pseudonyms_leave_the_machine(ledger, tmp_path):
    files, rows = [], ["file,listener_id"]
    for platform in sorted(PLATFORMS):
        if platform in ("listenbrainz zip", "spotify zip", "spotify extended"):
            continue  # one file per listener here; those listeners' data is in the other shapes
        shape = PLATFORMS[platform]
        folder = tmp_path / platform.replace(" ", "-")
        folder.mkdir()
        files.append(shape.write(folder))
        if not shape.names_listener:
            rows.append(f"{files[-1]},{shape.listener}")
    (tmp_path / "listeners.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = submit(ledger, *files, "--listeners", tmp_path / "listeners.csv")
    first = [line.split() for line in out.splitlines() if line.startswith("2026-10-01")][0]
    assert first[1:3] == ["12", "6"]  # rows, listeners: every listener's two plays of that day, merged
    day = (ledger / "days" / "n1" / "2026-10-01.csv").read_text(encoding="utf-8")
    kept = b"".join(p.read_bytes() for p in ledger.rglob("*") if p.is_file())
    for raw in LISTENERS + ["social.example/users/ana/listens"]:
        assert raw not in day
        if raw != "rob":  # too short to look for in binary files
            assert raw.encode() not in kept, raw


def test_unmapped_artists_are_listed_then_refused_or_kept_and_the_month_reconciles(ledger, tmp_path):
    plays = [PLAYS[0], month_play("2026-10-03T10:00:00Z", "Glass Flowers", "Stem", 200, 200, 8, ""),
             month_play("2026-10-04T10:00:00Z", "Glass Flowers", "Leaf", 200, 210, 9, "")]
    path = write_json_lines(tmp_path / "rob.jsonl", [listenbrainz_listen(p, "rob") for p in plays])
    before = fingerprint(ledger)
    out = submit(ledger, path, expect=2)
    assert out[out.index("error:"):].splitlines() == [
        "error: 2 plays of 1 artist not in the artist catalogue; register them (or their MusicBrainz ids or "
        "aliases), or pass --unmapped keep to hold their money under ids derived from their names:",
        f"  'Glass Flowers': 2 plays, first at {path}:2; no registered artist has its name or alias",
        "nothing was anchored"]
    assert fingerprint(ledger) == before
    out = submit(ledger, path, "--unmapped", "keep")
    kept = unregistered_id("Glass Flowers")
    assert (f"  'Glass Flowers': 2 plays, first at {path}:2; as {kept}") in out
    run("--ledger", ledger, "month", "reconcile", "2026-10", "--node", "n1")
    receipt = json.loads(run("--ledger", ledger, "--format", "json", "receipt", "rob", "--month", "2026-10",
                             "--node", "n1"))
    assert [(a["artist_id"], a["seconds"]) for a in receipt["artists"]] == [(kept, 410), ("a1", 200)]


def test_plays_of_many_files_and_months_are_merged_by_day(ledger, tmp_path):
    september = month_play("2026-09-30T23:00:00Z", "Sigrún Ás", "Sept", 120, 130, 7, "")
    spotify = write_json(tmp_path / "Streaming_History_Audio_2026_0.json",
                         [spotify_stream(p) for p in [september, *PLAYS]])
    lines = write_json_lines(tmp_path / "rob.jsonl", [listenbrainz_listen(PLAYS[0], "rob")])
    out = submit(ledger, spotify, lines, "--listener", "Ana María López", "--month", "2026-10")
    assert "left out: 1 plays outside the month chosen with --month" in out
    first = [line.split() for line in out.splitlines() if line.startswith("2026-10-01")][0]
    assert first[1:5] == ["3", "2", "3", "620"]  # rows, listeners, plays, seconds
    again = submit(ledger, spotify, lines, "--listener", "Ana María López")
    assert [line.split()[0] for line in again.splitlines() if line.startswith("2026-")] == [
        "2026-09-30", "2026-10-01", "2026-10-02", "2026-10-15"]  # October's days again: no-ops


@pytest.mark.parametrize(("make", "args", "message"), [
    (lambda d: write_json(d / "s.json", [spotify_stream(PLAYS[0])]), ["--listener", " rob"],
     "error: field --listener: listener id ' rob' has spaces around it"),
    (lambda d: write_json(d / "s.json", [spotify_stream(PLAYS[0])]), [],
     "error: {path}:2: field listener: is missing: this file does not say who listened; name the listener "
     "with --listener"),
    (lambda d: (d / "s.json").write_text('[{"ts": 1,}]') and d / "s.json", ["--listener", "rob"],
     "error: {path}:1: field (json): is not valid JSON: Expecting property name enclosed in double quotes at "
     "column 11"),
    (lambda d: (d / "e.zip").write_bytes(b"PK nonsense") and d / "e.zip", [],
     "error: {path}: is not a zip archive (File is not a zip file)"),
    (lambda d: write_json(d / "s.json", [spotify_stream(PLAYS[0])]), ["--month", "2026-13"],
     "error: field --month: month '2026-13' is not of the form YYYY-MM"),
])
def test_bad_input_is_named_and_anchors_nothing(ledger, tmp_path, make, args, message):
    path = make(tmp_path)
    before = fingerprint(ledger)
    out = submit(ledger, path, *args, expect=2)
    assert out.splitlines()[-1] == message.format(path=path)
    assert "Traceback" not in out
    assert fingerprint(ledger) == before


def test_subscriptions_refuse_a_listener_id_with_surrounding_spaces(ledger, tmp_path):
    bad = tmp_path / "subs.csv"
    bad.write_text("month,node_id,listener_id,payment_ref,amount\n2026-10,n1,ユキ ,pay-x,10.00\n", encoding="utf-8")
    out = run("--ledger", ledger, "subscriptions", "import", bad, expect=2)
    assert out == f"error: {bad}:2: field listener_id: listener id 'ユキ ' has spaces around it\n"


def test_a_listener_map_names_each_bad_line(ledger, tmp_path):
    path = write_json(tmp_path / "s.json", [spotify_stream(PLAYS[0])])
    listeners = tmp_path / "listeners.csv"
    for text, message in (("file,listener_id\nother.json,rob\n", "field file: 'other.json' is not among the files "
                           "submitted"),
                          ("file,listener_id\ns.json, rob\n", "field listener_id: listener id ' rob' has spaces "
                           "around it"),
                          ("file,listener\ns.json,rob\n", "header must be file,listener_id, got 'file,listener'")):
        listeners.write_text(text)
        line = 1 if "header" in message else 2
        out = submit(ledger, path, "--listeners", listeners, expect=2)
        assert out == f"error: {listeners}:{line}: {message}\n"


def rob_lines(tmp_path):
    return write_json_lines(tmp_path / "rob.jsonl", [listenbrainz_listen(p, "rob") for p in PLAYS])


def test_plays_of_months_without_a_policy_anchor_nothing(ledger, tmp_path):
    old = month_play("1999-12-31T10:00:00Z", "Sigrún Ás", "Old", 100, 100, 7, "")
    spotify = write_json(tmp_path / "Streaming_History_Audio_1999_0.json", [spotify_stream(p) for p in [old, *PLAYS]])
    before = fingerprint(ledger)
    out = submit(ledger, spotify, "--listener", "ana", expect=2)
    assert out.splitlines()[-1] == ("error: no policy is in force for 1999-12, months the files hold plays of; "
                                    "nothing was anchored (anchor the months the consortium runs with --month YYYY-MM)")
    assert fingerprint(ledger) == before
    listens = write_json_lines(tmp_path / "old.jsonl", [listenbrainz_listen(old, "rob")])
    out = submit(ledger, listens, expect=2)
    assert out.splitlines()[-1] == (f"error: {listens}: a play of 1999-12: no policy is in force for 1999-12 "
                                    "(anchor the months the consortium runs with --month YYYY-MM)")
    assert "2026-10-01" in submit(ledger, listens, rob_lines(tmp_path), "--month", "2026-10")


# --- the artist catalogue, imported through the consortium ----------------------------------------

GF_MBID = "0d3f5a39-7e1c-4c2b-9a51-2f6e8b1c4d70"
CATALOGUE = f"""id,name,wallet,mbids,isni,aliases
a1,Sigrún Ás,,{M1.upper()},,
a2,The Quiet Hours,w-a2,,,"Quiet Hours, The"
ar200,Glass Flowers,w-ar200,{GF_MBID},0000000121032683,GF|Glass Flowers (band)
"""


def import_catalogue(ledger, path, *args, expect=0):
    return run("--ledger", ledger, "consortium", "artists", "import", path, "--node", "n1", *args, expect=expect)


def approved(ledger, out):
    """Approve, as n2, the proposals an import printed; n1 proposed, so that is 2 of 3 nodes."""
    ids = out.split("consortium approve ")[1].split(" --node")[0].split()
    return run("--ledger", ledger, "consortium", "approve", *ids, "--node", "n2")


def test_a_catalogue_imported_by_majority_maps_plays_by_mbid_then_alias(ledger, tmp_path):
    path = tmp_path / "catalogue.csv"
    path.write_text(CATALOGUE, encoding="utf-8")
    before = fingerprint(ledger)
    dry = import_catalogue(ledger, path, "--dry-run")
    assert dry.splitlines()[-1] == (f"{path}: artists new: 1, with new identifiers: 2, already on chain as given: 0; "
                                    "1 import_artists proposal would be open (nothing was proposed)")
    assert fingerprint(ledger) == before
    out = import_catalogue(ledger, path)
    assert "imports 3 artists (a1 to ar200): registers 1, extends 2; no money is held for their ids or names." in out
    assert import_catalogue(ledger, path) == out  # the same open proposal: nothing written
    assert "applied" in approved(ledger, out)
    artists = {a["id"]: a for a in json.loads(run("--ledger", ledger, "--format", "json", "consortium", "show",
                                                  "artists"))}
    assert (artists["a1"]["mbids"], artists["a2"]["aliases"]) == ([M1.lower()], ["Quiet Hours, The"])
    assert artists["ar200"]["aliases"] == ["GF", "Glass Flowers (band)"]
    settled = fingerprint(ledger)
    assert import_catalogue(ledger, path).splitlines() == [
        f"{path}: artists new: 0, with new identifiers: 0, already on chain as given: 3; nothing to propose"]
    assert fingerprint(ledger) == settled
    # plays: a1 by its MBID under another spelling, a2 by its alias, ar200 by its MBID and its alias
    plays = [month_play("2026-10-01T08:00:00Z", "S. Ás", "Morgunn", 180, 200, 1, M1),
             month_play("2026-10-02T08:00:00Z", "Quiet Hours, The", "Late", 240, 241, 2, ""),
             month_play("2026-10-03T08:00:00Z", "Glass Flowers & Friends", "Stem", 100, 100, 3, GF_MBID),
             month_play("2026-10-04T08:00:00Z", "GF", "Leaf", 100, 120, 4, "")]
    lines = write_json_lines(tmp_path / "rob.jsonl", [listenbrainz_listen(p, "rob") for p in plays])
    submit(ledger, lines)
    run("--ledger", ledger, "month", "reconcile", "2026-10", "--node", "n1")
    receipt = json.loads(run("--ledger", ledger, "--format", "json", "receipt", "rob", "--month", "2026-10",
                             "--node", "n1"))
    assert [(a["artist_id"], a["seconds"]) for a in receipt["artists"]] == [("a2", 241), ("ar200", 220), ("a1", 200)]


def test_a_bad_catalogue_is_named_row_by_row_and_proposes_nothing(ledger, tmp_path):
    path = tmp_path / "catalogue.jsonl"
    rows = [{"id": "ar300", "name": "New One", "mbids": ["not-a-uuid"]},
            {"id": "unreg:0123456789abcdef01234567", "name": "Evil", "wallet": "w-evil"},
            {"id": "a1", "name": "Sigrun As", "wallet": "w-a1"},
            {"id": "ar301", "name": "Two", "wallet": "w", "mbids": [M1]},
            {"id": "ar302", "name": "Three", "wallet": "w", "mbids": [M1]},
            {"id": "ar301", "name": "Two again", "wallet": "w"}]
    write_json_lines(path, rows)
    before = fingerprint(ledger)
    out = import_catalogue(ledger, path, expect=2)
    assert out.splitlines() == [
        f"{path}:1: field wallet: is missing: artist ar300 is new, and a new artist needs a wallet",
        f"{path}:1: field mbids: artist ar300 mbid 'not-a-uuid' is not a MusicBrainz id (a UUID, 8-4-4-4-12 hex "
        "digits)",
        f"{path}:2: field id: artist id unreg:0123456789abcdef01234567 is reserved for the money held for an "
        "unregistered artist's name, and neither the name 'Evil' nor an alias derives it",
        f"{path}:3: field name: artist a1 is registered as 'Sigrún Ás'; put 'Sigrun As' among its aliases",
        f"{path}:5: field mbids: MusicBrainz id {M1} already names artist ar301 (line 4)",
        f"{path}:6: field id: artist ar301 is also on line 4",
        f"error: {path}: 5 bad rows; nothing was proposed"]
    assert fingerprint(ledger) == before
    (tmp_path / "c.txt").write_text("id,name\n")
    assert import_catalogue(ledger, tmp_path / "c.txt", expect=2) == (
        f"error: {tmp_path / 'c.txt'}: unknown file type '.txt'; an artist catalogue is .csv or .jsonl\n")
    (tmp_path / "c.csv").write_text("id,name,wallets\n")
    assert import_catalogue(ledger, tmp_path / "c.csv", expect=2) == (
        f"error: {tmp_path / 'c.csv'}:1: header must name columns among id,name,wallet,mbids,isni,aliases (id and "
        "name at least), each once; got id,name,wallets\n")


def test_money_kept_under_a_name_reaches_the_artist_that_registers_with_it(ledger, tmp_path):
    plays = [PLAYS[0], month_play("2026-10-03T10:00:00Z", "Glass Flowers", "Stem", 200, 200, 8, "")]
    submit(ledger, write_json_lines(tmp_path / "rob.jsonl", [listenbrainz_listen(p, "rob") for p in plays]),
           "--unmapped", "keep")
    run("--ledger", ledger, "month", "reconcile", "2026-10", "--node", "n1")
    for reviewer in ("n2", "n3"):
        run("--ledger", ledger, "month", "review", "2026-10", "--node", "n1", "--reviewer", reviewer)
    run("--ledger", ledger, "month", "settle", "2026-10", "--node", "n1")
    path = tmp_path / "catalogue.csv"
    path.write_text("id,name,wallet,aliases\nar200,GF,w-ar200,Glass Flowers\n", encoding="utf-8")
    out = import_catalogue(ledger, path)
    kept = unregistered_id("Glass Flowers")
    assert (f"'Glass Flowers' derives {kept}, which has 4.500000 held for it while unregistered (2026-10 4.500000); "
            "Settlement:ReleaseArtist releases it to artist ar200, wallet w-ar200.") in " ".join(out.split())
    approved(ledger, out)
    run("--ledger", ledger, "invoke", "Settlement:ReleaseArtist", "2026-10", kept)
    releases = [p for p in json.loads(run("--ledger", ledger, "query", "Settlement:ListPayouts", "2026-10"))
                if p["kind"] == "release"]
    assert [(r["payee"], r["wallet"], r["source"], r["amount_micro"]) for r in releases] == [
        ("ar200", "w-ar200", kept, 4_500_000)]
    receipt = json.loads(run("--ledger", ledger, "--format", "json", "receipt", "rob", "--month", "2026-10",
                             "--node", "n1"))
    assert [(a["artist_id"], a["status"]) for a in receipt["artists"]] == [("a1", "paid"), (kept, "paid")]


def test_a_raw_day_file_verifies_through_the_catalogue_and_the_played_time_rule(ledger, tmp_path):
    day = write_json_lines(tmp_path / "2026-10-01.jsonl", [listenbrainz_listen(p, "rob") for p in PLAYS[:2]])
    submit(ledger, day)
    out = run("--ledger", ledger, "audit", "verify", day, "--node", "n1")
    assert out.startswith(f"{day} matches node n1's anchor of 2026-10-01 (block ")


def test_the_policys_played_time_setting_decides_what_a_listen_without_one_counts(tmp_path):
    (tmp_path / "consortium.yaml").write_text(CONSORTIUM.replace(
        "currency: USDP}", "currency: USDP, played_time: {rule: default, default_seconds: 45}}"), encoding="utf-8")
    folder = tmp_path / "ledger"
    run("--ledger", folder, "init", "--consortium", tmp_path / "consortium.yaml")
    run("--ledger", folder, "consortium", "load", tmp_path / "consortium.yaml")
    policy = json.loads(run("--ledger", folder, "query", "Registry:GetPolicy", "2026-10"))
    assert policy["played_time"] == {"ceiling_seconds": 0, "default_seconds": 45, "rule": "default"}
    out = submit(folder, write_json_lines(tmp_path / "rob.jsonl", [listenbrainz_listen(PLAYS[0], "rob")]))
    assert [line.split()[1:6] for line in out.splitlines() if line.startswith("2026-10-01")] == [
        ["1", "1", "1", "45", "1"]]  # rows, listeners, plays, seconds, estimated
    (tmp_path / "bad.yaml").write_text(CONSORTIUM.replace("currency: USDP}", "currency: USDP, played_time: {rule: "
                                                          "guess}}"), encoding="utf-8")
    out = run("--ledger", tmp_path / "other", "init", "--consortium", tmp_path / "bad.yaml", expect=2)
    assert out == (f"error: {tmp_path / 'bad.yaml'}:1: field policy.played_time: policy played_time.rule 'guess' is "
                   "not one of track_length, default, refuse.\n")
