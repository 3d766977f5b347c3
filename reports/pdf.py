"""The audit document's PDF, typeset from its figures with reportlab's platypus.

The PDF shows what the HTML shows, section by section, every row of every table included (a month of
20,000 artists gives some 450 pages). Table cells are plain strings, wrapped once by width, and a
table is cut into pages by precomputed row heights (:class:`RowsFlowable`), so typesetting grows
linearly with the rows. Only reportlab's standard fonts are used (nothing embedded) and the document
is built in invariant mode (fixed dates and document id): the same figures give the same bytes.
"""

import io
from dataclasses import dataclass
from typing import Any, Callable
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (BaseDocTemplate, CondPageBreak, Flowable, Frame, Image, PageTemplate, Paragraph,
                                Spacer, Table, TableStyle)

from chaincode.money import format_micro

MARGIN = 1.2 * cm
WIDTH = A4[0] - 2 * MARGIN
PAD = 2.5
HEAD_BG, GRID, HEAD_GRID = colors.HexColor("#e6ebf2"), colors.HexColor("#ccccdd"), colors.HexColor("#aaaabb")
OK, BAD = colors.HexColor("#0a6b2e"), colors.HexColor("#b00020")
MONO, MONO_SIZE = "Courier", 5.6

_BODY = ParagraphStyle("body", fontName="Helvetica", fontSize=9, leading=11.5, spaceAfter=4)
_NOTE = ParagraphStyle("note", _BODY, fontSize=8, leading=10, textColor=colors.HexColor("#444444"))
_H1 = ParagraphStyle("h1", _BODY, fontName="Helvetica-Bold", fontSize=17, leading=21, spaceAfter=6)
_H2 = ParagraphStyle("h2", _BODY, fontName="Helvetica-Bold", fontSize=12.5, leading=15, spaceBefore=12, spaceAfter=5)
_H3 = ParagraphStyle("h3", _BODY, fontName="Helvetica-Bold", fontSize=10.5, leading=13, spaceBefore=8, spaceAfter=3)


@dataclass(frozen=True)
class Column:
    """A table column: its title, width in cm, and kind: "text" (wrapped), "num" (right-aligned) or
    "mono" (hashes and transaction ids, in two lines of 32 characters)."""

    title: str
    width: float
    kind: str = "text"
    size: float = 7.5

    @property
    def font(self) -> tuple[str, float, float]:
        return (MONO, MONO_SIZE, MONO_SIZE * 1.15) if self.kind == "mono" else ("Helvetica", self.size, self.size * 1.2)


SOURCE = (Column("block", 1.0, "num"), Column("transaction", 4.0, "mono"))


def _source(source: dict[str, Any] | None) -> list[str]:
    return [str(source["block"]), source["txid"]] if source else ["", ""]


def _fit(text: str, column: Column, font: str = "Helvetica") -> str:
    """The cell text broken into lines that fit the column: hashes in halves, other text at spaces."""
    if column.kind == "mono":
        return "\n".join(line[:32] + "\n" + line[32:] if len(line) > 32 else line for line in text.split("\n"))
    size = column.size
    room = column.width * cm - 2 * PAD
    lines = []
    for line in text.split("\n"):
        lines += [line] if stringWidth(line, font, size) <= room else simpleSplit(line, font, size, room)
    return "\n".join(lines)


class RowsFlowable(Flowable):
    """A table with its header repeated on every page, cut by precomputed row heights: each page's part
    is a small :class:`Table`, so a table of any length is typeset in time linear in its rows."""

    def __init__(self, columns: list[Column], rows: list[list[str]], marks: dict[tuple[int, int], Any],
                 heights: list[float] | None = None, spanned: bool = False) -> None:
        super().__init__()
        self.columns, self.rows, self.marks, self.spanned = columns, rows, marks, spanned
        self.heights = heights if heights is not None else [self._height(row) for row in rows]
        self.header = [_fit(c.title, Column(c.title, c.width, size=c.size), "Helvetica-Bold") for c in columns]
        self.header_height = self._height(self.header, header=True)
        self.width = sum(c.width for c in columns) * cm

    def _height(self, row: list[str], header: bool = False) -> float:
        return max((cell.count("\n") + 1) * (c.size * 1.2 if header else c.font[2])
                   for cell, c in zip(row, self.columns)) + 2 * PAD

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        self.height = self.header_height + sum(self.heights)
        return self.width, self.height

    def split(self, available_width: float, available_height: float) -> list[Flowable]:
        room, fits = available_height - self.header_height, 0
        while fits < len(self.rows) and room >= self.heights[fits]:
            room -= self.heights[fits]
            fits += 1
        if fits == 0:
            return []
        rest = {(row - fits, col): mark for (row, col), mark in self.marks.items() if row >= fits}
        return [self._table(0, fits), RowsFlowable(self.columns, self.rows[fits:], rest, self.heights[fits:])]

    def draw(self) -> None:
        table = self._table(0, len(self.rows))
        table.wrapOn(self.canv, self.width, self.height)
        table.drawOn(self.canv, 0, 0)

    def _table(self, start: int, end: int) -> Table:
        style = [("GRID", (0, 0), (-1, -1), 0.5, GRID), ("BOX", (0, 0), (-1, 0), 0.5, HEAD_GRID),
                 ("BACKGROUND", (0, 0), (-1, 0), HEAD_BG), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                 ]
        style += [(side, (0, 0), (-1, -1), PAD) for side in ("TOPPADDING", "BOTTOMPADDING", "LEFTPADDING",
                                                              "RIGHTPADDING")]
        for index, column in enumerate(self.columns):
            style.append(("FONT", (index, 0), (index, 0), "Helvetica-Bold", column.size, column.size * 1.2))
            style.append(("FONT", (index, 1), (index, -1), *column.font))
            if column.kind == "num":
                style.append(("ALIGN", (index, 0), (index, -1), "RIGHT"))
        if self.spanned:
            style.append(("SPAN", (0, 1), (-1, 1)))
        for (row, col), color in self.marks.items():
            if start <= row < end:
                cell = (col, row - start + 1)
                size = self.columns[col].size
                style += [("TEXTCOLOR", cell, cell, color), ("FONT", cell, cell, "Helvetica-Bold", size, size * 1.2)]
        return Table([self.header] + self.rows[start:end], colWidths=[c.width * cm for c in self.columns],
                     rowHeights=[self.header_height] + self.heights[start:end], style=TableStyle(style))


def table(columns: list[Column], rows: list[list[Any]], empty: str = "",
          marks: dict[tuple[int, int], Any] | None = None) -> Flowable:
    """A table of ``rows`` (any values, shown as text); ``empty`` is shown in one row when there are none;
    ``marks`` colours cells {(row, column): colour} in bold."""
    if not rows and empty:
        whole = Column("", sum(c.width for c in columns), size=columns[0].size)
        return RowsFlowable(columns, [[_fit(empty, whole)] + [""] * (len(columns) - 1)], {}, spanned=True)
    cells = [[_fit(str(value), column) for value, column in zip(row, columns)] for row in rows]
    return RowsFlowable(columns, cells, marks or {})


def _p(text: str, style: ParagraphStyle = _BODY) -> Paragraph:
    return Paragraph(text, style)


def _mono(text: str) -> str:
    return f'<font name="{MONO}" size="{MONO_SIZE}">{escape(text)}</font>'


def _src(source: dict[str, Any] | None) -> str:
    return f"block {source['block']}, transaction {_mono(source['txid'])}" if source else ""


def _by_node(amounts: dict[str, int]) -> str:
    return "\n".join(f"{node} {format_micro(amount)}" for node, amount in sorted(amounts.items()))


def _heading(text: str, style: ParagraphStyle = _H2, keep: float = 3 * cm) -> list[Flowable]:
    """A heading kept with the first ``keep`` of what follows it."""
    return [CondPageBreak(keep), _p(escape(text), style)]


PLOT_HEIGHT = WIDTH * 3.2 / 7.5


def _plot(png: bytes) -> Image:
    return Image(io.BytesIO(png), width=WIDTH, height=PLOT_HEIGHT)


def story(m: dict[str, Any], plots: dict[str, bytes], income_rows: list[tuple[str, str]]) -> list[Flowable]:
    """Every flowable of the document, in the order of the HTML."""
    money = format_micro
    policy, income = m["policy"], m["income"]
    flow: list[Flowable] = [
        _p(f"9ten audit of {m['month']}", _H1),
        _p("Rendered from the chain alone: every figure comes from a record on the ledger, and each row names "
           "the block and the transaction of the write that left that record as it is (the full transaction id, "
           f"split over two lines). The figures are as of block {m['as_of_block']}, the newest block any of them "
           f"comes from. Amounts are exact, in {escape(m['currency'])} with six decimals."),
        _p(f"Policy the settlement used (the version effective from {policy['effective_from']}): price {money(policy['price_micro'])}, node share "
           f"{money(policy['node_share_micro'])}, top {policy['top_n']} artists, plays of at least "
           f"{policy['min_seconds']} s count. Source: {_src(policy['source'])}."),
    ]
    failing = [c for c in m["checks"] if not c["holds"]]
    verdict = (f'<font color="#b00020"><b>The money does NOT balance: {len(failing)} check(s) fail.</b></font>'
               if failing else '<font color="#0a6b2e"><b>The money balances: every check holds.</b></font>')
    flow += _heading("1. The money invariant") + [
        _p(f"{verdict} Income = node operators + artists + unallocated + held, for the month and for each node; "
           "the payout instructions add up to the settlement."),
        table([Column("check", 8.6), Column("expected", 3.6, "num"), Column("actual", 3.6, "num"),
               Column("result", 2.8)],
              [[c["check"], money(c["expected_micro"]), money(c["actual_micro"]),
                "holds" if c["holds"] else "DOES NOT HOLD"] for c in m["checks"]],
              marks={(i, 3): OK if c["holds"] else BAD for i, c in enumerate(m["checks"])}),
    ]
    flow += _heading("2. Income and its split") + [
        table([Column("figure", 8.1), Column(m["currency"], 5.5, "num"), *SOURCE],
              [[label, money(income[name]), *(_source(income["source"]) if i == 0 else ["", ""])]
               for i, (label, name) in enumerate(income_rows)]),
        _p(f"Settled by node {escape(income['settled_by'])}; {income['payout_count']} payout instructions, "
           f"{income['held_count']} held amounts, {income['release_count']} releases; settlement inputs SHA-256 "
           f"{_mono(income['inputs_sha256'])}.", _NOTE),
    ]
    flow += _heading("3. Nodes") + [table(
        [Column("node", 1.3, size=6.5), Column("paid subs", 0.9, "num", 6.5), Column("income", 1.8, "num", 6.5),
         Column("node share", 1.7, "num", 6.5), Column("artists", 1.8, "num", 6.5),
         Column("unallocated", 1.8, "num", 6.5), Column("held", 1.5, "num", 6.5),
         Column("rejected", 1.6, "num", 6.5), Column("disputes", 1.2, size=6.5), *SOURCE],
        [[f"{n['id']} ({n['cluster']})", t["paid_subscriptions"], money(t["income_micro"]),
          money(t["node_share_micro"]), money(t["artists_micro"]),
          f"{money(t['unallocated_micro'])}\n{t['unallocated_listeners']} listener(s)", money(t["held_micro"]),
          money(t["rejected_micro"]), t["disputes_text"] + (f"; part held whole: {t['pending']}" if t["pending"] else ""),
          *_source(t["source"])]
         for n in m["nodes"] for t in [n["totals"]]])]
    flow += _heading("Sealed months", _H3) + [table(
        [Column("node", 1.2), Column("version", 1.3, "num"), Column("reviewers", 2.0), Column("batches", 1.1, "num"),
         Column("listeners", 1.4, "num"), Column("allocated", 2.6, "num"), Column("Merkle root", 4.0, "mono"), *SOURCE],
        [[n["id"], f"{s['version']}" + (f"\n{s['superseded']} withdrawn" if s["superseded"] else ""),
          f"{s['peer'] or 'none'}, {s['external'] or 'none'}", s["batches"], s["listeners"], money(s["total_micro"]),
          s["merkle_root"], *_source(s["source"])]
         if s else [n["id"], "not sealed", "", "", "", "", "", "", ""] for n in m["nodes"] for s in [n["sealed"]]])]
    flow += _heading("4. Daily listening", keep=PLOT_HEIGHT + cm) + [_plot(plots["daily-listening"])]
    for n in m["nodes"]:
        flow += _heading(f"Days and anchors of node {n['id']} ({len(n['days'])} days)", _H3) + [table(
            [Column("date", 2.4), Column("rows", 1.7, "num"), Column("listeners", 1.7, "num"),
             Column("plays", 1.7, "num"), Column("seconds", 2.1, "num"), Column("SHA-256 of the day file", 4.0, "mono"),
             *SOURCE],
            [[d["date"] + (f"\ncorrected {len(d['superseded'])}x" if d["superseded"] else ""), d["rows"],
              d["listeners"], d["plays"], d["seconds"], d["sha256"], *_source(d["source"])] for d in n["days"]],
            empty="no day anchored")]
    flow += _heading("5. Reviews") + [table(
        [Column("node", 1.0), Column("version", 1.0, "num"), Column("reviewer", 1.3), Column("verdict", 1.8),
         Column("reason", 4.5), Column("evidence SHA-256", 4.0, "mono"), *SOURCE],
        [[r["node"], r["version"], r["reviewer"], r["verdict"] + (f" ({r['scope']})" if r["scope"] else ""), r["reason"],
          r["evidence_sha256"], *_source(r["source"])]
         for n in m["nodes"] for r in n["reviews"]], empty="no review")]
    flow += _heading("6. Disputes") + _disputes(m)
    flow += _heading("7. Anomalies") + [
        _p("Anomaly findings a reviewer brought on chain: the flag's reason and the SHA-256 of its evidence (the "
           "findings themselves stay with the reviewers; <i>nineten audit verify</i> cannot read them from the "
           "chain)."),
        table([Column("node", 1.2), Column("flagged by", 1.5), Column("finding", 4.9), Column("evidence SHA-256", 4.0, "mono"),
               Column("dispute", 2.0), *SOURCE],
              [[a["node"], a["reviewer"], a["reason"], a["evidence_sha256"], ", ".join(a["disputes"]),
                *_source(a["source"])] for a in m["anomalies"]], empty="no anomaly was flagged")]
    payouts = m["payouts"]
    flow += _heading("8. Payouts per node") + [table(
        [Column("node", 2.0), Column("wallet", 4.3), Column(m["currency"], 4.0, "num"), Column("status", 3.3), *SOURCE],
        [[p["payee"], p["wallet"], money(p["amount_micro"]), p["status"], *_source(p["source"])]
         for p in payouts["node"]])]
    flow += _heading("9. Payouts per artist", keep=PLOT_HEIGHT + cm) + [
        _plot(plots["payout-distribution"]),
        _p(f"{len(payouts['artist'])} artist payout instructions, every one listed, by artist id.", _NOTE),
        table([Column("artist", 3.9), Column("wallet", 3.0), Column(m["currency"], 2.3, "num"),
               Column("paid by node", 2.6), Column("status", 1.8), *SOURCE],
              [[f"{p['payee']} {p['name']}".strip(), p["wallet"], money(p["amount_micro"]), _by_node(p["by_node"]),
                p["status"], *_source(p["source"])] for p in payouts["artist"]])]
    if payouts["release"]:
        flow += _heading("Releases of held money", _H3) + [table(
            [Column("artist", 3.0), Column("released from", 4.0, "mono"), Column(m["currency"], 2.3, "num"),
             Column("paid by node", 2.6), Column("status", 1.7), *SOURCE],
            [[p["payee"], p["released_from"], money(p["amount_micro"]), _by_node(p["by_node"]), p["status"],
              *_source(p["source"])] for p in payouts["release"]])]
    flow += _heading("10. Unallocated and held money") + [table(
        [Column("node", 2.0), Column("listeners without a counted play", 4.0, "num"),
         Column("unallocated", 3.8, "num"), Column("of which rejected reports", 3.8, "num"), *SOURCE],
        [[n["id"], n["totals"]["unallocated_listeners"], money(n["totals"]["unallocated_micro"]),
          money(n["totals"]["rejected_micro"]), *_source(n["totals"]["source"])] for n in m["nodes"]])]
    held = sum(h["status"] == "held" for h in m["held"])
    released = sum(h["status"] == "released" for h in m["held"])
    flow += _heading(f"Held amounts ({held} still held, {released} released)", _H3) + [table(
        [Column("artist", 2.6), Column("held for", 4.0), Column(m["currency"], 2.2, "num"),
         Column("paid by node", 2.6), Column("status", 2.2), *SOURCE],
        [[h["artist"], h["held_for"], money(h["amount_micro"]),
          _by_node(h["by_node"]), h["status"] + (f" to {h['released_to']}" if h["released_to"] else ""),
          *_source(h["source"])] for h in m["held"]], empty="nothing held")]
    flow += _heading("11. Artist wallets approved by the consortium") + [
        _p("Artists of this month whose wallet a majority of the nodes approved (registered after the bootstrap, "
           "or changed): the wallet now, the proposal that approved it, and every earlier wallet."),
        table([Column("artist", 2.2), Column("wallet", 3.0), Column("approved by", 2.8), Column("earlier wallets", 5.6),
               *SOURCE],
              [[w["artist"], w["wallet"], w["proposal"], w["previous"], *_source(w["source"])] for w in m["wallets"]],
              empty="none")]
    return flow


def _disputes(m: dict[str, Any]) -> list[Flowable]:
    if not m["disputes"]:
        return [_p(f"No dispute was opened on {m['month']}.")]
    flow: list[Flowable] = []
    for d in m["disputes"]:
        title = f"Dispute {d['id']} on node {d['node']}: {d['status']}" + (
            f", {d['resolution']} by {d['decided_by']}" if d["resolution"] else "")
        steps = [["vote", v["node"], v["vote"], v["reason"], *_source(v["source"])] for v in d["votes"]]
        if d["arbitration_reason"]:
            steps.append(["arbitration", d["arbitrator"], d["resolution"], d["arbitration_reason"],
                          *_source(d["resolved"])])
        if d["resolved"]:
            steps.append(["resolved", "", d["resolution"], f"by {d['decided_by']}", *_source(d["resolved"])])
        arbitrator = f"; arbitrator {escape(d['arbitrator'])}" if d["arbitrator"] else ""
        flow += _heading(title, _H3) + [
            _p(f"Opened by {escape(d['opened_by'])} on version {d['version']}: \u201c{escape(d['reason'])}\u201d. "
               f"It disputes {escape(d['scope'])}. Three eyes: local "
               f"{escape(d['local'])}, peer {escape(d['peer'] or 'none eligible')}, external "
               f"{escape(d['external'] or 'none eligible')}{arbitrator}. Opened {_src(d['opened'])}."),
            table([Column("step", 1.8), Column("node", 1.4), Column("decision", 1.8), Column("reason", 8.6), *SOURCE],
                  steps),
            _p("Evidence: " + ", ".join(_mono(e) for e in d["evidence"]), _NOTE),
        ]
    return flow


def _numbered_canvas(footer: str) -> Callable[..., Canvas]:
    """A canvas class that draws ``footer`` with "page N of M" on every page once the page count is known."""

    class FooterCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            for number, page in enumerate(self._pages, 1):
                self.__dict__.update(page)
                self.setFont("Helvetica", 7)
                self.setFillColor(colors.HexColor("#555555"))
                self.drawCentredString(A4[0] / 2, 0.8 * cm, f"{footer} \u00b7 page {number} of {len(self._pages)}")
                Canvas.showPage(self)
            Canvas.save(self)

    return FooterCanvas


def render(model: dict[str, Any], plots: dict[str, bytes], income_rows: list[tuple[str, str]]) -> bytes:
    """The PDF of the audit document, in invariant mode (the same figures give the same bytes)."""
    buffer = io.BytesIO()
    title = f"9ten audit of {model['month']}"
    doc = BaseDocTemplate(buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=1.4 * cm,
                          bottomMargin=1.6 * cm, title=title, author="9ten", creator="9ten audit report",
                          invariant=1)
    doc.addPageTemplates([PageTemplate("page", [Frame(MARGIN, doc.bottomMargin, WIDTH, doc.height, id="body",
                                                      leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)])])
    doc.build(story(model, plots, income_rows) + [Spacer(1, 0)],
              canvasmaker=_numbered_canvas(f"{title} \u00b7 figures as of block {model['as_of_block']}"))
    return buffer.getvalue()
