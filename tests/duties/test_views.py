"""Responsibility-system pages with the Django client: sending work down, the item page (its tree
as far as the user may read, progress, evidence, submission, review), evidence documents, 督办,
duty lists and their edits, statistics and their export, the inbox and its badge."""

from __future__ import annotations

import datetime as dt
import io
import re
import tomllib
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

import dangjian.duties
from dangjian.accounts.models import Role
from dangjian.accounts.services import assign_role, create_user
from dangjian.audit.models import AuditEvent
from dangjian.audit.services import Actor
from dangjian.core import clock
from dangjian.duties import services
from dangjian.duties.inbox import NoticeKind
from dangjian.duties.models import (
    DutyItem,
    Evidence,
    EvidenceKind,
    WorkEvent,
    WorkItem,
    WorkStatus,
)
from dangjian.meetings import services as meeting_services
from dangjian.meetings.models import LeaveRequest, Meeting, MeetingKind, MeetingStatus
from dangjian.members.models import Member, MemberStatus
from dangjian.notices.models import Notice
from dangjian.orgs.models import Organization, OrgKind, Post
from dangjian.regulations.periods import TZ
from tests.conftest import PASSWORD
from tests.duties import PDF, workday
from tests.helpers import last_seq

SIBLING_NAME = "综合规划处党支部"  # FGW-B02: no other organization has this name


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def as_user(client_for):
    """A logged-in test client per user, made once per test."""
    clients: dict[int, object] = {}

    def get(user):
        if user.pk not in clients:
            clients[user.pk] = client_for(user)
        return clients[user.pk]

    return get


def url(name: str, **kwargs) -> str:
    return reverse(f"duties:{name}", kwargs=kwargs or None)


def inbox_url(name: str) -> str:
    """The inbox's pages belong to the notices app (at /duties/inbox/)."""
    return reverse(f"notices:{name}")


def html(response) -> str:
    return response.content.decode()


def audits_since(seq: int) -> list[tuple[str, str, str]]:
    return list(
        AuditEvent.objects.filter(seq__gt=seq)
        .exclude(action="denied")  # a refused request is recorded, but writes nothing
        .order_by("seq")
        .values_list("action", "object_type", "actor_username")
    )


def send(demo, targets=None, **data) -> services.SendResult:
    """The 机关党委 of FGW sends an item to `targets` (codes), or to every branch below it."""
    fields = {"title": data.pop("title", "学习贯彻全会精神"), "deadline": workday(15), **data}
    return services.send_down(
        Actor(user=demo.users["organ"]),
        demo.organ_committee,
        fields,
        targets=targets,
        all_branches=targets is None,
    )


def received(result: services.SendResult, code: str) -> WorkItem:
    return next(c for c in result.children if c.organization.code == code)


def reload(item: WorkItem) -> WorkItem:
    return WorkItem.objects.get(pk=item.pk)


def secretary_of(code: str):
    """A branch secretary's account for another branch (the demo has one, for FGW-B01)."""
    org = Organization.objects.get(code=code)
    actor = Actor.system("test")
    user = create_user(actor, f"sec-{code.lower()}", PASSWORD, display_name=f"{org.name}书记")
    assign_role(actor, user, Role.BRANCH_SECRETARY, org)
    return user


def branches_of(org: Organization) -> list[Organization]:
    return list(
        Organization.objects.filter(path__startswith=org.path, kind=OrgKind.BRANCH).order_by("path")
    )


# ---- sending down --------------------------------------------------------------------------


def test_the_organ_sends_an_item_to_every_branch_from_the_form(demo, as_user):
    organ = as_user(demo.users["organ"])
    committee = demo.organ_committee
    form = organ.get(f"{url('create')}?org=FGW-JGDW")
    assert form.status_code == 200
    assert f"下发任务 · {committee.name}" in html(form)
    branches = branches_of(committee)
    assert {b.code for b in branches} == {"FGW-B01", "FGW-B02", "FGW-B03", "FGW-B04"}
    seq = last_seq()

    response = organ.post(
        f"{url('create')}?org=FGW-JGDW",
        {
            "title": "开展主题党日活动",
            "description": "围绕学习贯彻全会精神开展",
            "deadline": workday(15).isoformat(),
            "responsible_post": "secretary",
            "evidence_kind": "meeting",
            "evidence_meeting_kind": "theme_day",
            "mode": "branches",
        },
    )

    root = WorkItem.objects.get(title="开展主题党日活动", parent__isnull=True)
    assert response.status_code == 302
    assert response["Location"] == url("detail", pk=root.pk)
    assert root.organization == committee
    children = list(root.children.select_related("organization").order_by("organization__path"))
    assert [c.organization for c in children] == branches
    for child in children:
        assert (child.deadline, child.plan_year) == (workday(15), workday(15).year)
        assert (child.evidence_kind, child.evidence_meeting_kind) == ("meeting", "theme_day")
        assert (child.responsible_post, child.status) == ("secretary", WorkStatus.OPEN)
        assert child.root_id == root.pk
    assert audits_since(seq) == [("create", "duties.workitem", "organ")] * (1 + len(branches))
    assert (
        Notice.objects.about(children[0])
        .filter(recipient=demo.users["secretary"], kind=NoticeKind.RECEIVED)
        .exists()
    )

    page = html(organ.get(response["Location"]))
    assert f"已下发给{len(branches)}个组织" in page
    for branch in branches:
        assert branch.name in page
    # The sent item says what it asked of the branches, not "未指定 / 无需佐证" (issue 18).
    assert '<dd class="col-8 col-md-4" id="asked-post">书记（各承办组织）</dd>' in page
    assert "会议记录：主题党日（各承办组织）" in page
    assert "未指定" not in page


@pytest.mark.parametrize(
    ("deadline", "message"),
    [
        ("yesterday", "截止日期不能早于今天"),
        ("2026-02-30", "截止日期格式不正确，应为 YYYY-MM-DD"),
        ("", "请填写截止日期"),
    ],
)
def test_a_bad_deadline_shows_the_form_again_and_writes_nothing(demo, as_user, deadline, message):
    if deadline == "yesterday":
        deadline = (clock.today() - dt.timedelta(days=1)).isoformat()
    organ = as_user(demo.users["organ"])
    counts = (WorkItem.objects.count(), WorkEvent.objects.count(), Notice.objects.count())
    seq = last_seq()

    response = organ.post(
        f"{url('create')}?org=FGW-JGDW",
        {"title": "报送述职报告", "deadline": deadline, "mode": "branches"},
    )

    assert response.status_code == 200
    page = html(response)
    assert message in page
    assert 'value="报送述职报告"' in page  # what was typed is kept
    assert (WorkItem.objects.count(), WorkEvent.objects.count(), Notice.objects.count()) == counts
    assert audits_since(seq) == []


def test_a_branch_cannot_send_work_down(demo, as_user):
    secretary = as_user(demo.users["secretary"])
    seq = last_seq()
    response = secretary.post(
        f"{url('create')}?org=FGW-B01",
        {"title": "越级下发", "deadline": workday(5).isoformat(), "mode": "branches"},
    )
    assert response.status_code == 403
    assert not WorkItem.objects.filter(title="越级下发").exists()
    assert audits_since(seq) == []


# ---- the item page -------------------------------------------------------------------------


def test_the_secretary_sees_only_their_own_subtree_of_the_item(demo, as_user):
    result = send(demo)
    own = received(result, "FGW-B01")
    sibling = received(result, "FGW-B02")
    secretary_user = demo.users["secretary"]
    (group_item,) = services.split(
        Actor(user=secretary_user), own, {}, targets=["FGW-B01-G1"]
    ).children
    secretary = as_user(secretary_user)

    response = secretary.get(url("detail", pk=own.pk))

    assert response.status_code == 200
    page = html(response)
    assert [row.item for row in response.context["tree"]] == [group_item]
    assert demo.org["FGW-B01-G1"].name in page
    assert f"{demo.organ_committee.name}：{result.item.title}" in page  # where it came from
    assert SIBLING_NAME not in page
    assert url("detail", pk=sibling.pk) not in page
    for other in result.children:
        if other.pk != own.pk:
            assert url("detail", pk=other.pk) not in page
    # The plan item above and the sibling's item are out of reach.
    assert secretary.get(url("detail", pk=result.item.pk)).status_code == 404
    assert secretary.get(url("detail", pk=sibling.pk)).status_code == 404

    # The 机关党委 sees the whole tree: every branch, and the party group under FGW-B01.
    organ_page = as_user(demo.users["organ"]).get(url("detail", pk=result.item.pk))
    rows = [row.item for row in organ_page.context["tree"]]
    assert set(rows) == {*result.children, group_item}
    assert SIBLING_NAME in html(organ_page)


def _held_theme_day(org) -> Meeting:
    meeting = (
        Meeting.objects.filter(
            organization=org, status=MeetingStatus.HELD, kind=MeetingKind.THEME_DAY
        )
        .order_by("-held_on", "-pk")
        .first()
    )
    assert meeting is not None, f"the demo's {org.code} has held 主题党日"
    return meeting


def test_progress_meeting_evidence_submission_and_acceptance(demo, as_user):
    result = send(demo, ["FGW-B01"], evidence_kind="meeting", evidence_meeting_kind="theme_day")
    item = received(result, "FGW-B01")
    secretary = as_user(demo.users["secretary"])
    organ = as_user(demo.users["organ"])
    held = _held_theme_day(demo.branch)

    page = html(secretary.get(url("detail", pk=item.pk)))
    assert "提交前：请先关联“主题党日”的会议记录" in page
    assert re.search(r'id="submit-item"\s+disabled', page)
    assert f'<option value="{held.pk}">' in page

    # Progress.
    seq = last_seq()
    response = secretary.post(url("progress", pk=item.pk), {"progress": "40", "note": "已部署"})
    assert response.status_code == 302
    assert reload(item).progress == 40
    assert WorkEvent.objects.filter(item=item, kind="progress", progress=40).exists()
    assert audits_since(seq) == [("update", "duties.workitem", "secretary")]
    assert "已记录进展" in html(secretary.get(response["Location"]))

    # The branch's own held 主题党日 is linked: nothing is uploaded again.
    seq = last_seq()
    response = secretary.post(url("evidence", pk=item.pk), {"meeting": held.pk}, follow=True)
    assert "已关联会议记录" in html(response)
    evidence = Evidence.objects.get(item=item)
    assert (evidence.kind, evidence.meeting) == (EvidenceKind.MEETING, held)
    assert audits_since(seq) == [("create", "duties.evidence", "secretary")]
    assert reverse("meetings:detail", kwargs={"pk": held.pk}) in html(response)

    # Submission.
    response = secretary.post(url("submit", pk=item.pk), {"note": "已按要求开展"}, follow=True)
    assert "已提交验收" in html(response)
    assert 'id="review"' not in html(response)  # the branch does not accept its own work
    assert reload(item).status == WorkStatus.SUBMITTED
    assert (
        Notice.objects.about(item)
        .filter(recipient=demo.users["organ"], kind=NoticeKind.SUBMITTED)
        .exists()
    )

    # The secretary may not accept it; the 机关党委 does.
    assert secretary.post(url("review", pk=item.pk), {"decision": "accept"}).status_code == 403
    assert reload(item).status == WorkStatus.SUBMITTED
    review_page = html(organ.get(url("detail", pk=item.pk)))
    assert 'id="review"' in review_page and "验收通过" in review_page
    seq = last_seq()
    response = organ.post(
        url("review", pk=item.pk), {"decision": "accept", "note": "材料齐全"}, follow=True
    )
    assert "已验收通过" in html(response)
    assert "✓ 已完成" in html(response)
    item = reload(item)
    assert (item.status, item.progress, item.completed_on) == (
        WorkStatus.ACCEPTED,
        100,
        clock.today(),
    )
    # The only receiver is done, so the plan item is done as well.
    assert reload(result.item).status == WorkStatus.ACCEPTED
    assert [a for a, _, _ in audits_since(seq)] == ["update", "update"]


def test_submitting_without_evidence_or_linking_another_branchs_meeting_is_refused(demo, as_user):
    result = send(demo, ["FGW-B01"], evidence_kind="meeting", evidence_meeting_kind="theme_day")
    item = received(result, "FGW-B01")
    secretary = as_user(demo.users["secretary"])
    seq = last_seq()

    response = secretary.post(url("submit", pk=item.pk), follow=True)
    assert response.status_code == 200
    assert "请先关联“主题党日”的会议记录" in html(response)

    other = _held_theme_day(demo.sibling_branch)
    response = secretary.post(url("evidence", pk=item.pk), {"meeting": other.pk}, follow=True)
    assert response.status_code == 200
    assert "请选择本组织已召开的会议" in html(response)

    response = secretary.post(url("progress", pk=item.pk), {"progress": "101"}, follow=True)
    assert "进度应为0到100之间的整数" in html(response)

    item = reload(item)
    assert (item.status, item.progress) == (WorkStatus.OPEN, 0)
    assert not Evidence.objects.filter(item=item).exists()
    assert audits_since(seq) == []


def test_returning_with_a_reason_gives_the_item_back_to_the_branch(demo, as_user):
    item = received(send(demo, ["FGW-B01"]), "FGW-B01")
    services.submit(Actor(user=demo.users["secretary"]), item, "完成")
    organ = as_user(demo.users["organ"])
    seq = last_seq()

    response = organ.post(
        url("review", pk=item.pk), {"decision": "return", "note": "材料不全"}, follow=True
    )

    assert "已退回" in html(response)
    assert reload(item).status == WorkStatus.RETURNED
    assert WorkEvent.objects.filter(item=item, kind="returned", note="材料不全").exists()
    assert (
        Notice.objects.about(item)
        .filter(recipient=demo.users["secretary"], kind=NoticeKind.RETURNED)
        .exists()
    )
    assert audits_since(seq) == [("update", "duties.workitem", "organ")]
    # Returned work is the branch's again.
    page = html(as_user(demo.users["secretary"]).get(url("detail", pk=item.pk)))
    assert "↺ 已退回" in page and 'id="submit-item"' in page


def test_returning_needs_a_reason_and_changes_nothing_without_one(demo, as_user):
    item = received(send(demo, ["FGW-B01"]), "FGW-B01")
    services.submit(Actor(user=demo.users["secretary"]), item, "完成")
    organ = as_user(demo.users["organ"])
    events = WorkEvent.objects.filter(item=item).count()
    notices = Notice.objects.count()
    seq = last_seq()

    for note in ("", "   "):
        response = organ.post(
            url("review", pk=item.pk), {"decision": "return", "note": note}, follow=True
        )
        # The item's page again, with the refusal above the form (no redirect: nothing to lose).
        assert response.status_code == 400
        assert "请填写退回原因" in html(response)

    item = reload(item)
    assert (item.status, item.completed_on) == (WorkStatus.SUBMITTED, None)
    assert WorkEvent.objects.filter(item=item).count() == events
    assert Notice.objects.count() == notices
    assert audits_since(seq) == []


def test_evidence_documents_are_uploaded_and_downloaded_inside_the_scope(demo, as_user, media):
    result = send(demo, ["FGW-B01", "FGW-B02"], evidence_kind="document")
    item = received(result, "FGW-B01")
    secretary = as_user(demo.users["secretary"])
    seq = last_seq()

    response = secretary.post(
        url("evidence", pk=item.pk),
        {"file": SimpleUploadedFile("述职报告.pdf", PDF, content_type="application/pdf")},
        follow=True,
    )

    assert "已上传1个文件" in html(response)
    evidence = Evidence.objects.get(item=item)
    assert (evidence.kind, evidence.original_name, evidence.size) == (
        "document",
        "述职报告.pdf",
        len(PDF),
    )
    assert Path(evidence.file.path).is_relative_to(media)
    assert audits_since(seq) == [("create", "duties.evidence", "secretary")]
    assert url("evidence_file", pk=evidence.pk) in html(response)

    download = secretary.get(url("evidence_file", pk=evidence.pk))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert download["Content-Type"] == "application/pdf"
    assert "attachment" in download["Content-Disposition"]
    inspector = as_user(demo.users["inspector"]).get(url("evidence_file", pk=evidence.pk))
    assert inspector.status_code == 200

    # Another branch's secretary neither downloads it nor uploads to the item.
    other = as_user(secretary_of("FGW-B02"))
    response = other.get(url("evidence_file", pk=evidence.pk))
    assert response.status_code == 404
    assert PDF not in response.content
    upload = other.post(url("evidence", pk=item.pk), {"file": SimpleUploadedFile("冒名.pdf", PDF)})
    assert upload.status_code == 404
    assert Evidence.objects.filter(item=item).count() == 1

    # A file gone from the disk (restored from an old backup, say) is a clear 404, not a 500.
    Path(evidence.file.path).unlink()
    gone = secretary.get(url("evidence_file", pk=evidence.pk))
    assert gone.status_code == 404


def test_a_file_that_is_not_what_its_name_says_is_refused(demo, as_user, media):
    item = received(send(demo, ["FGW-B01"], evidence_kind="document"), "FGW-B01")
    secretary = as_user(demo.users["secretary"])
    seq = last_seq()
    response = secretary.post(
        url("evidence", pk=item.pk),
        {"file": SimpleUploadedFile("报告.pdf", b"MZ\x90\x00not a pdf")},
        follow=True,
    )
    assert response.status_code == 200
    assert "报告.pdf：不支持的文件类型" in html(response)
    assert not Evidence.objects.filter(item=item).exists()
    assert not list(Path(media).rglob("*.*"))
    assert audits_since(seq) == []


def test_a_figure_is_not_a_document(demo, as_user):
    item = received(send(demo, ["FGW-B01"]), "FGW-B01")
    evidence = services.add_figure(Actor(user=demo.users["secretary"]), item, "12", "参训人数")
    response = as_user(demo.users["secretary"]).get(url("evidence_file", pk=evidence.pk))
    assert response.status_code == 404


# ---- 督办 ----------------------------------------------------------------------------------


def test_the_overdue_page_lists_overdue_items_for_the_readers_of_their_branch(demo, as_user):
    item = received(send(demo, ["FGW-B01"], title="报送党建工作总结"), "FGW-B01")
    done = received(send(demo, ["FGW-B01"], title="已提交的总结"), "FGW-B01")
    services.submit(Actor(user=demo.users["secretary"]), done)
    past = clock.today() - dt.timedelta(days=5)
    WorkItem.objects.filter(pk__in=[item.pk, done.pk]).update(deadline=past)

    for persona in ("organ", "inspector", "secretary"):
        response = as_user(demo.users[persona]).get(url("overdue"))
        assert response.status_code == 200
        assert [i.pk for i in response.context["items"]] == [item.pk], persona
        page = html(response)
        assert "报送党建工作总结" in page and "<strong>5</strong> 天" in page
        assert "已提交的总结" not in page  # waiting for acceptance is not overdue

    # Narrowed to the sibling branch, and for the sibling's own secretary: nothing.
    narrowed = as_user(demo.users["organ"]).get(f"{url('overdue')}?org=FGW-B02")
    assert narrowed.context["items"] == []
    response = as_user(secretary_of("FGW-B02")).get(url("overdue"))
    assert response.status_code == 200
    assert response.context["items"] == []
    assert "报送党建工作总结" not in html(response)
    assert "没有逾期未完成的任务" in html(response)


# ---- duty lists ----------------------------------------------------------------------------


def _default_titles(org_kind: str) -> dict[str, list[str]]:
    """The shipped duties for a kind of organization, by post (read from the file itself)."""
    path = Path(dangjian.duties.__file__).with_name("defaults.toml")
    by_post: dict[str, list[str]] = {}
    for duty in tomllib.loads(path.read_text("utf-8"))["duty"]:
        if duty["org_kind"] == org_kind:
            by_post.setdefault(duty["post_kind"], []).append(duty["title"])
    return by_post


def test_the_duty_list_shows_the_post_holders_and_the_default_duties(demo, as_user):
    response = as_user(demo.users["secretary"]).get(url("duty_list"))

    assert response.status_code == 200
    assert response.context["org"] == demo.branch  # the secretary's own branch by default
    page = html(response)
    posts = Post.objects.filter(organization=demo.branch, ended_on__isnull=True)
    assert posts.count() >= 5
    for post in posts.select_related("member"):
        assert post.member.name in page
    defaults = _default_titles("branch")
    assert defaults
    for titles in defaults.values():
        for title in titles:
            assert title in page
    sections = {s.post_kind: s for s in response.context["sections"]}
    for post_kind, titles in defaults.items():
        assert [d.title for d, _ in sections[post_kind].duties] == titles
    assert url("duty_edit") not in page  # a secretary does not edit the list

    organ_page = html(as_user(demo.users["organ"]).get(f"{url('duty_list')}?org=FGW-B01"))
    assert f"{url('duty_edit')}?org=FGW-JGDW" in organ_page
    # 上级 links only where the user may go: the organ sees its 机关党委, the secretary not.
    parent = demo.branch.get_parent()
    assert f'href="?org={parent.code}"' in organ_page
    assert f'href="?org={parent.code}"' not in page and "上级：" not in page


def test_a_duty_edit_by_the_organ_applies_in_its_own_subtree_only(demo, as_user):
    key = "br_secretary_meetings"
    original = next(t for t in _default_titles("branch")["secretary"] if "支部党员大会" in t)
    edited = "召集并主持支部党员大会、支部委员会会议（本委细化）"
    organ = as_user(demo.users["organ"])
    form = organ.get(f"{url('duty_edit')}?org=FGW-JGDW&key={key}")
    assert form.status_code == 200
    assert f'value="{original}"' in html(form)
    seq = last_seq()

    response = organ.post(
        f"{url('duty_edit')}?org=FGW-JGDW",
        {
            "key": key,
            "org_kind": "branch",
            "post_kind": "secretary",
            "responsibility": "direct",
            "title": edited,
            "source": "《中国共产党支部工作条例（试行）》",
            "meeting_kinds": ["general_meeting", "committee_meeting"],
            "active": "1",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == f"{url('duty_edit')}?org=FGW-JGDW"
    row = DutyItem.objects.get(key=key)
    assert (row.owner, row.title) == (demo.organ_committee, edited)
    assert audits_since(seq) == [("create", "duties.dutyitem", "organ")]

    fgw = html(organ.get(f"{url('duty_list')}?org=FGW-B01"))
    assert edited in fgw and original not in fgw
    assert f"{demo.organ_committee.name}制定" in fgw
    czj = as_user(secretary_of("CZJ-B01")).get(url("duty_list"))
    assert czj.context["org"] == demo.other_branch
    assert original in html(czj) and edited not in html(czj)

    # The branch secretary may not edit: 403 for their branch, and the committee is out of reach.
    secretary = as_user(demo.users["secretary"])
    assert secretary.get(f"{url('duty_edit')}?org=FGW-B01").status_code == 403
    seq = last_seq()
    refused = secretary.post(
        f"{url('duty_edit')}?org=FGW-B01",
        {"org_kind": "branch", "post_kind": "secretary", "title": "支部自定职责", "active": "1"},
    )
    assert refused.status_code == 403
    assert secretary.get(f"{url('duty_edit')}?org=FGW-JGDW").status_code == 404
    assert DutyItem.objects.count() == 1
    assert audits_since(seq) == []


def test_a_duty_without_a_title_shows_the_form_again_and_saves_nothing(demo, as_user):
    organ = as_user(demo.users["organ"])
    seq = last_seq()
    response = organ.post(
        f"{url('duty_edit')}?org=FGW-JGDW",
        {"org_kind": "branch", "post_kind": "secretary", "title": "  ", "active": "1"},
    )
    assert response.status_code == 200
    assert "请填写职责" in html(response)
    assert not DutyItem.objects.exists()
    assert audits_since(seq) == []


def test_a_split_to_nobody_shows_the_form_again_and_writes_nothing(demo, as_user):
    item = received(send(demo, ["FGW-B01"]), "FGW-B01")
    secretary = as_user(demo.users["secretary"])
    seq = last_seq()
    response = secretary.post(url("split", pk=item.pk), {"mode": "chosen", "title": item.title})
    assert response.status_code == 200
    assert "请选择接收任务的组织" in html(response)
    assert not item.children.exists()
    assert audits_since(seq) == []


def test_the_secretary_splits_the_item_to_a_party_group_from_the_form(demo, as_user):
    item = received(send(demo, ["FGW-B01"]), "FGW-B01")
    secretary = as_user(demo.users["secretary"])
    form = html(secretary.get(url("split", pk=item.pk)))
    groups = Organization.objects.filter(
        path__startswith=demo.branch.path, depth=demo.branch.depth + 1
    )
    for group in groups:
        assert f'value="{group.code}"' in form
    seq = last_seq()

    response = secretary.post(
        url("split", pk=item.pk), {"mode": "chosen", "targets": ["FGW-B01-G1", "FGW-B01-G2"]}
    )

    assert response.status_code == 302
    children = list(item.children.order_by("organization__path"))
    assert [c.organization.code for c in children] == ["FGW-B01-G1", "FGW-B01-G2"]
    assert all(c.deadline == item.deadline and c.title == item.title for c in children)
    assert audits_since(seq) == [("create", "duties.workitem", "secretary")] * 2
    assert "已分解给2个组织" in html(secretary.get(response["Location"]))


# ---- statistics ----------------------------------------------------------------------------


def _expected_statistics(within: Organization, figures: list[str], year: int, today: dt.date):
    """Each row's figures counted straight from the records, and the totals."""
    rows = list(
        Organization.objects.filter(path__startswith=within.path, depth=within.depth + 1)
        .exclude(kind=OrgKind.PARTY_GROUP)
        .order_by("path")
    )
    values = {}
    on_time_all = due_all = 0
    for row in rows:
        inside = {"organization__path__startswith": row.path}
        items = WorkItem.objects.filter(parent__isnull=False, plan_year=year, **inside)
        accepted = list(
            items.filter(status=WorkStatus.ACCEPTED).values_list("completed_on", "deadline")
        )
        on_time = sum(1 for done, deadline in accepted if done <= deadline)
        overdue = items.filter(status__in=["open", "returned"], deadline__lt=today).count()
        due = len(accepted) + overdue
        on_time_all += on_time
        due_all += due
        held = Meeting.objects.filter(status=MeetingStatus.HELD, held_on__year=year, **inside)
        figure = {
            "branches": Organization.objects.filter(
                path__startswith=row.path, kind=OrgKind.BRANCH
            ).count(),
            "members_full": Member.objects.filter(status=MemberStatus.FULL, **inside).count(),
            "members_probationary": Member.objects.filter(
                status=MemberStatus.PROBATIONARY, **inside
            ).count(),
            "items_total": items.count(),
            "items_on_time": on_time,
            "items_late": len(accepted) - on_time,
            "items_overdue": overdue,
            "items_rate": on_time / due if due else None,
        }
        for kind in MeetingKind.values:
            figure[f"meetings_{kind}"] = held.filter(kind=kind).count()
        values[row.name] = [figure[f] for f in figures]
    total = [
        (on_time_all / due_all if due_all else None)
        if f == "items_rate"
        else sum(v[i] for v in values.values())
        for i, f in enumerate(figures)
    ]
    return values, total


def test_statistics_and_their_export_equal_the_records(demo, as_user):
    from dangjian.duties.queries import FIGURES, percent

    secretary = Actor(user=demo.users["secretary"])
    result = send(demo)
    year = result.item.plan_year
    b01, b02, b03 = (received(result, c) for c in ("FGW-B01", "FGW-B02", "FGW-B03"))
    services.submit(secretary, b01)
    services.accept(Actor(user=demo.users["organ"]), b01)
    services.submit(Actor.system("test"), b03)
    WorkItem.objects.filter(pk=b02.pk).update(deadline=clock.today() - dt.timedelta(days=3))
    # A second item, done late: submitted after its (moved) deadline.
    late = received(send(demo, ["FGW-B01"], title="补充材料"), "FGW-B01")
    services.submit(secretary, late)
    services.accept(Actor(user=demo.users["organ"]), late)
    WorkItem.objects.filter(pk=late.pk).update(deadline=clock.today() - dt.timedelta(days=1))
    figures = list(FIGURES)
    query = {"org": "FGW-JGDW", "year": str(year), "level": "children", "f": figures}
    expected, total = _expected_statistics(demo.organ_committee, figures, year, clock.today())
    assert any(v[figures.index("items_late")] for v in expected.values())
    organ = as_user(demo.users["organ"])

    response = organ.get(url("statistics"), query)

    assert response.status_code == 200
    table = response.context["table"]
    assert table.headings == [FIGURES[f] for f in figures]
    rate = figures.index("items_rate")

    def as_shown(cells):
        return [percent(v) if i == rate else v for i, v in enumerate(cells)]

    shown = [(org.name, cells) for org, cells in response.context["rows"]]
    assert shown == [(name, as_shown(cells)) for name, cells in expected.items()]
    assert list(table.total.values()) == total
    page = html(response)
    assert "<td>合计</td>" in page
    for name in expected:
        assert name in page

    seq = last_seq()
    export = organ.get(url("statistics_export"), query)
    assert export.status_code == 200
    assert export["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert re.fullmatch(
        r'attachment; filename="statistics-FGW-JGDW-\d{12}\.xlsx"', export["Content-Disposition"]
    )
    sheet = openpyxl.load_workbook(io.BytesIO(export.content)).active
    cells = [list(row) for row in sheet.iter_rows(min_row=3, values_only=True)]
    assert cells[0] == ["组织", *table.headings]
    # Rates are numbers with a percent format (issue 18), a dash where nothing was due.
    in_sheet = [(row[0], list(row[1:])) for row in cells[1:-1]]
    dashed = [[("—" if v is None else v) for v in row] for row in expected.values()]
    assert [name for name, _ in in_sheet] == list(expected)
    for (_, got), want in zip(in_sheet, dashed, strict=True):
        assert got == pytest.approx(want) if all(v != "—" for v in want) else got == want
    assert cells[-1][1 + rate] == pytest.approx(total[rate])
    assert isinstance(cells[-1][1 + rate], float)
    assert sheet.cell(row=4 + len(expected), column=2 + rate).number_format == "0.0%"
    assert f"{year}年" in sheet["A1"].value
    assert audits_since(seq) == [("export", "orgs.organization", "organ")]


def test_statistics_by_branch_for_the_secretary(demo, as_user):
    response = as_user(demo.users["secretary"]).get(url("statistics"), {"year": "2026"})
    assert response.status_code == 200
    assert response.context["org"] == demo.branch
    rows = [org for org, _ in response.context["rows"]]
    assert rows == [demo.branch]  # a branch's table is the branch itself
    full = Member.objects.filter(organization=demo.branch, status=MemberStatus.FULL).count()
    assert response.context["rows"][0][1][0] == full


# ---- the inbox -----------------------------------------------------------------------------


def _badge(client) -> int:
    text = html(client.get(inbox_url("inbox_badge")))
    found = re.search(r">(\d+)</span>", text)
    return int(found.group(1)) if found else 0


def test_the_inbox_lists_todo_review_and_leave_and_reading_lowers_the_badge(demo, as_user):
    secretary_user = demo.users["secretary"]
    result = send(demo, ["FGW-B01"], title="报送学习计划")
    todo = received(result, "FGW-B01")
    (group_item,) = services.split(
        Actor(user=secretary_user), todo, {}, targets=["FGW-B01-G1"]
    ).children
    services.submit(Actor.system("test"), group_item, "小组已完成")
    meeting = meeting_services.plan_meeting(
        Actor(user=secretary_user),
        demo.branch,
        {
            "kind": "general_meeting",
            "starts_at": dt.datetime.combine(
                clock.today() + dt.timedelta(days=4), dt.time(14, 30), tzinfo=TZ
            ),
            "topic": "收件箱测试会议",
        },
    )
    leave = meeting_services.request_leave(
        Actor(user=demo.users["member"]), meeting, demo.own_member, "出差"
    )
    secretary = as_user(secretary_user)

    response = secretary.get(inbox_url("inbox"))

    assert response.status_code == 200
    listed = [(row.tag, row.record) for row in response.context["todo"]]
    assert ("任务", todo) in listed
    assert ("待验收", group_item) in listed
    assert ("请假", leave) in listed
    page = html(response)
    todo_list = page.split('id="todo"', 1)[1].split('id="notices"', 1)[0].split("<h2", 1)[0]
    assert "报送学习计划" in todo_list
    assert f"{demo.org['FGW-B01-G1'].name}：报送学习计划" in todo_list
    assert f"{demo.own_member.name} 请假" in todo_list
    counts = response.context["counts"]
    own = WorkItem.objects.filter(
        organization__path__startswith=demo.branch.path,
        status__in=["open", "returned"],
        parent__isnull=False,
    ).count()
    pending_leave = LeaveRequest.objects.filter(
        meeting__organization__path__startswith=demo.branch.path,
        status="pending",
        meeting__status=MeetingStatus.PLANNED,
    ).count()
    unread = Notice.objects.filter(recipient=secretary_user, read_at__isnull=True).count()
    assert (counts["items"], counts["review"], counts["leave"], counts.unread) == (
        own,
        1,
        pending_leave,
        unread,
    )
    assert unread >= 2  # received the item, and the group's submission
    assert _badge(secretary) == own + 1 + pending_leave + unread

    # Marking one notice read lowers the badge by one; all of them, to the actions alone.
    notice = Notice.objects.filter(recipient=secretary_user, read_at__isnull=True).first()
    response = secretary.post(inbox_url("inbox_read"), {"notice": notice.pk})
    assert response.status_code == 302 and response["Location"] == inbox_url("inbox")
    assert _badge(secretary) == own + 1 + pending_leave + unread - 1
    secretary.post(inbox_url("inbox_read"))
    assert not Notice.objects.filter(recipient=secretary_user, read_at__isnull=True).exists()
    assert _badge(secretary) == own + 1 + pending_leave
    # The work itself is still waiting: reading a notice does not do the work.
    assert todo in [row.record for row in secretary.get(inbox_url("inbox")).context["todo"]]


def test_marking_read_touches_only_ones_own_notices(demo, as_user):
    item = received(send(demo, ["FGW-B01"]), "FGW-B01")
    services.submit(Actor(user=demo.users["secretary"]), item)
    organs = Notice.objects.about(item).get(recipient=demo.users["organ"])
    response = as_user(demo.users["secretary"]).post(inbox_url("inbox_read"), {"notice": organs.pk})
    assert response.status_code == 302
    organs.refresh_from_db()
    assert organs.read_at is None
    assert (
        as_user(demo.users["secretary"]).post(inbox_url("inbox_read"), {"notice": "x"}).status_code
        == 404
    )


def test_the_inbox_returns_only_to_a_page_of_this_site(demo, as_user):
    secretary = as_user(demo.users["secretary"])
    back = secretary.post(inbox_url("inbox_read"), {"next": "/duties/"})
    assert back["Location"] == "/duties/"
    # Browsers read "/\\evil.example/" as "//evil.example/": another site.
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example/", "duties/"):
        response = secretary.post(inbox_url("inbox_read"), {"next": target})
        assert response["Location"] == inbox_url("inbox"), target


def test_every_branch_under_one_part_of_the_subtree_or_typed_codes(demo, as_user):
    organ = as_user(demo.users["organ"])
    form = html(organ.get(f"{url('create')}?org=FGW-JGDW"))
    assert 'name="within"' in form and 'value="FGW-ZZ"' in form

    base = {"deadline": workday(15).isoformat(), "evidence_kind": "none"}
    organ.post(
        f"{url('create')}?org=FGW-JGDW",
        {**base, "title": "总支范围", "mode": "branches", "within": "FGW-ZZ"},
    )
    root = WorkItem.objects.get(title="总支范围", parent__isnull=True)
    assert sorted(root.children.values_list("organization__code", flat=True)) == [
        "FGW-B03",
        "FGW-B04",
    ]

    organ.post(
        f"{url('create')}?org=FGW-JGDW",
        {
            **base,
            "title": "输入编码",
            "mode": "chosen",
            "target_codes": "fgw-b01， FGW-B04\nFGW-B02",
        },
    )
    root = WorkItem.objects.get(title="输入编码", parent__isnull=True)
    assert sorted(root.children.values_list("organization__code", flat=True)) == [
        "FGW-B01",
        "FGW-B02",
        "FGW-B04",
    ]

    count = WorkItem.objects.count()
    refused = organ.post(
        f"{url('create')}?org=FGW-JGDW",
        {**base, "title": "越界", "mode": "branches", "within": "CZJ-JGDW"},
    )
    assert refused.status_code == 200 and "范围组织不存在或不在本组织之下" in html(refused)
    assert WorkItem.objects.count() == count


def test_a_large_subtree_lists_two_levels_and_takes_codes(demo, as_user, monkeypatch):
    from dangjian.duties.views import items as views

    monkeypatch.setattr(views, "TARGET_LIST_LIMIT", 5)
    page = html(as_user(demo.users["organ"]).get(f"{url('create')}?org=FGW-JGDW"))
    assert "组织较多，上面只列出前两级" in page
    committee = demo.organ_committee
    two_levels = (
        Organization.objects.filter(
            path__startswith=committee.path,
            depth__gt=committee.depth,
            depth__lte=committee.depth + 2,
        )
        .exclude(kind=OrgKind.PARTY_GROUP)
        .count()
    )
    assert page.count('name="targets"') == two_levels


def test_a_refused_action_keeps_what_was_typed_in_its_form(demo, client_for):
    """A progress of 150 % with a paragraph of notes: the refusal is shown above the form and
    the notes are still there to correct, not lost to a redirect (the same for 退回 and 撤回)."""
    item = received(send(demo, ["FGW-B01"]), "FGW-B01")
    secretary = client_for(demo.users["secretary"])

    response = secretary.post(
        reverse("duties:progress", args=[item.pk]),
        {"progress": "150", "note": "已完成三个支部的调研，下周汇总"},
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "进度应为0到100之间的整数" in page
    assert 'value="已完成三个支部的调研，下周汇总"' in page and 'value="150"' in page
    item.refresh_from_db()
    assert item.progress == 0

    organ = client_for(demo.users["organ"])
    sent = item.parent
    long_reason = "长" * 501
    response = organ.post(reverse("duties:withdraw", args=[sent.pk]), {"reason": long_reason})
    assert response.status_code == 400 and f'value="{long_reason}"' in response.content.decode()
