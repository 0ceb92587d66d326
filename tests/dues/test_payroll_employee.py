"""Payroll rows that carry a 工号 match the branch's member by employee number; rows without
one match by ID number as before. Ambiguity is refused; the numbers stay out of logs and audit."""

from __future__ import annotations

import io
import logging
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import Workbook

from dangjian.audit.services import Actor
from dangjian.dues.models import Assessment
from dangjian.members import services as members
from dangjian.members.models import Member
from tests.dues.helpers import this_month
from tests.dues.test_payroll import _upload
from tests.helpers import events_since, last_seq
from tests.matrix_helpers import client_as
from tests.members.test_services import form_data

pytestmark = pytest.mark.django_db


def _xlsx(header, rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _number(demo, member: Member, number: str, by: str = "secretary") -> Member:
    member, _ = members.update_member(
        Actor(user=demo.users[by]), member, form_data(member, employee_number=number)
    )
    return member


@pytest.fixture
def numbered(demo):
    a, b, c = list(Member.objects.current().filter(organization=demo.branch)[:3])
    return _number(demo, a, "E-1001"), _number(demo, b, "00123"), c


def _preview(demo, data: bytes) -> str:
    page = client_as(demo.users["secretary"], api=False)
    response = _upload(page, demo, data)
    assert response.status_code == 200, response.content.decode()[:500]
    return response.content.decode()


def test_rows_match_by_employee_number_or_else_by_id_number(demo, numbered):
    a, b, c = numbered
    data = _xlsx(
        ["姓名", "工号", "身份证号", "计算基数"],
        [
            (a.name, "e-1001", None, "3000"),  # by 工号 (case and spaces do not matter)
            (b.name, "00123", None, "5000.01"),
            (c.name, None, c.id_number, "2000"),  # no 工号: by ID number as before
        ],
    )
    html = _preview(demo, data)
    assert "有错误" in html and "其中0行有错误" in html
    page = client_as(demo.users["secretary"], api=False)
    _upload(page, demo, data)
    page.post(
        reverse("dues:payroll_confirm", args=[demo.branch.pk]),
        {"effective_from": this_month().isoformat(), "mode": "strict"},
    )
    amounts = dict(Assessment.objects.values_list("member_id", "amount"))
    assert amounts == {a.pk: Decimal("15.00"), b.pk: Decimal("75.00"), c.pk: Decimal("10.00")}


def test_a_sheet_with_only_a_employee_number_column_is_read(demo, numbered):
    a, _, c = numbered
    html = _preview(
        demo,
        _xlsx(["姓名", "职工号", "计算基数"], [(a.name, "E-1001", "3000"), (c.name, "", "3000")]),
    )
    assert "其中1行有错误" in html
    assert "第3行：请填写工号或身份证号" in html


def test_unknown_numbers_and_mismatches_get_one_message_each(demo, numbered):
    a, b, c = numbered
    other = _number(demo, demo.member_in_sibling, "E-9999", by="organ")
    html = _preview(
        demo,
        _xlsx(
            ["姓名", "工号", "身份证号", "计算基数"],
            [
                (other.name, "E-9999", None, "3000"),  # another branch's: not revealed as such
                (a.name, "E-1001", c.id_number, "3000"),  # the ID is someone else's
                (c.name, "E-1001", None, "3000"),  # the 工号 is a's
                (b.name, 123, None, "3000"),  # a number cell lost the leading zeros
                (a.name, "E 1001!", None, "3000"),
            ],
        ),
    )
    assert "第2行：工号与本支部党员不符" in html
    assert "第3行：工号与身份证号不是同一人" in html
    assert "第4行：姓名与工号不一致" in html
    assert "第5行：工号与本支部党员不符（该列为数字格式，工号开头的0可能已丢失" in html
    assert "第6行：工号只能包含字母、数字、“-”和“_”" in html
    assert not Assessment.objects.exists()


def test_a_number_shared_by_two_members_needs_the_id_number(demo, numbered):
    a, _, c = numbered
    c = _number(demo, c, "E-1001")
    html = _preview(
        demo,
        _xlsx(
            ["姓名", "工号", "身份证号", "计算基数"],
            [(a.name, "E-1001", None, "3000"), (c.name, "E-1001", c.id_number, "4000")],
        ),
    )
    assert "第2行：本支部有2名党员登记了该工号，无法区分" in html
    assert "其中1行有错误" in html  # the second row's ID number tells the two apart


def test_the_numbers_never_reach_the_logs_or_the_audit_log(demo, numbered, caplog):
    a, b, _ = numbered
    before = last_seq()
    caplog.set_level(logging.DEBUG)
    data = _xlsx(
        ["姓名", "工号", "计算基数"],
        [(a.name, "E-1001", "3000"), (b.name, "00123", "3000"), ("某某", "E-4040", "1")],
    )
    page = client_as(demo.users["secretary"], api=False)
    _upload(page, demo, data)
    page.post(
        reverse("dues:payroll_confirm", args=[demo.branch.pk]),
        {"effective_from": this_month().isoformat(), "mode": "partial"},
    )
    assert Assessment.objects.count() == 2
    events = events_since(before)
    assert events
    text = " ".join(f"{e.message} {e.object_repr} {e.changes}" for e in events) + caplog.text
    for number in ("E-1001", "00123", "E-4040"):
        assert number not in text
