"""The LibreOffice conversion every app's PDF goes through: real LibreOffice when the machine has
it (.ci/run installs it), and a None, never an error, when it does not."""

from __future__ import annotations

import io

import docx
import pytest
from pypdf import PdfReader

from dangjian.core import office

needs_office = pytest.mark.skipif(not office.available(), reason="LibreOffice is not installed")


def _docx(text: str) -> bytes:
    document = docx.Document()
    document.add_heading("党建工作台账", 0)
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@needs_office
def test_a_docx_becomes_a_pdf_with_its_chinese_text():
    pdf = office.docx_to_pdf(_docx("第一党支部二〇二六年组织生活记录"))
    assert pdf is not None and pdf.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "组织生活记录" in text.replace(" ", "")


@needs_office
def test_a_damaged_file_gives_none():
    assert office.docx_to_pdf(b"PK\x03\x04 not really a document") is None


def test_without_libreoffice_nothing_is_converted(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    assert office.available() is False
    assert office.docx_to_pdf(_docx("任意内容")) is None
