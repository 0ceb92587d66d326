"""Records linked to a self-assessment (自评佐证): chosen from the target organization's own
records of the year (held meetings, work items, files uploaded as their evidence), never
retyped; shown on the explanation page and in the report to the target and the assessing side;
a record of another organization or year refused in Chinese, nothing written."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from docx import Document

from dangjian.assessment import services, services_evidence, services_results
from dangjian.assessment.models import Scheme, SelfEvidence
from dangjian.audit.services import Actor
from dangjian.core.errors import ServiceValidationError
from dangjian.duties.models import Evidence, EvidenceKind, WorkItem
from dangjian.meetings.models import Meeting
from tests.assessment.helpers import full_scheme, organ
from tests.helpers import actions_since, last_seq


def _published(demo):
    scheme, _ = full_scheme(demo)
    services.publish(organ(demo), scheme)
    return scheme, scheme.targets.get(organization=demo.branch)


def _item(org, title, deadline=dt.date(2026, 6, 30)):
    return WorkItem.objects.create(organization=org, title=title, deadline=deadline)


def _held(org, year=2026):
    return Meeting.objects.filter(organization=org, status="held", held_on__year=year).latest("pk")


def test_the_branch_links_its_own_records_and_both_sides_see_them(demo, client_for):
    scheme, target = _published(demo)
    secretary = Actor(user=demo.users["secretary"])
    meeting = _held(demo.branch)
    item = _item(demo.branch, "开展主题党日活动")
    document = Evidence.objects.create(
        item=item, kind=EvidenceKind.DOCUMENT, original_name="活动照片.pdf", file="duties/x.pdf"
    )
    seq = last_seq()
    services_evidence.link(secretary, target, "meeting", meeting.pk, "全年党员大会")
    services_evidence.link(secretary, target, "work_item", item.pk)
    services_evidence.link(secretary, target, "document", document.pk)
    assert actions_since(seq) == ["create", "create", "create"]
    rows = SelfEvidence.objects.filter(target=target)
    assert {(r.kind, r.record_id) for r in rows} == {
        ("meeting", meeting.pk),
        ("work_item", item.pk),
        ("document", document.pk),
    }
    page = reverse("assessment:target", args=[target.pk])
    for user in ("secretary", "organ"):  # the target and the assessing side
        html = client_for(demo.users[user]).get(page).content.decode()
        assert meeting.topic in html and "开展主题党日活动" in html and "活动照片.pdf" in html
        assert reverse("meetings:detail", args=[meeting.pk]) in html
        assert reverse("duties:detail", args=[item.pk]) in html
        assert "全年党员大会" in html
    report = client_for(demo.users["organ"]).get(
        reverse("assessment:target_report", args=[target.pk])
    )
    text = "\n".join(p.text for p in Document(io.BytesIO(report.content)).paragraphs)
    assert "自评佐证·会议记录" in text and meeting.topic in text and "活动照片.pdf" in text
    # Unlinked: gone from the page, audited.
    seq = last_seq()
    services_evidence.unlink(secretary, rows.get(kind="work_item"))
    assert actions_since(seq) == ["delete"]
    html = client_for(demo.users["secretary"]).get(page).content.decode()
    assert "开展主题党日活动（" not in html.split("自评佐证记录")[1].split("</ul>")[0]


def test_a_record_out_of_scope_is_refused_in_chinese_and_nothing_is_written(demo):
    scheme, target = _published(demo)
    secretary = Actor(user=demo.users["secretary"])
    cases = [
        ("meeting", _held(demo.sibling_branch).pk, "只能关联本单位（含下级组织）2026年的会议记录"),
        ("meeting", _held(demo.other_branch).pk, "不在本单位范围内"),
        ("work_item", _item(demo.sibling_branch, "他支部任务").pk, "2026年的工作任务"),
        ("work_item", _item(demo.branch, "往年任务", dt.date(2025, 6, 30)).pk, "2026年的工作任务"),
        ("meeting", "abc", "不在本单位范围内"),
        ("minutes", 1, "请选择佐证类型"),
    ]
    seq = last_seq()
    for kind, pk, message in cases:
        with pytest.raises(ServiceValidationError, match=message):
            services_evidence.link(secretary, target, kind, pk)
    meeting = _held(demo.branch)
    services_evidence.link(secretary, target, "meeting", meeting.pk)
    with pytest.raises(ServiceValidationError, match="该记录已关联"):
        services_evidence.link(secretary, target, "meeting", meeting.pk)
    assert actions_since(seq) == ["create"]
    assert SelfEvidence.objects.filter(target=target).count() == 1
    # The assessing committee does not write the target's self-assessment.
    with pytest.raises(PermissionDenied):
        services_evidence.link(organ(demo), target, "meeting", meeting.pk)


def test_the_page_refuses_another_branchs_meeting_with_its_message(demo, client_for):
    _, target = _published(demo)
    client = client_for(demo.users["secretary"])
    response = client.post(
        reverse("assessment:evidence_link", args=[target.pk]),
        {"kind": "meeting", "record": _held(demo.sibling_branch).pk},
        follow=True,
    )
    assert "只能关联本单位（含下级组织）2026年的会议记录" in response.content.decode()
    assert not SelfEvidence.objects.exists()
    # The form offers the branch's own meetings only.
    html = client.get(reverse("assessment:target", args=[target.pk])).content.decode()
    assert _held(demo.branch).topic in html


def test_nothing_is_linked_on_a_draft_or_a_final_scheme(demo):
    scheme, _ = full_scheme(demo)
    target = scheme.targets.get(organization=demo.branch)
    secretary = Actor(user=demo.users["secretary"])
    meeting = _held(demo.branch)
    with pytest.raises(ServiceValidationError, match="尚未发布"):
        services_evidence.link(secretary, target, "meeting", meeting.pk)
    services.publish(organ(demo), scheme)
    row = services_evidence.link(secretary, target, "meeting", meeting.pk)
    services.freeze(organ(demo), scheme)
    services_results.publish_results(organ(demo), scheme)
    Scheme.objects.filter(pk=scheme.pk).update(results_published_on=dt.date(2026, 10, 9))
    services_results.finalize(organ(demo), Scheme.objects.get(pk=scheme.pk))
    with pytest.raises(ServiceValidationError, match="已定档"):
        services_evidence.unlink(secretary, row)
    assert SelfEvidence.objects.filter(pk=row.pk).exists()
