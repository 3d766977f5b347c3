"""Money in integer micro-units: exact parsing and formatting (splits are :mod:`chaincode.rules`)."""

import re

MICRO = 1_000_000
#: ASCII digits only: "\d" would also take Arabic-Indic or full-width digits as an amount.
_DECIMAL = re.compile(r"([0-9]+)(?:\.([0-9]{1,6}))?")


def parse_amount(text: str) -> int:
    """Parse a decimal string such as ``"10.00"`` into micro-units, exactly.

    Raises ValueError for anything else (negative, more than 6 decimals, exponent, blank).
    """
    match = _DECIMAL.fullmatch(text.strip()) if isinstance(text, str) else None
    if not match:
        raise ValueError(f"{text!r} is not a decimal amount with at most 6 decimals")
    whole, frac = match.group(1), (match.group(2) or "")
    return int(whole) * MICRO + int(frac.ljust(6, "0"))


def format_bp(bp: int) -> str:
    """Format basis points as a percentage with 2 decimals (``7000`` → ``"70.00%"``)."""
    whole, frac = divmod(bp, 100)
    return f"{whole}.{frac:02d}%"


def format_micro(micro: int) -> str:
    """Format micro-units as a decimal string with 6 decimals (``10000000`` → ``"10.000000"``)."""
    sign = "-" if micro < 0 else ""
    whole, frac = divmod(abs(micro), MICRO)
    return f"{sign}{whole}.{frac:06d}"
