"""Meeting services: planning defaults, the one-save record, votes and quorum, leave, series,
cancellation and attachments; every write in one transaction with its audit event."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from django.core.exceptions import PermissionDenied

from dangjian.audit.models import AuditAction, AuditEvent
from dangjian.audit.services import Actor
from dangjian.core.errors import ServiceValidationError
from dangjian.meetings import services
from dangjian.meetings.models import (
    Attachment,
    Attendance,
    AttendanceStatus,
    LeaveRequest,
    LeaveStatus,
    Meeting,
    MeetingSeries,
    MeetingStatus,
    Vote,
)
from dangjian.meetings.packs import rules_in_force
from dangjian.meetings.queries import attendance_sheet, default_attendees, expected_attendees
from dangjian.members.models import Member, MemberStatus
from dangjian.orgs.models import COMMITTEE_POSTS, Post
from dangjian.regulations.periods import TZ, cn_date
from tests.helpers import assert_audited, events_since, last_seq
from tests.meetings import days_from_today, local, plan


@pytest.fixture
def secretary(demo):
    return Actor(user=demo.users["secretary"])


@pytest.fixture
def branch_members(demo):
    return list(Member.objects.filter(organization=demo.branch).order_by("pk"))


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def ids(members) -> set[int]:
    return {m.pk for m in members}


# ---- planning ------------------------------------------------------------------------------


def test_a_branch_meeting_expects_the_members_of_the_branch(demo, branch_members):
    meeting = plan(demo.users["secretary"], demo.branch)

    assert meeting.status == MeetingStatus.PLANNED
    assert meeting.created_by == demo.users["secretary"]
    assert ids(expected_attendees(meeting)) == ids(branch_members)
    assert demo.member_in_sibling.pk not in ids(expected_attendees(meeting))


def test_a_party_group_meeting_expects_only_its_group_members(demo):
    group = demo.org["FGW-B01-G1"]
    meeting = plan(demo.users["secretary"], group, "group_meeting")

    expected = ids(expected_attendees(meeting))
    assert expected == ids(Member.objects.filter(party_group=group))
    assert expected < ids(Member.objects.filter(organization=demo.branch))


def test_a_committee_meeting_expects_the_sitting_committee(demo):
    meeting = plan(demo.users["secretary"], demo.branch, "committee_meeting")

    seats = Post.objects.filter(
        organization=demo.branch, ended_on__isnull=True, kind__in=COMMITTEE_POSTS
    ).values_list("member_id", flat=True)
    assert ids(expected_attendees(meeting)) == set(seats)
    assert len(set(seats)) == 5


def test_planning_is_audited_with_the_fields_of_the_plan(demo):
    seq = last_seq()
    meeting = plan(demo.users["secretary"], demo.branch, topic="学习党章", place="党员活动室")

    assert_audited(
        seq,
        AuditAction.CREATE,
        meeting,
        actor="secretary",
        changes={
            "topic": [None, "学习党章"],
            "place": [None, "党员活动室"],
            "status": [None, "planned"],
        },
    )


def test_a_naive_time_is_read_as_asia_shanghai_wall_clock_time(demo):
    day = days_from_today(-2)
    meeting = services.plan_meeting(
        Actor(user=demo.users["secretary"]),
        demo.branch,
        {"kind": "theme_day", "starts_at": dt.datetime.combine(day, dt.time(23, 59)), "topic": "t"},
    )
    assert meeting.starts_at == dt.datetime.combine(day, dt.time(23, 59), tzinfo=TZ)


@pytest.mark.parametrize(
    ("org_code", "data", "field", "message"),
    [
        ("FGW-B01", {"kind": "group_meeting"}, "kind", "党支部不能组织“党小组会”"),
        ("FGW-B01-G1", {"kind": "general_meeting"}, "kind", "党小组不能组织“支部党员大会”"),
        ("FGW-B01", {"kind": "座谈会"}, "kind", "会议类型不正确"),
        ("FGW-B01", {"topic": "  "}, "topic", "请填写会议主题"),
        ("FGW-B01", {"topic": "长" * 201}, "topic", "会议主题不能超过200个字"),
        ("FGW-B01", {"starts_at": ""}, "starts_at", "请填写会议时间"),
        ("FGW-B01", {"starts_at": "下周三"}, "starts_at", "会议时间格式不正确"),
    ],
)
def test_a_bad_plan_is_refused_with_a_chinese_message_and_nothing_written(
    demo, org_code, data, field, message
):
    payload = {"kind": "general_meeting", "starts_at": local(days_from_today(3)), "topic": "t"}
    payload.update(data)
    before, seq = Meeting.objects.count(), last_seq()

    with pytest.raises(ServiceValidationError) as exc:
        services.plan_meeting(Actor(user=demo.users["secretary"]), demo.org[org_code], payload)

    assert message in exc.value.errors[field]
    assert Meeting.objects.count() == before
    assert last_seq() == seq


def test_a_host_outside_the_secretarys_scope_is_refused(demo):
    with pytest.raises(ServiceValidationError) as exc:
        plan(demo.users["secretary"], demo.branch, host=demo.member_in_sibling.pk)
    assert exc.value.errors["host"] == "主持人不存在或不在您的管理范围内"


def test_a_secretary_cannot_plan_for_the_sibling_branch(demo):
    before = Meeting.objects.count()
    with pytest.raises(PermissionDenied):
        plan(demo.users["secretary"], demo.sibling_branch)
    assert Meeting.objects.count() == before


def test_only_branches_party_groups_and_organ_committees_hold_meetings(demo):
    with pytest.raises(ServiceValidationError) as exc:
        plan(None, demo.org["FGW-ZZ"], "committee_meeting")
    assert exc.value.errors["organization"] == "会议只能由党支部、党小组、机关党委或党组组织"


# ---- recording -----------------------------------------------------------------------------


def test_everyone_is_present_unless_marked_and_the_counts_follow(demo, secretary, branch_members):
    meeting = plan(secretary.user, demo.branch)
    on_leave, absent = branch_members[3], branch_members[4]

    result = services.record_meeting(
        secretary,
        meeting,
        attendance={on_leave.pk: ("on_leave", "出差"), absent.pk: ("absent", "")},
        minutes={"agenda": "学习", "content": "内容", "decisions": "决议"},
    )

    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.HELD
    assert meeting.held_on == days_from_today(-1)
    assert meeting.expected_count == len(branch_members)
    assert meeting.present_count == len(branch_members) - 2
    assert (result.expected, result.present, result.on_leave, result.absent) == (
        len(branch_members),
        len(branch_members) - 2,
        1,
        1,
    )
    rows = {a.member_id: (a.status, a.reason) for a in Attendance.objects.filter(meeting=meeting)}
    assert len(rows) == len(branch_members)
    assert rows[on_leave.pk] == ("on_leave", "出差")
    assert rows[absent.pk] == ("absent", "")
    assert {s for pk, (s, _) in rows.items() if pk not in (on_leave.pk, absent.pk)} == {"present"}
    assert (meeting.agenda, meeting.content, meeting.decisions) == ("学习", "内容", "决议")


def test_recording_leaves_one_audit_event_for_the_meeting_with_the_counts(
    demo, secretary, branch_members
):
    meeting = plan(secretary.user, demo.branch)
    # Recording reads the packs in force (the 补录 threshold); their first load in a fresh
    # database is an audit event of its own (启用规则包), not part of the record.
    rules_in_force()
    seq = last_seq()

    services.record_meeting(
        secretary, meeting, attendance={branch_members[2].pk: ("absent", "")}, minutes={}
    )

    (event,) = events_since(seq)
    assert event.action == AuditAction.UPDATE
    assert event.object_id == str(meeting.pk)
    n = len(branch_members)
    assert event.changes["expected_count"] == [0, n]
    assert event.changes["present_count"] == [0, n - 1]
    assert event.changes["status"] == ["planned", "held"]
    assert event.changes["absent"] == [[], [branch_members[2].pk]]
    assert f"应到{n}人，实到{n - 1}人，请假0人，缺席1人" in event.message


def test_saving_the_same_record_again_changes_nothing(demo, secretary, branch_members):
    meeting = plan(secretary.user, demo.branch)
    marks = {branch_members[1].pk: ("on_leave", "病假")}
    services.record_meeting(secretary, meeting, attendance=marks, minutes={"content": "内容"})
    rows_before = list(
        Attendance.objects.filter(meeting=meeting).order_by("pk").values_list("pk", "status")
    )
    seq = last_seq()

    result = services.record_meeting(
        secretary, meeting, attendance=marks, minutes={"content": "内容"}
    )

    assert result.changed is False
    assert events_since(seq) == []
    rows_after = list(
        Attendance.objects.filter(meeting=meeting).order_by("pk").values_list("pk", "status")
    )
    assert rows_after == rows_before


def test_saving_again_with_a_correction_updates_the_rows_and_the_counts(
    demo, secretary, branch_members
):
    meeting = plan(secretary.user, demo.branch)
    late = branch_members[5]
    services.record_meeting(secretary, meeting, attendance={late.pk: ("absent", "")})
    seq = last_seq()

    services.record_meeting(secretary, meeting, attendance={late.pk: ("present", "")})

    meeting.refresh_from_db()
    assert meeting.present_count == len(branch_members)
    assert Attendance.objects.get(meeting=meeting, member=late).status == "present"
    assert Attendance.objects.filter(meeting=meeting).count() == len(branch_members)
    (event,) = events_since(seq)
    assert event.changes["present_count"] == [len(branch_members) - 1, len(branch_members)]
    assert event.changes["absent"] == [[late.pk], []]


def test_a_recorded_meeting_keeps_its_attendees_when_a_member_moves_away(
    demo, secretary, branch_members
):
    meeting = plan(secretary.user, demo.branch)
    services.record_meeting(secretary, meeting, attendance={})
    mover = branch_members[7]
    Member.objects.filter(pk=mover.pk).update(organization=demo.sibling_branch)

    assert mover.pk in ids(expected_attendees(meeting))
    services.record_meeting(secretary, meeting, attendance={mover.pk: ("absent", "")})
    meeting.refresh_from_db()
    assert meeting.expected_count == len(branch_members)


def test_leave_without_a_reason_is_refused_and_nothing_is_written(demo, secretary, branch_members):
    meeting = plan(secretary.user, demo.branch)
    member = branch_members[2]
    seq = last_seq()

    with pytest.raises(ServiceValidationError) as exc:
        services.record_meeting(secretary, meeting, attendance={member.pk: ("on_leave", " ")})

    assert exc.value.errors[f"attendance.{member.pk}"] == f"{member.name}请假，请填写请假事由"
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.PLANNED
    assert not Attendance.objects.filter(meeting=meeting).exists()
    assert last_seq() == seq


def test_a_member_not_expected_or_an_unknown_status_is_refused(demo, secretary, branch_members):
    meeting = plan(secretary.user, demo.branch)
    outsider = demo.member_in_sibling
    with pytest.raises(ServiceValidationError) as exc:
        services.record_meeting(
            secretary,
            meeting,
            attendance={outsider.pk: ("absent", ""), branch_members[0].pk: ("迟到", "")},
        )
    assert "不在本次会议的应到人员中" in exc.value.errors[f"attendance.{outsider.pk}"]
    assert "出勤状态不正确" in exc.value.errors[f"attendance.{branch_members[0].pk}"]
    assert not Attendance.objects.filter(meeting=meeting).exists()


def test_a_meeting_in_the_future_cannot_be_recorded(demo, secretary):
    meeting = plan(secretary.user, demo.branch, days=2)
    with pytest.raises(ServiceValidationError) as exc:
        services.record_meeting(secretary, meeting, attendance={})
    day = cn_date(days_from_today(2))
    assert exc.value.errors == {"status": f"会议尚未开始，不能记录：本次会议自{day}14:30起可以记录"}
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.PLANNED
    # A meeting that has started may not be recorded as held on a later day either.
    started = plan(secretary.user, demo.branch, days=-1)
    with pytest.raises(ServiceValidationError) as exc:
        services.record_meeting(
            secretary, started, attendance={}, minutes={"starts_at": local(days_from_today(2))}
        )
    assert exc.value.errors["starts_at"] == "会议日期在今天之后，尚未召开，不能记录"


def test_a_meeting_at_2359_local_time_is_held_on_that_local_date(demo, secretary):
    day = days_from_today(-3)
    meeting = plan(secretary.user, demo.branch, days=-3)
    # 23:59 in Beijing is 15:59 UTC: the UTC date would be the same here, but the local
    # date is what counts, also for the next day's 00:30 (16:30 UTC the day before).
    services.record_meeting(
        secretary, meeting, attendance={}, minutes={"starts_at": local(day, 23, 59)}
    )
    meeting.refresh_from_db()
    assert meeting.held_on == day

    early = plan(secretary.user, demo.branch, days=-3)
    services.record_meeting(
        secretary, early, attendance={}, minutes={"starts_at": local(day, 0, 30)}
    )
    early.refresh_from_db()
    assert early.starts_at.astimezone(dt.UTC).date() == day - dt.timedelta(days=1)
    assert early.held_on == day


def test_minutes_alone_need_the_attendance_first(demo, secretary):
    meeting = plan(secretary.user, demo.branch)
    with pytest.raises(ServiceValidationError) as exc:
        services.record_meeting(secretary, meeting, attendance=None, minutes={"content": "x"})
    assert "请先记录出勤情况" in exc.value.errors["attendance"]


def test_a_cancelled_meeting_cannot_be_recorded(demo, secretary):
    meeting = plan(secretary.user, demo.branch)
    seq = last_seq()
    services.cancel_meeting(secretary, meeting, "改期")
    (event,) = events_since(seq)
    assert event.changes["status"] == ["planned", "cancelled"]
    assert "改期" in event.message

    with pytest.raises(ServiceValidationError) as exc:
        services.record_meeting(secretary, meeting, attendance={})
    assert exc.value.errors["status"] == "会议已取消，不能记录"


def test_the_inspector_cannot_record_a_meeting_in_their_subtree(demo):
    meeting = plan(demo.users["secretary"], demo.branch)
    with pytest.raises(PermissionDenied):
        services.record_meeting(Actor(user=demo.users["inspector"]), meeting, attendance={})
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.PLANNED


# ---- votes and quorum ----------------------------------------------------------------------


def _full(members):
    return [m for m in members if m.status == MemberStatus.FULL]


def _absent_full(branch_members, count):
    return {m.pk: ("absent", "") for m in _full(branch_members)[:count]}


def test_a_vote_is_refused_when_half_or_fewer_voting_members_are_present(
    demo, secretary, branch_members
):
    voting = len(_full(branch_members))
    present = voting // 2  # exactly half (or less, for an odd number): no quorum
    meeting = plan(secretary.user, demo.branch)
    seq = last_seq()

    with pytest.raises(ServiceValidationError) as exc:
        services.record_meeting(
            secretary,
            meeting,
            attendance=_absent_full(branch_members, voting - present),
            votes=[{"subject": "接收预备党员", "yes": present}],
        )

    message = exc.value.errors["votes"]
    assert message.startswith(
        f"支部党员大会应到有表决权的党员{voting}人，实到{present}人，未超过半数，不能进行表决"
    )
    assert "须过半数有表决权党员到会" in message
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.PLANNED
    assert not Attendance.objects.filter(meeting=meeting).exists()
    assert not Vote.objects.filter(meeting=meeting).exists()
    assert last_seq() == seq


def test_a_vote_with_one_more_than_half_present_is_recorded_and_passes_on_should_attend(
    demo, secretary, branch_members
):
    voting = len(_full(branch_members))
    present = voting // 2 + 1
    meeting = plan(secretary.user, demo.branch)
    half = voting // 2

    services.record_meeting(
        secretary,
        meeting,
        attendance=_absent_full(branch_members, voting - present),
        votes=[
            {"subject": "接收甲为预备党员", "yes": half + 1},
            {"subject": "接收乙为预备党员", "yes": half, "no": 1},
            {"subject": "", "yes": "", "no": "", "abstain": ""},  # a blank line of the form
        ],
    )

    passed, failed = Vote.objects.filter(meeting=meeting).order_by("pk")
    assert (passed.voting_members, passed.present_voting) == (voting, present)
    assert passed.quorate and passed.passed
    # The denominator is everyone entitled to attend, not those present.
    assert failed.quorate and not failed.passed


def test_votes_are_only_for_meetings_that_decide(demo, secretary):
    meeting = plan(secretary.user, demo.branch, "theme_day")
    with pytest.raises(ServiceValidationError) as exc:
        services.record_meeting(
            secretary, meeting, attendance={}, votes=[{"subject": "x", "yes": 3}]
        )
    assert exc.value.errors["votes"] == "只有支部党员大会和支部委员会会议进行表决"


def test_more_ballots_than_voting_members_present_are_refused(demo, secretary, branch_members):
    voting = len(_full(branch_members))
    meeting = plan(secretary.user, demo.branch)
    with pytest.raises(ServiceValidationError) as exc:
        services.record_meeting(
            secretary,
            meeting,
            attendance={},
            votes=[{"subject": "事项", "yes": voting, "no": 1}],
        )
    assert f"超过实到有表决权的党员{voting}人" in exc.value.errors["votes.1"]


def test_a_vote_line_without_a_subject_or_with_a_negative_count_is_refused(demo, secretary):
    meeting = plan(secretary.user, demo.branch)
    with pytest.raises(ServiceValidationError) as exc:
        services.record_meeting(
            secretary,
            meeting,
            attendance={},
            votes=[{"subject": "", "yes": "3"}, {"subject": "事项", "yes": "-1"}],
        )
    assert exc.value.errors["votes.1.subject"] == "第1项表决：请填写表决事项"
    assert exc.value.errors["votes.2.yes"] == "第2项表决的赞成票数不能为负数"


def test_a_committee_meeting_vote_needs_more_than_half_of_the_committee(demo, secretary):
    meeting = plan(secretary.user, demo.branch, "committee_meeting")
    seats = list(expected_attendees(meeting).order_by("pk"))
    absent = {m.pk: ("absent", "") for m in seats[:3]}  # 2 of 5 present
    with pytest.raises(ServiceValidationError) as exc:
        services.record_meeting(
            secretary, meeting, attendance=absent, votes=[{"subject": "确定发展对象", "yes": 2}]
        )
    assert exc.value.errors["votes"].startswith(
        "支部委员会会议应到委员5人，实到2人，未超过半数，不能进行"
    )


def test_changing_attendance_later_rechecks_the_saved_votes(demo, secretary, branch_members):
    voting = len(_full(branch_members))
    meeting = plan(secretary.user, demo.branch)
    services.record_meeting(
        secretary, meeting, attendance={}, votes=[{"subject": "事项", "yes": voting}]
    )

    with pytest.raises(ServiceValidationError) as exc:
        services.record_meeting(secretary, meeting, attendance=_absent_full(branch_members, voting))
    assert "未超过半数" in exc.value.errors["votes"]
    assert Attendance.objects.filter(meeting=meeting, status="absent").count() == 0


# ---- leave ---------------------------------------------------------------------------------


def test_the_leave_flow_from_request_to_the_prefilled_sheet(demo, secretary):
    member_user = demo.users["member"]
    meeting = plan(secretary.user, demo.branch, days=3)
    seq = last_seq()

    leave = services.request_leave(Actor(user=member_user), meeting, member_user.member, "出差")
    assert leave.status == LeaveStatus.PENDING
    (event,) = events_since(seq)
    assert (event.action, event.actor_username) == (AuditAction.CREATE, "member")

    services.decide_leave(secretary, leave, approve=True)
    leave.refresh_from_db()
    assert leave.status == LeaveStatus.APPROVED
    assert leave.decided_by == secretary.user

    row = next(r for r in attendance_sheet(meeting) if r.member.pk == member_user.member_id)
    assert (row.status, row.reason) == (AttendanceStatus.ON_LEAVE, "出差")


def test_approved_leave_is_recorded_unless_the_secretary_marks_the_member_present(demo, secretary):
    member = demo.users["member"].member
    # Today at 08:00: leave may still be asked today, and the meeting has started.
    meeting = plan(secretary.user, demo.branch, starts_at=local(days_from_today(0), 8, 0))
    leave = services.request_leave(Actor(user=demo.users["member"]), meeting, member, "病假")
    services.decide_leave(secretary, leave, approve=True)

    services.record_meeting(secretary, meeting, attendance={})
    row = Attendance.objects.get(meeting=meeting, member=member)
    assert (row.status, row.reason) == ("on_leave", "病假")

    services.record_meeting(secretary, meeting, attendance={member.pk: ("present", "")})
    row.refresh_from_db()
    assert (row.status, row.reason) == ("present", "")


def test_a_rejected_leave_may_be_asked_again_but_an_approved_one_not(demo, secretary):
    member_user = demo.users["member"]
    meeting = plan(secretary.user, demo.branch, days=3)
    actor = Actor(user=member_user)
    leave = services.request_leave(actor, meeting, member_user.member, "事假")
    services.decide_leave(secretary, leave, approve=False)

    again = services.request_leave(actor, meeting, member_user.member, "出差，已改期")
    assert (again.pk, again.status, again.reason) == (leave.pk, "pending", "出差，已改期")

    services.decide_leave(secretary, again, approve=True)
    with pytest.raises(ServiceValidationError) as exc:
        services.request_leave(actor, meeting, member_user.member, "再请一次")
    assert exc.value.errors["reason"] == "请假已批准，无需重复申请"
    with pytest.raises(ServiceValidationError) as exc:
        services.decide_leave(secretary, again, approve=False)
    assert exc.value.errors["status"] == "该请假申请已处理"


def test_leave_is_refused_without_a_reason_or_for_a_meeting_one_is_not_expected_at(demo, secretary):
    member_user = demo.users["member"]
    actor = Actor(user=member_user)
    meeting = plan(secretary.user, demo.branch, days=3)
    with pytest.raises(ServiceValidationError) as exc:
        services.request_leave(actor, meeting, member_user.member, "")
    assert exc.value.errors["reason"] == "请填写请假事由"

    other_group = demo.org["FGW-B01-G2"]
    assert member_user.member.party_group_id != other_group.pk
    group_meeting = plan(secretary.user, other_group, "group_meeting", days=3)
    with pytest.raises(ServiceValidationError) as exc:
        services.request_leave(actor, group_meeting, member_user.member, "出差")
    assert exc.value.errors["member"] == "不在本次会议的应到人员中，无需请假"

    past = plan(secretary.user, demo.branch, days=-2)
    with pytest.raises(ServiceValidationError) as exc:
        services.request_leave(actor, past, member_user.member, "出差")
    assert exc.value.errors["meeting"] == "会议日期已过，不能请假"
    assert not LeaveRequest.objects.filter(member=member_user.member).exists()


def test_a_member_asks_leave_only_for_themself_and_only_a_writer_decides(demo, secretary):
    meeting = plan(secretary.user, demo.branch, days=3)
    with pytest.raises(PermissionDenied):
        services.request_leave(
            Actor(user=demo.users["member"]), meeting, demo.member_in_branch, "代请假"
        )
    leave = services.request_leave(
        Actor(user=demo.users["member"]), meeting, demo.users["member"].member, "出差"
    )
    for persona in ("inspector", "member"):
        with pytest.raises(PermissionDenied):
            services.decide_leave(Actor(user=demo.users[persona]), leave, approve=True)
    leave.refresh_from_db()
    assert leave.status == LeaveStatus.PENDING


# ---- series --------------------------------------------------------------------------------


@pytest.fixture
def branch_without_series(demo):
    # The demo gives every branch a 主题党日 series; this branch starts without one.
    MeetingSeries.objects.filter(organization=demo.branch).update(active=False)
    return demo.branch


def test_a_series_plans_the_next_twelve_months_on_its_day(branch_without_series, secretary):
    on = dt.date(2027, 1, 20)
    series, created = services.plan_series(
        secretary,
        branch_without_series,
        {"kind": "theme_day", "day_of_month": 31, "start_time": dt.time(15, 0), "place": "活动室"},
        on=on,
    )

    days = [m.starts_at.astimezone(TZ).date() for m in created]
    assert len(days) == 12
    assert days[0] == dt.date(2027, 1, 31)
    assert days[1] == dt.date(2027, 2, 28)  # a short month: its last day
    assert days[3] == dt.date(2027, 4, 30)
    assert days[-1] == dt.date(2027, 12, 31)
    assert {m.starts_at.astimezone(TZ).time() for m in created} == {dt.time(15, 0)}
    assert {m.kind for m in created} == {"theme_day"}
    assert {m.series_id for m in created} == {series.pk}
    assert created[0].topic == "2027年1月主题党日"


def test_a_series_starts_next_month_when_this_months_day_has_passed(
    branch_without_series, secretary
):
    _, created = services.plan_series(
        secretary,
        branch_without_series,
        {"day_of_month": 10, "start_time": "09:00"},
        on=dt.date(2027, 1, 20),
    )
    days = [m.starts_at.astimezone(TZ).date() for m in created]
    assert (days[0], days[-1]) == (dt.date(2027, 2, 10), dt.date(2028, 1, 10))


def test_extending_a_series_again_is_idempotent(branch_without_series, secretary):
    on = dt.date(2027, 1, 20)
    series, created = services.plan_series(
        secretary, branch_without_series, {"day_of_month": 25, "start_time": "14:30"}, on=on
    )
    seq = last_seq()
    assert services.extend_series(secretary, series, on=on) == []
    assert events_since(seq) == []

    # A month later exactly one more month comes into the window; a cancelled meeting still
    # counts as that month's, so it is not planned again.
    created[1].status = MeetingStatus.CANCELLED
    created[1].save()
    more = services.extend_series(secretary, series, on=dt.date(2027, 2, 20))
    assert [m.starts_at.astimezone(TZ).date() for m in more] == [dt.date(2028, 1, 25)]
    assert series.meetings.count() == 13
    assert [e.object_id for e in events_since(seq)] == [str(more[0].pk)]


def test_planning_a_series_audits_the_series_and_each_meeting(branch_without_series, secretary):
    seq = last_seq()
    series, created = services.plan_series(
        secretary,
        branch_without_series,
        {"day_of_month": 5, "start_time": "14:30"},
        on=dt.date(2027, 3, 1),
    )
    events = events_since(seq)
    assert events[0].object_type == "meetings.meetingseries"
    assert events[0].changes["day_of_month"] == [None, 5]
    assert sorted(e.object_id for e in events[1:]) == sorted(str(m.pk) for m in created)


def test_a_second_active_series_of_the_same_kind_is_refused(demo, secretary):
    with pytest.raises(ServiceValidationError) as exc:
        services.plan_series(secretary, demo.branch, {"day_of_month": 5, "start_time": "14:30"})
    assert exc.value.errors["kind"] == f"{demo.branch.name}已有“主题党日”的固定计划"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"day_of_month": 0, "start_time": "14:30"}, "day_of_month", "每月几日应为1至31之间的整数"),
        (
            {"day_of_month": 32, "start_time": "14:30"},
            "day_of_month",
            "每月几日应为1至31之间的整数",
        ),
        ({"day_of_month": 5}, "start_time", "请填写开始时间"),
        ({"day_of_month": 5, "start_time": "下午"}, "start_time", "开始时间格式不正确，应为 HH:MM"),
    ],
)
def test_a_bad_series_is_refused(branch_without_series, secretary, data, field, message):
    before = Meeting.objects.count()
    with pytest.raises(ServiceValidationError) as exc:
        services.plan_series(secretary, branch_without_series, data)
    assert exc.value.errors[field] == message
    assert Meeting.objects.count() == before


# ---- attachments ---------------------------------------------------------------------------

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64


def upload(name: str, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


def zipped(*names: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "<xml/>")
    return buffer.getvalue()


DOCX = zipped("[Content_Types].xml", "word/document.xml")
XLSX = zipped("[Content_Types].xml", "xl/workbook.xml")


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("会议记录.pdf", PDF, "application/pdf"),
        ("签到表.PNG", PNG, "image/png"),
        ("现场.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 64, "image/jpeg"),
        (
            "决议.docx",
            DOCX,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("旧版记录.doc", OLE, "application/msword"),
    ],
)
def test_attachments_of_the_allowed_types_are_stored_privately_and_audited(
    demo, secretary, media, name, content, content_type
):
    meeting = plan(secretary.user, demo.branch)
    seq = last_seq()

    assert services.add_attachments(secretary, meeting, [upload(name, content)]) == 1

    attachment = Attachment.objects.get(meeting=meeting)
    assert (attachment.original_name, attachment.content_type) == (name, content_type)
    assert attachment.size == len(content)
    path = media / attachment.file.name
    assert path.read_bytes() == content
    assert name not in attachment.file.name  # stored under a random name
    (event,) = events_since(seq)
    assert (event.action, event.object_type) == (AuditAction.CREATE, "meetings.attachment")
    assert event.changes["name"] == [None, name]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("病毒.pdf", b"MZ\x90\x00" + b"\x00" * 64, "不支持的文件类型"),
        ("脚本.html", b"<html><script>alert(1)</script></html>", "不支持的文件类型"),
        ("图片.pdf", PNG, "文件内容与扩展名不符"),
        ("报表.docx", XLSX, "不支持的文件类型"),
        ("坏的.docx", b"PK\x03\x04garbage", "不支持的文件类型"),
        ("空.pdf", b"", "文件为空"),
    ],
)
def test_attachments_are_checked_by_content_not_by_name(
    demo, secretary, media, name, content, message
):
    meeting = plan(secretary.user, demo.branch)
    seq = last_seq()
    with pytest.raises(ServiceValidationError) as exc:
        services.add_attachments(secretary, meeting, [upload(name, content)])
    assert exc.value.errors["attachments"].startswith(f"{name}：{message}")
    assert not Attachment.objects.filter(meeting=meeting).exists()
    assert last_seq() == seq


def test_the_attachment_size_limit_comes_from_the_settings(demo, secretary, media, settings):
    settings.DANGJIAN_ATTACHMENT_MAX_MB = 1
    meeting = plan(secretary.user, demo.branch)
    big = PDF + b"0" * (1024 * 1024)
    with pytest.raises(ServiceValidationError) as exc:
        services.add_attachments(secretary, meeting, [upload("大文件.pdf", big)])
    assert "不能超过 1 MB" in exc.value.errors["attachments"]

    del settings.DANGJIAN_ATTACHMENT_MAX_MB
    assert services.max_attachment_bytes() == 20 * 1024 * 1024
    assert services.add_attachments(secretary, meeting, [upload("大文件.pdf", big)]) == 1


def test_a_record_with_a_bad_attachment_writes_nothing(demo, secretary, media):
    meeting = plan(secretary.user, demo.branch)
    seq = last_seq()
    with pytest.raises(ServiceValidationError):
        services.record_meeting(
            secretary,
            meeting,
            attendance={},
            files=[upload("记录.pdf", PDF), upload("木马.doc", b"MZ" + b"\x00" * 64)],
        )
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.PLANNED
    assert not Attachment.objects.filter(meeting=meeting).exists()
    assert last_seq() == seq
    assert not media.exists() or not [p for p in media.rglob("*") if p.is_file()]


def test_a_record_refused_for_its_votes_stores_no_file(demo, secretary, media, branch_members):
    meeting = plan(secretary.user, demo.branch)
    voting = len(_full(branch_members))
    with pytest.raises(ServiceValidationError):
        services.record_meeting(
            secretary,
            meeting,
            attendance=_absent_full(branch_members, voting),
            votes=[{"subject": "事项", "yes": 0}],
            files=[upload("记录.pdf", PDF)],
        )
    assert not Attachment.objects.filter(meeting=meeting).exists()
    assert not media.exists() or not [p for p in media.rglob("*") if p.is_file()]


def test_removing_an_attachment_deletes_the_file_after_commit_and_is_audited(
    demo, secretary, media, django_capture_on_commit_callbacks
):
    meeting = plan(secretary.user, demo.branch)
    services.add_attachments(secretary, meeting, [upload("会议记录.pdf", PDF)])
    attachment = Attachment.objects.get(meeting=meeting)
    path = media / attachment.file.name
    seq = last_seq()

    with django_capture_on_commit_callbacks(execute=True):
        services.remove_attachment(secretary, attachment)

    assert not path.exists()
    assert not Attachment.objects.filter(meeting=meeting).exists()
    (event,) = events_since(seq)
    assert event.action == AuditAction.DELETE
    assert event.changes["name"] == ["会议记录.pdf", None]


def test_default_attendees_of_an_organ_committee_lecture_are_its_whole_subtree(demo):
    committee = demo.organ_committee
    lecture = default_attendees(committee, "party_lecture")
    assert ids(lecture) == ids(Member.objects.filter(organization__path__startswith=committee.path))
    meeting_of_committee = default_attendees(committee, "committee_meeting")
    assert ids(meeting_of_committee) == set(
        Post.objects.filter(
            organization=committee, ended_on__isnull=True, kind__in=COMMITTEE_POSTS
        ).values_list("member_id", flat=True)
    )


def test_audit_events_name_the_actor_for_every_write(demo, secretary):
    seq = last_seq()
    meeting = plan(secretary.user, demo.branch)
    services.record_meeting(secretary, meeting, attendance={})
    services.record_meeting(secretary, meeting, attendance={}, minutes={"decisions": "通过"})
    assert {e.actor_username for e in events_since(seq)} == {"secretary"}
    assert AuditEvent.objects.filter(seq__gt=seq).count() == 3


def test_recording_takes_the_same_number_of_queries_for_any_number_of_attendees(
    demo, secretary, branch_members
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for org, kind in ((demo.org["FGW-B01-G1"], "group_meeting"), (demo.branch, "general_meeting")):
        meeting = plan(secretary.user, org, kind)
        absent = next(iter(expected_attendees(meeting)))
        with CaptureQueriesContext(connection) as queries:
            result = services.record_meeting(
                secretary, meeting, attendance={absent.pk: ("absent", "")}
            )
        counts.append((result.expected, len(queries)))
    (small, small_queries), (large, large_queries) = counts
    assert small < large == len(branch_members)
    # A 党员大会 also reads who may vote on its day from the membership history (one query).
    assert small_queries + 1 == large_queries


def test_the_member_hears_the_leave_decision_in_their_inbox(demo, secretary):
    from dangjian.meetings.inbox import NoticeKind
    from dangjian.notices.models import Notice

    member_user = demo.users["member"]
    meeting = plan(secretary.user, demo.branch, days=3)
    actor = Actor(user=member_user)
    leave = services.request_leave(actor, meeting, member_user.member, "事假")
    services.decide_leave(secretary, leave, approve=False)
    services.request_leave(actor, meeting, member_user.member, "事假，已调整")
    services.decide_leave(secretary, leave, approve=True)

    notices = list(
        Notice.objects.filter(recipient=member_user, kind=NoticeKind.LEAVE).order_by("pk")
    )
    assert [n.title.split("：")[0] for n in notices] == ["请假未批准", "请假已批准"]
    assert all(n.link == f"/meetings/{meeting.pk}/" for n in notices)


def test_a_series_named_only_by_its_kind_titles_each_month(branch_without_series, secretary):
    # Issue 18: a series whose topic is just "主题党日" gave "主题党日：主题党日" every month.
    _, created = services.plan_series(
        secretary,
        branch_without_series,
        {"kind": "theme_day", "topic": "主题党日", "day_of_month": 10, "start_time": dt.time(9)},
        on=dt.date(2027, 1, 5),
    )
    assert [m.topic for m in created[:2]] == ["2027年1月主题党日", "2027年2月主题党日"]
    assert created[0].title == "2027年1月主题党日"
    assert str(created[0]) == "2027年1月主题党日"
