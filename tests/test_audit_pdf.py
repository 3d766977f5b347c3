"""The audit PDF's long tables: cut into pages with every row kept once, in order, under a repeated header."""

import io

import pypdfium2
from reportlab.lib.pagesizes import A4
from reportlab.platypus import SimpleDocTemplate

from chaincode.money import format_micro
from reports import pdf


def page_texts(data: bytes) -> list[str]:
    document = pypdfium2.PdfDocument(data)
    return [document[i].get_textpage().get_text_range() for i in range(len(document))]


def test_a_long_table_keeps_every_row_once_under_a_header_on_each_page():
    rows = [[f"row-{i:05d}", format_micro(i * 1_000_001), f"{i:064x}"] for i in range(3000)]
    columns = [pdf.Column("name", 4), pdf.Column("amount", 4, "num"), pdf.Column("transaction", 4, "mono")]
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4).build([pdf.table(columns, rows)])
    pages = page_texts(buffer.getvalue())
    assert len(pages) > 30
    shown = [line.split()[0] for page in pages for line in page.splitlines() if line.startswith("row-")]
    assert shown == [row[0] for row in rows]
    assert all(page.startswith("name amount transaction") for page in pages)
