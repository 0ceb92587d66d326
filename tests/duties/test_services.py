"""Responsibility-system services: work items sent down the tree and split further, deadlines,
progress, evidence, review, notices; every write audited, every refused write leaves nothing.

Deadlines are built from `clock.today()` (the real clock in Asia/Shanghai): the services refuse
a deadline in the past, so nothing here is pinned to a calendar date except where a row is
deliberately moved afterwards (on-time judged by the submission date).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404

from dangjian.accounts.access import Action
from dangjian.accounts.models import Role, RoleAssignment, User
from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor
from dangjian.core import clock
from dangjian.core.errors import ServiceValidationError
from dangjian.core.jobs import tick
from dangjian.duties import queries, services
from dangjian.duties.inbox import NoticeKind
from dangjian.duties.models import (
    EventKind,
    Evidence,
    EvidenceKind,
    WorkEvent,
    WorkItem,
    WorkStatus,
)
from dangjian.meetings.models import Meeting, MeetingKind, MeetingStatus
from dangjian.notices.models import Notice
from dangjian.orgs.models import Organization
from dangjian.regulations import workdays
from dangjian.regulations.periods import TZ
from tests.duties import PDF, workday
from tests.helpers import assert_audited, events_since, last_seq

# ---- helpers -------------------------------------------------------------------------------


def as_(user) -> Actor:
    return Actor(user=user)


def make_writer(username: str, code: str, role: str = Role.BRANCH_SECRETARY) -> User:
    """An account acting for one organization (the demo gives only FGW-B01 a secretary)."""
    user = User.objects.create_user(username=username)
    RoleAssignment.objects.create(
        user=user, role=role, organization=Organization.objects.get(code=code)
    )
    return user


def send(demo, targets, *, user=None, sender="FGW-JGDW", **data) -> services.SendResult:
    payload = {"title": "学习贯彻全会精神", "deadline": workday(20), **data}
    return services.send_down(
        as_(user or demo.users["organ"]), demo.org[sender], payload, targets=targets
    )


def child(result: services.SendResult, code: str) -> WorkItem:
    return next(c for c in result.children if c.organization.code == code)


def reload(item: WorkItem) -> WorkItem:
    return WorkItem.objects.select_related("organization", "parent__organization").get(pk=item.pk)


def notices(user, kind: str | None = None) -> list[Notice]:
    qs = Notice.objects.filter(recipient=user)
    if kind:
        qs = qs.filter(kind=kind)
    return list(qs.order_by("pk"))


def counts() -> tuple[int, ...]:
    """Rows every write of this module touches, and the audit log's last sequence number."""
    return (
        WorkItem.objects.count(),
        WorkEvent.objects.count(),
        Evidence.objects.count(),
        Notice.objects.count(),
        last_seq(),
    )


@pytest.fixture
def people(demo):
    """The demo's accounts plus secretaries for the 党总支 and three more branches."""
    return SimpleNamespace(
        organ=demo.users["organ"],
        secretary=demo.users["secretary"],
        inspector=demo.users["inspector"],
        member=demo.users["member"],
        zz=make_writer("zz-secretary", "FGW-ZZ"),
        b02=make_writer("b02-secretary", "FGW-B02"),
        b03=make_writer("b03-secretary", "FGW-B03"),
        b04=make_writer("b04-secretary", "FGW-B04"),
    )


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


# ---- sending down and splitting ------------------------------------------------------------


def test_sending_creates_a_plan_item_and_one_item_per_receiver(demo, people):
    seq = last_seq()
    deadline = workday(15)

    sent = send(demo, ["FGW-B01", "fgw-zz"], deadline=deadline, responsible_post="书记")

    root = reload(sent.item)
    assert root.organization == demo.organ_committee
    assert (root.parent_id, root.root_id) == (None, root.pk)
    assert root.status == WorkStatus.OPEN and root.responsible_post == ""
    assert [c.organization.code for c in sent.children] == ["FGW-B01", "FGW-ZZ"]
    for c in sent.children:
        row = reload(c)
        assert (row.parent_id, row.root_id) == (root.pk, root.pk)
        assert row.deadline == deadline and row.plan_year == deadline.year
        assert row.responsible_post == "secretary"  # the label is read as the code
        assert row.status == WorkStatus.OPEN and row.progress == 0
        assert row.created_by == people.organ
    assert sent.warnings == []

    events = events_since(seq)
    assert [(e.action, e.object_type) for e in events] == [
        (AuditAction.CREATE, "duties.workitem")
    ] * 3
    assert {e.object_id for e in events} == {str(root.pk), *(str(c.pk) for c in sent.children)}
    assert {e.actor_username for e in events} == {"organ"}
    assert WorkEvent.objects.get(item=root).kind == EventKind.SENT


def test_receivers_are_told_and_a_sibling_branch_hears_nothing(demo, people):
    sent = send(demo, ["FGW-B01", "FGW-ZZ"])

    (to_secretary,) = notices(people.secretary, NoticeKind.RECEIVED)
    assert to_secretary.subject_id == child(sent, "FGW-B01").pk
    assert to_secretary.title == f"收到任务：学习贯彻全会精神（{demo.branch.name}）"
    assert "市发展和改革委员会机关党委下发" in to_secretary.body
    (to_zz,) = notices(people.zz, NoticeKind.RECEIVED)
    assert to_zz.subject_id == child(sent, "FGW-ZZ").pk
    for user in (people.b02, people.b03, people.b04, people.inspector, people.member):
        assert notices(user) == []


def test_an_organization_without_accounts_is_acted_for_by_the_nearest_level_above(demo):
    # In the demo only FGW-B01 has a secretary's account: FGW-B02's item reaches the 机关党委.
    sent = send(demo, ["FGW-B02"])

    (notice,) = notices(demo.users["organ"], NoticeKind.RECEIVED)
    assert notice.subject_id == child(sent, "FGW-B02").pk
    # The 机关党委 acts for several branches: the notice names the one it is about.
    assert notice.title.endswith(f"（{demo.sibling_branch.name}）")
    assert notices(demo.users["secretary"]) == []


def test_the_holder_of_the_responsible_post_is_told_as_well(demo):
    # The demo's 机关党委 officer holds the 宣传委员 post in FGW-B01.
    sent = send(demo, ["FGW-B01"], responsible_post="publicity_officer")

    item = child(sent, "FGW-B01")
    for user in (demo.users["secretary"], demo.users["organ"]):
        assert [n.subject_id for n in notices(user, NoticeKind.RECEIVED)] == [item.pk]


def test_every_branch_below_and_within_a_subtree(demo):
    result = services.send_down(
        as_(demo.users["organ"]),
        demo.organ_committee,
        {"title": "全覆盖", "deadline": workday(5)},
        all_branches=True,
    )
    assert [c.organization.code for c in result.children] == [
        "FGW-B01",
        "FGW-B02",
        "FGW-B03",
        "FGW-B04",
    ]
    narrowed = services.send_down(
        as_(demo.users["organ"]),
        demo.organ_committee,
        {"title": "党总支", "deadline": workday(5)},
        all_branches=True,
        within=demo.org["FGW-ZZ"],
    )
    assert [c.organization.code for c in narrowed.children] == ["FGW-B03", "FGW-B04"]


def test_a_plan_item_goes_down_three_levels_and_completes_when_all_is_accepted(demo, people):
    today = clock.today()
    sent = send(demo, ["FGW-ZZ", "FGW-B01"], deadline=workday(30))
    root, zz, b01 = sent.item, child(sent, "FGW-ZZ"), child(sent, "FGW-B01")

    branches = services.split(
        as_(people.zz), zz, {"deadline": workday(20)}, targets="FGW-B03，FGW-B04"
    )
    b03, b04 = child(branches, "FGW-B03"), child(branches, "FGW-B04")
    groups = services.split(
        as_(people.b04), b04, {"deadline": workday(10)}, targets=["FGW-B04-G1", "FGW-B04-G2"]
    )
    g1, g2 = child(groups, "FGW-B04-G1"), child(groups, "FGW-B04-G2")

    tree = {
        i.organization.code: i
        for i in WorkItem.objects.filter(root=root).select_related(
            "organization", "parent__organization"
        )
    }
    assert {
        code: (i.parent.organization.code if i.parent else None) for code, i in tree.items()
    } == {
        "FGW-JGDW": None,
        "FGW-ZZ": "FGW-JGDW",
        "FGW-B01": "FGW-JGDW",
        "FGW-B03": "FGW-ZZ",
        "FGW-B04": "FGW-ZZ",
        "FGW-B04-G1": "FGW-B04",
        "FGW-B04-G2": "FGW-B04",
    }
    assert tree["FGW-B03"].deadline == workday(20)
    assert tree["FGW-B04-G2"].deadline == workday(10)
    assert {i.title for i in tree.values()} == {"学习贯彻全会精神"}

    # A split item waits for its children; a plan item waits for everything it sent.
    with pytest.raises(ServiceValidationError) as exc:
        services.submit(as_(people.b04), b04)
    assert exc.value.errors["evidence"] == "分解的任务尚未全部完成（0/2）"

    for group in (g1, g2):
        services.submit(as_(people.b04), group)  # a party group's work is done by its branch
    services.accept(as_(people.b04), g1)
    with pytest.raises(ServiceValidationError) as exc:
        services.submit(as_(people.b04), b04)
    assert exc.value.errors["evidence"] == "分解的任务尚未全部完成（1/2）"
    services.accept(as_(people.b04), g2)
    services.submit(as_(people.b04), b04, "两个党小组均已完成")
    services.submit(as_(people.b03), b03)
    services.accept(as_(people.zz), b03)
    services.accept(as_(people.zz), b04)
    assert reload(zz).status == WorkStatus.OPEN  # a split item is submitted by its receiver
    services.submit(as_(people.zz), zz)
    services.accept(as_(people.organ), zz)
    assert reload(root).status == WorkStatus.OPEN  # FGW-B01 has not finished

    services.submit(as_(people.secretary), b01)
    seq = last_seq()
    services.accept(as_(people.organ), b01, "很好")

    root = reload(root)
    assert root.status == WorkStatus.ACCEPTED
    assert (root.progress, root.completed_on) == (100, today)
    assert {i.status for i in WorkItem.objects.filter(root=root)} == {WorkStatus.ACCEPTED}
    # The acceptance and the plan item's completion, each audited.
    assert [(e.object_id, e.action) for e in events_since(seq)] == [
        (str(b01.pk), AuditAction.UPDATE),
        (str(root.pk), AuditAction.UPDATE),
    ]
    assert WorkEvent.objects.filter(item=root, kind=EventKind.ACCEPTED).count() == 1


def test_a_split_is_audited_and_told_to_the_receivers(demo, people):
    sent = send(demo, ["FGW-ZZ"])
    seq = last_seq()

    result = services.split(as_(people.zz), child(sent, "FGW-ZZ"), {}, all_branches=True)

    assert [c.organization.code for c in result.children] == ["FGW-B03", "FGW-B04"]
    events = events_since(seq)
    assert [(e.action, e.object_id) for e in events] == [
        (AuditAction.CREATE, str(c.pk)) for c in result.children
    ]
    assert [n.subject_id for n in notices(people.b03, NoticeKind.RECEIVED)] == [
        child(result, "FGW-B03").pk
    ]
    assert [n.subject_id for n in notices(people.b04, NoticeKind.RECEIVED)] == [
        child(result, "FGW-B04").pk
    ]
    assert notices(people.b02) == []
    split_events = WorkEvent.objects.filter(item=child(sent, "FGW-ZZ"), kind=EventKind.SPLIT)
    assert [e.note for e in split_events] == ["分解给2个组织"]


def test_a_split_inherits_the_parents_deadline_and_requirements(demo, people):
    deadline = workday(12)
    sent = send(
        demo,
        ["FGW-ZZ"],
        deadline=deadline,
        evidence_kind="meeting",
        evidence_meeting_kind="general_meeting",
        responsible_post="secretary",
        description="要求",
    )

    (b03,) = services.split(as_(people.zz), child(sent, "FGW-ZZ"), {}, targets=["FGW-B03"]).children

    b03 = reload(b03)
    assert b03.deadline == deadline
    assert (b03.evidence_kind, b03.evidence_meeting_kind) == ("meeting", "general_meeting")
    assert (b03.responsible_post, b03.description) == ("secretary", "要求")


def test_a_split_may_count_its_deadline_in_working_days(demo, people):
    sent = send(demo, ["FGW-ZZ"], deadline=workday(30))

    (b03,) = services.split(
        as_(people.zz), child(sent, "FGW-ZZ"), {"working_days": "3"}, targets=["FGW-B03"]
    ).children

    assert b03.deadline == workday(3)


@pytest.mark.parametrize(
    ("data", "targets", "field", "message"),
    [
        ({"deadline": "LATER"}, ["FGW-B03"], "deadline", "截止日期格式不正确，应为 YYYY-MM-DD"),
        ({"deadline": "LATE+1"}, ["FGW-B03"], "deadline", "截止日期不能晚于上级任务的截止日期"),
        (
            {},
            ["FGW-B01"],
            "targets",
            "以下组织不存在或不在市发展和改革委员会机关党总支之下：FGW-B01",
        ),
        ({}, ["FGW-B03", "FGW-X9"], "targets", "FGW-X9"),
        ({}, [], "targets", "请选择接收任务的组织"),
    ],
)
def test_a_bad_split_is_refused_and_nothing_is_written(demo, people, data, targets, field, message):
    parent_deadline = workday(10)
    zz = child(send(demo, ["FGW-ZZ"], deadline=parent_deadline), "FGW-ZZ")
    if data.get("deadline") == "LATE+1":
        data = {"deadline": parent_deadline + dt.timedelta(days=1)}
    elif data.get("deadline") == "LATER":
        data = {"deadline": "下个月"}
    before = counts()

    with pytest.raises(ServiceValidationError) as exc:
        services.split(as_(people.zz), zz, data, targets=targets)

    assert message in exc.value.errors[field]
    assert counts() == before


def test_the_split_deadline_message_names_the_parents_deadline(demo, people):
    deadline = workday(10)
    zz = child(send(demo, ["FGW-ZZ"], deadline=deadline), "FGW-ZZ")

    with pytest.raises(ServiceValidationError) as exc:
        services.split(
            as_(people.zz), zz, {"deadline": deadline + dt.timedelta(days=1)}, targets=["FGW-B03"]
        )

    assert exc.value.errors["deadline"] == (
        f"截止日期不能晚于上级任务的截止日期（{deadline:%Y-%m-%d}）"
    )


def test_splitting_twice_to_the_same_organization_is_refused(demo, people):
    zz = child(send(demo, ["FGW-ZZ"]), "FGW-ZZ")
    services.split(as_(people.zz), zz, {}, targets=["FGW-B03"])
    before = counts()

    with pytest.raises(ServiceValidationError) as exc:
        services.split(as_(people.zz), zz, {}, targets=["FGW-B03", "FGW-B04"])

    assert exc.value.errors["targets"] == "已分解给：价格管理处党支部"
    assert counts() == before


def test_a_sibling_branch_cannot_split_or_work_on_an_item_it_did_not_receive(demo, people):
    sent = send(demo, ["FGW-B01", "FGW-B04"])
    b04 = child(sent, "FGW-B04")
    before = counts()

    with pytest.raises(PermissionDenied):
        services.split(as_(people.secretary), b04, {}, targets=["FGW-B04-G1"])
    with pytest.raises(PermissionDenied):
        services.report_progress(as_(people.secretary), b04, 50, "代办")
    with pytest.raises(PermissionDenied):
        services.submit(as_(people.b02), child(sent, "FGW-B01"))

    assert counts() == before


def test_branches_do_not_send_down_and_nobody_sends_in_anothers_name(demo, people):
    before = counts()

    with pytest.raises(ServiceValidationError) as exc:
        send(demo, ["FGW-B01-G1"], user=people.secretary, sender="FGW-B01")
    assert exc.value.errors["organization"] == "党支部、党小组不能下发任务，可以分解收到的任务"
    with pytest.raises(PermissionDenied):
        send(demo, ["FGW-B01"], user=people.secretary)
    with pytest.raises(PermissionDenied):
        send(demo, ["FGW-B01"], user=people.inspector)
    with pytest.raises(PermissionDenied):
        send(demo, ["CZJ-B01"], sender="CZJ-JGDW")

    assert counts() == before


# ---- deadlines -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"deadline": "YESTERDAY"}, "deadline", "截止日期不能早于今天"),
        ({"deadline": ""}, "deadline", "请填写截止日期"),
        ({"deadline": "2026/12/01"}, "deadline", "截止日期格式不正确，应为 YYYY-MM-DD"),
        ({"deadline": "", "working_days": "0"}, "working_days", "工作日数应为1到250之间的整数"),
        ({"deadline": "", "working_days": "三"}, "working_days", "工作日数应为1到250之间的整数"),
        ({"deadline": "", "working_days": "251"}, "working_days", "工作日数应为1到250之间的整数"),
        ({"title": " "}, "title", "请填写事项"),
        ({"title": "长" * 201}, "title", "事项不能超过200个字"),
        ({"responsible_post": "处长"}, "responsible_post", "责任岗位不正确"),
        ({"evidence_kind": "照片"}, "evidence_kind", "完成佐证不正确"),
        ({"plan_year": "26"}, "plan_year", "年度应为四位年份"),
    ],
)
def test_bad_item_data_is_refused_with_a_chinese_message_and_nothing_written(
    demo, data, field, message
):
    if data.get("deadline") == "YESTERDAY":
        data = {"deadline": clock.today() - dt.timedelta(days=1)}
    before = counts()

    with pytest.raises(ServiceValidationError) as exc:
        send(demo, ["FGW-B01"], **data)

    assert message in exc.value.errors[field]
    assert counts() == before


def test_today_is_an_acceptable_deadline(demo):
    today = clock.today()
    sent = send(demo, ["FGW-B01"], deadline=today.isoformat())
    assert reload(child(sent, "FGW-B01")).deadline == today


def test_a_deadline_in_working_days_is_the_nth_working_day(demo):
    for n in (1, 5, 23):
        sent = send(demo, ["FGW-B01"], deadline="", working_days=str(n))
        deadline = reload(child(sent, "FGW-B01")).deadline
        assert deadline == workdays.add_workdays(clock.today(), n)
        assert workdays.is_workday(deadline)
        assert sent.warnings == []


def test_a_deadline_on_a_day_off_is_accepted_with_a_warning(demo):
    day = clock.today() + dt.timedelta(days=1)
    while workdays.is_workday(day):
        day += dt.timedelta(days=1)

    sent = send(demo, ["FGW-B01"], deadline=day)

    assert reload(child(sent, "FGW-B01")).deadline == day
    name = workdays.holiday_name(day)
    assert name in ("周末", "元旦", "春节", "清明", "劳动节", "端午", "中秋", "国庆节")
    assert sent.warnings == [
        f"截止日期 {day.year}年{day.month}月{day.day}日 是{name}，提醒将在此前的工作日发出"
    ]


# ---- progress and evidence -----------------------------------------------------------------


@pytest.fixture
def meeting_item(demo):
    """FGW-B01's item that needs the record of a 支部党员大会."""
    sent = send(demo, ["FGW-B01"], evidence_kind="meeting", evidence_meeting_kind="支部党员大会")
    return child(sent, "FGW-B01")


def held(org, kind="general_meeting") -> Meeting:
    return Meeting.objects.filter(organization=org, kind=kind, status=MeetingStatus.HELD).latest(
        "held_on"
    )


def test_progress_is_recorded_with_its_note_and_capped_below_done(demo, meeting_item):
    actor = as_(demo.users["secretary"])
    seq = last_seq()

    services.report_progress(actor, meeting_item, "40", "已制定方案")
    services.report_progress(actor, meeting_item, 100, "基本完成")

    item = reload(meeting_item)
    assert item.progress == 99  # 100% is reached by acceptance
    assert item.status == WorkStatus.OPEN
    assert [
        (e.kind, e.note, e.progress) for e in WorkEvent.objects.filter(item=item, kind="progress")
    ] == [("progress", "已制定方案", 40), ("progress", "基本完成", 99)]
    events = events_since(seq)
    assert [e.changes.get("progress") for e in events] == [[0, 40], [40, 99]]


@pytest.mark.parametrize(
    ("progress", "note", "field", "message"),
    [
        ("101", "x", "progress", "进度应为0到100之间的整数"),
        ("-1", "x", "progress", "进度应为0到100之间的整数"),
        ("50.5", "x", "progress", "进度应为0到100之间的整数"),
        ("", "", "note", "请填写进展说明或修改进度"),
        ("0", "", "note", "请填写进展说明或修改进度"),
        ("10", "长" * 501, "note", "进展说明不能超过500个字"),
    ],
)
def test_bad_progress_is_refused(demo, meeting_item, progress, note, field, message):
    before = counts()
    with pytest.raises(ServiceValidationError) as exc:
        services.report_progress(as_(demo.users["secretary"]), meeting_item, progress, note)
    assert exc.value.errors[field] == message
    assert counts() == before


def test_linking_a_held_meeting_of_the_required_kind(demo, meeting_item):
    meeting = held(demo.branch)
    seq = last_seq()

    evidence = services.link_meeting(
        as_(demo.users["secretary"]), meeting_item, str(meeting.pk), "一季度党员大会"
    )

    assert (evidence.kind, evidence.meeting_id, evidence.note) == (
        EvidenceKind.MEETING,
        meeting.pk,
        "一季度党员大会",
    )
    assert list(meeting_item.evidence.all()) == [evidence]
    assert_audited(seq, AuditAction.CREATE, evidence, changes={"meeting": [None, meeting.pk]})
    timeline = WorkEvent.objects.get(item=meeting_item, kind=EventKind.EVIDENCE)
    assert timeline.note.startswith(f"关联会议记录：{meeting.held_on:%Y-%m-%d} 支部党员大会")
    assert meeting in services.linkable_meetings(meeting_item)


def test_a_meeting_of_a_party_group_below_counts_for_the_branch(demo):
    item = child(send(demo, ["FGW-B01"], evidence_kind="meeting"), "FGW-B01")
    group_meeting = Meeting.objects.filter(
        organization__path__startswith=demo.branch.path,
        organization__depth=demo.branch.depth + 1,
        status=MeetingStatus.HELD,
        held_on__gte=services.earliest_evidence(item),
    ).first()
    if group_meeting is None:
        pytest.skip("the demo holds no party-group meeting")

    evidence = services.link_meeting(as_(demo.users["secretary"]), item, group_meeting.pk)
    assert evidence.meeting == group_meeting


@pytest.mark.parametrize(
    ("which", "message"),
    [
        ("planned", "只能关联已召开（已记录）的会议"),
        ("sibling", "请选择本组织已召开的会议"),
        ("other_department", "请选择本组织已召开的会议"),
        ("wrong_kind", "该任务需要“支部党员大会”的会议记录"),
        ("missing", "请选择本组织已召开的会议"),
        ("garbage", "请选择本组织已召开的会议"),
    ],
)
def test_a_meeting_that_does_not_show_the_work_is_refused(demo, meeting_item, which, message):
    meeting_id = {
        "planned": lambda: (
            Meeting.objects.filter(
                organization=demo.branch, kind="general_meeting", status=MeetingStatus.PLANNED
            )
            .first()
            .pk
        ),
        "sibling": lambda: held(demo.sibling_branch).pk,
        "other_department": lambda: held(demo.other_branch).pk,
        "wrong_kind": lambda: held(demo.branch, "theme_day").pk,
        "missing": lambda: Meeting.objects.order_by("-pk").first().pk + 1000,
        "garbage": lambda: "第一次会议",
    }[which]()
    before = counts()

    with pytest.raises(ServiceValidationError) as exc:
        services.link_meeting(as_(demo.users["secretary"]), meeting_item, meeting_id)

    assert exc.value.errors == {"meeting": message}
    assert counts() == before


def test_the_same_meeting_is_linked_once(demo, meeting_item):
    meeting = held(demo.branch)
    services.link_meeting(as_(demo.users["secretary"]), meeting_item, meeting.pk)
    before = counts()

    with pytest.raises(ServiceValidationError) as exc:
        services.link_meeting(as_(demo.users["secretary"]), meeting_item, meeting.pk)

    assert exc.value.errors["meeting"] == "该会议记录已关联"
    assert counts() == before


def test_linkable_meetings_are_the_held_ones_of_the_kind_in_the_subtree(demo, meeting_item):
    found = list(services.linkable_meetings(meeting_item))

    expected = Meeting.objects.filter(
        organization__path__startswith=demo.branch.path,
        status=MeetingStatus.HELD,
        kind=MeetingKind.GENERAL_MEETING,
        held_on__gte=dt.date(meeting_item.plan_year, 1, 1),
    )
    assert {m.pk for m in found} == set(expected.values_list("pk", flat=True))
    assert found and all(m.status == MeetingStatus.HELD for m in found)
    assert [m.held_on for m in found] == sorted((m.held_on for m in found), reverse=True)


def test_a_meeting_from_before_the_plan_year_is_refused(demo, meeting_item):
    old = Meeting.objects.filter(
        organization=demo.branch,
        kind=MeetingKind.GENERAL_MEETING,
        status=MeetingStatus.HELD,
        held_on__lt=dt.date(meeting_item.plan_year, 1, 1),
    ).first()
    if old is None:
        pytest.skip("the demo holds no general meeting before this year")
    with pytest.raises(ServiceValidationError) as refused:
        services.link_meeting(as_(demo.users["secretary"]), meeting_item, old.pk)
    assert "以后召开的会议" in refused.value.errors["meeting"]
    assert not meeting_item.evidence.exists()


def test_a_figure_is_stored_as_a_decimal_with_its_meaning(demo):
    item = child(send(demo, ["FGW-B01"], evidence_kind="figure"), "FGW-B01")
    seq = last_seq()

    evidence = services.add_figure(as_(demo.users["secretary"]), item, "1,234.5", "参训人数")

    evidence.refresh_from_db()
    assert (evidence.kind, evidence.figure, evidence.note) == (
        "figure",
        Decimal("1234.50"),
        "参训人数",
    )
    (event,) = events_since(seq)
    assert event.changes["figure"] == [None, "1234.50"]
    assert (
        WorkEvent.objects.get(item=item, kind=EventKind.EVIDENCE).note
        == "填报数据：参训人数 1234.50"
    )


@pytest.mark.parametrize(
    ("figure", "note", "field", "message"),
    [
        ("很多", "参训人数", "figure", "请填写数字"),
        ("", "参训人数", "figure", "请填写数字"),
        ("NaN", "参训人数", "figure", "请填写数字"),
        ("1e12", "参训人数", "figure", "请填写数字"),
        ("12", " ", "note", "请说明这个数据是什么（如：参训人数）"),
    ],
)
def test_a_bad_figure_is_refused(demo, figure, note, field, message):
    item = child(send(demo, ["FGW-B01"], evidence_kind="figure"), "FGW-B01")
    before = counts()
    with pytest.raises(ServiceValidationError) as exc:
        services.add_figure(as_(demo.users["secretary"]), item, figure, note)
    assert exc.value.errors[field] == message
    assert counts() == before


def test_a_figure_that_rounds_past_the_column_is_refused(demo):
    item = child(send(demo, ["FGW-B01"], evidence_kind="figure"), "FGW-B01")
    with pytest.raises(ServiceValidationError):
        services.add_figure(as_(demo.users["secretary"]), item, "999999999999.999", "金额")


def test_a_document_is_stored_checked_and_audited(demo, media):
    item = child(send(demo, ["FGW-B01"], evidence_kind="document"), "FGW-B01")
    seq = last_seq()

    added = services.add_document(
        as_(demo.users["secretary"]), item, [SimpleUploadedFile("学习记录.pdf", PDF)], "会议纪要"
    )

    assert added == 1
    (evidence,) = item.evidence.all()
    assert (evidence.kind, evidence.original_name, evidence.content_type, evidence.size) == (
        "document",
        "学习记录.pdf",
        "application/pdf",
        len(PDF),
    )
    assert (media / evidence.file.name).read_bytes() == PDF
    (event,) = events_since(seq)
    assert (event.object_type, event.changes["name"]) == ("duties.evidence", [None, "学习记录.pdf"])


def test_a_bad_document_is_refused_and_no_file_is_kept(demo, media):
    item = child(send(demo, ["FGW-B01"], evidence_kind="document"), "FGW-B01")
    before = counts()

    with pytest.raises(ServiceValidationError) as exc:
        services.add_document(
            as_(demo.users["secretary"]),
            item,
            [
                SimpleUploadedFile("记录.pdf", PDF),
                SimpleUploadedFile("木马.pdf", b"MZ" + b"\0" * 64),
            ],
        )
    assert "木马.pdf" in exc.value.errors["attachments"]
    with pytest.raises(ServiceValidationError) as exc:
        services.add_document(as_(demo.users["secretary"]), item, [])
    assert exc.value.errors["file"] == "请选择要上传的文件"

    assert counts() == before
    assert not media.exists() or not [p for p in media.rglob("*") if p.is_file()]


@pytest.mark.parametrize(
    ("evidence", "message"),
    [
        (
            {"evidence_kind": "meeting", "evidence_meeting_kind": "party_lecture"},
            "请先关联“党课”的会议记录",
        ),
        ({"evidence_kind": "meeting"}, "请先关联“会议”的会议记录"),
        ({"evidence_kind": "document"}, "请先上传文件材料"),
        ({"evidence_kind": "figure"}, "请先填报数据"),
    ],
)
def test_submission_without_the_required_evidence_is_refused(demo, evidence, message):
    item = child(send(demo, ["FGW-B01"], **evidence), "FGW-B01")
    before = counts()

    with pytest.raises(ServiceValidationError) as exc:
        services.submit(as_(demo.users["secretary"]), item)

    assert exc.value.errors == {"evidence": message}
    assert counts() == before
    assert reload(item).status == WorkStatus.OPEN


def test_evidence_of_another_kind_does_not_count(demo):
    item = child(send(demo, ["FGW-B01"], evidence_kind="document"), "FGW-B01")
    services.add_figure(as_(demo.users["secretary"]), item, "3", "场次")

    assert services.missing_evidence(reload(item)) == "请先上传文件材料"


# ---- submission and review -----------------------------------------------------------------


def test_submitting_with_evidence_asks_the_sender_to_accept(demo, meeting_item):
    secretary, organ = as_(demo.users["secretary"]), demo.users["organ"]
    services.link_meeting(secretary, meeting_item, held(demo.branch).pk)
    seq = last_seq()

    services.submit(secretary, meeting_item, "已召开")

    item = reload(meeting_item)
    assert item.status == WorkStatus.SUBMITTED and item.submitted_at is not None
    assert item.completed_on is None
    (event,) = events_since(seq)
    assert event.changes["status"] == ["open", "submitted"]
    assert event.message == "提交验收：已召开"
    (notice,) = notices(organ, NoticeKind.SUBMITTED)
    assert notice.subject_id == item.pk
    assert notice.title == "待验收：办公室党支部“学习贯彻全会精神”"
    assert notices(demo.users["inspector"]) == []


def test_a_submitted_item_cannot_be_changed_by_its_receiver(demo):
    item = child(send(demo, ["FGW-B01"]), "FGW-B01")
    services.submit(as_(demo.users["secretary"]), item)
    before = counts()

    for call in (
        lambda: services.submit(as_(demo.users["secretary"]), item),
        lambda: services.report_progress(as_(demo.users["secretary"]), item, 50, "x"),
        lambda: services.add_figure(as_(demo.users["secretary"]), item, "1", "x"),
        lambda: services.split(as_(demo.users["secretary"]), item, {}, targets=["FGW-B01-G1"]),
    ):
        with pytest.raises(ServiceValidationError) as exc:
            call()
        assert "待验收" in exc.value.errors["status"]
    assert counts() == before


def test_only_writers_of_the_sender_accept_or_return(demo, people):
    item = child(send(demo, ["FGW-B01"]), "FGW-B01")
    services.submit(as_(people.secretary), item)
    before = counts()

    for user in (people.secretary, people.inspector, people.b02, people.member):
        with pytest.raises(PermissionDenied):
            services.accept(as_(user), item)
        with pytest.raises(PermissionDenied):
            services.return_item(as_(user), item, "不合格")

    assert counts() == before
    assert reload(item).status == WorkStatus.SUBMITTED


def test_the_branch_accepts_what_it_sent_to_its_party_groups(demo, people):
    b01 = child(send(demo, ["FGW-B01"]), "FGW-B01")
    (g1,) = services.split(as_(people.secretary), b01, {}, targets=["FGW-B01-G1"]).children
    services.submit(as_(people.secretary), g1)

    services.accept(as_(people.secretary), g1)

    assert reload(g1).status == WorkStatus.ACCEPTED
    assert reload(b01).status == WorkStatus.OPEN  # a split item is not completed for its receiver


def test_returning_needs_a_reason_and_the_receiver_may_submit_again(demo):
    secretary, organ = demo.users["secretary"], demo.users["organ"]
    item = child(send(demo, ["FGW-B01"]), "FGW-B01")
    services.submit(as_(secretary), item)
    before = counts()

    with pytest.raises(ServiceValidationError) as exc:
        services.return_item(as_(organ), item, "  ")
    assert exc.value.errors == {"reason": "请填写退回原因"}
    assert counts() == before

    seq = last_seq()
    services.return_item(as_(organ), item, "材料不全")

    item = reload(item)
    assert (item.status, item.submitted_at) == (WorkStatus.RETURNED, None)
    (event,) = events_since(seq)
    assert event.changes["status"] == ["submitted", "returned"]
    assert event.message == "退回：材料不全"
    (notice,) = notices(secretary, NoticeKind.RETURNED)
    assert (notice.title, notice.body) == ("任务被退回：学习贯彻全会精神", "退回原因：材料不全")
    assert WorkEvent.objects.get(item=item, kind=EventKind.RETURNED).note == "材料不全"
    with pytest.raises(ServiceValidationError) as exc:
        services.accept(as_(organ), item)
    assert exc.value.errors["status"] == "任务已退回，不能验收"

    services.report_progress(as_(secretary), item, 80, "已补充材料")
    services.submit(as_(secretary), item)
    services.accept(as_(organ), item)
    assert reload(item).status == WorkStatus.ACCEPTED


def test_every_submission_is_told_to_the_sender(demo):
    secretary, organ = demo.users["secretary"], demo.users["organ"]
    item = child(send(demo, ["FGW-B01"]), "FGW-B01")
    services.submit(as_(secretary), item)
    services.return_item(as_(organ), item, "材料不全")
    services.submit(as_(secretary), item)

    assert len(notices(organ, NoticeKind.SUBMITTED)) == 2


def test_accepting_an_open_item_or_a_plan_item_is_refused(demo):
    sent = send(demo, ["FGW-B01"])
    before = counts()

    with pytest.raises(ServiceValidationError) as exc:
        services.accept(as_(demo.users["organ"]), child(sent, "FGW-B01"))
    assert exc.value.errors["status"] == "任务办理中，不能验收"
    with pytest.raises(ServiceValidationError) as exc:
        services.accept(as_(demo.users["organ"]), sent.item)
    assert exc.value.errors["status"] == "计划事项由下发的任务完成情况决定，无需验收"
    assert counts() == before


def test_acceptance_is_audited_and_told_to_the_receiver(demo):
    secretary, organ = demo.users["secretary"], demo.users["organ"]
    sent = send(demo, ["FGW-B01", "FGW-B02"])
    item = child(sent, "FGW-B01")
    services.submit(as_(secretary), item)
    seq = last_seq()

    services.accept(as_(organ), item, "按时完成")

    (event,) = events_since(seq)  # the plan item still waits for FGW-B02
    assert event.object_id == str(item.pk)
    assert event.changes["status"] == ["submitted", "accepted"]
    assert event.changes["progress"] == [0, 100]
    (notice,) = notices(secretary, NoticeKind.ACCEPTED)
    assert (notice.subject_id, notice.body) == (item.pk, "按时完成")


def test_on_time_is_judged_by_the_submission_date_not_the_acceptance_date(demo):
    secretary, organ = demo.users["secretary"], demo.users["organ"]
    item = child(send(demo, ["FGW-B01"]), "FGW-B01")
    services.submit(as_(secretary), item)
    # The receiver submitted three days ago at 00:10 Beijing time (still the day before in UTC),
    # on its deadline; the sender accepts only today.
    submitted_on = clock.today() - dt.timedelta(days=3)
    submitted_at = dt.datetime.combine(submitted_on, dt.time(0, 10), tzinfo=TZ)
    WorkItem.objects.filter(pk=item.pk).update(submitted_at=submitted_at, deadline=submitted_on)

    services.accept(as_(organ), item)

    item = reload(item)
    assert item.completed_on == submitted_on
    assert item.completed_on < clock.today()
    completion = queries.completion_by_org(
        demo.organ_committee, [demo.branch], item.plan_year, clock.today()
    )[demo.branch.pk]
    assert (completion.on_time, completion.late, completion.rate) == (1, 0, 1.0)


def test_a_plan_item_cannot_be_submitted_while_its_items_are_pending(demo):
    sent = send(demo, ["FGW-B01"])
    services.submit(as_(demo.users["secretary"]), child(sent, "FGW-B01"))
    with pytest.raises(ServiceValidationError) as exc:
        services.submit(as_(demo.users["organ"]), sent.item)
    assert exc.value.errors["evidence"] == "分解的任务尚未全部完成（0/1）"


# ---- what each user sees -------------------------------------------------------------------


def test_item_tree_shows_ancestors_and_only_the_readable_subtree(demo, people):
    today = clock.today()
    sent = send(demo, ["FGW-B01", "FGW-B02", "FGW-ZZ"])
    root, b01, b02, zz = (
        sent.item,
        child(sent, "FGW-B01"),
        child(sent, "FGW-B02"),
        child(sent, "FGW-ZZ"),
    )
    branches = services.split(as_(people.zz), zz, {}, targets=["FGW-B03", "FGW-B04"])
    b03, b04 = child(branches, "FGW-B03"), child(branches, "FGW-B04")
    groups = services.split(as_(people.b04), b04, {}, targets=["FGW-B04-G1", "FGW-B04-G2"])

    ancestors, rows = queries.item_tree(people.organ, reload(root), today)
    assert ancestors == []
    assert [(r.item.organization.code, r.depth) for r in rows] == [
        ("FGW-B01", 1),
        ("FGW-B02", 1),
        ("FGW-ZZ", 1),
        ("FGW-B03", 2),
        ("FGW-B04", 2),
        ("FGW-B04-G1", 3),
        ("FGW-B04-G2", 3),
    ]
    assert {r.state for r in rows} == {"open"}

    # The FGW-B01 secretary: the plan item it came from, nothing of its siblings.
    ancestors, rows = queries.item_tree(people.secretary, reload(b01), today)
    assert [a.pk for a in ancestors] == [root.pk]
    assert rows == []
    _, rows = queries.item_tree(people.secretary, reload(root), today)
    assert [r.item.pk for r in rows] == [b01.pk]
    assert b02.pk not in {r.item.pk for r in rows}

    # A branch under the 党总支 sees its own subtree, never the sibling branch's.
    ancestors, rows = queries.item_tree(people.b04, reload(b04), today)
    assert [a.pk for a in ancestors] == [root.pk, zz.pk]
    assert [r.item.pk for r in rows] == [c.pk for c in groups.children]
    _, rows = queries.item_tree(people.b03, reload(zz), today)
    assert [r.item.pk for r in rows] == [b03.pk]

    ancestors, rows = queries.item_tree(people.b04, reload(groups.children[0]), today)
    assert [a.pk for a in ancestors] == [root.pk, zz.pk, b04.pk]


def test_a_sibling_branchs_item_does_not_exist_for_the_secretary(demo, people):
    sent = send(demo, ["FGW-B01", "FGW-B02"])
    b01, b02 = child(sent, "FGW-B01"), child(sent, "FGW-B02")

    with pytest.raises(Http404):
        queries.get_item_for_user(people.secretary, b02.pk)
    with pytest.raises(Http404):
        queries.get_item_for_user(people.secretary, sent.item.pk)
    assert queries.get_item_for_user(people.secretary, b01.pk) == b01
    with pytest.raises(PermissionDenied):
        queries.get_item_for_user(people.inspector, b01.pk, Action.WRITE)
    assert set(queries.visible_items(people.secretary).values_list("pk", flat=True)) == {b01.pk}
    assert set(queries.visible_items(people.inspector).values_list("pk", flat=True)) == {
        sent.item.pk,
        b01.pk,
        b02.pk,
    }
    assert queries.can_review(people.organ, b01) and not queries.can_review(people.secretary, b01)
    assert queries.can_work(people.secretary, b01) and not queries.can_work(people.secretary, b02)


def test_supervisors_are_the_senders_writers_and_discipline_covering_the_item(demo, people):
    b01 = child(send(demo, ["FGW-B01", "FGW-ZZ"]), "FGW-B01")
    zz = WorkItem.objects.get(parent=b01.parent, organization__code="FGW-ZZ")
    (b03,) = services.split(as_(people.zz), zz, {}, targets=["FGW-B03"]).children
    czj_inspector = make_writer("czj-inspector", "CZJ-JGDW", Role.DISCIPLINE)

    assert services.supervisors_of(reload(b01)) == {people.organ.pk, people.inspector.pk}
    assert services.supervisors_of(reload(b03)) == {people.zz.pk, people.inspector.pk}
    for outsider in (people.secretary, people.b02, people.b04, czj_inspector):
        assert outsider.pk not in services.supervisors_of(reload(b03))


def test_an_overdue_item_is_split_with_a_new_deadline(demo):
    item = child(send(demo, ["FGW-ZZ"]), "FGW-ZZ")
    WorkItem.objects.filter(pk=item.pk).update(deadline=clock.today() - dt.timedelta(days=3))
    item = reload(item)
    actor = as_(demo.users["organ"])

    with pytest.raises(ServiceValidationError) as refused:
        services.split(actor, item, {}, targets=["FGW-B03"])
    assert refused.value.errors == {"deadline": "该任务已逾期，分解时请重新确定截止日期"}
    assert not item.children.exists()

    result = services.split(actor, item, {"deadline": workday(5)}, targets=["FGW-B03"])
    assert [c.deadline for c in result.children] == [workday(5)]
    assert reload(item).deadline < clock.today()  # the parent stays overdue


def test_a_plan_item_refuses_a_reader_before_explaining_it_needs_no_review(demo):
    result = send(demo, ["FGW-B01"])
    with pytest.raises(PermissionDenied):
        services.accept(as_(demo.users["inspector"]), result.item)
    with pytest.raises(ServiceValidationError):
        services.accept(as_(demo.users["organ"]), result.item)


# ---- withdrawing ---------------------------------------------------------------------------


def test_the_sender_withdraws_a_plan_with_what_is_not_done_and_keeps_what_is(demo):
    result = send(demo, ["FGW-B01", "FGW-B02", "FGW-ZZ"])
    organ, secretary = as_(demo.users["organ"]), as_(demo.users["secretary"])
    done = child(result, "FGW-B01")
    services.submit(secretary, done)
    services.accept(organ, done)
    zz = child(result, "FGW-ZZ")
    split = services.split(organ, zz, {}, targets=["FGW-B03"]).children[0]
    seq = last_seq()

    with pytest.raises(ServiceValidationError) as refused:
        services.withdraw(organ, result.item, "  ")
    assert refused.value.errors == {"reason": "请填写撤回原因"}
    assert last_seq() == seq

    count = services.withdraw(organ, result.item, "重复下发")

    statuses = dict(
        WorkItem.objects.filter(root=result.item).values_list("organization__code", "status")
    )
    assert count == 4  # the plan, FGW-B02, FGW-ZZ and its split to FGW-B03
    assert statuses == {
        "FGW-JGDW": "withdrawn",
        "FGW-B01": "accepted",
        "FGW-B02": "withdrawn",
        "FGW-ZZ": "withdrawn",
        "FGW-B03": "withdrawn",
    }
    assert len(events_since(seq)) == 4
    assert reload(split).events.filter(kind="withdrawn", note="重复下发").exists()
    # Nothing withdrawn is left to do or counted: no reminders, no overdue, no statistics.
    assert not queries.todo_items(demo.users["secretary"]).exists()
    assert tick(now=dt.datetime.now(tz=TZ) + dt.timedelta(days=60))["overdue_marked"] == 0
    table = queries.statistics(
        demo.organ_committee, "branches", ["items_total"], workday(20).year, clock.today()
    )
    assert table.total["items_total"] == 1  # FGW-B01's accepted item only

    with pytest.raises(ServiceValidationError):
        services.withdraw(organ, result.item, "再撤一次")


def test_only_the_sender_withdraws_and_the_receivers_are_told(demo):
    result = send(demo, ["FGW-B01", "FGW-B02"])
    item = child(result, "FGW-B01")

    for user in ("secretary", "inspector"):
        with pytest.raises(PermissionDenied):
            services.withdraw(as_(demo.users[user]), item, "不想做")
    assert reload(item).status == "open"

    services.withdraw(as_(demo.users["organ"]), item, "该支部已另行安排")

    assert reload(item).status == "withdrawn"
    told = notices(demo.users["secretary"], "withdrawn")
    assert [n.body for n in told] == ["撤回原因：该支部已另行安排"]
    # The sibling's item stands; once it is accepted the plan completes without the withdrawn one.
    sibling = child(result, "FGW-B02")
    services.submit(as_(demo.users["organ"]), sibling)
    services.accept(as_(demo.users["organ"]), sibling)
    assert reload(result.item).status == "accepted"
