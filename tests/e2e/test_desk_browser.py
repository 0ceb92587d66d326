"""The work desk on a phone: the to-do count is visible without opening the menu, and a to-do
leads to the page that resolves it; the dashboard draws its charts from the vendored ECharts."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from dangjian.audit.services import Actor
from dangjian.core import clock
from dangjian.meetings import services as meeting_services
from dangjian.meetings.queries import upcoming_for_member
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_the_secretary_resolves_a_leave_request_from_the_desk_on_a_phone(phone_page, login, demo):
    member = demo.own_member
    meeting = upcoming_for_member(member, clock.today()).first()
    meeting_services.request_leave(Actor(user=demo.users["member"]), meeting, member, "出差")

    page = phone_page
    login(page, "secretary", PASSWORD)
    page.goto("/")
    expect(page.locator("h1")).to_have_text("工作台")
    # The badge is in the bar itself, not in the collapsed menu.
    expect(page.locator("#nav")).not_to_be_visible()
    expect(page.locator("#inbox-badge")).to_be_visible()
    expect(page.locator("#desk-todo-count")).to_have_text("1")

    page.locator(".desk-todo-row").first.click()
    page.wait_for_url(re.compile(rf"/meetings/{meeting.pk}/"))
    page.get_by_role("button", name="批准").first.click()

    page.goto("/")
    expect(page.locator("#desk-todo-count")).to_have_text("0")


def test_the_dashboard_draws_its_charts_and_drills_down(page, login, demo):
    login(page, "organ", PASSWORD)
    page.goto("/desk/dashboard/")
    expect(page.locator("#chart-orgs canvas")).to_have_count(1)
    expect(page.locator("#chart-heat canvas")).to_have_count(1)
    expect(page.locator("#heat-table")).to_contain_text(demo.branch.name)
    page.locator("#dashboard-table tbody a", has_text=demo.branch.name).first.click()
    expect(page.locator("h1")).to_contain_text(demo.branch.name)


REPORT_VIOLATIONS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
  e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
"""


def test_the_desk_pages_break_no_rule_of_the_content_security_policy(page, login, demo):
    page.add_init_script(REPORT_VIOLATIONS)
    login(page, "organ", PASSWORD)
    violations = {}
    for path in ("/", "/desk/dashboard/", "/desk/statistics/", "/desk/dossiers/"):
        page.goto(path)
        page.wait_for_load_state("networkidle")
        found = page.evaluate("window.__csp")
        if found:
            violations[path] = found
    assert violations == {}


def test_the_dossier_is_one_click_and_downloads_as_a_docx_and_a_zip(
    page, login, demo, settings, tmp_path
):
    import zipfile

    # The build runs in the request (no task worker beside the live server).
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.MEDIA_ROOT = tmp_path
    login(page, "secretary", PASSWORD)
    page.goto("/")
    page.get_by_role("link", name="台账").click()
    page.get_by_role("button", name="一键生成台账").click()
    expect(page.locator("#dossiers")).to_contain_text(demo.branch.name)
    with page.expect_download() as download:
        page.get_by_role("link", name="全部文件（.zip）").first.click()
    path = download.value.path()
    assert "manifest.json" in zipfile.ZipFile(path).namelist()
    with page.expect_download() as download:
        page.get_by_role("link", name="台账（.docx）").first.click()
    assert download.value.suggested_filename.endswith(".docx")
    assert "word/document.xml" in zipfile.ZipFile(download.value.path()).namelist()
