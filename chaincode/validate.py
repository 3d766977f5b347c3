"""Argument checks shared by the contracts; each failure is one InvalidArgument sentence."""

import re
from typing import Any

from . import canonical_json
from .errors import InvalidArgument

# Whole-string patterns of ASCII characters: "$" would also match before a final newline and "\d"
# any Unicode digit, so "2026-01-05\n" or that date in Arabic-Indic digits would be other keys of a day.
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}\Z")
_MONTH = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])\Z")
_DATE = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])-([0-9]{2})\Z")
_SHA256 = re.compile(r"[0-9a-f]{64}\Z")
_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def ident(name: str, value: Any) -> str:
    """An identifier: letters, digits and . _ : @ - (at most 128), starting with a letter or digit."""
    if not isinstance(value, str) or not _ID.match(value):
        raise InvalidArgument(f"{name} {value!r} is not a valid id (letters, digits, . _ : @ -).")
    return value


def month(value: Any) -> str:
    """A month ``YYYY-MM``."""
    if not isinstance(value, str) or not _MONTH.match(value):
        raise InvalidArgument(f"month {value!r} is not of the form YYYY-MM.")
    return value


def date(value: Any) -> str:
    """A calendar date ``YYYY-MM-DD``."""
    match = _DATE.match(value) if isinstance(value, str) else None
    if match:
        year, mon, day = (int(g) for g in match.groups())
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        if 1 <= day <= _DAYS[mon - 1] + (1 if mon == 2 and leap else 0):
            return value
    raise InvalidArgument(f"date {value!r} is not a calendar date YYYY-MM-DD.")


def sha256(name: str, value: Any) -> str:
    """A lower-case hex SHA-256."""
    if not isinstance(value, str) or not _SHA256.match(value):
        raise InvalidArgument(f"{name} {value!r} is not a lower-case hex SHA-256.")
    return value


def count(name: str, value: Any, minimum: int = 0) -> int:
    """A whole number at least ``minimum``, given as an int or a decimal string."""
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]+", value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InvalidArgument(f"{name} {value!r} is not a whole number of at least {minimum}.")
    return value


def choice(name: str, value: Any, options: tuple[str, ...]) -> str:
    """One of ``options``."""
    if value not in options:
        raise InvalidArgument(f"{name} {value!r} is not one of {', '.join(options)}.")
    return value


def json_arg(name: str, text: str) -> Any:
    """A JSON argument (integers only)."""
    try:
        return canonical_json.loads(text)
    except ValueError as exc:
        raise InvalidArgument(f"{name} is not valid JSON: {exc}.") from None


def json_list(name: str, value: Any) -> list:
    """A JSON list."""
    if not isinstance(value, list):
        raise InvalidArgument(f"{name} must be a JSON list.")
    return value


def json_object(name: str, value: Any) -> dict:
    """A JSON object."""
    if not isinstance(value, dict):
        raise InvalidArgument(f"{name} must be a JSON object.")
    return value


def text(name: str, value: Any, limit: int = 1000) -> str:
    """Free text of at most ``limit`` characters (may be empty)."""
    if not isinstance(value, str) or len(value) > limit:
        raise InvalidArgument(f"{name} must be text of at most {limit} characters.")
    return value


def isni(value: str) -> str:
    """An ISNI: 16 characters, 15 digits and an ISO 7064 MOD 11-2 check character (0-9 or X)."""
    compact = value.replace(" ", "")
    if not re.fullmatch(r"[0-9]{15}[0-9X]", compact):
        raise InvalidArgument(f"ISNI {value!r} must be 15 digits and a check character (0-9 or X).")
    total = 0
    for digit in compact[:15]:
        total = (total + int(digit)) * 2
    check = (12 - total % 11) % 11
    expected = "X" if check == 10 else str(check)
    if compact[15] != expected:
        raise InvalidArgument(f"ISNI {value!r} has check character {compact[15]}, expected {expected}.")
    return compact
