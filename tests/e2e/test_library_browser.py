"""The library on a phone in a real browser: a member searches for 怠学, opens the essay, reads the
preview in the page, and expands and collapses the abstract (展开>> / 收起<<)."""

from __future__ import annotations

import io

import pytest
from playwright.sync_api import expect

from dangjian.audit.services import Actor
from dangjian.study import services
from tests.conftest import PASSWORD
from tests.study.helpers import ESSAY

pytestmark = pytest.mark.browser

LONG_ABSTRACT = (
    "本文分析了新形势下机关党建工作存在的问题：党务工作者对党建工作的认识不够，"
    "理论学习中存在怠学、厌学和逃学的现象，党建工作责任制不到位，党务干部队伍素质不高。"
    "文章提出把党务干部培训纳入总体培训规划，建立考核体系，把党建考核和业务考核结合起来，"
    "使机关党建工作由软任务变成硬指标。最后一句只在展开后才能看到：学习贵在坚持。"
)


def test_a_member_reads_a_material_on_a_phone(phone_page, login, demo, results_dir):
    material = services.publish(
        Actor.system("test"),
        demo.organ_committee,
        io.BytesIO(ESSAY.read_bytes()),
        "新形势下机关党建工作存在的问题及应对措施.txt",
        {"category": "党建业务", "author": "机关党委", "abstract": LONG_ABSTRACT},
    )
    page = phone_page
    login(page, "member", PASSWORD)
    page.goto("/library/")
    page.get_by_label("关键词").fill("怠学")
    page.get_by_role("button", name="搜索").click()
    result = page.locator("#results li").first
    expect(result.locator("mark")).to_have_text("怠学")
    result.get_by_role("link", name=material.title).click()

    expect(page.get_by_role("heading", name=material.title)).to_be_visible()
    expect(page.locator("#meta")).to_contain_text("党建业务")
    expect(page.locator("#preview .preview-page").first).to_contain_text("怠学")

    abstract = page.locator("#abstract")
    toggle = page.get_by_role("button", name="展开>>")
    expect(toggle).to_be_visible()
    collapsed_height = abstract.bounding_box()["height"]
    expect(abstract).to_have_class("abstract collapsed")
    toggle.click()
    expect(page.get_by_role("button", name="收起<<")).to_be_visible()
    expect(abstract).to_have_class("abstract")
    expanded_height = abstract.bounding_box()["height"]
    assert expanded_height > collapsed_height * 1.5
    expect(abstract).to_contain_text("学习贵在坚持")
    # The page fits the phone: nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(results_dir / "library-phone-expanded.png"), full_page=True)
    page.get_by_role("button", name="收起<<").click()
    expect(page.get_by_role("button", name="展开>>")).to_be_visible()
    expect(abstract).to_have_class("abstract collapsed")
    assert abstract.bounding_box()["height"] == pytest.approx(collapsed_height, abs=2)
