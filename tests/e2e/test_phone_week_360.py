"""A week on a 360 px phone (ux30): the dossier list, a member's record of meetings and a
member's history of membership, which squeezed names and titles to a few characters a line or
pushed buttons past the screen. The desktop keeps its tables."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from dangjian.audit.services import Actor
from dangjian.desk import dossiers
from tests.conftest import PASSWORD
from tests.e2e.checks import sideways
from tests.e2e.conftest import DESKTOP, _new_page

pytestmark = pytest.mark.browser

NARROW = {"width": 360, "height": 740}
MIN_TARGET = 24  # CSS px, WCAG 2.2 success criterion 2.5.8 (AA)

# Every visible button or link-button in main whose box leaves the screen or is under 24 px.
OFF_OR_SMALL = """
(width) => [...document.querySelectorAll('main .btn')]
  .filter((el) => el.offsetParent !== null)
  .map((el) => [el.innerText.trim(), el.getBoundingClientRect()])
  .filter(([, r]) => r.right > width || r.left < 0 || r.height < 24 || r.width < 24)
  .map(([text, r]) => `${text} ${Math.round(r.left)}-${Math.round(r.right)}x${Math.round(r.height)}`)
"""


@pytest.fixture
def narrow(browser, live_server, transactional_db, demo):
    context, page = _new_page(browser, live_server, NARROW)
    yield page
    context.close()


def test_the_dossier_list_is_a_stack_of_cards_on_a_phone(
    narrow, browser, live_server, login, demo, settings, tmp_path, results_dir
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.MEDIA_ROOT = tmp_path
    actor = Actor(user=demo.users["secretary"])
    dossier = dossiers.request_dossier(
        actor, demo.branch, dt.date(2026, 1, 1), dt.date(2026, 11, 30)
    )
    dossier.refresh_from_db()
    assert dossier.status == "ready"
    page = narrow
    login(page, "secretary", PASSWORD)
    page.goto("/desk/dossiers/")
    row = page.locator(f"#dossier-{dossier.pk}")
    expect(row).to_contain_text(demo.branch.name)
    # Each cell is headed by its column's name (CSS ::before, read out too).
    expect(row.get_by_role("cell", name=re.compile("^期间：2026年1月1日"))).to_be_visible()
    assert page.locator("#dossiers thead").bounding_box()["height"] <= 1
    assert page.evaluate(OFF_OR_SMALL, NARROW["width"]) == []
    assert not sideways(page, NARROW["width"])
    # One card: the row is a block as wide as the list, its cells lines inside it.
    box = row.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= NARROW["width"]
    page.screenshot(path=str(results_dir / "dossiers-360.png"), full_page=True)

    context, desk = _new_page(browser, live_server, DESKTOP)
    try:
        login(desk, "secretary", PASSWORD)
        desk.goto("/desk/dossiers/")
        expect(desk.locator("#dossiers thead th").first).to_be_visible()
        assert (
            desk.locator(f"#dossier-{dossier.pk}").evaluate("(tr) => getComputedStyle(tr).display")
            == "table-row"
        )
    finally:
        context.close()


# The width of each cell of a column, in characters of its own font.
COLUMN_CHARS = """
([table, column]) => [...document.querySelectorAll(`${table} tbody tr > :nth-child(${column})`)]
  .map((td) => td.clientWidth / parseFloat(getComputedStyle(td).fontSize))
"""


def test_a_members_meetings_and_history_read_on_a_phone(narrow, login, demo, results_dir):
    """My meetings: a nowrap date took 140 px and left the title five characters a line; the
    page links were bare small text. My history: 办公室党支部 was one character a line."""
    page = narrow
    login(page, "member", PASSWORD)
    page.goto("/meetings/mine/")
    expect(page.locator("#my-history tbody tr").first).to_be_visible()
    assert min(page.evaluate(COLUMN_CHARS, ["#my-history", 2])) >= 8
    assert page.evaluate(OFF_OR_SMALL, NARROW["width"]) == []
    expect(page.locator("#history-pages").get_by_role("link", name="下一页")).to_be_visible()
    assert not sideways(page, NARROW["width"])
    page.screenshot(path=str(results_dir / "my-meetings-360.png"))

    page.goto(f"/members/{demo.own_member.pk}/")
    spells = page.locator("#history-spells tbody tr")
    expect(spells.first.get_by_role("cell", name=re.compile("^所在组织："))).to_be_visible()
    assert min(page.evaluate(COLUMN_CHARS, ["#history-spells", 3])) >= 8
    assert not sideways(page, NARROW["width"])
    page.screenshot(path=str(results_dir / "my-history-360.png"), full_page=True)
