"""Meeting endpoints: list, detail, plan, record attendance, record minutes (with votes).

The same access rules as the pages: a meeting outside the user's scope is a 404, a write the
user may not make is a 403, and invalid input is a 422 with one Chinese message per field.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from ninja import Query, Router, Schema
from ninja.responses import Status

from dangjian.accounts.access import Action, get_org_for_user, scope_for
from dangjian.audit.services import Actor
from dangjian.core.errors import ServiceValidationError
from dangjian.core.pagination import page_of
from dangjian.meetings import backfill, services
from dangjian.meetings.models import Attendance, Meeting, MeetingKind, MeetingStatus
from dangjian.meetings.queries import (
    MeetingFilter,
    can_read_records,
    expected_attendees,
    get_meeting_for_user,
    meeting_list,
    own_member,
)
from dangjian.regulations.periods import TZ

router = Router(tags=["组织生活"])


class MeetingOut(Schema):
    id: int
    organization_id: int
    organization_code: str
    organization_name: str
    kind: str
    kind_label: str
    topic: str
    starts_at: dt.datetime
    held_on: dt.date | None
    place: str
    status: str
    host_id: int | None
    recorder_id: int | None
    invited: str
    expected_count: int
    present_count: int
    series_id: int | None
    # 补录: recorded more than the pack's `backfill_after_days` after the meeting's day.
    backfilled: bool
    # Whether 记录会议 is open: from the meeting's start (China time) unless cancelled.
    recordable: bool

    @staticmethod
    def resolve_recordable(obj) -> bool:
        return backfill.recordable(obj)

    @staticmethod
    def resolve_organization_code(obj) -> str:
        return obj.organization.code

    @staticmethod
    def resolve_organization_name(obj) -> str:
        return obj.organization.name

    @staticmethod
    def resolve_kind_label(obj) -> str:
        return obj.get_kind_display()

    @staticmethod
    def resolve_starts_at(obj) -> dt.datetime:
        return timezone.localtime(obj.starts_at, TZ)


class AttendanceOut(Schema):
    member_id: int
    member_name: str
    status: str
    reason: str


class VoteOut(Schema):
    subject: str
    voting_members: int
    present_voting: int
    yes: int
    no: int
    abstain: int
    quorate: bool
    passed: bool


class MeetingDetailOut(MeetingOut):
    agenda: str
    content: str
    decisions: str
    recorded_on: dt.date | None
    backfill_reason: str
    # 应到人员 (member ids): before the record the planned list (the default one unless the
    # planner chose), after it the recorded attendees; a member sees only themselves.
    attendees: list[int]
    attendance: list[AttendanceOut]
    votes: list[VoteOut]

    # Filled in by `_detail`, which knows who is asking.
    @staticmethod
    def resolve_attendees(obj) -> list[int]:
        return obj.attendees_out

    @staticmethod
    def resolve_attendance(obj) -> list[dict]:
        return obj.attendance_out

    @staticmethod
    def resolve_votes(obj) -> list[dict]:
        return obj.votes_out


class MeetingPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[MeetingOut]


class MeetingQuery(Schema):
    org: str | None = None
    kind: str | None = None
    year: int | None = None
    status: str | None = None
    page: int = 1


class MeetingCreateIn(Schema):
    organization: str
    kind: str | None = None
    topic: str | None = None
    starts_at: str | None = None  # "2026-11-20T14:30" (Asia/Shanghai) or with an offset
    place: str | None = None
    host_id: int | None = None
    invited: str | None = None
    # Who is expected (member ids), when not the organization's default list; omit for the default.
    attendees: list[int] | None = None
    # True to plan a second meeting of the same kind for the organization on the same day.
    confirm_duplicate: bool = False


class AttendanceExceptionIn(Schema):
    member_id: int
    status: str  # on_leave (请假, reason required), absent (缺席), or present
    reason: str = ""


class AttendanceIn(Schema):
    exceptions: list[AttendanceExceptionIn] = []
    starts_at: str | None = None
    # Required when the record is a 补录 (more than `backfill_after_days` after the meeting).
    backfill_reason: str | None = None


class VoteIn(Schema):
    subject: str
    yes: int
    no: int = 0
    abstain: int = 0


class MinutesIn(Schema):
    host_id: int | None = None
    recorder_id: int | None = None
    agenda: str | None = None
    content: str | None = None
    decisions: str | None = None
    backfill_reason: str | None = None
    votes: list[VoteIn] | None = None


def _detail(request, meeting: Meeting) -> Meeting:
    """The meeting with its detail lists: everyone's attendance for readers of the
    organization, only one's own row for a member."""
    meeting = Meeting.objects.select_related("organization").get(pk=meeting.pk)
    rows = Attendance.objects.filter(meeting=meeting).select_related("member")
    expected = expected_attendees(meeting)
    if not can_read_records(request.user, meeting):
        member = own_member(request.user)
        rows = rows.filter(member_id=member.pk if member else None)
        expected = expected.filter(pk=member.pk if member else None)
    meeting.attendees_out = list(expected.order_by("pk").values_list("pk", flat=True))
    meeting.attendance_out = [
        {
            "member_id": a.member_id,
            "member_name": a.member.name,
            "status": a.status,
            "reason": a.reason,
        }
        for a in rows.order_by("member__name_pinyin", "pk")
    ]
    meeting.votes_out = [
        {
            "subject": v.subject,
            "voting_members": v.voting_members,
            "present_voting": v.present_voting,
            "yes": v.yes,
            "no": v.no,
            "abstain": v.abstain,
            "quorate": v.quorate,
            "passed": v.passed,
        }
        for v in meeting.votes.order_by("pk")
    ]
    return meeting


def _choice(value: str | None, choices, field: str, label: str) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    by_label = {text: code for code, text in choices.choices}
    value = by_label.get(value, value)
    if value not in choices.values:
        raise ServiceValidationError({field: f"{label}不正确，可选：{'、'.join(choices.values)}"})
    return value


@router.get("", response=MeetingPage, summary="会议列表（可按组织、类型、年份、状态筛选）")
def list_meetings(request, filters: Query[MeetingQuery]):
    scope = scope_for(request.user)
    if not scope.paths.get(Action.READ) and not scope.own_member_id:
        raise PermissionDenied("您没有查看组织生活的权限")
    org = (
        get_org_for_user(request.user, filters.org.strip().upper(), field_name="code")
        if filters.org
        else None
    )
    if filters.year is not None and not 2000 <= filters.year <= 2100:
        raise ServiceValidationError({"year": "年份应在2000至2100之间"})
    flt = MeetingFilter(
        org=org,
        kind=_choice(filters.kind, MeetingKind, "kind", "会议类型"),
        status=_choice(filters.status, MeetingStatus, "status", "会议状态"),
        year=filters.year,
    )
    qs = meeting_list(request.user, flt)
    return page_of(qs, filters.page, settings.PAGE_SIZE)


@router.get("/{meeting_id}", response=MeetingDetailOut, summary="会议详情（含出勤和表决）")
def get_meeting(request, meeting_id: int):
    return _detail(request, get_meeting_for_user(request.user, meeting_id))


@router.post(
    "",
    response={201: MeetingDetailOut},
    summary="安排会议（应到人员默认为本组织党员，可用 attendees 指定党员编号列表）",
)
def create_meeting(request, payload: MeetingCreateIn):
    org = get_org_for_user(
        request.user, payload.organization.strip().upper(), Action.WRITE, field_name="code"
    )
    data = payload.dict(exclude={"organization", "host_id"})
    data["host"] = payload.host_id
    meeting = services.plan_meeting(Actor.from_request(request), org, data)
    return Status(201, _detail(request, meeting))


@router.post(
    "/{meeting_id}/attendance",
    response=MeetingDetailOut,
    summary="记录出勤：只列出请假、缺席的人，其余应到人员按出席记录",
)
def record_attendance(request, meeting_id: int, payload: AttendanceIn):
    meeting = get_meeting_for_user(request.user, meeting_id, Action.WRITE)
    marks: dict[int, tuple[str, str]] = {}
    for item in payload.exceptions:
        if item.member_id in marks:
            raise ServiceValidationError(
                {f"attendance.{item.member_id}": f"编号为 {item.member_id} 的党员重复出现"}
            )
        marks[item.member_id] = (item.status, item.reason)
    minutes: dict[str, str] = {"starts_at": payload.starts_at} if payload.starts_at else {}
    if payload.backfill_reason is not None:
        minutes["backfill_reason"] = payload.backfill_reason
    services.record_meeting(Actor.from_request(request), meeting, attendance=marks, minutes=minutes)
    return _detail(request, meeting)


@router.post(
    "/{meeting_id}/minutes",
    response=MeetingDetailOut,
    summary="记录会议记录（主持人、记录人、议题、内容、决议）和表决；须先记录出勤",
)
def record_minutes(request, meeting_id: int, payload: MinutesIn):
    meeting = get_meeting_for_user(request.user, meeting_id, Action.WRITE)
    given = payload.dict(exclude_unset=True)
    minutes = {
        key: given[key]
        for key in ("agenda", "content", "decisions", "backfill_reason")
        if key in given
    }
    if "host_id" in given:
        minutes["host"] = given["host_id"]
    if "recorder_id" in given:
        minutes["recorder"] = given["recorder_id"]
    votes = None if payload.votes is None else [v.dict() for v in payload.votes]
    services.record_meeting(
        Actor.from_request(request), meeting, attendance=None, minutes=minutes, votes=votes
    )
    return _detail(request, meeting)
