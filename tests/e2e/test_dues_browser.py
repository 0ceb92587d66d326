"""Recording a month of dues on a phone: the secretary opens the ledger from /dues/, marks one
member unpaid and one with another amount, saves once, and everyone else is paid the expected
amount (issue 16). Playwright drives Debian's /usr/bin/chromium (see conftest)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from dangjian.dues.models import Payment
from dangjian.members.models import Member
from tests.conftest import PASSWORD
from tests.dues.helpers import assessed, months_ago, settle

pytestmark = pytest.mark.browser

PHONE_WIDTH = 390


def test_the_secretary_records_a_month_on_a_phone(phone_page, demo, login, results_dir):
    members = list(Member.objects.current().filter(organization=demo.branch))
    for m in members:
        settle(m, months_ago(24))
        assessed(demo, m, "2800", months_ago(12))
    month = months_ago(1)
    page = phone_page
    login(page, "secretary", PASSWORD)
    page.goto("/dues/")  # the nav is folded on a phone
    page.get_by_role("link", name=f"{demo.branch.name} 党费收缴登记表").click()
    page.get_by_label("月份", exact=True).fill(f"{month:%Y-%m}")
    page.get_by_role("button", name="切换月份").click()
    expect(page.get_by_role("heading", name=f"{month.month}月党费收缴登记表")).to_be_visible()
    page.get_by_label(members[0].name, exact=True).select_option("unpaid")
    page.get_by_label(members[1].name, exact=True).select_option("other")
    page.get_by_label(f"{members[1].name}金额").fill("20")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH + 2
    page.get_by_role("button", name="保存本月登记").click()
    expect(page.get_by_text(f"已登记{len(members) - 1}人的党费")).to_be_visible()
    page.screenshot(path=str(results_dir / "dues_ledger_phone.png"), full_page=True)
    paid = dict(Payment.objects.filter(month=month).values_list("member_id", "amount"))
    assert members[0].pk not in paid
    assert paid[members[1].pk] == Decimal("20.00")
    assert paid[members[2].pk] == Decimal("14.00")
