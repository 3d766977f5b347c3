"""Export zips as the platforms hand them out, and which of their files hold listens.

* ListenBrainz (Settings → Export): ``user.json`` (``{"user_id", "username"}``) and
  ``listens/YYYY/M.jsonl`` (one file per month, month not zero-padded); ``feedback.jsonl`` and
  ``pinned_recording.jsonl`` hold no listens.
* Spotify, Extended Streaming History: ``…/Streaming_History_Audio_*.json`` (older:
  ``endsong_N.json``); video histories are not music.
* Spotify, account data: ``…/StreamingHistory_music_N.json`` (older: ``StreamingHistoryN.json``);
  ``StreamingHistory_podcast_N.json`` is not music.
"""

import io
import re
import zipfile
import zlib
from collections import Counter
from typing import Iterator

from .fields import Bad
from .listenbrainz import export_user

MAX_MEMBER_BYTES = 2 << 30
_LISTENBRAINZ = re.compile(r"(?:^|/)listens/(\d{4})/(\d{1,2})\.jsonl$")
_SPOTIFY = re.compile(r"(?:^|/)(?:Streaming_History_Audio_[^/]*|endsong_\d+|StreamingHistory(?:_music_)?\d+)\.json$")
_NOT_MUSIC = re.compile(r"(?:^|/)(?:Streaming_History_Video_[^/]*|StreamingHistory_podcast_\d+)\.json$")
_USER = re.compile(r"(?:^|/)user\.json$")
NOT_MUSIC = "files of podcasts and videos (not music)"
#: What reading a member raises when it is damaged, encrypted or compressed in a way not supported.
UNREADABLE = (zipfile.BadZipFile, zlib.error, RuntimeError, NotImplementedError, EOFError, UnicodeDecodeError)


class ArchiveError(Exception):
    """A zip that cannot be read as an export; ``member`` names the file inside it, if any."""

    def __init__(self, message: str, member: str | None = None) -> None:
        super().__init__(message)
        self.message, self.member = message, member


class Archive:
    """An export zip, open for reading."""

    def __init__(self, path: str) -> None:
        try:
            self.zip = zipfile.ZipFile(path)
        except zipfile.BadZipFile as exc:
            raise ArchiveError(f"is not a zip archive ({exc})") from None
        self.names = [i.filename for i in self.zip.infolist() if not i.is_dir()]
        self.skipped: Counter = Counter({NOT_MUSIC: sum(1 for n in self.names if _NOT_MUSIC.search(n))})

    def __enter__(self) -> "Archive":
        return self

    def __exit__(self, *exc) -> None:
        self.zip.close()

    def listening_files(self) -> list[str]:
        """The files holding listens, ListenBrainz months in calendar order, then Spotify's by name."""
        months = sorted((n for n in self.names if _LISTENBRAINZ.search(n)),
                        key=lambda n: tuple(int(g) for g in _LISTENBRAINZ.search(n).groups()))
        return months + sorted(n for n in self.names if _SPOTIFY.search(n))

    def listenbrainz_user(self) -> str | None:
        """The user of a ListenBrainz export (its ``user.json``), or None."""
        found = [n for n in self.names if _USER.search(n)]
        if not found:
            return None
        try:
            return export_user(self.text(found[0]))
        except Bad as bad:
            raise ArchiveError(f"field {bad.field}: {bad.message}", found[0]) from None

    def _checked(self, member: str) -> zipfile.ZipInfo:
        info = self.zip.getinfo(member)
        if info.file_size > MAX_MEMBER_BYTES:
            raise ArchiveError(f"is {info.file_size} bytes unpacked, more than the {MAX_MEMBER_BYTES} "
                               "read from one file", member)
        return info

    def lines(self, member: str) -> Iterator[str]:
        """The lines of a member, as text."""
        try:
            with self.zip.open(self._checked(member)) as raw:
                yield from io.TextIOWrapper(raw, encoding="utf-8-sig")
        except UNREADABLE as exc:
            raise ArchiveError(f"cannot be read: {exc}", member) from None

    def text(self, member: str) -> str:
        """A member, as text."""
        try:
            return self.zip.read(self._checked(member)).decode("utf-8-sig")
        except UNREADABLE as exc:
            raise ArchiveError(f"cannot be read: {exc}", member) from None

    def describe(self) -> str:
        return (f"none of its {len(self.names)} files holds listens (expected listens/YYYY/M.jsonl of a "
                "ListenBrainz export, or Streaming_History_Audio_*.json or StreamingHistory*.json of a "
                "Spotify export)")
