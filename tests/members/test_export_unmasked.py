"""导出（明文）: the page says how many people the file will hold and asks for a reason; the
file comes only with one, and the audit event keeps it, with any ID or mobile number masked
(issue 18)."""

from __future__ import annotations

import io

import openpyxl
from django.urls import reverse

from dangjian.audit.models import AuditAction
from dangjian.members.models import Member
from tests.helpers import events_since, last_seq

URL = reverse("members:export")


def _exports(seq):
    return [e for e in events_since(seq) if e.action == AuditAction.EXPORT]


def test_the_first_click_asks_for_a_reason_and_says_how_many(demo, client_for):
    client = client_for(demo.users["secretary"])
    seq = last_seq()
    expected = Member.objects.current().filter(organization__path__startswith=demo.branch.path)

    page = client.get(URL, {"unmasked": "1"})

    assert page.status_code == 200
    assert page["Content-Type"].startswith("text/html")
    html = page.content.decode()
    assert f"将导出 <strong>{expected.count()}</strong> 人" in html
    assert 'name="reason"' in html
    assert _exports(seq) == []  # nothing left the building yet


def test_no_reason_no_file(demo, client_for):
    client = client_for(demo.users["secretary"])
    seq = last_seq()

    response = client.post(f"{URL}?unmasked=1", {"reason": "   "})

    assert response.status_code == 400
    assert "请填写导出明文的事由" in response.content.decode()
    assert _exports(seq) == []


def test_with_a_reason_the_file_comes_and_the_audit_keeps_the_reason(demo, client_for):
    client = client_for(demo.users["secretary"])
    member = demo.member_in_branch
    seq = last_seq()

    response = client.post(
        f"{URL}?unmasked=1", {"reason": f"核对 {member.id_number} 等人的信息后重新导入"}
    )

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = {str(c) for row in sheet.iter_rows(values_only=True) for c in row}
    assert member.id_number in values  # in clear: that is what was asked for
    [event] = _exports(seq)
    assert "明文" in event.message
    assert "事由：核对 [身份证号] 等人的信息后重新导入" in event.message
    assert member.id_number not in event.message


def test_a_reader_without_reveal_is_refused_before_any_page(demo, client_for):
    client = client_for(demo.users["inspector"])
    assert client.get(URL, {"unmasked": "1"}).status_code == 403
    assert client.post(f"{URL}?unmasked=1", {"reason": "查看"}).status_code == 403
