"""A week on a phone (ux29): what a member or a branch secretary met on a 375 px screen. The
month's study topic offered its materials as bare text with nothing to tick (and the page
scrolled sideways); deleting a topic or withdrawing a material took one tap and no question;
link-styled buttons and disclosure summaries were 21-23 px tall, under WCAG 2.2's 24 px."""

from __future__ import annotations

import io

import pytest
from playwright.sync_api import expect

from dangjian.audit.services import Actor
from dangjian.members.models import Member
from dangjian.study import services
from dangjian.study.models import Material, StudyTopic
from tests.conftest import PASSWORD
from tests.dues.helpers import assessed, months_ago
from tests.e2e.checks import sideways
from tests.e2e.conftest import PHONE, _new_page
from tests.study.helpers import ESSAY

pytestmark = pytest.mark.browser

MIN_TARGET = 24  # CSS px, WCAG 2.2 success criterion 2.5.8 (AA)
# A small phone (iPhone SE, many Android phones): 15 px narrower than the fixture's.
SMALL_PHONE = {"width": 375, "height": 740}

# Selects whose chosen option is wider than the room Bootstrap leaves beside the arrow.
CLIPPED_SELECTS = """
() => {
  const ctx = document.createElement('canvas').getContext('2d');
  return [...document.querySelectorAll('main select:not([multiple])')]
    .filter((s) => s.offsetParent !== null)
    .filter((s) => {
      const style = getComputedStyle(s);
      ctx.font = style.font;
      const text = s.options[s.selectedIndex] ? s.options[s.selectedIndex].text : '';
      const room = s.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
      return ctx.measureText(text).width > room;
    })
    .map((s) => s.getAttribute('aria-label') || s.name);
}
"""

# The names in a table's first column whose text the browser laid out on more than one line.
BROKEN_NAMES = """
() => [...document.querySelectorAll('main tbody tr td:first-child')].filter((td) => {
  const range = document.createRange();
  range.selectNodeContents(td);
  const tops = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
  return tops.size > 1;
}).map((td) => td.innerText)
"""


def _publish(demo, title: str) -> Material:
    return services.publish(
        Actor.system("test"),
        demo.branch,
        io.BytesIO(ESSAY.read_bytes()),
        f"{title}.txt",
        {"category": "党建业务", "author": "办公室党支部", "title": title},
    )


def test_a_secretary_ticks_the_months_materials_on_a_phone(phone_page, login, demo):
    material = _publish(demo, "十二月学习材料")
    page = phone_page
    login(page, "secretary", PASSWORD)
    page.goto(f"/library/topics/save/?org={demo.branch.code}&month=2026-12")
    page.get_by_label("学习主题").fill("学习党章")
    page.get_by_label(f"{material.title}（{demo.branch.name}）").check()
    assert not sideways(page, PHONE["width"])
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("alert")).to_contain_text("已安排")
    topic = StudyTopic.objects.get(organization=demo.branch, title="学习党章")
    assert list(topic.materials.all()) == [material]


def test_deleting_a_topic_or_withdrawing_a_material_asks_first(phone_page, login, demo):
    material = _publish(demo, "待撤回的材料")
    services.save_topic(
        Actor.system("test"),
        demo.branch,
        {"month": "2026-12", "title": "学习党章", "note": "", "materials": []},
    )
    page = phone_page
    login(page, "secretary", PASSWORD)
    questions: list[str] = []
    agree = {"now": False}

    def answer(dialog) -> None:
        questions.append(dialog.message)
        dialog.accept() if agree["now"] else dialog.dismiss()

    page.on("dialog", answer)
    page.goto(f"/library/topics/?org={demo.branch.code}")
    page.get_by_role("button", name="删除").click()
    expect(page.get_by_role("button", name="删除")).to_be_visible()
    assert questions == ["确定删除2026年12月的学习主题？"]
    assert StudyTopic.objects.filter(organization=demo.branch).exists()
    agree["now"] = True
    page.get_by_role("button", name="删除").click()
    expect(page.get_by_role("alert")).to_contain_text("已删除")
    assert not StudyTopic.objects.filter(organization=demo.branch).exists()

    agree["now"] = False
    page.goto(f"/library/{material.pk}/")
    page.get_by_role("button", name="撤回").click()
    expect(page.get_by_role("heading", name=material.title)).to_be_visible()
    assert len(questions) == 3 and questions[2].startswith("确定撤回这份资料")
    assert Material.objects.filter(pk=material.pk).exists()


def test_small_buttons_are_big_enough_to_tap_on_a_phone(phone_page, login, demo):
    page = phone_page
    login(page, "member", PASSWORD)
    targets = (
        (f"/members/{demo.own_member.pk}/", page.get_by_role("button", name="显示").first),
        ("/library/", page.locator("main summary").first),
    )
    for path, target in targets:
        page.goto(path)
        box = target.bounding_box()
        assert box and min(box["width"], box["height"]) >= MIN_TARGET, f"{path}: {box}"


def test_names_in_the_secretarys_rosters_stay_on_one_line_on_a_phone(phone_page, login, demo):
    """A three-character name was laid out one character per line beside the wide dues inputs
    and the study-hours requirement, the column the secretary reads down each month."""
    for member in Member.objects.current().filter(organization=demo.branch):
        assessed(demo, member, "2800", months_ago(12))
    page = phone_page
    login(page, "secretary", PASSWORD)
    for path in (f"/dues/branch/{demo.branch.pk}/", f"/study/hours/org/{demo.branch.pk}/"):
        page.goto(path)
        expect(page.locator("main tbody tr").first).to_be_visible()
        assert page.evaluate(BROKEN_NAMES) == [], path
        assert not sideways(page, PHONE["width"]), path


def test_the_member_list_filters_are_readable_on_a_small_phone(
    browser, live_server, transactional_db, demo, login
):
    """Three filter selects share a row on a phone; at 375 px Bootstrap's arrow padding cut
    全部状态, 全部类别 and 全部职务 to three characters."""
    context, page = _new_page(browser, live_server, SMALL_PHONE)
    try:
        login(page, "secretary", PASSWORD)
        page.goto("/members/")
        assert page.evaluate(CLIPPED_SELECTS) == []
    finally:
        context.close()


# Header cells laid out on more than one line, and first-column cells narrower than four
# characters, in the page's tables.
SQUEEZED = """
() => {
  const lines = (el) => {
    const range = document.createRange();
    range.selectNodeContents(el);
    return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
  };
  const em = (el) => parseFloat(getComputedStyle(el).fontSize);
  return [
    ...[...document.querySelectorAll('main .table-responsive thead th')]
      .filter((th) => th.innerText.trim() && lines(th) > 1).map((th) => 'header ' + th.innerText),
    ...[...document.querySelectorAll('main .table-responsive tbody tr > :first-child')]
      .filter((td) => td.innerText.trim().length >= 4 && td.clientWidth < 4 * em(td))
      .map((td) => 'name ' + td.innerText),
  ];
}
"""


def test_the_committees_statistics_tables_are_readable_on_a_phone(phone_page, login, demo):
    """Tables of seven and more columns squeezed 支部党员大会 and the organization names to one
    character per line; they now scroll inside their box with headers on one line."""
    page = phone_page
    login(page, "organ", PASSWORD)
    page.goto("/desk/statistics/")
    expect(page.locator("#meetings-table")).to_be_visible()
    assert page.evaluate(SQUEEZED) == []
    assert not sideways(page, PHONE["width"])
