"""The member's dues page says how dues are paid (ux30): to the branch, recorded by it; the
platform takes no money, so nobody looks for a pay button that is not there."""

from __future__ import annotations

from django.urls import reverse

from tests.matrix_helpers import client_as


def test_the_member_is_told_dues_are_paid_to_the_branch_not_online(demo) -> None:
    html = client_as(demo.users["member"], api=False).get(reverse("dues:mine")).content.decode()
    note = html.split('id="dues-how"', 1)[1].split("</p>", 1)[0]
    assert "由支部登记" in note and "平台不在网上收款" in note
    assert "支付" not in html and "在线缴" not in html


def test_the_branch_ledger_leads_back_to_the_dues_page(demo) -> None:
    client = client_as(demo.users["secretary"], api=False)
    html = client.get(reverse("dues:ledger", args=[demo.branch.pk])).content.decode()
    assert f'<a href="{reverse("dues:mine")}" id="back-to-dues"' in html and "← 党费" in html


def test_a_month_with_nobody_assessed_says_what_to_do_not_recorded_0(demo) -> None:
    """Saving the month with nobody assessed said 已登记0人的党费, read as a success (ux30)."""
    from dangjian.dues.models import Payment
    from dangjian.members.models import Member
    from tests.dues.helpers import assessed, months_ago

    client = client_as(demo.users["secretary"], api=False)
    url = reverse("dues:ledger", args=[demo.branch.pk])
    current = Member.objects.current().filter(organization=demo.branch)
    page = client.get(url).content.decode()
    assert f"{current.count()}名党员党费尚未核定，不能登记收缴" in page and 'href="#assess"' in page
    done = client.post(url, {"paid_on": "2026-11-20", "method": "cash"}, follow=True)
    html = done.content.decode()
    assert "没有登记任何人的党费" in html and "已登记0人" not in html
    assert not Payment.objects.filter(member__organization=demo.branch).exists()

    for member in current:
        assessed(demo, member, "2800", months_ago(12))
    assert 'id="unassessed-note"' not in client.get(url).content.decode()
    saved = client.post(url, {"paid_on": "2026-11-20", "method": "cash"}, follow=True)
    assert f"已登记{current.count()}人的党费" in saved.content.decode()
