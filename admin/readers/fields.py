"""Reading one field of a parsed JSON listen, with the field named in every refusal.

JSON numbers with a fraction are parsed as :class:`~decimal.Decimal` (exact), so a time such as
``1748964167.25`` keeps its microseconds and nothing is ever a float.
"""

import datetime as dt
import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping

from admin.pseudonym import check_listener

MICROS = 1_000_000
#: The latest time a play may have: the canonical day file renders years of four digits.
LATEST_MICROS = ((dt.date(9999, 12, 31) - dt.date(1970, 1, 1)).days + 1) * 86_400 * MICROS
UTC_TIME = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|\+00:00)$"
TIME_HINT = "is not an ISO-8601 UTC time such as 2026-10-01T08:15:00Z"
_UTC_TIME = re.compile(UTC_TIME)
#: ASCII digits, the whole string ("\d" would take Arabic-Indic or full-width digits too).
_DURATION = re.compile(r"P(?:([0-9]+)D)?(?:T(?:([0-9]+)H)?(?:([0-9]+)M)?(?:([0-9]+)S)?)?")
_MINUTE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$")
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


class Bad(Exception):
    """A bad field of one listen: the field's dotted path and one sentence."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


def shown(value: Any) -> str:
    """A value as a refusal quotes it: strings quoted, numbers exact, objects as short JSON."""
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, Decimal):
        return str(value)
    text = json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def get(item: Mapping, path: str, required: bool = True) -> Any:
    """The value at a dotted ``path``; Bad when required and missing, null or blank."""
    if "." not in path:
        value = item.get(path)
    else:
        value = item
        for key in path.split("."):
            value = value.get(key) if isinstance(value, dict) else None
    if required and (value is None or (isinstance(value, str) and not value.strip())):
        raise Bad(path, "is missing")
    return value


def text(item: Mapping, path: str, required: bool = True) -> str | None:
    """A string field (None when optional and absent)."""
    value = get(item, path, required)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise Bad(path, f"{shown(value)} is not a string")
    return value


def whole(field: str, value: Any) -> int:
    """A whole, non-negative number (an integer, or a decimal with no fraction)."""
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise Bad(field, f"{shown(value)} is not a whole number")
    if value < 0:
        raise Bad(field, f"{value} is negative")
    return value


def optional_whole(item: Mapping, path: str) -> int | None:
    """A whole, non-negative number, or None when the field is absent or null."""
    value = get(item, path, required=False)
    return None if value is None else whole(path, value)


def first(item: Mapping, path: str) -> str | None:
    """The first string of a field holding a list of strings or one string (None if absent)."""
    value = get(item, path, required=False)
    if isinstance(value, list):
        value = value[0] if value else None
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise Bad(path, f"{shown(value)} is not a string or a list of strings")
    return value


def _checked(field: str, micros: int, value: Any) -> int:
    if not 0 <= micros < LATEST_MICROS:
        raise Bad(field, f"{shown(value)} is out of range (years 1970 to 9999)")
    return micros


def unix_micros(field: str, value: Any, unit: int = MICROS) -> int:
    """Microseconds since 1970 of a time in seconds, or in milliseconds with ``unit`` = 1000
    (microseconds per unit); whole, or with a fraction of at most a microsecond."""
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise Bad(field, f"{shown(value)} is not a number of {'seconds' if unit == MICROS else 'milliseconds'}")
    try:
        exact = Decimal(value) * unit
    except InvalidOperation as exc:
        raise Bad(field, f"{shown(value)} is not a number") from exc
    if not exact.is_finite():
        raise Bad(field, f"{shown(value)} is not a number")
    if exact != exact.to_integral_value():
        raise Bad(field, f"{shown(value)} has a precision finer than a microsecond")
    if exact < 0:
        raise Bad(field, f"{shown(value)} is negative")
    return _checked(field, int(exact), value)


def iso_micros(field: str, value: Any) -> int:
    """Microseconds since 1970 of an ISO-8601 UTC time (``Z`` or ``+00:00``)."""
    if not isinstance(value, str) or not _UTC_TIME.match(value):
        raise Bad(field, f"{shown(value)} {TIME_HINT}")
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise Bad(field, f"{shown(value)} {TIME_HINT}") from exc
    return _checked(field, (moment - _EPOCH) // dt.timedelta(microseconds=1), value)


def minute_micros(field: str, value: Any) -> int:
    """Microseconds since 1970 of a UTC time to the minute, ``YYYY-MM-DD HH:MM``."""
    if not isinstance(value, str) or not _MINUTE.match(value):
        raise Bad(field, f"{shown(value)} is not a UTC time such as 2026-10-01 08:15")
    try:
        moment = dt.datetime.fromisoformat(value + "+00:00")
    except ValueError as exc:
        raise Bad(field, f"{shown(value)} is not a UTC time such as 2026-10-01 08:15") from exc
    return _checked(field, (moment - _EPOCH) // dt.timedelta(microseconds=1), value)


def iso_duration(field: str, value: Any) -> int:
    """Whole seconds of an ISO-8601 duration such as ``PT3M12S`` (days, hours, minutes, seconds)."""
    if not isinstance(value, str):
        raise Bad(field, f"{shown(value)} is not an ISO-8601 duration such as PT3M12S")
    value = value.strip()
    match = _DURATION.fullmatch(value)
    if match and value not in ("P", "PT") and not value.endswith("T"):
        days, hours, minutes, secs = (int(g or 0) for g in match.groups())
        return ((days * 24 + hours) * 60 + minutes) * 60 + secs
    if value.startswith("-"):
        raise Bad(field, f"{shown(value)} is negative")
    if re.match(r"^P.*\d[.,]\d", value):
        raise Bad(field, f"{shown(value)} is not a whole number of seconds")
    raise Bad(field, f"{shown(value)} is not an ISO-8601 duration such as PT3M12S")


class NoListener(Bad):
    """A listen that names no listener, read without a listener to fall back on."""


def listener(field: str, value: Any, fallback: str | None) -> str:
    """The listener of a listen: ``value`` (from the listen itself) if given, else ``fallback``
    (``--listener``, or the export's own user); checked by :func:`admin.pseudonym.check_listener`."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if fallback is None:
            raise NoListener(field, "is missing: this file does not say who listened; "
                             "name the listener with --listener")
        return fallback
    if isinstance(value, dict):
        if not isinstance(value.get("id"), str):
            raise Bad(field, f"{shown(value)} is not an id or an object with an id")
        value = value["id"]
    try:
        return check_listener(value)
    except ValueError as exc:
        raise Bad(field, str(exc)) from None
