"""Time ``nineten audit report`` on a settled month ledger made by ``bench/month_ledger.py``.

The ledger is copied first (rendering anchors the document on chain, and the copy is removed after;
on Fabric, a month built with ``month_ledger.py --gateway``, the network itself keeps the anchor),
then the month is rendered twice as a user would, one process each: the first render anchors the
document, the second must give the same bytes in every file and anchor nothing. Reported per render:
wall time and peak RSS of the process (from wait4), and the time of each stage from the command's
progress lines (start-up, reading the chain, plots, HTML/Markdown/CSV/JSON, PDF, writing, anchoring);
and the size of each file and the PDF's page count.
"""

import argparse
import json
import re
import shutil
import sys
import tempfile
from pathlib import Path

import pypdfium2
from month_ledger import nineten

_LINE = re.compile(r"^\[\s*([\d.]+) s\] (.*)$")
_STAGES = [("reading", "read_chain_s"), ("drawing the plots", "plots_s"), ("rendering the", "text_files_s"),
           ("typesetting the PDF", "pdf_s"), ("writing", "write_s"), ("anchoring", "anchor_s")]


def stages(log: Path, wall: float) -> dict[str, float]:
    """Seconds per stage from the progress lines ``[  t s] text`` of one command's stderr."""
    marks = [(float(m.group(1)), m.group(2)) for m in map(_LINE.match, log.read_text().splitlines()) if m]
    found: dict[str, float] = {"startup_s": wall - marks[-1][0]}
    for (start, text), (end, _) in zip(marks, marks[1:]):
        name = next(key for prefix, key in _STAGES if text.startswith(prefix))
        found[name] = found.get(name, 0.0) + end - start
    return {name: round(seconds, 2) for name, seconds in found.items()}


def render(ledger: Path, month: str, out: Path, log: Path, gateway: str | None) -> dict:
    step = nineten(ledger, log, "audit", "report", month, "--out", str(out), gateway=gateway)
    return {"wall_s": step["wall_s"], "peak_rss_mib": step["peak_rss_mib"],
            "stages": stages(log, step["wall_s"]), "last_line": step["last_line"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("month_ledger", type=Path, help="An OUT folder of bench/month_ledger.py (with build.json).")
    parser.add_argument("--work", type=Path, help="Scratch folder for the ledger copy and the documents "
                        "(default: a new temporary folder, removed after).")
    args = parser.parse_args()
    build = json.loads((args.month_ledger / "build.json").read_text())
    work = args.work or Path(tempfile.mkdtemp(prefix="nineten-audit-bench-"))
    try:
        ledger = work / "ledger"
        shutil.copytree(args.month_ledger / "ledger", ledger)
        gateway = build.get("gateway")
        first = render(ledger, build["month"], work / "doc1", work / "render1.log", gateway)
        print(f"first render: {first['wall_s']} s, {first['peak_rss_mib']} MiB", file=sys.stderr)
        second = render(ledger, build["month"], work / "doc2", work / "render2.log", gateway)
        files = sorted(p.name for p in (work / "doc1").iterdir())
        identical = all((work / "doc1" / n).read_bytes() == (work / "doc2" / n).read_bytes() for n in files)
        pdf = next(work / "doc1" / n for n in files if n.endswith(".pdf"))
        figures = {"ledger": build["ledger"], "gateway": gateway, "month": build["month"], "listeners": build["listeners"],
                   "subscribed": build["subscribed"], "artists": build["artists"], "first_render": first,
                   "second_render": second, "identical_bytes": identical,
                   "anchored_once": "already anchored" in second["last_line"],
                   "pdf_pages": len(pypdfium2.PdfDocument(pdf)),
                   "files_kib": {n: round((work / "doc1" / n).stat().st_size / 1024) for n in files}}
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(figures, indent=1))
    if not (identical and figures["anchored_once"]):
        sys.exit("the second render differs from the first or anchored again")


if __name__ == "__main__":
    main()
