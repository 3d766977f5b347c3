"""Daily listening: a node's plays, read from any files, pseudonymised and canonicalised here,
anchored on chain one UTC day at a time."""

import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Callable, Iterable

from chaincode.contracts.listening import Listening
from chaincode.contracts.registry import Registry
from chaincode.rules import Policy

from . import dayfile
from .artists import ArtistCatalogue
from .errors import InputError, NotFoundRejected
from .formats import Problem, raise_first
from .inputs import csv_records
from .intake import Intake, read_files
from .pseudonym import Pseudonymiser, check_listener
from .readers.playtime import PlaytimeRule
from .readers.resolve import ReadOptions, Unmapped
from .output import write_csv
from .session import Session

REPORT_COLUMNS = ("file", "line", "field", "message")
MONTH_HINT = "(anchor the months the consortium runs with --month YYYY-MM)"
SHOWN_UNMAPPED = 20


def read_options(session: Session, listener: str | None = None, keep_unmapped: bool = False,
                 month: str | None = None) -> ReadOptions:
    """How this node reads plays: the artist catalogue from the chain's artist records, and each
    month's played-time rule from the policy in force (see :mod:`admin.readers.playtime`)."""
    if listener is not None:
        try:
            check_listener(listener)
        except ValueError as exc:
            raise InputError(str(exc), field="--listener") from None
    catalogue = ArtistCatalogue(session.reader().evaluate(Registry.ListArtists))
    rules: dict[str, PlaytimeRule] = {}

    def playtime(month: str) -> PlaytimeRule:
        if month not in rules:
            try:
                rules[month] = PlaytimeRule.of(session.policy(month))
            except NotFoundRejected as exc:
                raise InputError(f"a play of {month}: {exc.message.rstrip('.')} {MONTH_HINT}") from None
        return rules[month]

    return ReadOptions(listener, catalogue, keep_unmapped, playtime, month)


LISTENER_MAP_COLUMNS = ["file", "listener_id"]


def load_listener_map(path: Path, files: Iterable[Path]) -> dict[Path, str]:
    """The listener of each file named in a CSV ``file,listener_id`` (a file by its path as given,
    or by its name when that is unique among ``files``)."""
    by_path = {str(f): f for f in files}
    by_name: dict[str, list[Path]] = defaultdict(list)
    for file in files:
        by_name[file.name].append(file)
    found: dict[Path, str] = {}
    for line, (name, listener_id) in csv_records(path, LISTENER_MAP_COLUMNS):
        matches = [by_path[name]] if name in by_path else by_name.get(name, [])
        if len(matches) != 1:
            why = "is not among the files submitted" if not matches else "names several files submitted"
            raise InputError(f"{name!r} {why}", str(path), line, "file")
        try:
            listener = check_listener(listener_id)
        except ValueError as exc:
            raise InputError(str(exc), str(path), line, "listener_id") from None
        if matches[0] in found and found[matches[0]] != listener:
            raise InputError(f"{name!r} is given two listeners", str(path), line, "file")
        found[matches[0]] = listener
    return found


def check_intake(intake: Intake, report: Path | None, files: int) -> None:
    """Write the report (when asked) and refuse the intake if anything is wrong: unmapped
    artists listed by name first, else the first problem."""
    if report is not None:
        write_problem_report(intake.problems, report)
    if not intake.problems:
        return
    refused = [u for u in intake.unmapped if u.kept_as is None]
    where = f"; every problem is listed in {report}" if report else ""
    if refused:
        raise InputError(unmapped_text(refused, kept=False) + f"\nnothing was anchored{where}")
    if report is not None:
        bad = sorted({p.file for p in intake.problems})
        rows = problem_rows(intake.problems)
        raise InputError(f"{rows} bad row{'s' if rows != 1 else ''} and {len(intake.problems)} problem"
                         f"{'s' if len(intake.problems) != 1 else ''} in {len(bad)} of {files} files "
                         f"({', '.join(bad)}); nothing was anchored{where}")
    first_file = intake.problems[0].file
    raise_first([p for p in intake.problems if p.file == first_file])


def unmapped_text(unmapped: list[Unmapped], kept: bool) -> str:
    """The unmapped artists, one line each: name, plays, first place, and why or the id kept under."""
    by_name: dict[str, list[Unmapped]] = defaultdict(list)
    for entry in unmapped:
        by_name[entry.name].append(entry)
    plays = len(unmapped)
    head = (f"{plays} play{'s' if plays != 1 else ''} of {len(by_name)} artist{'s' if len(by_name) != 1 else ''} "
            f"not in the artist catalogue")
    head += (" kept under ids derived from their names (their money is held until they register):" if kept
             else "; register them (or their MusicBrainz ids or aliases), or pass --unmapped keep to hold "
             "their money under ids derived from their names:")
    lines = []
    for name, entries in list(by_name.items())[:SHOWN_UNMAPPED]:
        first = entries[0]
        tail = f"as {first.kept_as}" if kept else first.why
        lines.append(f"  {name!r}: {len(entries)} play{'s' if len(entries) != 1 else ''}, first at "
                     f"{first.file}:{first.line}; {tail}")
    if len(by_name) > SHOWN_UNMAPPED:
        lines.append(f"  ... and {len(by_name) - SHOWN_UNMAPPED} more artists")
    return "\n".join([head, *lines])


def _canonical_day(intake: Intake, day: str, pseudonyms: Pseudonymiser, policy: Policy):
    """(canonical frame, anchor, estimated plays) of one day of the intake, by the policy in force."""
    reading, estimated = intake.day_frame(day)
    frame = dayfile.canonicalise(reading, pseudonyms)
    return frame, dayfile.anchor(frame, policy.min_seconds, policy.day_format), estimated


def _counts(anchor: dict[str, Any]) -> dict[str, int]:
    return {k: anchor[k] for k in ("listeners", "plays", "rows", "seconds")}


def anchor_day(session: Session, node: str, day: str, intake: Intake, pseudonyms: Pseudonymiser,
               policy: Policy, correction: str | None = None) -> dict[str, Any]:
    """Pseudonymise, canonicalise and anchor one day of the intake (with ``correction``, its reason:
    replace the day's anchor, ``Listening:Correct``); the canonical file is kept once the anchor is
    on chain, a replaced one under ``superseded/``."""
    frame, anchor, estimated = _canonical_day(intake, day, pseudonyms, policy)
    admin = session.admin(node)
    if correction is None:
        record = admin.submit(Listening.Anchor, node, day, anchor["sha256"], _counts(anchor))
    else:
        record = admin.submit(Listening.Correct, node, day, anchor["sha256"], _counts(anchor), correction)
    form = policy.day_format
    target = dayfile.kept_path(session.folder, node, day, form)  # written only once the anchor is on chain
    if correction is not None and target.exists() and record.json()["corrected"]:
        replaced = record.json()["anchor"]["superseded"][-1]["sha256"]
        kept = dayfile.superseded_path(session.folder, node, day, replaced, form)
        kept.parent.mkdir(parents=True, exist_ok=True)
        target.replace(kept)
    dayfile.write_canonical(frame, target, form)
    return {"node": node, "date": day, **anchor, "estimated": estimated, "txid": record.txid,
            "block": record.block, "canonical_file": str(target)}


def anchor_days(session: Session, node: str, intake: Intake,
                progress: Callable[[int], None] = lambda n: None) -> list[dict[str, Any]]:
    """Anchor every day of the intake, in date order (one pseudonymiser per month); nothing when a
    month of the intake has no policy in force, or when the chain refuses the anchor of any day
    (with several days, each is first run against the chain without being committed)."""
    secret = session.config.secret(node)
    policies, missing = {}, []
    for month in sorted({day[:7] for day in intake.days}):
        try:
            policies[month] = session.policy(month)
        except NotFoundRejected:
            missing.append(month)
    if missing:
        raise InputError(f"no policy is in force for {', '.join(missing)}, months the files hold plays of; "
                         f"nothing was anchored {MONTH_HINT}")
    months: dict[str, Pseudonymiser] = {}
    days = [(day, months.setdefault(day[:7], Pseudonymiser(secret, day[:7])), policies[day[:7]])
            for day in sorted(intake.days)]
    if len(days) > 1:
        admin = session.admin(node)
        for day, pseudonyms, policy in days:
            anchor = _canonical_day(intake, day, pseudonyms, policy)[1]
            admin.evaluate(Listening.Anchor, node, day, anchor["sha256"], _counts(anchor))
    rows = []
    for day, pseudonyms, policy in days:
        rows.append(anchor_day(session, node, day, intake, pseudonyms, policy))
        progress(1)
    return rows


def submit_day(session: Session, node: str, path: Path, fmt: str | None = None) -> dict[str, Any]:
    """Read, check, pseudonymise and anchor one day file; returns the anchor and what happened."""
    intake = read_files([path], fmt, read_options(session))
    check_intake(intake, None, 1)
    return anchor_days(session, node, intake)[0]


def correct_day(session: Session, node: str, path: Path, reason: str, fmt: str | None = None) -> dict[str, Any]:
    """Read, check, pseudonymise and anchor ``path`` as the correction of the one day it holds."""
    intake = read_files([path], fmt, read_options(session))
    check_intake(intake, None, 1)
    if len(intake.days) != 1:
        raise InputError(f"a correction replaces one day; the file holds plays of {len(intake.days)} days "
                         f"({', '.join(sorted(intake.days)) or 'none'})", str(path))
    day = next(iter(intake.days))
    try:
        policy = session.policy(day[:7])
    except NotFoundRejected:
        raise InputError(f"no policy is in force for {day[:7]}", str(path)) from None
    pseudonyms = Pseudonymiser(session.config.secret(node), day[:7])
    return anchor_day(session, node, day, intake, pseudonyms, policy, reason)


def skipped_text(skipped: Counter) -> list[str]:
    """What was read but is not a play, one line per reason."""
    return [f"left out: {n} {reason}" for reason, n in sorted(skipped.items()) if n]


def write_problem_report(problems: list[Problem], target: Path) -> None:
    """The problems as JSON (a ``.json`` target) or CSV, one row each: file, line, field, message."""
    rows = [{"file": p.file, "line": p.line, "field": p.field, "message": p.message} for p in problems]
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.suffix.lower() == ".json":
        target.write_text(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
        return
    with target.open("w", newline="") as out:
        write_csv(out, REPORT_COLUMNS, [[row[c] for c in REPORT_COLUMNS] for row in rows])


def problem_rows(problems: Iterable[Problem]) -> int:
    """How many distinct rows the problems are about."""
    return len({(p.file, p.line) for p in problems if not p.whole_file})
