"""Issue 12: QR check-in only within a window around the meeting (by default from 30 minutes
before the start to the end of the meeting's day, China time), and an approved leave of a member
who checks in after all is marked as not taken."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor
from dangjian.core.errors import ServiceValidationError
from dangjian.meetings import services
from dangjian.meetings.checkin import issue_token
from dangjian.meetings.checkin_window import checkin_window, open_minutes_before, refusal
from dangjian.meetings.models import Attendance, AttendanceStatus, LeaveRequest
from dangjian.meetings.queries import attendance_sheet
from dangjian.regulations.periods import TZ
from tests.helpers import events_since, last_seq
from tests.meetings import plan, starting_now

START = dt.datetime(2026, 5, 1, 14, 30, tzinfo=TZ)


# ---- the window (pure) ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "open_"),
    [
        (START - dt.timedelta(minutes=31), False),
        (START - dt.timedelta(minutes=30, seconds=1), False),
        (START - dt.timedelta(minutes=30), True),
        (START, True),
        (dt.datetime(2026, 5, 1, 23, 59, 59, tzinfo=TZ), True),
        (dt.datetime(2026, 5, 2, 0, 0, tzinfo=TZ), False),
        (dt.datetime(2026, 5, 2, 9, 0, tzinfo=TZ), False),
    ],
)
def test_the_window_runs_from_thirty_minutes_before_to_the_end_of_the_day(now, open_):
    assert (refusal(START, now) is None) is open_


def test_the_day_is_the_day_in_china_whatever_the_servers_zone():
    # 23:30 UTC on 30 April is 07:30 on 1 May in China: the window closes at midnight 1→2 May.
    start = dt.datetime(2026, 4, 30, 23, 30, tzinfo=dt.UTC)
    opens, closes = checkin_window(start)
    assert opens == start - dt.timedelta(minutes=30)
    assert closes == dt.datetime(2026, 5, 2, 0, 0, tzinfo=TZ)
    assert refusal(start, dt.datetime(2026, 5, 1, 15, 59, tzinfo=dt.UTC)) is None  # 23:59 CST
    assert refusal(start, dt.datetime(2026, 5, 1, 16, 0, tzinfo=dt.UTC)) is not None


def test_the_messages_say_when_check_in_opens_or_closed():
    early = refusal(START, START - dt.timedelta(hours=2))
    assert early == "签到尚未开始：本次会议自2026年5月1日14:00起可以签到"
    late = refusal(START, START + dt.timedelta(days=1))
    assert late == "签到已结束：本次会议的签到截至2026年5月1日当天24时"


def test_the_minutes_before_are_a_parameter():
    assert refusal(START, START - dt.timedelta(minutes=50), minutes_before=60) is None
    assert refusal(START, START - dt.timedelta(minutes=1), minutes_before=0) is not None


def test_a_local_pack_sets_the_minutes(db, settings, tmp_path):
    from dangjian.meetings import packs

    assert open_minutes_before() == 30
    pack = tmp_path / "local.toml"
    pack.write_text(
        '[pack]\nid = "local_checkin"\ntitle = "测试"\n\n[params]\ncheckin_open_minutes_before = 90\n',
        encoding="utf-8",
    )
    settings.DANGJIAN_RULE_PACKS = [str(pack)]
    packs.reset_cache()
    try:
        assert open_minutes_before() == 90
    finally:
        packs.reset_cache()


# ---- the service and the page --------------------------------------------------------------


def _at(moment: dt.datetime) -> float:
    return moment.timestamp()


@pytest.mark.parametrize(
    ("offset", "message"),
    [
        (dt.timedelta(minutes=-31), "签到尚未开始"),
        (dt.timedelta(days=-3), "签到尚未开始"),
        (dt.timedelta(days=1), "签到已结束"),
    ],
)
def test_a_check_in_outside_the_window_is_refused_and_writes_nothing(demo, offset, message):
    meeting = plan(demo.users["secretary"], demo.branch, starts_at=START)
    now = _at(START + offset)
    seq = last_seq()

    with pytest.raises(ServiceValidationError) as exc:
        services.check_in(
            Actor(user=demo.users["member"]), issue_token(meeting.pk, now=now), now=now
        )

    assert exc.value.errors["meeting"].startswith(message)
    assert not Attendance.objects.filter(meeting=meeting).exists()
    assert events_since(seq) == []


@pytest.mark.parametrize(
    "offset", [dt.timedelta(minutes=-30), dt.timedelta(0), dt.timedelta(hours=9, minutes=29)]
)
def test_a_check_in_inside_the_window_is_accepted(demo, offset):
    meeting = plan(demo.users["secretary"], demo.branch, starts_at=START)
    now = _at(START + offset)
    row = services.check_in(
        Actor(user=demo.users["member"]), issue_token(meeting.pk, now=now), now=now
    )
    assert row.status == AttendanceStatus.CHECKED_IN


def test_the_phone_shows_the_window_refusal(demo, client_for):
    meeting = plan(demo.users["secretary"], demo.branch, days=3)
    response = client_for(demo.users["member"]).get(
        reverse("meetings:checkin", kwargs={"token": issue_token(meeting.pk)})
    )
    assert response.status_code == 400
    assert "签到尚未开始" in response.content.decode()
    assert not Attendance.objects.filter(meeting=meeting).exists()


# ---- approved leave, then checked in -------------------------------------------------------


def _approved_leave(demo, meeting) -> LeaveRequest:
    member = demo.users["member"].member
    leave = services.request_leave(Actor(user=demo.users["member"]), meeting, member, "出差")
    return services.decide_leave(Actor(user=demo.users["secretary"]), leave, approve=True)


def test_a_member_on_approved_leave_who_checks_in_is_present_and_the_leave_not_taken(demo):
    meeting = plan(demo.users["secretary"], demo.branch, starts_at=starting_now())
    leave = _approved_leave(demo, meeting)
    member_id = demo.users["member"].member_id
    seq = last_seq()

    services.check_in(Actor(user=demo.users["member"]), issue_token(meeting.pk))

    leave.refresh_from_db()
    assert leave.status == "approved" and leave.not_taken
    leave_events = [e for e in events_since(seq) if e.changes.get("not_taken")]
    assert [(e.action, e.changes["not_taken"]) for e in leave_events] == [
        (AuditAction.UPDATE, [False, True])
    ]
    row = next(r for r in attendance_sheet(meeting) if r.member.pk == member_id)
    assert row.checked_in and row.status == AttendanceStatus.CHECKED_IN

    result = services.record_meeting(Actor(user=demo.users["secretary"]), meeting, attendance={})
    assert result.present == result.expected
    assert Attendance.objects.get(meeting=meeting, member_id=member_id).status == "checked_in"

    # Checking in again changes nothing more.
    seq = last_seq()
    services.check_in(Actor(user=demo.users["member"]), issue_token(meeting.pk))
    assert events_since(seq) == []


def test_the_secretary_sees_the_leave_was_not_taken(demo, client_for):
    meeting = plan(demo.users["secretary"], demo.branch, starts_at=starting_now())
    _approved_leave(demo, meeting)
    page = client_for(demo.users["secretary"]).get(reverse("meetings:detail", args=[meeting.pk]))
    assert "请假未使用" not in page.content.decode()

    services.check_in(Actor(user=demo.users["member"]), issue_token(meeting.pk))

    page = client_for(demo.users["secretary"]).get(reverse("meetings:detail", args=[meeting.pk]))
    assert "已签到 · 请假未使用" in page.content.decode()


def test_a_refused_or_pending_leave_is_left_alone(demo):
    meeting = plan(demo.users["secretary"], demo.branch, starts_at=starting_now())
    member = demo.users["member"].member
    leave = services.request_leave(Actor(user=demo.users["member"]), meeting, member, "出差")

    services.check_in(Actor(user=demo.users["member"]), issue_token(meeting.pk))

    leave.refresh_from_db()
    assert leave.status == "pending" and not leave.not_taken
