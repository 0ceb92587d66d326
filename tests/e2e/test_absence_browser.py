"""A branch secretary, on a phone, records a member out of contact since the start of the year,
sees the six-month finding propose 停止党籍 on the page, and records it: the member stops
counting from that day and the proposal is gone."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from dangjian.members.history import members_on
from dangjian.members.models import Member
from dangjian.transfers.models import AbsenceRecord
from tests.conftest import PASSWORD
from tests.transfers.helpers import D

pytestmark = pytest.mark.browser


def test_a_secretary_records_lost_contact_and_the_suspension_on_a_phone(
    phone_page, login, demo, results_dir
):
    member = demo.member_in_branch
    page = phone_page
    login(page, "secretary", PASSWORD)
    page.goto("/transfers/")
    page.get_by_role("link", name="失去联系与出国出境").click()
    form = page.locator("#absence-form")
    form.get_by_label("党员").select_option(str(member.pk))
    form.get_by_label("类别").select_option(label="失去联系")
    form.get_by_label("起始日期").fill("2026-01-05")
    form.get_by_role("button", name="登记").click()
    expect(page.get_by_role("alert").first).to_have_text("已登记")
    row = page.locator("#absence li", has_text=member.name)
    expect(row).to_contain_text("建议停止党籍")  # more than six months by 2026-11-25
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(results_dir / "absence-phone-proposed.png"), full_page=True)

    row.get_by_label("日期").fill("2026-11-20")
    row.get_by_role("button", name="登记停止党籍").click()
    expect(page.get_by_role("alert").first).to_have_text("已登记停止党籍")
    after = page.locator("#absence li", has_text=member.name)
    expect(after).to_contain_text("2026-11-20停止党籍")
    expect(after).not_to_contain_text("建议停止党籍")

    record = AbsenceRecord.objects.get(member=member)
    assert record.suspended_on == D(2026, 11, 20)
    assert Member.objects.get(pk=member.pk).left_reason == "suspended"
    assert members_on(demo.branch, D(2026, 11, 19)).filter(pk=member.pk).exists()
    assert not members_on(demo.branch, D(2026, 11, 20)).filter(pk=member.pk).exists()
