"""What the fuzz tests share: how many cases, hostile values, and structured mutations of valid inputs.

The default test run tries a few cases per format; ``NINETEN_FUZZ_CASES=10000 uv run pytest
tests/test_fuzz_inputs.py tests/test_fuzz_chaincode.py`` tries 10,000 per format.
"""

import json
import os
from typing import Any, Callable

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

CASES = int(os.environ.get("NINETEN_FUZZ_CASES", "25"))
FUZZ = settings(max_examples=CASES, deadline=None, suppress_health_check=list(HealthCheck))

#: Values that have broken parsers before: whitespace, other digits, overflow, newlines, formulas, markup.
HOSTILE = ["", " ", "\t", "\n", "\r\n", "\x00", "\ufeff", "-1", "0", "-0", "86400", "86401", "1e30", "NaN",
           "inf", "1.5", "9" * 30, "-9223372036854775809", "9223372036854775808", "١٢٣", "１２", "٢٠٢٦-١٠-٠١",
           "2026-10-05T08:00:00Z", "2026-10-05T08:00:00Z\n", "2026-13-01T00:00:00Z", "9999-12-31T23:59:59Z",
           "0001-01-01T00:00:00Z", "2026-10-05T08:00:00.1234567Z", "2026-10-05T08:00:00+01:00", "PT99999999999D",
           "P1D", "PT3M12S", "=HYPERLINK(\"x\")", "@SUM(1)", "<script>", "a,b", '"', "'", "\\", "💥", "x" * 3000,
           "../../x", "n1", "a1", "L1", "2026-10", "2026-10\n", "10.00", "10", "true", "null", "[]", "{}"]

JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(10 ** 30), max_value=10 ** 30),
                         st.sampled_from(HOSTILE), st.text(max_size=20),
                         st.floats(allow_nan=True, allow_infinity=True))
JSON_VALUES = st.recursive(JSON_SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                                 st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                           max_leaves=12)
TEXT = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=40))


def _paths(value: Any, here: tuple = ()) -> list[tuple]:
    """Every path into a JSON-like value (dict keys and list indices), the root included."""
    found = [here]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, here + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, here + (index,))
    return found


def _replaced(value: Any, path: tuple, new: Any) -> Any:
    if not path:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = _replaced(value[path[0]], path[1:], new)
    return copy


def _dropped(value: Any, path: tuple) -> Any:
    if len(path) == 1:
        copy = dict(value) if isinstance(value, dict) else list(value)
        del copy[path[0]]
        return copy
    return _replaced(value, path[:1], _dropped(value[path[0]], path[1:]))


def mutated_json(draw: Callable, value: Any, edits: int = 3) -> Any:
    """``value`` with up to ``edits`` random values replaced by hostile JSON, or removed."""
    for _ in range(draw(st.integers(1, edits))):
        path = draw(st.sampled_from(_paths(value)))
        if path and draw(st.booleans()) and draw(st.booleans()):
            value = _dropped(value, path)
        else:
            value = _replaced(value, path, draw(JSON_VALUES))
    return value


def mutated_text(draw: Callable, text: str, separator: str = ",") -> str:
    """``text`` with a few structured edits: a cell replaced by a hostile value, a line repeated or
    dropped, characters inserted or removed."""
    lines = text.split("\n")
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["cell", "cell", "line", "drop", "insert", "cut"]))
        at = draw(st.integers(0, len(lines) - 1))
        if kind == "cell":
            cells = lines[at].split(separator)
            cells[draw(st.integers(0, len(cells) - 1))] = draw(TEXT)
            lines[at] = separator.join(cells)
        elif kind == "line":
            lines.insert(at, lines[at])
        elif kind == "drop" and len(lines) > 1:
            del lines[at]
        elif kind == "insert":
            position = draw(st.integers(0, len(lines[at])))
            lines[at] = lines[at][:position] + draw(TEXT) + lines[at][position:]
        elif kind == "cut" and lines[at]:
            start = draw(st.integers(0, len(lines[at]) - 1))
            lines[at] = lines[at][:start] + lines[at][start + draw(st.integers(1, 10)):]
    return "\n".join(lines)


def json_text(value: Any) -> str:
    """JSON as Python writes it (NaN and Infinity included, as lenient writers do)."""
    return json.dumps(value, ensure_ascii=False)
