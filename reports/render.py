"""The files of an audit document, rendered from its figures (``reports.figures.collect``).

One month gives: ``audit-<month>.html`` (plots inlined), ``.pdf`` (the same sections and rows, typeset
by ``reports.pdf``), ``.md`` (plots as the PNG files beside it), ``.csv`` (one row per figure), ``.json``
(the figures), ``audit-<month>-<plot>.png``, and ``audit-<month>.manifest.json``: the canonical JSON
``{"as_of_block", "files": {name: sha256}, "month"}`` of every file above, whose SHA-256 is the
document's SHA-256 anchored on chain. The same figures give the same bytes in every file.
"""

import base64
import hashlib
import io
import json
import re
from typing import Any, Callable

import jinja2
from markupsafe import Markup, escape

from admin.output import write_csv
from chaincode import canonical_json
from chaincode.money import format_micro

from . import pdf
from .plots import PLOTS

INCOME_ROWS = [("income", "income_micro"), ("node operators", "node_operators_micro"),
               ("artists", "artists_micro"), ("unallocated", "unallocated_micro"), ("held", "held_micro"),
               ("of unallocated: rejected reports", "rejected_micro"),
               ("released from held since settlement", "released_micro")]
TEXT_KINDS = ("html", "md", "csv", "json")


def base_name(month: str) -> str:
    return f"audit-{month}"


def manifest_name(month: str) -> str:
    return f"{base_name(month)}.manifest.json"


def _by_node(amounts: dict[str, int]) -> str:
    return ", ".join(f"{node} {format_micro(amount)}" for node, amount in sorted(amounts.items()))


class Written(str):
    """Markdown the renderer wrote itself (a filter's output): printed as is."""


#: Characters that make Markdown of plain text (emphasis, code, links, tables, strike-through),
#: and line breaks, after which a value could open a heading, a list or a table row.
_MARKDOWN = re.compile(r"([\\`*_\[\]|~])")
_BREAKS = re.compile(r"[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]+")


def markdown_text(value: Any) -> str:
    """Text from the chain as Markdown that shows it and nothing more: HTML's < > & as entities,
    Markdown's punctuation backslash-escaped, line breaks as spaces; :class:`Written` as is."""
    if isinstance(value, Written):
        return value
    text = str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BREAKS.sub(" ", _MARKDOWN.sub(r"\\\1", text))


def _environment(html: bool) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("reports", "templates"), autoescape=html,
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                             finalize=None if html else markdown_text)
    env.filters.update(money=format_micro, by_node=_by_node)
    if html:
        env.filters["by_node"] = lambda amounts: Markup("<br/>").join(
            f"{node} {format_micro(amount)}" for node, amount in sorted(amounts.items()))
        env.filters["hash"] = lambda h: Markup(f"{escape(h[:32])}<br/>{escape(h[32:])}")
        env.filters["src"] = lambda s: Markup(
            f'block {s["block"]}<br/><span class="h">{escape(s["txid"][:32])}<br/>{escape(s["txid"][32:])}</span>'
        ) if s else ""
    else:
        env.filters["src"] = lambda s: Written(f"block {s['block']}, tx `{markdown_text(s['txid'])}`") if s else ""
    return env


def _flat(section: str, subject: str, record: dict[str, Any], prefix: str = ""):
    """(section, subject, field, value) for every field of a record but its source, nested fields dotted."""
    for name, value in sorted(record.items()):
        if name in ("source", "days", "reviews", "votes", "totals", "sealed"):
            continue
        if isinstance(value, dict) and value and name not in ("opened", "resolved"):
            yield from _flat(section, subject, value, f"{prefix}{name}.")
        elif isinstance(value, (dict, list)):
            yield section, subject, prefix + name, canonical_json.dumps(value)
        else:
            yield section, subject, prefix + name, value


def _records(m: dict[str, Any]):
    """(section, subject, record) of every figure of the document."""
    yield "policy", m["month"], m["policy"]
    yield "income", m["month"], m["income"]
    for c in m["checks"]:
        yield "check", c["check"], {k: v for k, v in c.items() if k != "check"}
    for n in m["nodes"]:
        yield "node", n["id"], {**n["totals"], "cluster": n["cluster"], "msp_id": n["msp_id"], "wallet": n["wallet"]}
        if n["sealed"]:
            yield "sealed_month", n["id"], n["sealed"]
        for d in n["days"]:
            yield "day", f"{n['id']} {d['date']}", d
        for r in n["reviews"]:
            yield "review", f"{r['node']} by {r['reviewer']}", r
    for d in m["disputes"]:
        yield "dispute", d["id"], {**d, "source": d["opened"]}
        for v in d["votes"]:
            yield "vote", f"{d['id']} {v['node']}", v
    for a in m["anomalies"]:
        yield "anomaly", f"{a['node']} by {a['reviewer']}", a
    for kind in ("node", "artist", "release"):
        for p in m["payouts"][kind]:
            subject = f"{p['payee']}@{p['released_from']}" if kind == "release" else p["payee"]
            yield f"payout_{kind}", subject, p
    for h in m["held"]:
        yield "held", f"{h['artist']} {h['held_for']}".strip(), h
    for w in m["wallets"]:
        yield "wallet", w["artist"], w


def render_csv(model: dict[str, Any]) -> bytes:
    """One row per figure: section, subject, field, value, amount (money fields), block, txid; no
    cell a spreadsheet would run as a formula (:func:`admin.output.csv_cell`)."""
    rows = []
    for section, subject, record in _records(model):
        source = record.get("source") or {"block": "", "txid": ""}
        for _, _, name, value in _flat(section, subject, record):
            money = name.endswith("_micro") and isinstance(value, int) and not isinstance(value, bool)
            rows.append([model["month"], section, subject, name, value, format_micro(value) if money else "",
                         source["block"], source["txid"]])
    buffer = io.StringIO()
    write_csv(buffer, ["month", "section", "subject", "field", "value", "amount", "block", "txid"], rows)
    return buffer.getvalue().encode()


def render_json(model: dict[str, Any]) -> bytes:
    return (json.dumps(model, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def render_text(model: dict[str, Any], progress: Callable[[str], None] = lambda text: None) -> dict[str, bytes]:
    """Every file of the document but the PDF and the manifest: {file name: bytes}."""
    base = base_name(model["month"])
    progress("drawing the plots")
    pngs = {name: draw(model) for name, draw in PLOTS.items()}
    files = {f"{base}-{name}.png": png for name, png in pngs.items()}
    inline = {name: "data:image/png;base64," + base64.b64encode(png).decode() for name, png in pngs.items()}
    beside = {name: f"{base}-{name}.png" for name in pngs}
    progress("rendering the HTML, Markdown, CSV and JSON")
    files[f"{base}.html"] = _environment(True).get_template("audit.html.j2").render(
        m=model, plots=inline, income_rows=INCOME_ROWS).encode()
    files[f"{base}.md"] = _environment(False).get_template("audit.md.j2").render(
        m=model, plots=beside, income_rows=INCOME_ROWS).encode()
    files[f"{base}.csv"] = render_csv(model)
    files[f"{base}.json"] = render_json(model)
    return files


def manifest(model: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
    """The manifest of the files: {"as_of_block", "files": {name: sha256}, "month"}; the SHA-256 of
    its canonical JSON is the document's (``chaincode.contracts.audit.document_sha256``)."""
    hashes = {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())}
    return {"as_of_block": model["as_of_block"], "files": hashes, "month": model["month"]}


def render_all(model: dict[str, Any], progress: Callable[[str], None] = lambda text: None) -> dict[str, bytes]:
    """Every file of the document, the manifest included."""
    files = render_text(model, progress)
    progress("typesetting the PDF")
    base = base_name(model["month"])
    files[f"{base}.pdf"] = pdf.render(model, {name: files[f"{base}-{name}.png"] for name in PLOTS}, INCOME_ROWS)
    files[manifest_name(model["month"])] = canonical_json.dumpb(manifest(model, files))
    return files
