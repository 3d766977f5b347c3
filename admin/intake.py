"""A node's listening data, from any number of files in any format, into checked UTC days.

A file named for a day (``YYYY-MM-DD.…``) holds that day only: a play on another day is a bad
row. Any other file — a ListenBrainz or Spotify export, a Maloja backup, an outbox page — is
split into the UTC days of its plays. The plays of every file given together are merged by day,
so a day is anchored once with everything the node has for it. Everything is read and checked
before anything is anchored.
"""

from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterable, Mapping

import numpy as np
import pandas as pd

from . import dayfile, formats
from .errors import InputError
from .formats import Problem
from .readers.resolve import OUTSIDE_MONTH, ReadOptions, Unmapped


@dataclass
class Intake:
    """What a set of files gives: per day, its plays (reading frames, in file order) and which
    were estimated; every problem; every unmapped artist; what was not a play."""

    days: dict[str, list[tuple[pd.DataFrame, np.ndarray]]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    unmapped: list[Unmapped] = field(default_factory=list)
    skipped: Counter = field(default_factory=Counter)

    def add(self, day: str, frame: pd.DataFrame, estimated: np.ndarray) -> None:
        self.days.setdefault(day, []).append((frame, estimated))

    def day_frame(self, day: str) -> tuple[pd.DataFrame, int]:
        """The plays of a day in one reading frame, and how many had their seconds estimated."""
        pieces = self.days[day]
        if not pieces:  # a day file without a play: the day is anchored empty
            return formats.empty_frame(), 0
        frame = pd.concat([f for f, _ in pieces], ignore_index=True) if len(pieces) > 1 else pieces[0][0]
        return frame, int(sum(int(e.sum()) for _, e in pieces))


def read_files(paths: Iterable[Path], fmt: str | None, options: ReadOptions,
               progress: Callable[[int], None] = lambda n: None,
               listeners: Mapping[Path, str] | None = None) -> Intake:
    """Read and check every file; group the plays by UTC day (only ``options.month``'s when given).
    ``listeners`` names the listener of some files (instead of ``options.listener``)."""
    intake, month = Intake(), options.month
    for path in paths:
        own = (listeners or {}).get(path)
        try:
            reading = formats.read_plays(path, fmt, options if own is None else replace(options, listener=own))
        except InputError as exc:
            intake.problems.append(Problem(exc.file or str(path), exc.line, exc.field or "",
                                           exc.message, True))
            progress(1)
            continue
        intake.problems += reading.problems
        intake.unmapped += reading.unmapped
        intake.skipped.update(reading.skipped)
        named = dayfile.day_of(path) if dayfile.is_day_file(path) else None
        if named is not None and (month is None or named[:7] == month):
            intake.days.setdefault(named, [])
        for part in reading.parts:
            _split(intake, path, named, part, month)
        progress(1)
    return intake


def _split(intake: Intake, path: Path, named: str | None, part: formats.FramePart, month: str | None) -> None:
    """Add a part's plays to their days (a day file's plays off its day are problems)."""
    frame, estimated = part.frame, part.estimated
    if named is not None:
        wrong = dayfile.off_day_problems(frame, path, part.file)
        if wrong:
            intake.problems += wrong
            keep = ~frame.index.isin([p.line for p in wrong])
            frame, estimated = frame[keep], estimated[keep]
    days = dayfile.days_of(frame["played_at"].to_numpy())
    if month is not None:
        inside = np.char.startswith(days.astype(str), month) if len(days) else np.zeros(0, dtype=bool)
        intake.skipped[OUTSIDE_MONTH] += int((~inside).sum())
        frame, estimated, days = frame[inside], estimated[inside], days[inside]
    names, which = np.unique(days, return_inverse=True)
    order = np.argsort(which, kind="stable")
    for name, rows in zip(names, np.split(order, np.cumsum(np.bincount(which, minlength=len(names)))[:-1])):
        intake.add(str(name), frame.iloc[rows], estimated[rows])
