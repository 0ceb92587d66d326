"""Bases from the payroll office's .xlsx: preview with per-row errors, strict and partial."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import Workbook

from dangjian.dues.models import Assessment
from dangjian.members.models import Member
from tests.dues.helpers import this_month
from tests.helpers import last_seq
from tests.matrix_helpers import client_as

pytestmark = pytest.mark.django_db

OUTSIDER_ID = "11010519491231002X"  # checksum-correct, synthetic, nobody in the demo


def _xlsx(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["序号", "姓名", "身份证号", "计算基数"])
    for i, row in enumerate(rows, start=1):
        sheet.append([i, *row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _upload(page, demo, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return page.post(
        reverse("dues:payroll", args=[demo.branch.pk]),
        {"kind": "salaried", "file": SimpleUploadedFile("工资表.xlsx", data)},
    )


def _rows(demo):
    a, b = list(Member.objects.current().filter(organization=demo.branch)[:2])
    sibling = demo.member_in_sibling
    return (
        a,
        b,
        [
            (a.name, a.id_number, "5000.01"),
            (b.name, b.id_number, "三千"),
            (sibling.name, sibling.id_number, "4000"),
            ("某某", OUTSIDER_ID, "4000"),
        ],
    )


def test_the_preview_checks_every_row_and_writes_nothing(demo):
    a, b, rows = _rows(demo)
    page = client_as(demo.users["secretary"], api=False)
    before = last_seq()
    response = _upload(page, demo, _xlsx(rows))
    html = response.content.decode()
    assert response.status_code == 200
    assert "75.00" in html  # 5000.01 at 1.5 %
    assert "第3行：计算基数应为数字" in html
    assert "第4行：身份证号与本支部党员不符" in html  # a sibling branch's member is not in scope
    assert "第5行：身份证号与本支部党员不符" in html
    assert a.id_number not in html
    assert not Assessment.objects.exists() and last_seq() == before


def test_strict_refuses_the_whole_file_partial_takes_the_good_rows(demo):
    a, b, rows = _rows(demo)
    page = client_as(demo.users["secretary"], api=False)
    _upload(page, demo, _xlsx(rows))
    confirm = reverse("dues:payroll_confirm", args=[demo.branch.pk])
    form = {"effective_from": this_month().isoformat()}
    response = page.post(confirm, form | {"mode": "strict"}, follow=True)
    assert "严格模式：有3行错误，未导入任何数据" in response.content.decode()
    assert not Assessment.objects.exists()
    page.post(confirm, form | {"mode": "partial"})
    row = Assessment.objects.get()
    assert (row.member_id, row.amount) == (a.pk, Decimal("75.00"))


def test_a_file_that_is_not_a_payroll_sheet_is_refused(demo):
    page = client_as(demo.users["secretary"], api=False)
    response = _upload(page, demo, b"not a workbook")
    assert response.status_code == 400
    assert "无法读取该文件" in response.content.decode()


def test_only_the_branchs_managers_may_upload(demo):
    page = client_as(demo.users["organ"], api=False)
    assert _upload(page, demo, _xlsx([])).status_code == 403
