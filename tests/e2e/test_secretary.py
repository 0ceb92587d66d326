"""The secretary's day in a real browser: log in, find a member by pinyin initials, browse the
tree, open a member and reveal the ID number; plus the member list on a phone.

Playwright drives Debian's /usr/bin/chromium against pytest-django's live server (see conftest).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from dangjian.audit.models import AuditAction, AuditEvent
from dangjian.members.models import Member
from dangjian.orgs.models import Organization
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

MASKED_ID = re.compile(r"\*{14}[\dX]{4}")


def _initials_search_case(demo):
    """A member of the secretary's branch, the pinyin initials to type, and a member of another
    branch the same text would find if the search were not limited to the branch.

    Returns (member, term, rival, expected_names): expected_names are the branch members whose
    initials start with the term or whose full pinyin contains it.
    """
    in_branch = list(Member.objects.filter(organization=demo.branch).order_by("pk"))
    branch_names = {m.name for m in in_branch}
    outside = Member.objects.exclude(organization=demo.branch).exclude(name__in=branch_names)
    for prefix_len in (None, 3, 2):  # the full initials first, shorter prefixes if need be
        for member in in_branch:
            term = member.name_initials[:prefix_len]
            if len(term) < 2:
                continue
            expected = sorted(
                m.name
                for m in in_branch
                if m.name_initials.startswith(term) or term in m.name_pinyin
            )
            rival = outside.filter(name_initials__startswith=term).order_by("pk").first()
            if rival is not None and len(expected) < len(in_branch):
                return member, term, rival, expected
    pytest.fail("the demo organ has no branch member whose initials another branch shares")


def _count_of(page, code: str):
    """The member count label next to an organization's code in the tree."""
    return page.locator(
        f"xpath=//span[normalize-space()='{code}']/following-sibling::span[contains(@class,'count')]"
    )


def _subtree_count(org: Organization) -> int:
    return Member.objects.filter(organization__path__startswith=org.path).count()


def test_secretary_finds_member_by_initials_sees_tree_and_reveals_masked_id(
    page, demo, login, results_dir
):
    member, term, rival, expected = _initials_search_case(demo)
    login(page, "secretary", PASSWORD)

    # The secretary lands on the work desk; the organization tree shows their branch and its
    # party groups, with member counts, and nothing of the sibling branch.
    expect(page.get_by_role("heading", name="工作台")).to_be_visible()
    page.goto("/orgs/")
    expect(page.get_by_role("heading", name="组织架构")).to_be_visible()
    tree = page.locator("#org-tree")
    expect(tree.get_by_role("link", name=demo.branch.name)).to_be_visible()
    expect(_count_of(page, demo.branch.code)).to_have_text(
        re.compile(rf"^{_subtree_count(demo.branch)}人")
    )
    for group in Organization.objects.filter(
        path__startswith=demo.branch.path, depth=demo.branch.depth + 1
    ):
        expect(tree.get_by_text(group.code, exact=True)).to_be_visible()
    assert demo.sibling_branch.code not in tree.inner_text()
    page.screenshot(path=results_dir / "secretary-tree.png", full_page=True)

    # The member list, through the navigation bar, then narrowed by typing pinyin initials.
    page.locator("nav").get_by_role("link", name="党员", exact=True).click()
    expect(page.get_by_role("heading", name=re.compile("^党员名单"))).to_be_visible()
    rows = page.locator("#member-rows tbody tr")
    total = Member.objects.filter(organization=demo.branch).count()
    expect(page.locator("#member-rows p").first).to_have_text(f"共 {total} 人")

    with page.expect_response(lambda r: f"q={term}" in r.url and r.status == 200):
        page.get_by_label("搜索").press_sequentially(term, delay=30)
    expect(page.locator("#member-rows p").first).to_have_text(f"共 {len(expected)} 人")
    assert f"q={term}" in page.url  # hx-push-url keeps the search in the address bar
    shown = sorted(rows.locator("td:first-child a").all_inner_texts())
    assert shown == expected
    assert member.name in shown
    assert rival.name not in shown
    for cell in rows.locator("td:nth-child(3)").all_inner_texts():  # 身份证号
        assert MASKED_ID.fullmatch(cell.strip())
    page.screenshot(path=results_dir / "secretary-member-search.png", full_page=True)

    # The member's detail page shows the ID number masked; the plaintext is nowhere in the page.
    rows.locator(
        "td:first-child a", has_text=re.compile(f"^{re.escape(member.name)}$")
    ).first.click()
    page.wait_for_url(f"**/members/{member.pk}/")
    id_cell = page.locator("#id-number")
    expect(id_cell.locator(".masked")).to_have_text(MASKED_ID)
    plaintext = Member.objects.get(pk=member.pk).id_number
    assert id_cell.locator(".masked").inner_text().strip() == "*" * 14 + plaintext[-4:]
    assert plaintext not in page.content()
    page.screenshot(path=results_dir / "secretary-member-masked.png", full_page=True)

    # 显示 reveals the plaintext in place, and the reveal is an audit event.
    reveals_before = AuditEvent.objects.filter(
        action=AuditAction.REVEAL, object_id=str(member.pk), actor_username="secretary"
    ).count()
    id_cell.get_by_role("button", name="显示").click()
    expect(id_cell.locator(".revealed")).to_have_text(plaintext)
    assert plaintext in page.content()
    reveals = AuditEvent.objects.filter(
        action=AuditAction.REVEAL, object_id=str(member.pk), actor_username="secretary"
    )
    assert reveals.count() == reveals_before + 1
    assert plaintext not in str(reveals.order_by("-seq").first().changes)
    page.screenshot(path=results_dir / "secretary-member-revealed.png", full_page=True)


def test_tree_loads_children_on_demand_with_member_counts(page, demo, login, results_dir):
    # The secretary's own branch has only leaf party groups, so the lazy expansion is shown by
    # the 机关党委 officer: the department's 党总支 loads its branches only when opened.
    general_branch = demo.org["FGW-ZZ"]
    children = list(
        Organization.objects.filter(
            path__startswith=general_branch.path, depth=general_branch.depth + 1
        ).order_by("path")
    )
    assert children, "the demo 党总支 has branches"
    login(page, "organ", PASSWORD)
    page.goto("/orgs/")
    node = page.locator(
        "#org-tree details", has=page.locator("> summary", has_text=general_branch.code)
    )
    expect(node.locator("> summary")).to_be_visible()
    expect(node).not_to_have_attribute("open", "")
    for child in children:  # not in the page until the node is opened
        expect(page.get_by_text(child.code, exact=True)).to_have_count(0)

    with page.expect_response(f"**/orgs/{general_branch.pk}/children/"):
        node.locator("> summary").click(position={"x": 4, "y": 10})
    for child in children:
        expect(node.get_by_text(child.code, exact=True)).to_be_visible()
        expect(_count_of(page, child.code)).to_have_text(re.compile(rf"^{_subtree_count(child)}人"))
    assert any(_subtree_count(child) > 0 for child in children)
    page.screenshot(path=results_dir / "organ-tree-expanded.png", full_page=True)


def test_party_groups_in_the_tree_show_their_member_counts(page, demo, login):
    groups = list(
        Organization.objects.filter(
            path__startswith=demo.branch.path, depth=demo.branch.depth + 1
        ).order_by("path")
    )
    counts = {g.code: Member.objects.filter(party_group=g).count() for g in groups}
    assert any(counts.values()), "the demo branch has members in its party groups"
    login(page, "secretary", PASSWORD)
    page.goto("/orgs/")
    for code, n in counts.items():
        expect(_count_of(page, code)).to_have_text(re.compile(rf"^{n}人"), timeout=2_000)


def test_member_list_is_usable_on_a_phone(phone_page, demo, login, results_dir):
    page = phone_page
    login(page, "secretary", PASSWORD)
    page.goto("/members/")
    expect(page.get_by_role("heading", name=re.compile("^党员名单"))).to_be_visible()

    # No horizontal scrolling of the page itself.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 2

    # The name and the masked ID number of each row are on screen, inside the viewport.
    first_row = page.locator("#member-rows tbody tr").first
    for cell in (first_row.locator("td:first-child a"), first_row.locator("td:nth-child(3)")):
        expect(cell).to_be_visible()
        box = cell.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390 + 2
    expect(first_row.locator("td:nth-child(3)")).to_have_text(MASKED_ID)

    # The navigation bar collapses behind the toggler and opens on a tap.
    nav_link = page.locator("#nav").get_by_role("link", name="党员", exact=True)
    toggler = page.get_by_role("button", name="菜单")
    expect(toggler).to_be_visible()
    expect(nav_link).to_be_hidden()
    page.screenshot(path=results_dir / "secretary-member-list-phone.png", full_page=True)
    toggler.click()
    expect(nav_link).to_be_visible()
    page.screenshot(path=results_dir / "secretary-member-list-phone-menu.png", full_page=True)
