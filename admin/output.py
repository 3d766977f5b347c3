"""Rendering data for the user as a table, JSON or CSV, and the one rule of every CSV the tool writes:
a spreadsheet cannot read a cell as a formula (:func:`csv_cell`)."""

import csv
import io
import json
import re
from typing import IO, Any, Iterable, Sequence

#: A spreadsheet reads a cell beginning with one of these as a formula (OWASP: CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def csv_cell(value: Any) -> Any:
    """A cell a spreadsheet shows as text: text beginning with = + - @ tab or carriage return gets a
    leading apostrophe (OWASP's advice); numbers, and text that is a plain decimal number such as
    ``-1.500000``, stay as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def write_csv(handle: IO[str], header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """``header`` and ``rows`` as CSV lines ending in ``\\n``, every cell through :func:`csv_cell`."""
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow([csv_cell(cell) for cell in header])
    writer.writerows([csv_cell(cell) for cell in row] for row in rows)


def render(rows: Sequence[dict[str, Any]], columns: Sequence[str], fmt: str) -> str:
    """``rows`` restricted to ``columns`` in the chosen format."""
    if fmt == "json":
        return json.dumps([{c: r.get(c) for c in columns} for r in rows], indent=2, ensure_ascii=False)
    if fmt == "csv":
        buffer = io.StringIO()
        write_csv(buffer, columns, [[_cell(r.get(c)) for c in columns] for r in rows])
        return buffer.getvalue().rstrip("\n")
    cells = [[_cell(r.get(c)) for c in columns] for r in rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() for row in cells]
    if not rows:
        lines.append("(none)")
    return "\n".join(lines)


def render_record(record: dict[str, Any], fmt: str) -> str:
    """One record: JSON as is, or a two-column field/value table."""
    if fmt == "json":
        return json.dumps(record, indent=2, ensure_ascii=False)
    rows = [{"field": k, "value": v} for k, v in record.items()]
    return render(rows, ["field", "value"], fmt)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)
