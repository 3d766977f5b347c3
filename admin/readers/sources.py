"""Which platform wrote an entry, and the listens of a JSON-lines file, a JSON document or a zip.

Each entry is recognised by its own keys, so one file may mix platforms:
ListenBrainz (``listened_at`` or ``track_metadata``), ActivityStreams (``type``), Spotify
Extended (``ts`` and ``ms_played``), Spotify account data (``endTime`` and ``msPlayed``), Pano
Scrobbler (``timeMs``), Maloja (``time`` and ``track``).
"""

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

from . import activitystreams, archive, jsondoc, listenbrainz, maloja, panoscrobbler, spotify
from .fields import Bad, NoListener
from .model import Listen, Skip

Reader = Callable[[Mapping, int, str | None], Listen | Skip]
PLATFORMS: tuple[tuple[Callable[[Mapping], bool], Reader], ...] = (
    (listenbrainz.is_listen, listenbrainz.read),
    (spotify.is_extended, spotify.read_extended),
    (spotify.is_account, spotify.read_account),
    (panoscrobbler.is_entry, panoscrobbler.read),
    (maloja.is_scrobble, maloja.read),
)
KNOWN = ("a ListenBrainz listen, an ActivityStreams Listen, a Spotify stream, a Maloja scrobble or "
         "a Pano Scrobbler entry")


@dataclass(frozen=True)
class Issue:
    """A bad entry (``line``, ``field``, one sentence), or the whole file when ``whole_file``."""

    line: int | None
    field: str
    message: str
    whole_file: bool = False


@dataclass
class Part:
    """The listens of one file (or one file of an archive), its issues and what it skipped."""

    file: str
    listens: list[Listen] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    skipped: Counter = field(default_factory=Counter)


def read_entry(item: Any, line: int, fallback_listener: str | None, in_collection: bool = False
               ) -> Listen | Skip:
    """The listen of one JSON entry, by the platform that wrote it."""
    if not isinstance(item, dict):
        raise Bad("(json)", "is not a JSON object")
    if activitystreams.is_activity(item) and not listenbrainz.is_listen(item):
        return activitystreams.read(item, line, fallback_listener, in_collection)
    for recognises, read in PLATFORMS:
        if recognises(item):
            return read(item, line, fallback_listener)
    raise Bad("(json)", f"is not {KNOWN}")


def read_entries(file: str, entries: Iterable[tuple[int, Any, bool]], fallback_listener: str | None) -> Part:
    """A Part from located entries; the first entry naming no listener stops the file (the fix,
    ``--listener``, is the same for every entry)."""
    part = Part(file)
    for line, item, in_collection in entries:
        if isinstance(item, jsondoc.Broken):
            part.issues.append(Issue(line, "(json)", item.message))
            continue
        try:
            result = read_entry(item, line, fallback_listener, in_collection)
        except NoListener as missing:
            part.issues.append(Issue(line, missing.field, missing.message, whole_file=True))
            return part
        except Bad as bad:
            part.issues.append(Issue(line, bad.field, bad.message))
            continue
        if isinstance(result, Skip):
            part.skipped[result.reason] += 1
        else:
            part.listens.append(result)
    return part


def read_json_lines(file: str, stream: Iterable[str], fallback_listener: str | None) -> Part:
    """The listens of a JSON-lines file (one entry per line; blank lines skipped)."""
    return read_entries(file, ((line, item, False) for line, item in jsondoc.lines(iter(stream))),
                        fallback_listener)


def read_json_document(file: str, text: str, fallback_listener: str | None) -> Part:
    """The listens of a JSON document (see :mod:`admin.readers.jsondoc` for its shapes)."""
    try:
        located = jsondoc.entries(text)
    except jsondoc.Broken as broken:
        return Part(file, issues=[Issue(broken.line, "(json)", broken.message, whole_file=True)])
    return read_entries(file, located, fallback_listener)


def read_zip(path: str, fallback_listener: str | None) -> list[Part]:
    """The listens of every listening file of an export zip (see :mod:`admin.readers.archive`)."""
    parts = []
    with archive.Archive(path) as zipped:
        user = zipped.listenbrainz_user()
        listener = fallback_listener if fallback_listener is not None else user
        for member in zipped.listening_files():
            name = f"{path}:{member}"
            if member.endswith(".jsonl"):
                parts.append(read_json_lines(name, zipped.lines(member), listener))
            else:
                parts.append(read_json_document(name, zipped.text(member), listener))
        if not parts:
            raise archive.ArchiveError(zipped.describe())
        parts[0].skipped.update(zipped.skipped)
    return parts
