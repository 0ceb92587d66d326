"""新建下级党组织 on a phone: the 机关党委 opens its organization's page, follows the button,
fills the form (no sideways scrolling, buttons readable and unbroken) and lands on the new
organization's page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from dangjian.orgs.models import Organization
from tests.conftest import PASSWORD
from tests.e2e.checks import problems_on, sideways

pytestmark = pytest.mark.browser

PHONE_WIDTH = 390


def test_the_organ_committee_founds_a_branch_on_a_phone(phone_page, demo, login, results_dir):
    page = phone_page
    login(page, "organ", PASSWORD)
    page.goto(f"/orgs/{demo.organ_committee.pk}/")
    assert not problems_on(page, "detail") and not sideways(page, PHONE_WIDTH)
    page.get_by_role("link", name="新建下级党组织").click()
    page.get_by_label("组织名称").fill("测试第九党支部")
    page.get_by_label("组织类型").select_option(label="党支部")
    page.get_by_label("组织编码").fill("fgw-b09")
    page.get_by_label("成立日期").fill("2026-09-01")
    assert not problems_on(page, "form") and not sideways(page, PHONE_WIDTH)
    page.screenshot(path=str(results_dir / "org_found_phone.png"), full_page=True)
    page.get_by_role("button", name="新建").click()
    expect(page.get_by_role("heading", name="测试第九党支部")).to_be_visible()
    assert Organization.objects.get(code="FGW-B09").spells.get().started_on.isoformat() == (
        "2026-09-01"
    )
