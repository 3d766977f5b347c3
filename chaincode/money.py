"""Money in integer micro-units: exact parsing, formatting and largest-remainder splits."""

import re
from typing import Iterable

MICRO = 1_000_000
_DECIMAL = re.compile(r"^(\d+)(?:\.(\d{1,6}))?$")


def parse_amount(text: str) -> int:
    """Parse a decimal string such as ``"10.00"`` into micro-units, exactly.

    Raises ValueError for anything else (negative, more than 6 decimals, exponent, blank).
    """
    match = _DECIMAL.match(text.strip()) if isinstance(text, str) else None
    if not match:
        raise ValueError(f"{text!r} is not a decimal amount with at most 6 decimals")
    whole, frac = match.group(1), (match.group(2) or "")
    return int(whole) * MICRO + int(frac.ljust(6, "0"))


def format_micro(micro: int) -> str:
    """Format micro-units as a decimal string with 6 decimals (``10000000`` → ``"10.000000"``)."""
    sign = "-" if micro < 0 else ""
    whole, frac = divmod(abs(micro), MICRO)
    return f"{sign}{whole}.{frac:06d}"


def top_n(weights: Iterable[tuple[str, int]], n: int) -> list[tuple[str, int]]:
    """The ``n`` heaviest (id, weight) pairs, ties broken by id ascending."""
    return sorted(weights, key=lambda pair: (-pair[1], pair[0]))[:n]


def split(total: int, weights: Iterable[tuple[str, int]]) -> dict[str, int]:
    """Split ``total`` proportionally to positive integer weights, summing exactly to ``total``.

    Each part is floored; the micro-units left over go one each to the largest remainders,
    ties broken by id ascending.
    """
    pairs = list(weights)
    whole = sum(weight for _, weight in pairs)
    if total < 0 or whole <= 0 or any(weight <= 0 for _, weight in pairs):
        raise ValueError("split needs a non-negative total and positive weights")
    parts: dict[str, int] = {}
    remainders: list[tuple[int, str]] = []
    for ident, weight in pairs:
        parts[ident], remainder = divmod(total * weight, whole)
        remainders.append((-remainder, ident))
    left = total - sum(parts.values())
    for _, ident in sorted(remainders)[:left]:
        parts[ident] += 1
    return parts
