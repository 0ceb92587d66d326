"""The pages: creating and publishing a scheme, a target's explanation, who sees what."""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse

from dangjian.assessment import services
from dangjian.assessment.models import Scheme
from tests.assessment.helpers import full_scheme, organ


def test_the_committee_creates_fills_and_publishes_a_scheme_through_the_pages(demo, client_for):
    client = client_for(demo.users["organ"])
    response = client.post(
        reverse("assessment:create"),
        {
            "organization": demo.organ_committee.pk,
            "year": "2026",
            "title": "支部考核",
            "target_kind": "branch",
            "party_weight": "100",
            "business_weight": "0",
            "grades": "好:90，较好:80，一般:60，差:0",
            "vote_好": "100",
            "vote_较好": "80",
            "vote_一般": "60",
            "vote_差": "0",
        },
    )
    scheme = Scheme.objects.get(title="支部考核")
    assert response.status_code == 302
    detail = reverse("assessment:detail", args=[scheme.pk])
    client.post(
        reverse("assessment:indicator_add", args=[scheme.pk]),
        {
            "title": "三会一课",
            "part": "party",
            "weight": "100",
            "source_kind": "computed",
            "source_key": "meetings_held",
        },
    )
    page = client.get(detail).content.decode()
    assert "三会一课" in page and "发布方案" in page
    response = client.post(
        reverse("assessment:indicator_add", args=[scheme.pk]),
        {"title": "党员登录次数", "part": "party", "weight": "10", "source_kind": "manual"},
        follow=True,
    )
    assert "国办函〔2026〕12号" in response.content.decode()
    client.post(reverse("assessment:publish", args=[scheme.pk]))
    scheme.refresh_from_db()
    assert scheme.status == "published"
    target = scheme.targets.get(organization=demo.branch)
    page = client.get(reverse("assessment:target", args=[target.pk])).content.decode()
    assert "三会一课" in page and "应召开的会议期次" in page


def test_a_bad_scheme_form_answers_400_with_the_reason_and_writes_nothing(demo, client_for):
    client = client_for(demo.users["organ"])
    response = client.post(
        reverse("assessment:create"),
        {
            "organization": demo.organ_committee.pk,
            "year": "2026",
            "title": "x",
            "target_kind": "branch",
            "party_weight": "70",
            "business_weight": "20",
            "grades": "好:90, 较好:95, 差:0",
        },
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "之和应为100" in text and "重叠" in text
    assert not Scheme.objects.filter(title="x").exists()


def test_a_target_sees_its_own_explanation_and_not_another_targets(demo, client_for):
    scheme, _ = full_scheme(demo)
    services.publish(organ(demo), scheme)
    own = scheme.targets.get(organization=demo.branch)
    other = scheme.targets.get(organization=demo.sibling_branch)
    secretary = client_for(demo.users["secretary"])
    assert secretary.get(reverse("assessment:target", args=[own.pk])).status_code == 200
    assert secretary.get(reverse("assessment:target", args=[other.pk])).status_code == 404
    page = secretary.get(reverse("assessment:detail", args=[scheme.pk])).content.decode()
    assert demo.sibling_branch.name not in page  # organizations by grade: only its own
    assert secretary.get(reverse("assessment:ranking", args=[scheme.pk])).status_code == 403
    # The committee sees all and the ordered list; discipline inspection reads but gets no order.
    organ_client = client_for(demo.users["organ"])
    assert organ_client.get(reverse("assessment:target", args=[other.pk])).status_code == 200
    assert organ_client.get(reverse("assessment:ranking", args=[scheme.pk])).status_code == 200
    inspector = client_for(demo.users["inspector"])
    assert inspector.get(reverse("assessment:ranking", args=[scheme.pk])).status_code == 403


def test_a_draft_is_hidden_from_its_targets(demo, client_for):
    scheme, _ = full_scheme(demo)
    own = scheme.targets.get(organization=demo.branch)
    secretary = client_for(demo.users["secretary"])
    assert secretary.get(reverse("assessment:detail", args=[scheme.pk])).status_code == 404
    assert secretary.get(reverse("assessment:target", args=[own.pk])).status_code == 404


def test_the_committee_scores_on_the_target_page(demo, client_for):
    scheme, ind = full_scheme(demo)
    services.publish(organ(demo), scheme)
    target = scheme.targets.get(organization=demo.branch)
    client = client_for(demo.users["organ"])
    url = reverse("assessment:target_score", args=[target.pk])
    client.post(
        url, {"kind": "manual", "indicator": ind["manual"].pk, "score": "8", "comment": "扎实"}
    )
    response = client.post(
        url,
        {
            "kind": "votes",
            "indicator": ind["votes"].pk,
            "held_on": "2026-11-20",
            "attendees": "3",
            "vote_好": "3",
            "vote_较好": "1",
        },
        follow=True,
    )
    assert "超过到会人数3人" in response.content.decode()
    page = client.get(reverse("assessment:target", args=[target.pk])).content.decode()
    assert "评分说明：扎实" in page and "未计票" in page


def test_the_api_explains_a_target_to_its_own_organization_only(demo):
    from tests.matrix_helpers import client_as

    scheme, ind = full_scheme(demo)
    services.publish(organ(demo), scheme)
    own = scheme.targets.get(organization=demo.branch)
    other = scheme.targets.get(organization=demo.sibling_branch)
    services.score_manual(organ(demo), own, ind["manual"], score="7", comment="材料扎实")
    client = client_as(demo.users["secretary"], api=True)
    data = client.get(reverse("api:assessment_target", args=[own.pk])).json()
    assert data["organization_code"] == "FGW-B01" and data["grade"] in scheme.grade_names
    manual = next(line for line in data["lines"] if line["title"] == "特色工作")
    assert manual["comment"] == "材料扎实" and Decimal(manual["value"]) == 70
    assert client.get(reverse("api:assessment_target", args=[other.pk])).status_code == 404


def test_the_word_report_explains_every_indicator(demo, client_for):
    import io

    from docx import Document

    scheme, ind = full_scheme(demo)
    services.publish(organ(demo), scheme)
    target = scheme.targets.get(organization=demo.branch)
    services.score_manual(organ(demo), target, ind["manual"], score="6", comment="亮点不多")
    response = client_for(demo.users["secretary"]).get(
        reverse("assessment:target_report", args=[target.pk])
    )
    assert response.status_code == 200
    doc = Document(io.BytesIO(response.content))
    text = "\n".join(c.text for t in doc.tables for row in t.rows for c in row.cells)
    for title in ("组织生活", "党费交纳", "特色工作", "述职评议"):
        assert title in text
    assert "评分说明：亮点不多" in text and "应召开的会议期次" in text


def test_the_target_writes_its_self_assessment_and_the_committee_reads_it(demo, client_for):
    scheme, _ = full_scheme(demo)
    services.publish(organ(demo), scheme)
    target = scheme.targets.get(organization=demo.branch)
    secretary = client_for(demo.users["secretary"])
    url = reverse("assessment:self_assessment", args=[target.pk])
    secretary.post(url, {"self_assessment": "三会一课按期召开，党费按月收缴"})
    page = client_for(demo.users["organ"]).get(reverse("assessment:target", args=[target.pk]))
    assert "三会一课按期召开，党费按月收缴" in page.content.decode()
    assert client_for(demo.users["organ"]).post(url, {"self_assessment": "x"}).status_code == 403


def test_a_draft_indicator_is_removed_from_the_page(demo, client_for):
    scheme, ind = full_scheme(demo)
    client = client_for(demo.users["organ"])
    client.post(reverse("assessment:indicator_remove", args=[ind["manual"].pk]))
    assert not scheme.indicators.filter(pk=ind["manual"].pk).exists()
    services.add_indicator(
        organ(demo), scheme, title="特色工作", part="party", weight=30, source_kind="manual"
    )
    services.publish(organ(demo), scheme)
    response = client.post(
        reverse("assessment:indicator_remove", args=[ind["votes"].pk]), follow=True
    )
    assert "已发布" in response.content.decode()
    assert scheme.indicators.filter(pk=ind["votes"].pk).exists()


def test_a_large_live_scheme_lists_its_targets_instead_of_grading_them(
    demo, client_for, monkeypatch
):
    from dangjian.assessment import views

    scheme, _ = full_scheme(demo)
    services.publish(organ(demo), scheme)
    monkeypatch.setattr(views, "LIVE_GRADES_LIMIT", 1)
    page = client_for(demo.users["organ"]).get(reverse("assessment:detail", args=[scheme.pk]))
    text = page.content.decode()
    assert "冻结前不在此页实时计算全部等次" in text and demo.sibling_branch.name in text
