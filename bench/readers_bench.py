"""Time the platform readers on a year of one listener's exports, beside the floor in the same run.

Writes (once, into FOLDER) a ListenBrainz export zip and a Spotify Extended Streaming History
file of N plays each (default 100,000, spread over about 400 days), then reads each through
the whole intake a `listens submit` runs (admin.intake.read_files: parse, recognise the platform,
map artists through a catalogue of 2,000, settle seconds, split into days), beside the reference:
the same files parsed with the json module alone (zip members read, every entry decoded). Prints
JSON: seconds, plays per second and the ratio to the reference; peak RSS of the process.
"""

import argparse
import json
import random
import resource
import sys
import time
import zipfile
from pathlib import Path

from admin.artists import ArtistCatalogue
from admin.intake import read_files
from admin.readers.resolve import ReadOptions

START = 1_767_225_600  # 2026-01-01T00:00:00Z


def plays(count: int, seed: int = 14) -> list[tuple[int, str, str, int]]:
    """(start, artist, track, seconds played) of ``count`` plays over a year."""
    rng = random.Random(seed)
    out, at = [], START
    for _ in range(count):
        at += rng.randint(60, 2 * 31_536_000 // count)
        artist = rng.randint(1, 2500)  # a fifth are not in the catalogue of 2,000
        out.append((at, f"Artist {artist}", f"Track {artist}-{rng.randint(1, 30)}", rng.randint(5, 400)))
    return out


def write_inputs(folder: Path, count: int) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    zipped, spotify = folder / f"listenbrainz-{count}.zip", folder / f"Streaming_History_Audio-{count}.json"
    if zipped.exists() and spotify.exists():
        return zipped, spotify
    data = plays(count)
    months: dict[str, list[str]] = {}
    for at, artist, track, seconds in data:
        month = time.strftime("%Y/%-m", time.gmtime(at))
        months.setdefault(month, []).append(json.dumps({
            "listened_at": float(at), "inserted_at": at + 60.5,
            "track_metadata": {"artist_name": artist, "track_name": track, "recording_msid": f"msid-{track}",
                               "additional_info": {"duration_ms": seconds * 1000 + 20_000},
                               "mbid_mapping": None}}))
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("user.json", json.dumps({"user_id": 1, "username": "bench"}))
        for month, lines in months.items():
            archive.writestr(f"listens/{month}.jsonl", "\n".join(lines) + "\n")
    spotify.write_text(json.dumps([{
        "ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at + seconds)), "ms_played": seconds * 1000,
        "master_metadata_track_name": track, "master_metadata_album_artist_name": artist,
        "spotify_track_uri": f"spotify:track:{track}", "spotify_episode_uri": None} for at, artist, track, seconds
        in data], indent=1))
    return zipped, spotify


def reference(path: Path) -> int:
    """The floor: every entry decoded by the json module, nothing else."""
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            return sum(1 for name in archive.namelist() if name.startswith("listens/")
                       for line in archive.read(name).decode().splitlines() if json.loads(line))
    return len(json.loads(path.read_text()))


def timed(function) -> tuple[float, object]:
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--plays", type=int, default=100_000)
    args = parser.parse_args()
    options = ReadOptions(listener="bench", keep_unmapped=True,
                          catalogue=ArtistCatalogue([{"id": f"ar{i}", "name": f"Artist {i}"} for i in range(1, 2001)]))
    report = {}
    for path in write_inputs(args.folder, args.plays):
        floor_s, entries = timed(lambda: reference(path))
        read_s, intake = timed(lambda: read_files([path], None, options))
        rows = sum(len(frame) for pieces in intake.days.values() for frame, _ in pieces)
        assert rows == entries == args.plays and not intake.problems, (rows, entries, intake.problems[:1])
        report[path.name] = {"plays": rows, "days": len(intake.days), "intake_s": round(read_s, 2),
                             "plays_per_s": round(rows / read_s), "reference_json_s": round(floor_s, 2),
                             "ratio_to_reference": round(read_s / floor_s, 1)}
    report["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    json.dump(report, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
