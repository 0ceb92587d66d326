"""Expected attendees chosen when planning (调整应到人员): the default list when none is chosen,
a narrowed or widened list driving the member's page, leave, check-in and the record page, the
member's side agreeing with the meeting's, validation, the audit event, the form and the API."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangjian.accounts.services import create_token
from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor
from dangjian.core import clock
from dangjian.core.errors import ServiceValidationError
from dangjian.meetings import services
from dangjian.meetings.checkin import issue_token
from dangjian.meetings.models import (
    Attendance,
    ExpectedAttendee,
    LeaveRequest,
    Meeting,
    MeetingStatus,
)
from dangjian.meetings.queries import (
    _expected_meeting_q,
    attendance_sheet,
    default_attendees,
    expected_attendees,
    is_expected,
    upcoming_for_member,
)
from dangjian.members.models import Member
from dangjian.orgs.models import COMMITTEE_POSTS, Post
from dangjian.regulations.periods import TZ
from tests.helpers import assert_audited, events_since, last_seq
from tests.meetings import days_from_today, local, plan, starting_now


@pytest.fixture
def secretary(demo):
    return Actor(user=demo.users["secretary"])


@pytest.fixture
def me(demo) -> Member:
    """The `member` persona: an ordinary member of branch FGW-B01 with a login."""
    return demo.users["member"].member


def ids(members) -> set[int]:
    return {m.pk for m in members}


def branch_ids(demo) -> set[int]:
    return set(Member.objects.filter(organization=demo.branch).values_list("pk", flat=True))


def meetings_seen_by(member: Member) -> set[int]:
    """The meetings `member` is expected at, computed from the member's side."""
    return set(Meeting.objects.filter(_expected_meeting_q(member)).values_list("pk", flat=True))


def other_group_of(demo, member: Member):
    """A party group of the member's branch that the member is not in."""
    return next(
        demo.org[code]
        for code in ("FGW-B01-G1", "FGW-B01-G2")
        if demo.org[code].pk != member.party_group_id
    )


# ---- the default ---------------------------------------------------------------------------


def test_without_a_list_the_default_applies_and_nothing_is_stored(demo, secretary):
    seq = last_seq()
    meeting = plan(secretary.user, demo.branch, days=3)

    assert not ExpectedAttendee.objects.filter(meeting=meeting).exists()
    assert ids(expected_attendees(meeting)) == branch_ids(demo)
    (event,) = events_since(seq)
    assert "attendees" not in event.changes
    assert event.message == ""


def test_a_list_equal_to_the_default_is_stored_as_the_default(demo, secretary):
    meeting = plan(secretary.user, demo.branch, days=3, attendees=sorted(branch_ids(demo)))

    assert not ExpectedAttendee.objects.filter(meeting=meeting).exists()
    # The plan keeps following the branch: a member who joins before the day is expected.
    newcomer = demo.member_in_sibling
    Member.objects.filter(pk=newcomer.pk).update(organization=demo.branch)
    assert newcomer.pk in ids(expected_attendees(meeting))


# ---- a narrowed list -----------------------------------------------------------------------


@pytest.fixture
def without_me(demo, secretary, me):
    """A 支部党员大会 in three days without the `member` persona (on long sick leave)."""
    return plan(
        secretary.user,
        demo.branch,
        days=3,
        topic="不含病假人员的支部大会",
        attendees=sorted(branch_ids(demo) - {me.pk}),
    )


def test_a_narrowed_list_is_what_is_expected(demo, secretary, me, without_me):
    expected = ids(expected_attendees(without_me))
    assert expected == branch_ids(demo) - {me.pk}
    assert not is_expected(without_me, me)
    assert (
        set(ExpectedAttendee.objects.filter(meeting=without_me).values_list("member_id", flat=True))
        == expected
    )


def test_a_removed_member_no_longer_sees_the_meeting_as_upcoming(demo, me, without_me, client_for):
    kept = demo.users["secretary"].member
    assert without_me.pk not in ids(upcoming_for_member(me, clock.today()))
    assert without_me.pk in ids(upcoming_for_member(kept, clock.today()))

    page = client_for(demo.users["member"]).get(reverse("meetings:mine")).content.decode()
    assert "不含病假人员的支部大会" not in page
    secretary_page = client_for(demo.users["secretary"]).get(reverse("meetings:mine"))
    assert "不含病假人员的支部大会" in secretary_page.content.decode()
    # Not expected and without a role: the meeting is not theirs to open.
    detail = client_for(demo.users["member"]).get(
        reverse("meetings:detail", kwargs={"pk": without_me.pk})
    )
    assert detail.status_code == 404


def test_a_removed_member_is_refused_leave(demo, me, without_me, client_for):
    member_client = client_for(demo.users["member"])
    seq = last_seq()
    with pytest.raises(ServiceValidationError) as exc:
        services.request_leave(Actor(user=demo.users["member"]), without_me, me, "病假")
    assert exc.value.errors == {"member": "不在本次会议的应到人员中，无需请假"}

    response = member_client.post(
        reverse("meetings:leave_request", kwargs={"pk": without_me.pk}), {"reason": "病假"}
    )
    assert response.status_code == 404
    assert not LeaveRequest.objects.filter(meeting=without_me).exists()
    assert last_seq() == seq

    # A member on the list asks for leave as before.
    kept = next(m for m in expected_attendees(without_me))
    leave = services.request_leave(Actor(user=demo.users["secretary"]), without_me, kept, "出差")
    assert leave.member_id == kept.pk


def test_a_removed_member_cannot_check_in(demo, secretary, me, client_for):
    meeting = plan(
        secretary.user,
        demo.branch,
        starts_at=starting_now(),
        attendees=sorted(branch_ids(demo) - {me.pk}),
    )

    with pytest.raises(ServiceValidationError) as exc:
        services.check_in(Actor(user=demo.users["member"]), issue_token(meeting.pk))
    assert exc.value.errors["member"] == "您不在本次会议的应到人员名单中，不能签到"
    response = client_for(demo.users["member"]).get(
        reverse("meetings:checkin", kwargs={"token": issue_token(meeting.pk)})
    )
    assert response.status_code == 403
    assert "不在本次会议的应到人员名单中" in response.content.decode()
    assert not Attendance.objects.filter(meeting=meeting).exists()


def test_the_record_page_starts_from_the_narrowed_list(demo, secretary, me, client_for):
    meeting = plan(secretary.user, demo.branch, attendees=sorted(branch_ids(demo) - {me.pk}))
    listed = branch_ids(demo) - {me.pk}

    page = (
        client_for(demo.users["secretary"])
        .get(reverse("meetings:record", kwargs={"pk": meeting.pk}))
        .content.decode()
    )
    rows = re.findall(
        r'name="att-(\d+)" id="[^"]+" value="present" autocomplete="off" checked', page
    )
    assert {int(pk) for pk in rows} == listed
    assert f'应到 <strong id="count-expected">{len(listed)}</strong> 人' in page
    assert ids(row.member for row in attendance_sheet(meeting)) == listed

    result = services.record_meeting(secretary, meeting, attendance={})
    assert (result.expected, result.present) == (len(listed), len(listed))
    recorded = set(Attendance.objects.filter(meeting=meeting).values_list("member_id", flat=True))
    assert recorded == listed
    # Once held, the record is what was expected.
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.HELD
    assert ids(expected_attendees(meeting)) == listed
    assert meeting.pk not in meetings_seen_by(me)


# ---- a widened list ------------------------------------------------------------------------


def test_a_member_added_from_another_group_is_expected_everywhere(demo, secretary, me, client_for):
    group = other_group_of(demo, me)
    members = ids(Member.objects.filter(party_group=group))
    assert me.pk not in members
    meeting = plan(
        secretary.user,
        group,
        "group_meeting",
        days=3,
        topic="两个党小组联合学习",
        attendees=sorted(members | {me.pk}),
    )

    assert ids(expected_attendees(meeting)) == members | {me.pk}
    assert meeting.pk in ids(upcoming_for_member(me, clock.today()))
    member_client = client_for(demo.users["member"])
    assert "两个党小组联合学习" in member_client.get(reverse("meetings:mine")).content.decode()
    detail = member_client.get(reverse("meetings:detail", kwargs={"pk": meeting.pk}))
    assert detail.status_code == 200
    response = member_client.post(
        reverse("meetings:leave_request", kwargs={"pk": meeting.pk}), {"reason": "外出培训"}
    )
    assert response.status_code == 302
    assert LeaveRequest.objects.get(meeting=meeting).member_id == me.pk
    assert me.pk in ids(row.member for row in attendance_sheet(meeting))


def test_an_invited_member_checks_in(demo, secretary, me):
    group = other_group_of(demo, me)
    members = ids(Member.objects.filter(party_group=group))
    meeting = plan(
        secretary.user,
        group,
        "group_meeting",
        starts_at=starting_now(),
        attendees=sorted(members | {me.pk}),
    )
    row = services.check_in(Actor(user=demo.users["member"]), issue_token(meeting.pk))
    assert (row.meeting_id, row.member_id, row.status) == (meeting.pk, me.pk, "checked_in")


def test_a_committee_lecture_for_the_committee_and_a_few_members(demo, me):
    organ = Actor(user=demo.users["organ"])
    committee = demo.organ_committee
    seats = set(
        Post.objects.filter(
            organization=committee, ended_on__isnull=True, kind__in=COMMITTEE_POSTS
        ).values_list("member_id", flat=True)
    )
    guest = demo.users["secretary"].member
    lecture = plan(
        organ.user, committee, "party_lecture", days=3, attendees=sorted(seats | {guest.pk})
    )

    assert ids(expected_attendees(lecture)) == seats | {guest.pk}
    # By default a 党课 of the 机关党委 expects its whole subtree; with the list, only these.
    assert me.pk in ids(default_attendees(committee, "party_lecture"))
    assert me.pk not in seats
    assert lecture.pk not in meetings_seen_by(me)
    assert lecture.pk in meetings_seen_by(guest)


# ---- both sides agree ----------------------------------------------------------------------


def test_the_members_side_agrees_with_the_meetings_lists(demo, secretary, me):
    branch = branch_ids(demo)
    group = other_group_of(demo, me)
    seats = ids(default_attendees(demo.branch, "committee_meeting"))
    someone = min(branch - seats - {me.pk})
    meetings = [
        plan(secretary.user, demo.branch, days=3),
        plan(secretary.user, demo.branch, days=3, attendees=sorted(branch - {me.pk})),
        plan(
            secretary.user,
            group,
            "group_meeting",
            days=3,
            attendees=sorted(ids(Member.objects.filter(party_group=group)) | {me.pk}),
        ),
        plan(
            secretary.user,
            demo.branch,
            "committee_meeting",
            days=3,
            attendees=sorted(seats | {someone}),
        ),
        plan(secretary.user, demo.branch, "committee_meeting", days=3),
    ]
    for member in Member.objects.filter(pk__in=branch).select_related("organization"):
        seen = meetings_seen_by(member)
        for meeting in meetings:
            assert (meeting.pk in seen) == (member.pk in ids(expected_attendees(meeting))), (
                member.pk,
                meeting.pk,
            )


# ---- validation and audit ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attendees", "message"),
    [
        ("outsider", "不存在或不在您的管理范围内"),
        ("sibling", "不存在或不在您的管理范围内"),
        ("missing", "不存在或不在您的管理范围内"),
        ([], "请至少选择一名应到人员"),
        (["张三"], "应到人员的党员编号不正确：张三"),
        ("一二三", "应到人员应为党员编号的列表"),
    ],
)
def test_a_list_the_planner_may_not_make_is_refused_and_nothing_is_written(
    demo, secretary, attendees, message
):
    outsiders = {
        "outsider": demo.member_in_other_dept.pk,
        "sibling": demo.member_in_sibling.pk,
        "missing": 10**9,
    }
    if isinstance(attendees, str) and attendees in outsiders:
        attendees = [*sorted(branch_ids(demo))[:3], outsiders[attendees]]
    seq, count = last_seq(), Meeting.objects.count()

    with pytest.raises(ServiceValidationError) as exc:
        plan(secretary.user, demo.branch, days=3, attendees=attendees)

    assert set(exc.value.errors) == {"attendees"}
    assert message in exc.value.errors["attendees"]
    assert (last_seq(), Meeting.objects.count()) == (seq, count)
    assert not ExpectedAttendee.objects.exists()


def test_the_refusal_names_the_members_not_in_reach(demo, secretary):
    outsider = demo.member_in_other_dept
    with pytest.raises(ServiceValidationError) as exc:
        plan(secretary.user, demo.branch, attendees=[*branch_ids(demo), outsider.pk])
    assert exc.value.errors["attendees"] == (
        f"编号为 {outsider.pk} 的党员不存在或不在您的管理范围内"
    )


def test_the_organ_officer_may_invite_from_anywhere_in_the_department(demo):
    organ = Actor(user=demo.users["organ"])
    guest = demo.member_in_sibling
    meeting = plan(organ.user, demo.branch, days=3, attendees=[*branch_ids(demo), guest.pk])
    assert guest.pk in ids(expected_attendees(meeting))
    with pytest.raises(ServiceValidationError):
        plan(organ.user, demo.branch, attendees=[demo.member_in_other_dept.pk])


def test_the_create_event_carries_the_list(demo, secretary, me):
    listed = sorted(branch_ids(demo) - {me.pk})
    seq = last_seq()
    meeting = plan(secretary.user, demo.branch, days=3, attendees=listed)

    assert_audited(
        seq,
        AuditAction.CREATE,
        meeting,
        changes={"attendees": [None, listed]},
        message=f"应到人员按所选名单：{len(listed)}人",
    )


# ---- the plan form -------------------------------------------------------------------------


def plan_form(demo, **overrides) -> dict:
    day = days_from_today(3)
    data = {
        "org": demo.branch.code,
        "kind": "general_meeting",
        "date": day.isoformat(),
        "time": "14:30",
        "topic": "表单安排的会",
        "place": "",
        "host": "",
        "invited": "",
        "attendees_kind": "general_meeting",
        "attendees": [str(pk) for pk in sorted(branch_ids(demo))],
    }
    data.update(overrides)
    return data


def create_url(demo) -> str:
    return f"{reverse('meetings:create')}?org={demo.branch.code}"


def test_the_plan_form_offers_the_default_list_ticked_in_a_collapsed_section(demo, client_for):
    page = client_for(demo.users["secretary"]).get(create_url(demo)).content.decode()

    section = page.split('id="attendees-section"', 1)[1].split("</details>", 1)[0]
    assert (
        page.split('id="attendees-section"', 1)[0]
        .rstrip()
        .endswith('<details class="mb-3 border rounded"')
    )
    assert "调整应到人员" in section
    ticked = {int(pk) for pk in re.findall(r'name="attendees" value="(\d+)"[^>]* checked', section)}
    offered = {int(pk) for pk in re.findall(r'name="attendees" value="(\d+)"', section)}
    assert ticked == offered == branch_ids(demo)
    assert f'<strong id="attendee-count">{len(ticked)}</strong>' in section
    assert 'name="attendees_kind" id="attendees-kind" value="general_meeting"' in section

    # A party group's form ticks the group and offers the rest of the branch.
    group = demo.org["FGW-B01-G1"]
    page = client_for(demo.users["secretary"]).get(f"{reverse('meetings:create')}?org={group.code}")
    section = page.content.decode().split('id="attendees-section"', 1)[1]
    ticked = {int(pk) for pk in re.findall(r'name="attendees" value="(\d+)"[^>]* checked', section)}
    offered = {int(pk) for pk in re.findall(r'name="attendees" value="(\d+)"', section)}
    assert ticked == ids(Member.objects.filter(party_group=group))
    assert offered == branch_ids(demo)


def test_the_form_left_as_ticked_plans_with_the_default(demo, client_for):
    response = client_for(demo.users["secretary"]).post(create_url(demo), plan_form(demo))
    assert response.status_code == 302
    meeting = Meeting.objects.get(topic="表单安排的会")
    assert not ExpectedAttendee.objects.filter(meeting=meeting).exists()


def test_the_form_ticked_for_another_kind_and_left_alone_plans_with_the_kinds_default(
    demo, client_for
):
    # Without the page's script, the boxes stay ticked for 党员大会 when 支委会 is chosen.
    data = plan_form(demo, kind="committee_meeting")
    response = client_for(demo.users["secretary"]).post(create_url(demo), data)
    assert response.status_code == 302
    meeting = Meeting.objects.get(topic="表单安排的会")
    assert not ExpectedAttendee.objects.filter(meeting=meeting).exists()
    assert ids(expected_attendees(meeting)) == ids(
        default_attendees(demo.branch, "committee_meeting")
    )


def test_unticking_a_member_on_the_form_stores_the_list(demo, me, client_for):
    listed = sorted(branch_ids(demo) - {me.pk})
    data = plan_form(demo, attendees=[str(pk) for pk in listed])
    response = client_for(demo.users["secretary"]).post(create_url(demo), data)
    assert response.status_code == 302
    meeting = Meeting.objects.get(topic="表单安排的会")
    assert sorted(ids(expected_attendees(meeting))) == listed


def test_a_form_posted_without_the_section_plans_with_the_default(demo, client_for):
    data = plan_form(demo)
    del data["attendees"], data["attendees_kind"]
    response = client_for(demo.users["secretary"]).post(create_url(demo), data)
    assert response.status_code == 302
    assert not ExpectedAttendee.objects.exists()


def test_unticking_everyone_is_refused_with_the_section_open(demo, client_for):
    client = client_for(demo.users["secretary"])
    seq = last_seq()
    response = client.post(create_url(demo), plan_form(demo, attendees=[]))

    assert response.status_code == 200
    page = response.content.decode()
    assert "请至少选择一名应到人员" in page
    assert '<details class="mb-3 border rounded" id="attendees-section" open>' in page
    assert not Meeting.objects.filter(topic="表单安排的会").exists()
    assert last_seq() == seq


def test_a_member_outside_the_form_is_refused(demo, client_for):
    data = plan_form(demo, attendees=[str(demo.member_in_other_dept.pk)])
    response = client_for(demo.users["secretary"]).post(create_url(demo), data)
    assert response.status_code == 200
    assert 'data-field="attendees"' in response.content.decode()
    assert not Meeting.objects.filter(topic="表单安排的会").exists()


def test_an_organization_too_large_for_checkboxes_plans_with_the_default(
    demo, client_for, monkeypatch
):
    from dangjian.meetings import views

    monkeypatch.setattr(views, "MAX_ATTENDEE_CHOICES", len(branch_ids(demo)) - 1)
    client = client_for(demo.users["secretary"])
    page = client.get(create_url(demo)).content.decode()
    assert "attendees-section" not in page and 'name="attendees"' not in page
    data = plan_form(demo)
    del data["attendees"], data["attendees_kind"]
    assert client.post(create_url(demo), data).status_code == 302
    assert not ExpectedAttendee.objects.exists()


# ---- the API -------------------------------------------------------------------------------


def api_post(user, path, payload):
    from django.test import Client

    token = create_token(Actor.system("test"), user, name="pytest")
    return Client().post(
        path, payload, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )


def test_the_api_plans_with_a_list_of_attendees(demo, me):
    listed = sorted(branch_ids(demo) - {me.pk})
    start = local(days_from_today(3)).astimezone(TZ).strftime("%Y-%m-%dT%H:%M")
    response = api_post(
        demo.users["secretary"],
        "/api/v1/meetings",
        {
            "organization": demo.branch.code,
            "kind": "支部党员大会",
            "topic": "接口安排的会",
            "starts_at": start,
            "attendees": listed,
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["attendees"] == listed
    meeting = Meeting.objects.get(pk=body["id"])
    assert sorted(ids(expected_attendees(meeting))) == listed

    default = api_post(
        demo.users["secretary"],
        "/api/v1/meetings",
        {"organization": demo.branch.code, "kind": "主题党日", "topic": "默认", "starts_at": start},
    )
    assert default.status_code == 201
    assert default.json()["attendees"] == sorted(branch_ids(demo))


def test_the_api_refuses_a_member_out_of_reach_with_a_422(demo):
    seq = last_seq()
    response = api_post(
        demo.users["secretary"],
        "/api/v1/meetings",
        {
            "organization": demo.branch.code,
            "kind": "theme_day",
            "topic": "不应保存",
            "starts_at": local(days_from_today(3)).isoformat(),
            "attendees": [demo.member_in_other_dept.pk],
        },
    )
    assert response.status_code == 422
    detail = {item["field"]: item["message"] for item in response.json()["detail"]}
    assert "不在您的管理范围内" in detail["attendees"]
    assert not Meeting.objects.filter(topic="不应保存").exists()
    assert not [e for e in events_since(seq) if e.object_type == "meetings.meeting"]


def test_a_member_reads_only_themself_among_the_attendees(demo, secretary, me):
    from django.test import Client

    meeting = plan(secretary.user, demo.branch, days=3)
    token = create_token(Actor.system("test"), demo.users["member"], name="pytest")
    response = Client().get(f"/api/v1/meetings/{meeting.pk}", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert response.json()["attendees"] == [me.pk]


# ---- query counts --------------------------------------------------------------------------


def test_the_members_page_takes_the_same_queries_with_chosen_lists(demo, secretary, me, client_for):
    member_client = client_for(demo.users["member"])
    plan(secretary.user, demo.branch, days=3)
    member_client.get(reverse("meetings:mine"))
    with CaptureQueriesContext(connection) as few:
        member_client.get(reverse("meetings:mine"))

    group = other_group_of(demo, me)
    group_members = ids(Member.objects.filter(party_group=group))
    for day in range(4, 14):
        plan(secretary.user, demo.branch, days=day, attendees=sorted(branch_ids(demo)))
        plan(
            secretary.user,
            group,
            "group_meeting",
            days=day,
            topic=f"联合学习{day}",
            attendees=sorted(group_members | {me.pk}),
        )
        plan(secretary.user, demo.branch, days=day, attendees=sorted(branch_ids(demo) - {me.pk}))
    with CaptureQueriesContext(connection) as many:
        page = member_client.get(reverse("meetings:mine")).content.decode()

    assert "联合学习13" in page
    assert len(many) == len(few)


def test_the_detail_page_names_a_chosen_list_and_not_a_default_one(
    demo, secretary, me, without_me, client_for
):
    page = client_for(demo.users["secretary"]).get(reverse("meetings:detail", args=[without_me.pk]))
    chosen = list(without_me.expected_rows.all())
    assert chosen and f"按计划所选名单 {len(chosen)} 人" in page.content.decode()
    assert me.name not in page.content.decode().split('id="chosen-attendees"')[1].split("</dd>")[0]

    default = plan(secretary.user, demo.branch, days=4, topic="默认名单")
    page = client_for(demo.users["secretary"]).get(reverse("meetings:detail", args=[default.pk]))
    assert 'id="chosen-attendees"' not in page.content.decode()
