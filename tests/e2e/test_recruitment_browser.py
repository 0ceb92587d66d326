"""A secretary follows a person's development on a phone: the pipeline, the timeline with its
done / due steps, and the talk recorded from the page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from dangjian.recruitment.models import Applicant
from tests.conftest import PASSWORD
from tests.recruitment.helpers import D, march, open_file

pytestmark = pytest.mark.browser


def test_a_secretary_records_the_talk_on_a_phone(phone_page, login, demo, results_dir):
    applicant = open_file(demo, received_on=D(2026, 11, 2))
    page = phone_page
    login(page, "secretary", PASSWORD)
    page.goto(f"/recruitment/?org={demo.branch.pk}")
    expect(page.locator('[data-stage="applicant"]')).to_have_text("1")
    page.get_by_role("link", name="申请人甲").click()

    timeline = page.locator("#timeline li")
    expect(timeline).to_have_count(25)
    expect(page.locator('#timeline [data-status="done"]')).to_have_count(1)
    expect(page.locator('#timeline [data-status="due"]')).to_contain_text("2026年12月2日")

    page.get_by_label("日期").first.fill("2026-11-20")
    page.get_by_label("决定人或决定机构").fill("支部组织委员")
    page.get_by_role("button", name="记录").click()
    expect(page.get_by_role("alert")).to_contain_text("已记录第2步")
    expect(page.get_by_role("alert")).to_contain_text("（2026年11月20日）")
    expect(page.locator('#timeline [data-status="done"]')).to_have_count(2)
    assert Applicant.objects.get(pk=applicant.pk).next_step == 3
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(results_dir / "recruitment-phone-timeline.png"), full_page=True)


def test_a_refused_step_keeps_what_the_secretary_typed(phone_page, login, demo):
    applicant = march(demo, open_file(demo), 2)  # next: step 3, which needs the 支委会 record
    page = phone_page
    login(page, "secretary", PASSWORD)
    page.goto(f"/recruitment/files/{applicant.pk}/")
    page.get_by_label("日期").first.fill("2023-04-10")
    page.get_by_label("决定人或决定机构").fill("支部委员会")
    page.get_by_label("说明").fill("经支委会讨论")
    page.get_by_role("button", name="记录").click()
    # The reason is beside the form, and nothing typed was lost.
    expect(page.locator("#step-errors")).to_contain_text("请选择作为依据的会议记录")
    expect(page.locator("#step-errors")).to_be_in_viewport()
    expect(page.get_by_label("日期").first).to_have_value("2023-04-10")
    expect(page.get_by_label("决定人或决定机构")).to_have_value("支部委员会")
    expect(page.get_by_label("说明")).to_have_value("经支委会讨论")
    assert Applicant.objects.get(pk=applicant.pk).next_step == 3
