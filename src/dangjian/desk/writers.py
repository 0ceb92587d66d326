"""A dossier section as .docx (python-docx: title, period, tables, a footer on every page saying
when and from what it was generated) and as .xlsx (one sheet per table)."""

from __future__ import annotations

import io

from docx import Document
from openpyxl import Workbook

from dangjian.core.dossier import Table, plain_rows


def section_docx(title: str, dossier, tables: list[Table], footer: str) -> bytes:
    doc = Document()
    doc.core_properties.title = title
    doc.add_heading(title, level=1)
    doc.add_paragraph(f"期间：{dossier.period_label}")
    for table in plain_rows(tables):
        doc.add_heading(table["title"], level=2)
        if table["note"]:
            doc.add_paragraph(table["note"])
        if not table["rows"]:
            doc.add_paragraph("（期内无记录）")
            continue
        grid = doc.add_table(rows=1, cols=len(table["columns"]))
        grid.style = "Table Grid"
        for cell, text in zip(grid.rows[0].cells, table["columns"], strict=True):
            cell.text = str(text)
        for row in table["rows"]:
            cells = grid.add_row().cells
            for cell, value in zip(cells, row, strict=True):
                cell.text = "" if value is None else str(value)
    doc.sections[0].footer.paragraphs[0].text = footer
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def section_xlsx(tables: list[Table]) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    for i, table in enumerate(plain_rows(tables), start=1):
        ws = wb.create_sheet(f"{i}-{table['title'][:25]}")
        ws.append(table["columns"])
        for row in table["rows"]:
            ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
