"""An artist's statement, from the chain alone: per settled month what it earned from each node and
from how many listeners, what was held for it and released, what adjustments took back, what was
instructed (split among its payees) and paid with which references, and the balance it carries.

``collect`` reads it (each month's row names the block and transaction of its record);
``render`` gives ``statement-<artist>.html``, ``.pdf`` and ``.csv``. The same chain gives the same
bytes.
"""

import io
from typing import Any

from xml.sax.saxutils import escape

import jinja2

from admin.output import write_csv
from chaincode import records
from chaincode.contracts.registry import Registry
from chaincode.contracts.settlement import Settlement
from chaincode.money import format_bp, format_micro

from . import pdf
from .chain import ChainReader

CSV_COLUMNS = ["month", "carried_in", "earned", "earned_by_node", "listeners", "from_pools", "held", "released",
               "adjusted", "instructed", "status", "paid_with", "balance", "block", "txid"]


def _sum(by_node: dict[str, int]) -> int:
    return sum(by_node.values())


def _by_node(by_node: dict[str, Any]) -> str:
    return "; ".join(f"{node} {format_micro(v) if isinstance(v, int) else v}" for node, v in sorted(by_node.items()))


def collect(reader: ChainReader, artist: str, first: str = "", last: str = "") -> dict[str, Any]:
    """The statement of ``artist`` over the settled months from ``first`` to ``last`` (both optional)."""
    found = [a for a in reader.query(Registry.ListArtists) if a["id"] == artist]
    profile = found[0] if found else {"id": artist, "isni": "", "name": "(not registered)", "wallet": ""}
    months = [s["month"] for s in reader.query(Settlement.ListSettlements)
              if (not first or s["month"] >= first) and (not last or s["month"] <= last)]
    currency = reader.query(Registry.GetPolicy, months[-1])["currency"] if months else ""
    adjustments = [a for a in reader.query(Settlement.ListAdjustments, "") if artist in a["recovered"]["artists"]]
    rows = []
    for month in months:
        payouts = reader.query(Settlement.ListPayouts, month)
        mine = next((p for p in payouts if p["kind"] == "artist" and p["payee"] == artist), None)
        held = [h for h in reader.query(Settlement.ListHeld, month) if h["artist"] == artist]
        released = [p for p in payouts if p["kind"] == "release" and p["payee"] == artist]
        adjusted = [a for a in adjustments if a["applied_in"] == month]
        if mine is None and not held and not released and not adjusted:
            continue
        account = (mine or {}).get("account") or {}
        rows.append({
            "month": month,
            "carried_in_micro": _sum(account.get("carried_in", {})),
            "earned": dict(account.get("earned", {})),
            "earned_micro": _sum(account.get("earned", {})),
            "listeners": dict((mine or {}).get("listeners", {})),
            "pool_micro": _sum(account.get("pool", {})),
            "held": [{"amount_micro": h["amount_micro"], "status": h["status"],
                      "why": f"dispute {h['dispute']}" if h["dispute"] else h["reason"]} for h in held],
            "held_micro": sum(h["amount_micro"] for h in held if h["status"] == "held"),
            "released_micro": sum(r["amount_micro"] for r in released),
            "released_from": sorted(r["source"] for r in released),
            "adjusted_micro": -sum(a["recovered"]["artists"][artist] for a in adjusted),
            "adjustments": [f"{a['kind']} of {a['node']}'s {a['month']}: {a['reason']}" for a in adjusted],
            "instructed_micro": (mine or {}).get("amount_micro", 0),
            "splits": [{"payee": s["payee"], "bp": s["bp"], "amount_micro": s["amount_micro"]}
                       for s in (mine or {}).get("splits", [])],
            "status": (mine or {}).get("status", ""),
            "paid_by": dict((mine or {}).get("paid_by", {})),
            "balance_micro": _sum(account.get("carried_out", {})),
            "source": reader.source(records.PAYOUT, month, "artist", artist) if mine else None,
        })
    totals = {name: sum(r[name] for r in rows) for name in ("earned_micro", "pool_micro", "released_micro",
                                                            "adjusted_micro", "instructed_micro")}
    return {"artist": {k: profile.get(k, "") for k in ("id", "isni", "name", "wallet")}, "currency": currency,
            "from": months[0] if months else first, "to": months[-1] if months else last, "rows": rows,
            "totals": totals, "balance_micro": rows[-1]["balance_micro"] if rows else 0}


def render_csv(model: dict[str, Any]) -> bytes:
    """One row per month: amounts in the currency with six decimals (cells a spreadsheet reads as text)."""
    buffer = io.StringIO()
    rows = []
    for r in model["rows"]:
        source = r["source"] or {"block": "", "txid": ""}
        rows.append([r["month"], format_micro(r["carried_in_micro"]), format_micro(r["earned_micro"]),
                     _by_node(r["earned"]), ";".join(f"{n} {c}" for n, c in sorted(r["listeners"].items())),
                     format_micro(r["pool_micro"]), format_micro(r["held_micro"]), format_micro(r["released_micro"]),
                     format_micro(r["adjusted_micro"]), format_micro(r["instructed_micro"]), r["status"],
                     _by_node(r["paid_by"]), format_micro(r["balance_micro"]), source["block"], source["txid"]])
    write_csv(buffer, CSV_COLUMNS, rows)
    return buffer.getvalue().encode()


def render_html(model: dict[str, Any]) -> bytes:
    env = jinja2.Environment(loader=jinja2.PackageLoader("reports", "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    env.filters.update(money=format_micro, by_node=_by_node)
    return env.get_template("statement.html.j2").render(s=model).encode()


def render_pdf(model: dict[str, Any]) -> bytes:
    a = model["artist"]
    money = format_micro
    columns = [pdf.Column("month", 1.4, size=6.5), pdf.Column("carried in", 1.6, "num", 6.5),
               pdf.Column("earned, by node", 3.4, size=6.5), pdf.Column("listeners", 1.4, size=6.5),
               pdf.Column("pools", 1.3, "num", 6.5), pdf.Column("held; released", 2.0, size=6.5),
               pdf.Column("adjusted", 1.5, "num", 6.5), pdf.Column("instructed", 1.7, "num", 6.5),
               pdf.Column("paid with", 2.4, size=6.5), pdf.Column("balance", 1.6, "num", 6.5)]
    rows = [[r["month"], money(r["carried_in_micro"]),
             "\n".join([money(r["earned_micro"]), *(f"{n} {money(v)}" for n, v in sorted(r["earned"].items()))]),
             "\n".join(f"{n} {c}" for n, c in sorted(r["listeners"].items())), money(r["pool_micro"]),
             f"{money(r['held_micro'])}; {money(r['released_micro'])}", money(r["adjusted_micro"]),
             "\n".join([f"{money(r['instructed_micro'])} {r['status']}",
                        *(f"{s['payee']} {format_bp(s['bp'])} {money(s['amount_micro'])}" for s in r["splits"])]),
             "\n".join(f"{n} {ref}" for n, ref in sorted(r["paid_by"].items())), money(r["balance_micro"])]
            for r in model["rows"]]
    title = f"9ten statement of {a['id']}"
    flow = [pdf.paragraph(f"9ten statement of {escape(a['name'])} ({escape(a['id'])})", "title"),
            pdf.paragraph(f"Months {model['from']} to {model['to']}, from the chain alone; amounts in "
                          f"{escape(model['currency'])} with six decimals. Wallet {escape(a['wallet'] or '-')}"
                          + (f", ISNI {a['isni']}" if a["isni"] else "") + "."),
            pdf.table(columns, rows, empty="nothing for this artist in these months"),
            pdf.paragraph(f"In these months: earned {money(model['totals']['earned_micro'])}, from the nodes' pools "
                          f"{money(model['totals']['pool_micro'])}, released {money(model['totals']['released_micro'])},"
                          f" adjusted {money(model['totals']['adjusted_micro'])}, instructed "
                          f"{money(model['totals']['instructed_micro'])}; balance carried "
                          f"{money(model['balance_micro'])}.", "note")]
    return pdf.build(title, title, "9ten statement", flow)


def render(model: dict[str, Any]) -> dict[str, bytes]:
    """The statement's files by name."""
    base = f"statement-{model['artist']['id']}"
    return {f"{base}.csv": render_csv(model), f"{base}.html": render_html(model), f"{base}.pdf": render_pdf(model)}
