"""Daily listening: a node's day file, pseudonymised and canonicalised here, anchored on chain."""

import csv
import json
from pathlib import Path
from typing import Any, Callable, Iterable

from chaincode.contracts.listening import Listening

from . import dayfile
from .errors import InputError
from .formats import Problem
from .session import Session

REPORT_COLUMNS = ("file", "line", "field", "message")


def submit_day(session: Session, node: str, path: Path, fmt: str | None = None) -> dict[str, Any]:
    """Read, check, pseudonymise and anchor one day file; returns the anchor and what happened."""
    day = dayfile.day_of(path)
    frame = dayfile.load_day(path, session.config.secret(node), fmt)
    anchor = dayfile.anchor(frame, session.policy(day[:7]).min_seconds)
    counts = {k: anchor[k] for k in ("listeners", "plays", "rows", "seconds")}
    record = session.admin(node).submit(Listening.Anchor, node, day, anchor["sha256"], counts)
    target = dayfile.kept_path(session.folder, node, day)  # written only once the anchor is on chain
    dayfile.write_canonical(frame, target)
    return {"node": node, "date": day, **anchor, "txid": record.txid, "block": record.block,
            "canonical_file": str(target)}


def day_problems(session: Session, node: str, paths: Iterable[Path], fmt: str | None = None,
                 progress: Callable[[int], None] = lambda n: None) -> list[Problem]:
    """Every problem of the day files, each read and checked as :func:`submit_day` would; nothing
    is anchored. An unreadable file or a bad file name is one problem of the whole file."""
    secret = session.config.secret(node)
    problems: list[Problem] = []
    for path in paths:
        try:
            problems += dayfile.load_day_report(path, secret, fmt)[1]
        except InputError as exc:
            problems.append(Problem(str(path), exc.line, exc.field or "(file)", exc.message, True))
        progress(1)
    return problems


def write_problem_report(problems: list[Problem], target: Path) -> None:
    """The problems as JSON (a ``.json`` target) or CSV, one row each: file, line, field, message."""
    rows = [{"file": p.file, "line": p.line, "field": p.field, "message": p.message} for p in problems]
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.suffix.lower() == ".json":
        target.write_text(json.dumps(rows, indent=2) + "\n")
        return
    with target.open("w", newline="") as out:
        writer = csv.DictWriter(out, REPORT_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
