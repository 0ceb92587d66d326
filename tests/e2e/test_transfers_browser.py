"""A member sent from one branch and received in another: the sending secretary starts the
transfer on a phone from the member's page, the 机关党委 issues the letter, and the receiving
branch's secretary sees it waiting and receives it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from dangjian.members.history import members_on
from dangjian.members.models import Member
from dangjian.transfers import services
from dangjian.transfers.models import Transfer
from tests.conftest import PASSWORD
from tests.transfers.helpers import D, as_, receiver

pytestmark = pytest.mark.browser


def test_sending_a_member_and_receiving_them_in_another_branch(
    phone_page, page, login, demo, results_dir
):
    member = demo.member_in_branch
    rec = receiver(demo)

    sender = phone_page
    login(sender, "secretary", PASSWORD)
    sender.goto(f"/members/{member.pk}/")
    sender.get_by_role("link", name="组织关系转接").click()
    sender.get_by_label("本平台内的党支部").check()
    sender.get_by_role("button", name="下一步").click()
    expect(sender.get_by_label("转入党组织名称")).to_have_count(0)
    sender.get_by_label("转入党支部的组织编码").fill("FGW-B02")
    sender.get_by_label("转接原因").fill("工作调动")
    sender.get_by_label("申请日期").fill("2026-11-02")
    sender.get_by_role("button", name="提交转出申请").click()
    expect(sender.locator("#status")).to_contain_text("待转出方审核")
    assert sender.evaluate("document.documentElement.scrollWidth") <= 390
    sender.screenshot(path=str(results_dir / "transfer-phone-started.png"), full_page=True)

    transfer = Transfer.objects.get(member=member)
    services.approve(as_(demo.users["organ"]), transfer, D(2026, 11, 5))

    login(page, rec.username, PASSWORD)
    page.goto("/transfers/")
    expect(page.locator("#waiting")).to_contain_text(member.name)
    expect(page.locator("#incoming")).to_contain_text("有效期内")
    page.locator("#waiting").get_by_role("link", name=member.name).click()
    page.get_by_label("报到（接收）日期").fill("2026-11-20")
    page.get_by_role("button", name="确认接收").click()
    expect(page.get_by_role("alert")).to_have_text("已办结接收，组织关系自接收之日起转移")
    expect(page.locator("#status")).to_contain_text("已完成")
    expect(page.locator("#steps li")).to_have_count(3)
    page.screenshot(path=str(results_dir / "transfer-received.png"), full_page=True)

    assert Member.objects.get(pk=member.pk).organization_id == demo.sibling_branch.pk
    assert members_on(demo.branch, D(2026, 11, 19)).filter(pk=member.pk).exists()
    assert members_on(demo.sibling_branch, D(2026, 11, 20)).filter(pk=member.pk).exists()


def test_the_committee_moves_a_whole_branch_on_a_phone(phone_page, demo, login, results_dir):
    """整建制转移: from the branch's transfers page to the preview and one confirmation."""
    source, target = demo.sibling_branch, demo.org["FGW-B03"]
    moving = set(
        Member.objects.filter(organization=source, left_on__isnull=True).values_list(
            "pk", flat=True
        )
    )
    page = phone_page
    login(page, "organ", PASSWORD)
    page.goto(f"/transfers/?org={source.pk}")
    page.get_by_role("link", name="整建制转移").click()
    page.get_by_label("转入党支部").select_option(str(target.pk))
    page.get_by_label("转移日期").fill("2026-11-20")
    page.get_by_label("转移原因").fill("两支部合并")
    page.get_by_role("button", name="预览").click()
    expect(page.locator("#bulk-preview")).to_contain_text(f"{len(moving)} 名党员")
    expect(page.locator("#bulk-chosen li")).to_have_count(len(moving))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(results_dir / "transfer-bulk-preview.png"), full_page=True)
    assert Member.objects.filter(organization=source, left_on__isnull=True).count() == len(moving)
    page.get_by_role("button", name=f"确认转移{len(moving)}名党员").click()
    expect(page.get_by_role("alert")).to_contain_text(f"已将{len(moving)}名党员整建制转入")
    assert not Member.objects.filter(organization=source, left_on__isnull=True).exists()
    assert set(members_on(target, D(2026, 11, 20)).values_list("pk", flat=True)) >= moving
