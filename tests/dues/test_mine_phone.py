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
