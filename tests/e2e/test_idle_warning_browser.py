"""The idle warning in a real browser: shortly before the idle timeout the page says so and
offers 继续使用, which keeps the session; left alone, the page says the session has ended and
what to do with the text typed. The timeout is shortened to seconds for the test."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from dangjian.accounts import middleware
from dangjian.meetings.models import Meeting, MeetingStatus
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

IDLE = 6  # seconds: the warning shows from 4 s (the last third), the session ends at 6 s


def test_the_idle_warning_keeps_the_session_or_says_it_ended(
    phone_page, login, settings, monkeypatch
):
    settings.IDLE_TIMEOUT = timedelta(seconds=IDLE)
    monkeypatch.setattr(middleware, "SEEN_EVERY", 1)
    page = phone_page
    login(page, "secretary", PASSWORD)
    warning = page.locator("#idle-warning")
    expect(warning).to_be_hidden()

    expect(warning).to_be_visible(timeout=IDLE * 1000)
    expect(warning).to_contain_text("分钟后将自动退出登录")
    with page.expect_response("**/still-here/") as answer:
        warning.get_by_role("button", name="继续使用").click()
    assert answer.value.status == 204
    expect(warning).to_be_hidden()

    # Left alone past the timeout: the page says so, with the way back, and the server agrees.
    expect(warning.locator("[data-idle-over]")).to_be_visible(timeout=(IDLE + 3) * 1000)
    expect(warning.get_by_role("button", name="继续使用")).to_be_hidden()
    expect(warning.get_by_role("link", name="重新登录")).to_be_visible()
    # The server's clock counts whole seconds and ends a session strictly after the limit: up
    # to 2 s after the page's own count, which starts at the answer, not at the stamp.
    page.wait_for_timeout(2500)
    page.reload()
    assert "/login/" in page.url and "timeout=1" in page.url


POLLED_IDLE = 14  # seconds: the warning from 10 s; the check-in code polls at 10 s


def test_the_check_in_screens_poll_does_not_keep_the_session(
    phone_page, demo, login, settings, monkeypatch
):
    """A phone left on the check-in screen asks for a new code every 10 s. Counted as activity,
    it would keep the session forever (and the page's warning hidden); it is not a person."""
    settings.IDLE_TIMEOUT = timedelta(seconds=POLLED_IDLE)
    monkeypatch.setattr(middleware, "SEEN_EVERY", 1)
    meeting = (
        Meeting.objects.filter(organization=demo.branch)
        .exclude(status=MeetingStatus.CANCELLED)
        .order_by("-starts_at")
        .first()
    )
    page = phone_page
    login(page, "secretary", PASSWORD)
    with page.expect_response(f"**/meetings/{meeting.pk}/checkin/qr/", timeout=15000) as poll:
        page.goto(f"/meetings/{meeting.pk}/checkin/")
    assert poll.value.status == 200

    warning = page.locator("#idle-warning")
    expect(warning.locator("[data-idle-over]")).to_be_visible(timeout=8000)
    page.wait_for_timeout(2500)
    page.reload()
    assert "/login/" in page.url and "timeout=1" in page.url
