"""A work item from the 机关党委 to every branch and back, in a real browser: the 机关党委 sends
it (a 主题党日 record as evidence), the branch secretary on a phone finds it in the inbox, links
a meeting record already in the platform and submits it, the 机关党委 accepts it, and the plan
item's tree shows the branch done.

Playwright drives Debian's /usr/bin/chromium against pytest-django's live server (see conftest).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from dangjian.core import clock
from dangjian.duties.models import Evidence, WorkItem, WorkStatus
from dangjian.meetings.models import Meeting, MeetingKind, MeetingStatus
from dangjian.orgs.models import Organization, OrgKind
from dangjian.regulations import workdays
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

PHONE_WIDTH = 390
TITLE = "开展“学习贯彻全会精神”主题党日活动"


def _no_horizontal_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH + 2


def test_an_item_goes_down_to_the_branches_and_comes_back_done(
    page, phone_page, demo, login, results_dir
):
    organ, secretary = page, phone_page
    branches = list(
        Organization.objects.filter(
            path__startswith=demo.organ_committee.path, kind=OrgKind.BRANCH
        ).order_by("path")
    )
    deadline = workdays.add_workdays(clock.today(), 10)
    held = (
        Meeting.objects.filter(
            organization=demo.branch, status=MeetingStatus.HELD, kind=MeetingKind.THEME_DAY
        )
        .order_by("-held_on", "-pk")
        .first()
    )
    assert held is not None, "the demo branch has held 主题党日"

    # The 机关党委 sends the item to every branch from the work-item list.
    login(organ, "organ", PASSWORD)
    organ.locator("nav").get_by_role("link", name="工作任务", exact=True).click()
    expect(organ.get_by_role("heading", name="工作任务")).to_be_visible()
    # The officer writes for the committee and the organizations below it: one button each.
    organ.get_by_role("link", name=f"下发任务（{demo.organ_committee.name}）").click()
    expect(
        organ.get_by_role("heading", name=f"下发任务 · {demo.organ_committee.name}")
    ).to_be_visible()
    organ.get_by_label("事项").fill(TITLE)
    organ.get_by_label("要求").fill("各支部结合实际开展，会后在平台关联会议记录。")
    organ.get_by_label("截止日期").fill(deadline.isoformat())
    organ.get_by_label("责任岗位").select_option(label="书记")
    organ.get_by_label("完成佐证").select_option(label="会议记录")
    organ.get_by_label("会议类型（佐证为会议记录时）").select_option(label="主题党日")
    expect(organ.get_by_label("以下范围内的全部党支部")).to_be_checked()
    organ.get_by_role("button", name="下发", exact=True).click()

    expect(organ.get_by_role("heading", name=TITLE)).to_be_visible()
    expect(organ.get_by_text(f"已下发给{len(branches)}个组织")).to_be_visible()
    tree = organ.locator("#tree")
    expect(tree.locator("tr")).to_have_count(len(branches))
    root = WorkItem.objects.get(title=TITLE, parent__isnull=True)
    item = WorkItem.objects.get(root=root, organization=demo.branch)
    assert root.children.count() == len(branches)
    organ.screenshot(path=results_dir / "duties-sent.png", full_page=True)

    # The secretary, on a phone, opens the inbox from the menu and the item from the inbox.
    login(secretary, "secretary", PASSWORD)
    secretary.get_by_role("button", name="菜单").click()
    secretary.get_by_role("link", name=re.compile("^消息")).click()
    expect(secretary.get_by_role("heading", name="消息与待办")).to_be_visible()
    _no_horizontal_scroll(secretary)
    todo = secretary.locator("#todo").get_by_role("link", name=re.compile(re.escape(TITLE)))
    expect(todo).to_contain_text(f"{demo.organ_committee.name}下发")
    secretary.screenshot(path=results_dir / "duties-inbox-phone.png", full_page=True)
    todo.click()

    expect(secretary.get_by_role("heading", name=TITLE)).to_be_visible()
    expect(secretary.locator("#item-state")).to_have_text("○ 办理中")
    expect(secretary.get_by_text("提交前：请先关联“主题党日”的会议记录")).to_be_visible()
    submit = secretary.get_by_role("button", name="提交验收")
    expect(submit).to_be_disabled()
    _no_horizontal_scroll(secretary)

    # Link the 主题党日 the branch has already recorded, then submit.
    secretary.get_by_label("关联已召开的会议（不需重新上传）").select_option(value=str(held.pk))
    secretary.get_by_role("button", name="关联", exact=True).click()
    expect(secretary.get_by_text("已关联会议记录")).to_be_visible()
    expect(secretary.locator("#evidence")).to_contain_text(held.topic)
    secretary.screenshot(path=results_dir / "duties-evidence-phone.png", full_page=True)
    expect(submit).to_be_enabled()
    submit.click()
    expect(secretary.get_by_text("已提交验收")).to_be_visible()
    expect(secretary.locator("#item-state")).to_have_text("… 待验收")
    expect(secretary.get_by_role("button", name="验收通过")).to_have_count(0)
    item.refresh_from_db()
    assert item.status == WorkStatus.SUBMITTED
    assert Evidence.objects.get(item=item).meeting == held

    # The 机关党委 finds it waiting for acceptance and accepts it.
    organ.locator("#inbox-link").click()
    waiting = organ.locator("#todo").get_by_role(
        "link", name=re.compile(f"{re.escape(demo.branch.name)}：{re.escape(TITLE)}")
    )
    expect(waiting).to_contain_text("待验收")
    waiting.click()
    expect(organ.locator("#evidence")).to_contain_text(held.topic)
    organ.get_by_label("验收意见").fill("材料齐全")
    organ.get_by_role("button", name="验收通过").click()
    expect(organ.get_by_text("已验收通过")).to_be_visible()
    expect(organ.locator("#item-state")).to_have_text("✓ 已完成")
    item.refresh_from_db()
    assert (item.status, item.completed_on) == (WorkStatus.ACCEPTED, clock.today())

    # The plan item's tree: the secretary's branch done, the others still at work.
    organ.goto(f"/duties/{root.pk}/")
    expect(organ.get_by_role("heading", name=TITLE)).to_be_visible()
    for branch in branches:
        row = organ.locator("#tree tr").filter(
            has=organ.get_by_role("link", name=branch.name, exact=True)
        )
        expect(row).to_contain_text("已完成" if branch == demo.branch else "办理中")
    expect(organ.get_by_text(f"已完成 1 · 待验收 0 · 办理中 {len(branches) - 1}")).to_be_visible()
    organ.screenshot(path=results_dir / "duties-plan-tree.png", full_page=True)

    # And the secretary sees it done.
    secretary.reload()
    expect(secretary.locator("#item-state")).to_have_text("✓ 已完成")
    expect(secretary.get_by_role("button", name="提交验收")).to_have_count(0)
