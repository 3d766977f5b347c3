"""From listens to plays: each artist through the catalogue, each listen's seconds through the
played-time rule of its month (:mod:`admin.readers.playtime`)."""

import datetime as dt
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from admin.artists import ArtistCatalogue
from chaincode.artist_ids import unregistered_id
from chaincode.rules import MAX_PLAY_SECONDS

from .model import ArtistRef, Listen
from .playtime import PlaytimeRule
from .sources import Issue, Part

MICROS_PER_DAY = 86_400_000_000
UNMAPPED_FIELD_HINT = "pass --unmapped keep to hold its money under an id derived from its name"
OUTSIDE_MONTH = "plays outside the month chosen with --month"


def _default_rule(month: str) -> PlaytimeRule:
    return PlaytimeRule()


@dataclass(frozen=True)
class ReadOptions:
    """How listens become plays.

    listener: who listened, for files that do not say (``--listener``; it also replaces the
        user of a ListenBrainz export's ``user.json``);
    catalogue: the artist catalogue; without one, artists are the sources' own references
        (a URL's last segment, the first MBID, else the name) and CSV ids are taken as they are;
    keep_unmapped: keep an unmapped artist's plays under :func:`chaincode.artist_ids.unregistered_id`
        of its name instead of refusing them;
    playtime: the played-time rule of a month ``YYYY-MM``;
    month: read only the plays of this month (the others are counted as left out).
    """

    listener: str | None = None
    catalogue: ArtistCatalogue | None = None
    keep_unmapped: bool = False
    playtime: Callable[[str], PlaytimeRule] = _default_rule
    month: str | None = None


@dataclass(frozen=True)
class Unmapped:
    """A play whose artist the catalogue does not know: where, the name, why, and the id it is
    kept under (None when refused)."""

    file: str
    line: int
    name: str
    why: str
    kept_as: str | None


@dataclass
class Resolved:
    """The plays of one part, as columns, with what was estimated, refused or unmapped."""

    file: str
    lines: list[int] = field(default_factory=list)
    played_at: list[int] = field(default_factory=list)
    listener: list[str] = field(default_factory=list)
    artist: list[str] = field(default_factory=list)
    track: list[str] = field(default_factory=list)
    seconds: list[int] = field(default_factory=list)
    estimated: list[bool] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    unmapped: list[Unmapped] = field(default_factory=list)


def _month(micros: int, cache: dict[int, str]) -> str:
    day = micros // MICROS_PER_DAY
    if day not in cache:
        cache[day] = (dt.date(1970, 1, 1) + dt.timedelta(days=day)).isoformat()[:7]
    return cache[day]


def artist_of(ref: ArtistRef, catalogue: ArtistCatalogue | None) -> tuple[str | None, str]:
    """The ledger artist id of a reference (None and why when the catalogue has none)."""
    if catalogue is None:
        return ref.ledger_id or (ref.mbids[0] if ref.mbids else ref.name), ""
    match = catalogue.match(ref)
    return match.artist_id, match.why


def resolve(part: Part, options: ReadOptions) -> Resolved:
    """The plays of a part's listens."""
    plays = Resolved(part.file, issues=list(part.issues))
    months: dict[int, str] = {}
    artists: dict[ArtistRef, tuple[str | None, str, str | None]] = {}
    for listen in part.listens:
        month = _month(listen.played_at, months)
        if options.month is not None and month != options.month:
            part.skipped[OUTSIDE_MONTH] += 1
            continue
        artist = _artist(plays, listen, options, artists)
        seconds, estimated = listen.played, False
        if seconds is None:
            rule = options.playtime(month)
            seconds, estimated = rule.seconds(listen.length), True
            if seconds is None:
                plays.issues.append(Issue(listen.line, "(played time)",
                                          f"the listen says no time played; {rule.describe()}"))
                continue
        if seconds > MAX_PLAY_SECONDS:
            plays.issues.append(Issue(listen.line, "(played time)", f"{seconds} s is longer than a day "
                                      f"({MAX_PLAY_SECONDS} s)"))
            continue
        if artist is None:
            continue
        plays.lines.append(listen.line)
        plays.played_at.append(listen.played_at)
        plays.listener.append(listen.listener)
        plays.artist.append(artist)
        plays.track.append(listen.track)
        plays.seconds.append(seconds)
        plays.estimated.append(estimated)
    return plays


def _artist(plays: Resolved, listen: Listen, options: ReadOptions,
            known: dict[ArtistRef, tuple[str | None, str, str | None]]) -> str | None:
    """The ledger artist of a listen (each distinct reference looked up once); an unmapped one is
    recorded, and kept under its derived id or refused (None)."""
    ref = listen.artist
    if ref not in known:
        artist, why = artist_of(ref, options.catalogue)
        kept = unregistered_id(ref.name) if artist is None and options.keep_unmapped else None
        known[ref] = artist, why, kept
    artist, why, kept = known[ref]
    if artist is not None:
        return artist
    plays.unmapped.append(Unmapped(plays.file, listen.line, ref.name, why, kept))
    if kept is None:
        plays.issues.append(Issue(listen.line, ref.field, f"artist {ref.name!r} is not in the artist "
                                  f"catalogue ({why}); {UNMAPPED_FIELD_HINT}"))
    return kept


def map_artist_column(file: str, lines: np.ndarray, values: pa.Array, options: ReadOptions
                      ) -> tuple[pa.Array, np.ndarray, list[Unmapped]]:
    """An ``artist_id`` column through the catalogue (:meth:`ArtistCatalogue.map_id`): the mapped
    column, which rows are refused, and every unmapped row."""
    refused = np.zeros(len(values), dtype=bool)
    if options.catalogue is None or len(values) == 0:
        return values, refused, []
    uniques = [v for v in pc.unique(values).to_pylist() if v is not None]
    mapping = {v: options.catalogue.map_id(v) for v in uniques}
    bad = sorted(v for v, m in mapping.items() if m is None)
    for value in bad:
        mapping[value] = unregistered_id(value) if options.keep_unmapped else value
    keys = pa.array(list(mapping), pa.string())
    mapped = pa.array(list(mapping.values()), pa.string()).take(pc.index_in(values, keys))
    unmapped_rows = np.flatnonzero(pc.fill_null(pc.is_in(values, pa.array(bad, pa.string())), False)
                                   .to_numpy(zero_copy_only=False))
    kept = options.keep_unmapped
    unmapped = [Unmapped(file, int(lines[i]), values[int(i)].as_py(),
                         "not a registered id, a name or alias of one artist, nor a valid id",
                         mapped[int(i)].as_py() if kept else None) for i in unmapped_rows]
    if not kept:
        refused[unmapped_rows] = True
    return mapped, refused, unmapped
