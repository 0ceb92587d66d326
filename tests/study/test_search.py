"""Full-text search: the essay imported as a real material is found by 怠学, results are ordered
by relevance with the passage highlighted, filters narrow them, and nobody finds what they may
not read. Runs on whichever engine DANGJIAN_DATABASE_URL names (SQLite, PostgreSQL, MariaDB)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import connection

from dangjian.study import queries
from dangjian.study.models import Material
from dangjian.study.queries import MaterialFilter, search_materials
from dangjian.study.samples import make_docx, make_pdf, make_txt
from tests.study.helpers import ESSAY, FIXTURES, publish

# InnoDB updates a FULLTEXT index when the transaction commits: on MariaDB these tests commit
# (and the database is emptied after each); elsewhere they run in a rolled-back transaction.
pytestmark = pytest.mark.django_db(transaction=connection.vendor == "mysql")


@pytest.fixture
def essay(demo, tmp_path):
    """The essay, imported with the library command into the secretary's 机关党委."""
    folder = tmp_path / "import"
    folder.mkdir()
    (folder / "新形势下机关党建工作存在的问题及应对措施.txt").write_bytes(ESSAY.read_bytes())
    call_command("library", "import", str(folder), "--org", "FGW-JGDW", "--category", "党建业务")
    return Material.objects.get(organization=demo.organ_committee)


def test_search_finds_the_essay_by_daixue(essay, demo):
    page = search_materials(demo.users["member"], MaterialFilter(q="怠学"))
    assert [r.material.pk for r in page.results] == [essay.pk]
    assert page.total == 1
    assert "“<mark>怠学</mark>”" in page.results[0].passage
    assert essay.category == "党建业务"
    assert essay.title == "新形势下机关党建工作存在的问题及应对措施"


def test_the_essay_fixture_is_the_shared_seed():
    assert (
        (FIXTURES / "essay.txt")
        .read_text(encoding="utf-8")
        .startswith("新形势下机关党建工作存在的问题及应对措施")
    )


def test_the_library_page_and_the_api_find_the_essay(essay, demo, client_for):
    client = client_for(demo.users["member"])
    html = client.get("/library/", {"q": "怠学"}).content.decode()
    assert essay.title in html
    assert "<mark>怠学</mark>" in html
    api = client.get("/api/v1/materials", {"q": "怠学"}).json()
    assert api["count"] == 1
    assert api["items"][0]["material"]["id"] == essay.pk
    assert "<mark>怠学</mark>" in api["items"][0]["passage"]


def test_words_split_across_pdf_lines_are_found(demo):
    # The essay's lines break inside words (新时\n期); reflowing joins them again.
    material = publish(demo.branch, ESSAY.read_bytes(), "原文.txt")
    page = search_materials(demo.users["secretary"], MaterialFilter(q="新时期"))
    assert material.pk in [r.material.pk for r in page.results]


def test_every_word_of_the_query_must_match(demo):
    both = publish(demo.branch, make_txt(["党员干部要克服怠学现象，积极参加主题党日。"]), "a.txt")
    publish(demo.branch, make_txt(["党员干部要克服怠学现象，认真学习党章。"]), "b.txt")
    page = search_materials(demo.users["secretary"], MaterialFilter(q="怠学 主题党日"))
    assert [r.material.pk for r in page.results] == [both.pk]


def test_a_title_match_ranks_above_a_text_match(demo):
    in_text = publish(
        demo.branch,
        make_txt(
            ["本资料讲述支部工作。", "其中一段提到廉政教育的要求。"] + ["支部工作要点。"] * 20
        ),
        "支部工作.txt",
    )
    in_title = publish(
        demo.branch,
        make_txt(["本资料讲述警示案例和纪律要求。"] * 5),
        "廉政教育读本.txt",
    )
    page = search_materials(demo.users["secretary"], MaterialFilter(q="廉政教育"))
    assert [r.material.pk for r in page.results] == [in_title.pk, in_text.pk]


def test_more_occurrences_rank_higher(demo):
    once = publish(demo.branch, make_txt(["谈到党费一次。"] + ["其他内容。"] * 30), "甲.txt")
    often = publish(demo.branch, make_txt(["党费按月交纳，党费标准。"] * 10), "乙.txt")
    page = search_materials(demo.users["secretary"], MaterialFilter(q="党费"))
    assert [r.material.pk for r in page.results] == [often.pk, once.pk]


def test_filters_by_category_format_organization_and_date(demo, essay):
    docx = publish(
        demo.branch,
        make_docx(["怠学的表现和对策，支部如何应对。"]),
        "对策.docx",
        category="理论学习",
    )
    pdf = publish(
        demo.org["GW"], make_pdf(["工委提醒：防止怠学厌学。"] * 3), "工委.pdf", category="理论学习"
    )
    Material.objects.filter(pk=pdf.pk).update(published_on=dt.date(2025, 3, 1))
    user = demo.users["secretary"]

    def found(**kwargs) -> set[int]:
        return {
            r.material.pk
            for r in search_materials(user, MaterialFilter(q="怠学", **kwargs)).results
        }

    assert found() == {essay.pk, docx.pk, pdf.pk}
    assert found(category="理论学习") == {docx.pk, pdf.pk}
    assert found(format="pdf") == {pdf.pk}
    assert found(org=demo.org["GW"]) == {pdf.pk}
    assert found(date_to=dt.date(2025, 12, 31)) == {pdf.pk}
    assert found(date_from=dt.date(2026, 1, 1)) == {essay.pk, docx.pk}
    # Filters work without a query too, newest first.
    listed = search_materials(user, MaterialFilter(category="理论学习"))
    assert [r.material.pk for r in listed.results] == [docx.pk, pdf.pk]


def test_nobody_finds_what_they_may_not_read(demo):
    sibling = publish(demo.sibling_branch, make_txt(["第二支部内部学习：怠学问题整改。"]), "s.txt")
    other = publish(demo.other_branch, make_txt(["另一部门：怠学问题整改。"]), "o.txt")
    own = publish(demo.branch, make_txt(["第一支部：怠学问题整改。"]), "b.txt")

    def found(username: str) -> set[int]:
        page = search_materials(demo.users[username], MaterialFilter(q="怠学"))
        return {r.material.pk for r in page.results}

    assert found("member") == {own.pk}
    assert found("secretary") == {own.pk}
    assert found("organ") == {own.pk, sibling.pk}
    assert found("inspector") == {own.pk, sibling.pk}
    assert found("auditor") == set()
    assert found("sysadmin") == set()
    assert other.pk not in found("organ")


def test_a_scan_is_listed_but_never_matches(demo):
    scan = publish(demo.branch, make_pdf(["怠学"] * 30, image_only=True), "扫描.pdf")
    user = demo.users["secretary"]
    assert scan.pk not in {
        r.material.pk for r in search_materials(user, MaterialFilter(q="怠学")).results
    }
    assert scan.pk in {r.material.pk for r in search_materials(user, MaterialFilter()).results}


def test_the_passage_is_escaped(demo):
    publish(demo.branch, make_txt(["<script>alert(1)</script> 怠学 & 厌学"]), "x.txt")
    page = search_materials(demo.users["secretary"], MaterialFilter(q="怠学"))
    passage = page.results[0].passage
    assert "script>" not in passage
    assert "&lt;/script&gt;" in passage and "<mark>怠学</mark> &amp; 厌学" in passage


def test_pages_of_results(demo):
    for i in range(25):
        publish(demo.branch, make_txt([f"第{i}份资料：主题党日活动安排。"]), f"{i}.txt")
    user = demo.users["secretary"]
    first = search_materials(user, MaterialFilter(q="主题党日"), page=1)
    second = search_materials(user, MaterialFilter(q="主题党日"), page=2)
    beyond = search_materials(user, MaterialFilter(q="主题党日"), page=9)
    assert first.total == second.total == beyond.total == 25
    assert len(first.results) == 20 and len(second.results) == 5 and beyond.results == []
    assert not {r.material.pk for r in first.results} & {r.material.pk for r in second.results}


def test_a_changed_title_is_searched(demo):
    from dangjian.audit.services import Actor
    from dangjian.study import services

    material = publish(demo.branch, make_txt(["普通内容。"] * 3), "旧标题.txt")
    services.update_material(Actor.system("test"), material, {"title": "党史学习教育专题"})
    page = search_materials(demo.users["secretary"], MaterialFilter(q="党史"))
    assert [r.material.pk for r in page.results] == [material.pk]


def test_related_materials_by_keywords_then_category(demo):
    base = publish(
        demo.branch,
        make_txt(["党风廉政建设警示教育，纪律处分条例学习，廉洁自律。"] * 5),
        "廉政一.txt",
        category="廉政教育",
    )
    close = publish(
        demo.branch,
        make_txt(["廉洁自律和纪律处分条例的警示教育案例。"] * 5),
        "廉政二.txt",
        category="理论学习",
    )
    same_category = publish(
        demo.branch, make_txt(["关于春季植树活动的通知。"] * 5), "通知.txt", category="廉政教育"
    )
    unrelated = publish(
        demo.branch, make_txt(["关于春季植树活动的安排。"] * 5), "植树.txt", category="其他"
    )
    hidden = publish(
        demo.sibling_branch,
        make_txt(["廉洁自律和纪律处分条例。"] * 5),
        "隐藏.txt",
        category="廉政教育",
    )
    related = queries.related(demo.users["secretary"], base)
    got = [(r.material.pk, r.reason) for r in related]
    assert got[0] == (close.pk, "内容相近")
    assert (same_category.pk, "同类资料") in got
    assert unrelated.pk not in [pk for pk, _ in got]
    assert hidden.pk not in [pk for pk, _ in got]
    assert base.pk not in [pk for pk, _ in got]
