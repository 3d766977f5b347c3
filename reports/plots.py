"""The audit document's plots as PNG bytes, drawn with matplotlib's Agg canvas (no display, no pyplot).

The same figures give the same bytes: no timestamp or software version is written into the PNG.
"""

import io
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from chaincode.money import MICRO

_SIZE, _DPI = (7.5, 3.2), 150


def _png(figure: Figure) -> bytes:
    FigureCanvasAgg(figure)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=_DPI, metadata={"Software": None})
    return buffer.getvalue()


def daily_listening(model: dict[str, Any]) -> bytes:
    """Counted listening hours per day, one line per node (from the daily anchors)."""
    figure = Figure(figsize=_SIZE)
    axes = figure.add_subplot()
    for node in model["nodes"]:
        days = [int(d["date"][8:]) for d in node["days"]]
        axes.plot(days, [d["seconds"] / 3600 for d in node["days"]], marker=".", linewidth=1, label=node["id"])
    axes.set_xlabel(f"day of {model['month']}")
    axes.set_ylabel("counted hours")
    axes.set_title("Daily counted listening per node (anchored counts)")
    axes.set_ylim(bottom=0)
    axes.grid(alpha=0.3)
    if model["nodes"]:
        axes.legend(ncol=min(len(model["nodes"]), 6), fontsize=8, loc="lower right")
    return _png(figure)


def payout_distribution(model: dict[str, Any]) -> bytes:
    """Artist payouts from largest to smallest (each bar one artist, the bars drawn as one filled outline, so
    20,000 artists draw as fast as 20), in whole currency units."""
    amounts = sorted((p["amount_micro"] for p in model["payouts"]["artist"] if p["amount_micro"] > 0), reverse=True)
    figure = Figure(figsize=_SIZE)
    axes = figure.add_subplot()
    axes.stairs(amounts, [rank + 0.5 for rank in range(len(amounts) + 1)], fill=True, color="#3b6ea5")
    axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{int(value) // MICRO:,}"))
    axes.set_xlabel(f"artists ranked by payout ({len(amounts)} paid)")
    axes.set_ylabel(model["currency"])
    axes.set_title("Payout distribution: artist payouts, largest first")
    axes.grid(axis="y", alpha=0.3)
    return _png(figure)


PLOTS = {"daily-listening": daily_listening, "payout-distribution": payout_distribution}
