"""Publishing an assessment scheme and reading one target's explanation (issue 14): the 机关党委
fills and publishes a scheme in the browser; the branch secretary opens their branch's
explanation on a phone and sees each indicator with how it was computed. Playwright drives
Debian's /usr/bin/chromium (see conftest)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from dangjian.assessment.models import Scheme
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

PHONE_WIDTH = 390


def test_publishing_a_scheme_and_reading_a_targets_explanation(
    page, phone_page, demo, login, results_dir
):
    login(page, "organ", PASSWORD)
    page.goto("/assessment/")
    page.get_by_role("link", name="新建考核方案").click()
    page.get_by_label("方案名称").fill("党支部年度考核")
    page.get_by_label("党建工作权重（%）").fill("100")
    page.get_by_label("业务绩效权重（%）").fill("0")
    page.get_by_role("button", name="保存为草稿").click()
    expect(page.get_by_text("已新建考核方案")).to_be_visible()
    page.get_by_label("指标名称").fill("三会一课")
    page.get_by_label("权重（%）", exact=True).fill("100")
    page.get_by_label("评分方式").select_option("computed")
    page.get_by_label("数据来源（记录自动计算时）").select_option("meetings_held")
    page.get_by_role("button", name="添加", exact=True).click()
    expect(page.get_by_text("已添加指标")).to_be_visible()
    page.get_by_role("button", name="发布方案").click()
    expect(page.get_by_text("已发布考核方案")).to_be_visible()
    assert Scheme.objects.get(title="党支部年度考核").status == "published"

    phone = phone_page
    login(phone, "secretary", PASSWORD)
    phone.goto("/assessment/")
    phone.get_by_role("link", name="党支部年度考核").click()
    phone.get_by_role("link", name=demo.branch.name).click()
    expect(phone.get_by_text("计算方法：应召开的会议期次")).to_be_visible()
    phone.get_by_text("依据记录").first.click()
    expect(phone.get_by_role("link", name=demo.branch.name).first).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH + 2
    phone.screenshot(path=str(results_dir / "assessment_target_phone.png"), full_page=True)
