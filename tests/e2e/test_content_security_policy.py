"""The Content-Security-Policy holds in a real browser: the pages work with no inline script, no
style element and nothing from another origin, and Chromium reports no violation."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

REPORT_VIOLATIONS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
  e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
"""


def _visit(page, path: str) -> list[str]:
    page.goto(path)
    page.wait_for_load_state("networkidle")
    return page.evaluate("window.__csp")


def test_the_secretarys_pages_break_no_rule_of_the_policy(page, demo, login):
    from dangjian.meetings.models import Meeting

    meeting = Meeting.objects.filter(organization=demo.branch).order_by("-starts_at").first()
    page.add_init_script(REPORT_VIOLATIONS)
    console = []
    page.on("console", lambda msg: console.append(msg.text))
    login(page, "secretary", PASSWORD)

    violations = {}
    for path in (
        "/orgs/",
        "/members/",
        "/meetings/",
        f"/meetings/{meeting.pk}/",
        f"/meetings/{meeting.pk}/record/",
        f"/meetings/{meeting.pk}/checkin/",
        "/compliance/",
        "/duties/",
        "/library/",
        "/api/docs",
        "/members/999999999/",
    ):
        found = _visit(page, path)
        if found:
            violations[path] = found
        response = page.request.get(path)
        assert "default-src 'self'" in response.headers["content-security-policy"], path

    assert violations == {}
    assert not [m for m in console if "Content Security Policy" in m]
    # The detector works: an injected <style> element is refused and reported.
    page.evaluate("document.head.insertAdjacentHTML('beforeend', '<style>b{color:red}</style>')")
    page.wait_for_function("window.__csp.length > 0")
    assert page.evaluate("window.__csp")[0].startswith("style-src")
    # The API docs (Swagger UI from our static files) render under the policy.
    page.goto("/api/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("机关党建")


def test_a_confirm_prompt_still_guards_cancelling_a_meeting(page, demo, login):
    from dangjian.meetings.models import Meeting, MeetingStatus

    meeting = Meeting.objects.filter(organization=demo.branch, status=MeetingStatus.PLANNED).first()
    if meeting is None:
        pytest.skip("the demo branch has no planned meeting")
    login(page, "secretary", PASSWORD)
    page.goto(f"/meetings/{meeting.pk}/")
    asked = []

    def dismiss(dialog):
        asked.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    page.get_by_role("button", name="取消会议").click()

    assert asked == ["确定取消这次会议？"]
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.PLANNED
