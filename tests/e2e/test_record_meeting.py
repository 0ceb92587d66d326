"""A branch secretary plans a 支部党员大会 and records it on a phone, in a real browser: one page,
one save, everyone present by default, the exceptions marked in a few taps; and the quarter's
支部党员大会 finding on the branch's compliance page turns green.

Playwright drives Debian's /usr/bin/chromium against pytest-django's live server (see conftest).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from dangjian.audit.models import AuditEvent
from dangjian.core import clock
from dangjian.meetings.models import Attendance, Meeting, MeetingStatus
from dangjian.members.models import Member
from dangjian.regulations.periods import period_of
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

PHONE_WIDTH = 390


class Taps:
    """Counts the clicks and taps the secretary makes."""

    def __init__(self):
        self.count = 0

    def __call__(self, locator) -> None:
        self.count += 1
        locator.click()


def _no_horizontal_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH + 2


def _quarter_finding(page, branch, quarter: str):
    """This quarter's 支部党员大会 frequency finding on the branch's compliance page."""
    page.goto(f"/compliance/org/{branch.pk}/")
    section = page.locator(f"section[data-org='{branch.code}']")
    return section.locator(f"[data-rule='general_meeting_freq'][data-period='{quarter}']")


def test_secretary_plans_and_records_a_general_meeting_on_a_phone(
    phone_page, demo, login, results_dir
):
    page = phone_page
    members = list(Member.objects.filter(organization=demo.branch).order_by("name_pinyin", "pk"))
    away, missing = members[1], members[2]
    today = clock.today()
    quarter = period_of(today, "quarter").key
    login(page, "secretary", PASSWORD)

    # The demo branch has held no 党员大会 this quarter yet: the finding is not green.
    finding = _quarter_finding(page, demo.branch, quarter)
    expect(finding).to_have_count(1)
    assert finding.get_attribute("data-status") != "ok"

    # Plan: the calendar, 安排会议, the form.
    page.goto("/meetings/")
    expect(page.get_by_role("heading", name=f"组织生活 · {demo.branch.name}")).to_be_visible()
    _no_horizontal_scroll(page)
    # The branch and its party groups each hold meetings: pick the branch.
    page.get_by_role("button", name="安排会议").click()
    page.get_by_role("link", name=demo.branch.name, exact=True).filter(visible=True).click()
    page.get_by_label("会议类型").select_option(label="支部党员大会")
    page.get_by_label("日期").fill(today.isoformat())
    page.get_by_label("时间").fill("00:05")
    page.get_by_label("会议主题").fill("学习贯彻党章")
    page.get_by_label("地点").fill("党员活动室")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("heading", name="支部党员大会：学习贯彻党章")).to_be_visible()
    expect(page.locator("#meeting-status")).to_have_text("计划")
    meeting = Meeting.objects.get(topic="学习贯彻党章", organization=demo.branch)
    assert meeting.status == MeetingStatus.PLANNED
    page.screenshot(path=results_dir / "meeting-planned-phone.png", full_page=True)

    # Record: from opening the record page to saved, every tap counted.
    tap = Taps()
    tap(page.get_by_role("link", name="记录会议"))
    expect(page.get_by_role("heading", name="记录会议")).to_be_visible()
    _no_horizontal_scroll(page)
    expect(page.locator("#count-expected")).to_have_text(str(len(members)))
    expect(page.locator("#count-present")).to_have_text(str(len(members)))

    tap(page.get_by_role("radiogroup", name=f"{away.name}的出勤").get_by_text("请假"))
    reason = page.get_by_label(f"{away.name}的原因")
    expect(reason).to_be_visible()
    # The cursor is already in the reason box: the next keystrokes are the reason, no tap.
    expect(reason).to_be_focused()
    page.keyboard.type("出差")
    expect(reason).to_have_value("出差")
    tap(page.get_by_role("radiogroup", name=f"{missing.name}的出勤").get_by_text("缺席"))
    expect(page.locator("#count-present")).to_have_text(str(len(members) - 2))
    expect(page.locator("#absent-summary")).to_have_text(
        f"{away.name}（请假：出差）；{missing.name}（缺席）"
    )
    page.screenshot(path=results_dir / "meeting-record-phone.png", full_page=True)
    tap(page.get_by_role("button", name="保存会议记录"))

    expect(page.locator("#meeting-status")).to_have_text("已召开")
    assert tap.count <= 4, f"{tap.count} taps to record a meeting"
    n = len(members)
    expect(page.locator("#meeting-counts")).to_have_text(f"应到 {n} 人，实到 {n - 2} 人")
    expect(page.locator("#absent-summary")).to_have_text(
        f"{away.name}（请假：出差）；{missing.name}（缺席）"
    )
    page.screenshot(path=results_dir / "meeting-recorded-phone.png", full_page=True)

    meeting.refresh_from_db()
    assert (meeting.status, meeting.held_on) == (MeetingStatus.HELD, today)
    assert (meeting.expected_count, meeting.present_count) == (n, n - 2)
    rows = dict(Attendance.objects.filter(meeting=meeting).values_list("member_id", "status"))
    assert len(rows) == n
    assert (rows[away.pk], rows[missing.pk]) == ("on_leave", "absent")
    expect(
        page.get_by_text(f"已保存会议记录：应到{n}人，实到{n - 2}人，请假1人，缺席1人")
    ).to_be_visible()
    # One save, one audit event for the record.
    events = AuditEvent.objects.filter(object_type="meetings.meeting", object_id=str(meeting.pk))
    assert list(events.order_by("seq").values_list("action", flat=True)) == ["create", "update"]

    # The finding turns green, with the new record behind it.
    finding = _quarter_finding(page, demo.branch, quarter)
    expect(finding).to_have_attribute("data-status", "ok")
    expect(finding.locator(f"a[href='/meetings/{meeting.pk}/']")).to_have_count(1)
    page.screenshot(path=results_dir / "meeting-finding-green-phone.png", full_page=True)
