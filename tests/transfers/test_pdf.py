"""The introduction letter and the dues receipt as PDF (LibreOffice through core.office): the
PDF opens and carries the letter's number (the receipt its amount); each download is audited
like the .docx; without LibreOffice the pages offer the .docx alone with a note."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from dangjian.core import office
from tests.dues.test_receipts import _payment
from tests.helpers import actions_since, last_seq
from tests.transfers.helpers import approved

needs_office = pytest.mark.skipif(not office.available(), reason="LibreOffice is not installed")


def _pdf_text(body: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(body)).pages)


@needs_office
def test_the_letter_as_pdf_carries_its_number_and_is_audited(demo, client_for) -> None:
    from dangjian.audit.models import AuditEvent

    transfer = approved(demo)
    client = client_for(demo.users["secretary"])
    page = client.get(reverse("transfers:detail", args=[transfer.pk])).content.decode()
    assert 'id="letter-pdf"' in page
    seq = last_seq()
    response = client.get(reverse("transfers:letter", args=[transfer.pk]) + "?format=pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert transfer.letter_number in _pdf_text(response.content)
    assert actions_since(seq) == ["export"]
    assert AuditEvent.objects.order_by("-seq").first().message == "生成组织关系介绍信（PDF）"


@needs_office
def test_the_receipt_as_pdf_opens_and_is_audited(demo, client_for) -> None:
    member = demo.own_member
    payment = _payment(member, member.organization)
    client = client_for(demo.users["member"])
    seq = last_seq()
    response = client.get(f"/dues/payment/{payment.pk}/receipt/?format=pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "1234.50" in _pdf_text(response.content)
    assert actions_since(seq) == ["export"]


def test_without_libreoffice_the_docx_alone_with_a_note(demo, client_for, monkeypatch) -> None:
    monkeypatch.setattr(office, "available", lambda: False)
    transfer = approved(demo)
    client = client_for(demo.users["secretary"])
    page = client.get(reverse("transfers:detail", args=[transfer.pk])).content.decode()
    assert 'id="letter-pdf"' not in page and office.PDF_MISSING_NOTE in page
    response = client.get(reverse("transfers:letter", args=[transfer.pk]) + "?format=pdf")
    assert response["Content-Type"].endswith("wordprocessingml.document")
    member = demo.own_member
    _payment(member, member.organization)
    mine = client_for(demo.users["member"]).get("/dues/").content.decode()
    assert office.PDF_MISSING_NOTE in mine and "?format=pdf" not in mine
