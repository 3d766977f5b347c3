"""What every platform reader gives: one :class:`Listen` per play, or a :class:`Skip`."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ArtistRef:
    """How a source names a play's artist, for the artist catalogue (:mod:`admin.artists`).

    name: the artist as the source writes it (listed when unmapped; an unmapped artist kept
        under an id derived from it); field: where ``name`` is in the source;
    mbids: MusicBrainz artist ids of the primary credited artist, tried first;
    aliases: further exact names or URLs to try after ``name``;
    ledger_id: a ledger artist id the source itself gives (a URL's last path segment, a CSV
        column), tried last, and used as is when there is no catalogue.
    """

    name: str
    field: str
    mbids: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    ledger_id: str | None = None


@dataclass(frozen=True, slots=True)
class Listen:
    """One play as read: when it started, who, which artist and track, and what it says of time.

    played_at: microseconds since 1970 (UTC) when the play started;
    played: seconds the play lasted, when the source says (Spotify's ms_played);
    length: seconds the track lasts, when the source says (ListenBrainz's duration_ms) — not
        the time listened: the played-time policy (:mod:`admin.readers.playtime`) decides.
    """

    line: int
    played_at: int
    listener: str
    artist: ArtistRef
    track: str
    played: int | None
    length: int | None


@dataclass(frozen=True, slots=True)
class Skip:
    """An entry that is not a play of music (a podcast, a love event): counted, not read."""

    reason: str
