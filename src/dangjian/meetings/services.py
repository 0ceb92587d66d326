"""Every write to organizational life: plans, series, records, leave, attachments, check-in.

Each function checks the actor's scope, validates everything first (one Chinese message per
field), then writes in one transaction with its audit event; a refused write leaves nothing.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from dangjian.accounts.access import can_write_into, visible_members
from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor, PendingEvent, diff, record, record_many
from dangjian.core import inputs, uploads
from dangjian.core.clock import today
from dangjian.core.errors import ServiceValidationError
from dangjian.core.uploads import CheckedFile
from dangjian.meetings import checkin
from dangjian.meetings.models import (
    ATTENDED,
    DECIDING_KINDS,
    Attachment,
    Attendance,
    AttendanceStatus,
    ExpectedAttendee,
    LeaveRequest,
    LeaveStatus,
    Meeting,
    MeetingKind,
    MeetingSeries,
    MeetingStatus,
    Vote,
)
from dangjian.meetings.queries import (
    MEETING_ORG_KINDS,
    default_attendees,
    expected_attendees,
    is_expected,
)
from dangjian.members.models import Member, MemberStatus
from dangjian.orgs.models import Organization
from dangjian.regulations.dates import add_months
from dangjian.regulations.meetings import check_quorum, quorum_violation
from dangjian.regulations.periods import TZ, local_date

TEXT_LIMIT = 20_000
SERIES_MONTHS = 12


def _long(value: Any, field: str, label: str, errors: dict[str, str]) -> str:
    return inputs.long_text(value, field, label, TEXT_LIMIT, errors)


def _kind(value: Any, org: Organization, errors: dict[str, str]) -> str:
    raw = inputs.text(value)
    by_label = {label: code for code, label in MeetingKind.choices}
    kind = by_label.get(raw, raw)
    if not kind:
        errors["kind"] = "请选择会议类型"
    elif kind not in MeetingKind.values:
        errors["kind"] = f"会议类型不正确，可选：{'、'.join(MeetingKind.labels)}"
    elif kind not in MEETING_ORG_KINDS.get(org.kind, ()):
        errors["kind"] = f"{org.get_kind_display()}不能组织“{MeetingKind(kind).label}”"
    return kind


def _aware(value: Any, field: str, errors: dict[str, str]) -> dt.datetime | None:
    """A datetime in Asia/Shanghai; naive values are read as Asia/Shanghai wall-clock time."""
    if value in (None, ""):
        errors[field] = "请填写会议时间"
        return None
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            errors[field] = "会议时间格式不正确，应为 YYYY-MM-DD HH:MM"
            return None
    if not isinstance(value, dt.datetime):
        errors[field] = "会议时间格式不正确，应为 YYYY-MM-DD HH:MM"
        return None
    latest = inputs.years_after(today(), inputs.PLAN_YEARS_AHEAD)
    if not inputs.date_within(
        value, field, "会议时间", errors, earliest=inputs.EARLIEST_RECORD, latest=latest
    ):
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        value = value.replace(tzinfo=TZ)
    return value.replace(second=0, microsecond=0)


def _member(actor: Actor, value: Any, field: str, label: str, errors: dict[str, str]):
    """A member the actor may see, by id (or the Member itself); None when left empty."""
    if value in (None, ""):
        return None
    pk = value.pk if isinstance(value, Member) else value
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        errors[field] = f"{label}不正确"
        return None
    qs = visible_members(actor.user) if actor.user is not None else Member.objects.all()
    found = qs.filter(pk=pk).first()
    if found is None:
        errors[field] = f"{label}不存在或不在您的管理范围内"
    return found


# ---- planning ------------------------------------------------------------------------------


def _check_org(actor: Actor, org: Organization) -> None:
    if org.kind not in MEETING_ORG_KINDS:
        raise ServiceValidationError({"organization": "会议只能由党支部、党小组或机关党委组织"})
    inputs.require_write(actor, org)


MAX_ATTENDEES = 10_000


def _attendees(
    actor: Actor, organization: Organization, kind: str, value: Any, errors: dict[str, str]
) -> list[int] | None:
    """The planner's list of expected attendees (member ids), or None for the default list.

    Each member must be one the actor may see (the organization's own members, or members
    invited from elsewhere in the actor's scope), or one the default list expects anyway. A list
    equal to the default is the default: nothing is stored, so the plan keeps following the
    organization (a member who joins before the day is expected).
    """
    if value is None:
        return None
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        errors["attendees"] = "应到人员应为党员编号的列表"
        return None
    ids: set[int] = set()
    bad: list[str] = []
    for item in value:
        pk = item.pk if isinstance(item, Member) else item
        if isinstance(pk, bool) or (isinstance(pk, float) and not pk.is_integer()):
            bad.append(str(pk))
            continue
        try:
            ids.add(int(pk))
        except (TypeError, ValueError):
            bad.append(str(pk))
    if bad:
        errors["attendees"] = f"应到人员的党员编号不正确：{'、'.join(bad[:10])}"
        return None
    if not ids:
        errors["attendees"] = "请至少选择一名应到人员"
        return None
    if len(ids) > MAX_ATTENDEES:
        errors["attendees"] = f"应到人员不能超过{MAX_ATTENDEES}人"
        return None
    if "kind" in errors:
        return None
    default = default_attendees(organization, kind)
    if actor.user is None:
        allowed = Member.objects.all()
    else:
        allowed = Member.objects.filter(
            Q(pk__in=default.values("pk")) | Q(pk__in=visible_members(actor.user).values("pk"))
        )
    found: set[int] = set()
    ordered = sorted(ids)
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        found.update(allowed.filter(pk__in=chunk).values_list("pk", flat=True))
    missing = [str(pk) for pk in ordered if pk not in found]
    if missing:
        more = f"等{len(missing)}人" if len(missing) > 10 else ""
        errors["attendees"] = (
            f"编号为 {'、'.join(missing[:10])}{more} 的党员不存在或不在您的管理范围内"
        )
        return None
    if ids == set(default.values_list("pk", flat=True)):
        return None
    return ordered


@transaction.atomic
def plan_meeting(actor: Actor, organization: Organization, data: Mapping[str, Any]) -> Meeting:
    """A planned meeting: kind, starts_at, topic; optional place, host (member id), invited, and
    attendees (member ids: who is expected, when not the organization's default list)."""
    _check_org(actor, organization)
    errors: dict[str, str] = {}
    kind = _kind(data.get("kind"), organization, errors)
    starts_at = _aware(data.get("starts_at"), "starts_at", errors)
    topic = inputs.short_text(data.get("topic"), "topic", "会议主题", 200, errors)
    if not topic and "topic" not in errors:
        errors["topic"] = "请填写会议主题"
    place = inputs.short_text(data.get("place"), "place", "地点", 200, errors)
    invited = inputs.short_text(data.get("invited"), "invited", "列席、邀请人员", 500, errors)
    host = _member(actor, data.get("host"), "host", "主持人", errors)
    attendees = _attendees(actor, organization, kind, data.get("attendees"), errors)
    if errors:
        raise ServiceValidationError(errors)
    meeting = Meeting.objects.create(
        organization=organization,
        kind=kind,
        topic=topic,
        starts_at=starts_at,
        place=place,
        host=host,
        invited=invited,
        created_by=actor.user,
    )
    fields = meeting.audit_fields()
    message = ""
    if attendees is not None:
        ExpectedAttendee.objects.bulk_create(
            (ExpectedAttendee(meeting=meeting, member_id=pk) for pk in attendees), batch_size=500
        )
        fields["attendees"] = attendees
        message = f"应到人员按所选名单：{len(attendees)}人"
    record(actor, AuditAction.CREATE, meeting, changes=diff(None, fields), message=message)
    return meeting


@transaction.atomic
def cancel_meeting(actor: Actor, meeting: Meeting, reason: str = "") -> Meeting:
    inputs.require_write(actor, meeting.organization)
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if meeting.status != MeetingStatus.PLANNED:
        raise ServiceValidationError({"status": "只有计划中的会议可以取消"})
    before = meeting.audit_fields()
    meeting.status = MeetingStatus.CANCELLED
    meeting.save(update_fields=["status", "updated_at"])
    record(
        actor,
        AuditAction.UPDATE,
        meeting,
        changes=diff(before, meeting.audit_fields()),
        message=f"取消会议{('：' + reason.strip()) if reason.strip() else ''}"[:500],
    )
    return meeting


def _series_date(year: int, month: int, day: int) -> dt.date:
    """The series' day in a month, or the month's last day when it is shorter (31 → 30 April)."""
    return dt.date(year, month, min(day, calendar.monthrange(year, month)[1]))


@transaction.atomic
def plan_series(
    actor: Actor,
    organization: Organization,
    data: Mapping[str, Any],
    *,
    on: dt.date | None = None,
) -> tuple[MeetingSeries, list[Meeting]]:
    """A fixed day each month (主题党日 by default), with its meetings for the next 12 months."""
    _check_org(actor, organization)
    errors: dict[str, str] = {}
    kind = _kind(data.get("kind") or MeetingKind.THEME_DAY, organization, errors)
    try:
        day = int(data.get("day_of_month") or 0)
    except (TypeError, ValueError):
        day = 0
    if not 1 <= day <= 31:
        errors["day_of_month"] = "每月几日应为1至31之间的整数"
    start_time = data.get("start_time")
    if isinstance(start_time, str) and start_time.strip():
        try:
            start_time = dt.time.fromisoformat(start_time.strip())
        except ValueError:
            start_time = None
            errors["start_time"] = "开始时间格式不正确，应为 HH:MM"
    if not isinstance(start_time, dt.time) and "start_time" not in errors:
        errors["start_time"] = "请填写开始时间"
    topic = inputs.short_text(data.get("topic"), "topic", "主题", 200, errors)
    place = inputs.short_text(data.get("place"), "place", "地点", 200, errors)
    if (
        not errors
        and MeetingSeries.objects.filter(organization=organization, kind=kind, active=True).exists()
    ):
        errors["kind"] = f"{organization.name}已有“{MeetingKind(kind).label}”的固定计划"
    if errors:
        raise ServiceValidationError(errors)
    series = MeetingSeries.objects.create(
        organization=organization,
        kind=kind,
        topic=topic,
        day_of_month=day,
        start_time=start_time.replace(second=0, microsecond=0),
        place=place,
    )
    record(
        actor,
        AuditAction.CREATE,
        series,
        changes=diff(
            None,
            {
                "organization": organization.pk,
                "kind": kind,
                "topic": topic,
                "day_of_month": day,
                "start_time": series.start_time.isoformat(),
                "place": place,
            },
        ),
    )
    return series, extend_series(actor, series, on=on)


@transaction.atomic
def extend_series(
    actor: Actor, series: MeetingSeries, *, on: dt.date | None = None
) -> list[Meeting]:
    """Plan the series' meetings for the next 12 months; months that already have one of the
    series' meetings (planned, held or cancelled) are left alone, so running it again is safe."""
    inputs.require_write(actor, series.organization)
    series = MeetingSeries.objects.select_for_update().get(pk=series.pk)
    if not series.active:
        raise ServiceValidationError({"series": "该固定计划已停用"})
    on = on or today()
    first = _series_date(on.year, on.month, series.day_of_month)
    start_month = dt.date(on.year, on.month, 1)
    if first < on:
        start_month = add_months(start_month, 1)
    months = [add_months(start_month, i) for i in range(SERIES_MONTHS)]
    taken = {
        (d.year, d.month)
        for d in (local_date(s) for s in series.meetings.values_list("starts_at", flat=True))
    }
    created: list[Meeting] = []
    label = MeetingKind(series.kind).label
    for month in months:
        if (month.year, month.month) in taken:
            continue
        day = _series_date(month.year, month.month, series.day_of_month)
        created.append(
            Meeting.objects.create(
                organization=series.organization,
                kind=series.kind,
                topic=series.topic or f"{month.year}年{month.month}月{label}",
                starts_at=dt.datetime.combine(day, series.start_time, tzinfo=TZ),
                place=series.place,
                series=series,
                created_by=actor.user,
            )
        )
    record_many(
        actor,
        [
            PendingEvent(
                action=AuditAction.CREATE,
                object_type="meetings.meeting",
                object_id=str(m.pk),
                object_repr=str(m),
                changes=diff(None, m.audit_fields()),
                message=f"按固定计划生成（每月{series.day_of_month}日）",
            )
            for m in created
        ],
    )
    return created


# ---- attachments ---------------------------------------------------------------------------


def max_attachment_bytes() -> int:
    return uploads.ATTACHMENTS.max_bytes()


def check_attachments(files: Iterable[Any]) -> list[CheckedFile]:
    """Type (by content) and size of each upload; ServiceValidationError names the file."""
    return uploads.check_many(files, uploads.ATTACHMENTS, "attachments")


def _store(actor: Actor, meeting: Meeting, files: list[CheckedFile], stored: list[str]) -> None:
    for item in files:
        attachment = Attachment(
            meeting=meeting,
            original_name=item.original_name,
            content_type=item.content_type,
            size=item.size,
            uploaded_by=actor.user,
        )
        stored.append(uploads.save_to(attachment.file, item))
        attachment.save()
        record(
            actor,
            AuditAction.CREATE,
            attachment,
            changes=diff(
                None,
                {
                    "meeting": meeting.pk,
                    "name": item.original_name,
                    "content_type": item.content_type,
                    "size": item.size,
                },
            ),
            message=f"上传会议附件（{meeting}）"[:500],
        )


def _with_file_cleanup(work):
    """Run `work(stored)` in a transaction; files it stored are removed if it fails."""
    storage = Attachment._meta.get_field("file").storage
    with uploads.removing_on_failure(storage) as stored, transaction.atomic():
        return work(stored)


def add_attachments(actor: Actor, meeting: Meeting, uploads: Sequence[Any]) -> int:
    inputs.require_write(actor, meeting.organization)
    files = check_attachments(uploads)
    if not files:
        raise ServiceValidationError({"attachments": "请选择要上传的文件"})
    if meeting.status == MeetingStatus.CANCELLED:
        raise ServiceValidationError({"attachments": "会议已取消，不能上传附件"})
    _with_file_cleanup(lambda stored: _store(actor, meeting, files, stored))
    return len(files)


@transaction.atomic
def remove_attachment(actor: Actor, attachment: Attachment) -> None:
    meeting = attachment.meeting
    inputs.require_write(actor, meeting.organization)
    name = attachment.file.name
    storage = attachment.file.storage
    record(
        actor,
        AuditAction.DELETE,
        attachment,
        changes=diff(
            {
                "meeting": meeting.pk,
                "name": attachment.original_name,
                "content_type": attachment.content_type,
                "size": attachment.size,
            },
            None,
        ),
        message=f"删除会议附件（{meeting}）"[:500],
    )
    attachment.delete()
    transaction.on_commit(lambda: storage.delete(name))


# ---- recording -----------------------------------------------------------------------------

MARKABLE = {
    AttendanceStatus.PRESENT: "出席",
    AttendanceStatus.ON_LEAVE: "请假",
    AttendanceStatus.ABSENT: "缺席",
}


@dataclass(frozen=True)
class VoteInput:
    subject: str
    yes: int
    no: int = 0
    abstain: int = 0


@dataclass(frozen=True)
class RecordResult:
    meeting: Meeting
    expected: int
    present: int
    on_leave: int
    absent: int
    changed: bool


def _meeting_fields(meeting: Meeting) -> dict[str, Any]:
    # The time in UTC: the database hands it back in UTC, a form in Asia/Shanghai, and the
    # same instant must compare equal (or every save would look like a change).
    return {
        **meeting.audit_fields(),
        "starts_at": meeting.starts_at.astimezone(dt.UTC),
        "held_on": meeting.held_on,
        "content": meeting.content,
    }


def _state(meeting: Meeting) -> dict[str, Any]:
    """What an audit event of a record shows before and after (counts included)."""
    rows = list(Attendance.objects.filter(meeting=meeting).values_list("member_id", "status"))
    votes = [
        [v.subject, v.voting_members, v.present_voting, v.yes, v.no, v.abstain]
        for v in Vote.objects.filter(meeting=meeting).order_by("pk")
    ]
    return {
        **_meeting_fields(meeting),
        "on_leave": sorted(m for m, s in rows if s == AttendanceStatus.ON_LEAVE),
        "absent": sorted(m for m, s in rows if s == AttendanceStatus.ABSENT),
        "checked_in": sorted(m for m, s in rows if s == AttendanceStatus.CHECKED_IN),
        "votes": votes,
    }


def _int(value: Any, field: str, label: str, errors: dict[str, str]) -> int:
    if value in (None, ""):
        return 0
    try:
        number = int(value)
    except (TypeError, ValueError):
        errors[field] = f"{label}应为整数"
        return 0
    if number < 0:
        errors[field] = f"{label}不能为负数"
    return number


def parse_votes(items: Iterable[Mapping[str, Any] | VoteInput]) -> list[VoteInput]:
    """Votes from form rows or API objects; rows without a subject and without numbers are
    blank lines of the form and are skipped."""
    errors: dict[str, str] = {}
    votes: list[VoteInput] = []
    for index, item in enumerate(items, start=1):
        if isinstance(item, VoteInput):
            votes.append(item)
            continue
        subject = " ".join(inputs.text(item.get("subject")).split())
        numbers = [item.get(k) for k in ("yes", "no", "abstain")]
        if not subject and all(n in (None, "") for n in numbers):
            continue
        field = f"votes.{index}"
        if not subject:
            errors[f"{field}.subject"] = f"第{index}项表决：请填写表决事项"
        elif len(subject) > 200:
            errors[f"{field}.subject"] = f"第{index}项表决：表决事项不能超过200个字"
        yes = _int(item.get("yes"), f"{field}.yes", f"第{index}项表决的赞成票数", errors)
        no = _int(item.get("no"), f"{field}.no", f"第{index}项表决的反对票数", errors)
        abstain = _int(
            item.get("abstain"), f"{field}.abstain", f"第{index}项表决的弃权票数", errors
        )
        votes.append(VoteInput(subject, yes, no, abstain))
    if errors:
        raise ServiceValidationError(errors)
    return votes


def record_meeting(
    actor: Actor,
    meeting: Meeting,
    *,
    attendance: Mapping[int, tuple[str, str]] | None = None,
    minutes: Mapping[str, Any] | None = None,
    votes: Sequence[Mapping[str, Any] | VoteInput] | None = None,
    files: Sequence[Any] = (),
) -> RecordResult:
    """Record a meeting as held, in one transaction with one audit event for the meeting.

    `attendance` maps member ids to (status, reason) for the rows the caller states; everyone
    else expected is 出席 (签到 if they checked in by QR code, 请假 if their leave was approved,
    or as already recorded). None keeps the saved attendance (the meeting must be recorded).
    `minutes` may give starts_at, host, recorder, agenda, content and decisions; missing keys
    keep their values. `votes` replaces the meeting's votes (None keeps and rechecks them).
    Saving the same record again changes nothing and writes no event.
    """
    inputs.require_write(actor, meeting.organization)
    checked_files = check_attachments(files) if files else []

    def work(stored: list[str]) -> RecordResult:
        result = _record(actor, meeting, attendance, minutes, votes)
        if checked_files:
            _store(actor, result.meeting, checked_files, stored)
        return result

    return _with_file_cleanup(work)


def _record(
    actor: Actor,
    meeting: Meeting,
    attendance: Mapping[int, tuple[str, str]] | None,
    minutes: Mapping[str, Any] | None,
    votes: Sequence[Mapping[str, Any] | VoteInput] | None,
) -> RecordResult:
    meeting = Meeting.objects.select_for_update().select_related("organization").get(pk=meeting.pk)
    if meeting.status == MeetingStatus.CANCELLED:
        raise ServiceValidationError({"status": "会议已取消，不能记录"})
    if attendance is None and meeting.status != MeetingStatus.HELD:
        raise ServiceValidationError(
            {"attendance": "请先记录出勤情况（应到人员的出席、请假、缺席）"}
        )
    before = _state(meeting)
    errors: dict[str, str] = {}
    minutes = minutes or {}

    starts_at = meeting.starts_at
    if minutes.get("starts_at") not in (None, ""):
        starts_at = _aware(minutes["starts_at"], "starts_at", errors) or starts_at
    if "starts_at" not in errors and local_date(starts_at) > today():
        errors["starts_at"] = "会议日期在今天之后，尚未召开，不能记录"
    host = meeting.host
    if "host" in minutes:
        host = _member(actor, minutes["host"], "host", "主持人", errors)
    recorder = meeting.recorder
    if "recorder" in minutes:
        recorder = _member(actor, minutes["recorder"], "recorder", "记录人", errors)
    texts = {
        key: _long(minutes[key], key, label, errors) if key in minutes else getattr(meeting, key)
        for key, label in (("agenda", "议题"), ("content", "内容"), ("decisions", "决议"))
    }

    # Attendance: the expected list, and for each member the status the record will hold.
    members = {m.pk: m for m in expected_attendees(meeting)}
    saved = {a.member_id: a for a in Attendance.objects.filter(meeting=meeting)}
    approved = dict(
        LeaveRequest.objects.filter(meeting=meeting, status=LeaveStatus.APPROVED).values_list(
            "member_id", "reason"
        )
    )
    desired: dict[int, tuple[str, str]] = {}
    given = dict(attendance or {})
    for key in given:
        if not isinstance(key, int) or key not in members:
            errors[f"attendance.{key}"] = f"编号为 {key} 的党员不在本次会议的应到人员中"
    for pk, member in members.items():
        row = saved.get(pk)
        if pk in given:
            status, reason = given[pk]
            status = inputs.text(status)
            reason = " ".join(inputs.text(reason).split())
            if status not in MARKABLE:
                errors[f"attendance.{pk}"] = (
                    f"{member.name}的出勤状态不正确，可选：{'、'.join(MARKABLE.values())}"
                )
                continue
            if len(reason) > 200:
                errors[f"attendance.{pk}"] = f"{member.name}的原因不能超过200个字"
            if status == AttendanceStatus.ON_LEAVE and not reason:
                errors[f"attendance.{pk}"] = f"{member.name}请假，请填写请假事由"
            if status == AttendanceStatus.PRESENT:
                reason = ""
                if row is not None and row.status == AttendanceStatus.CHECKED_IN:
                    status = AttendanceStatus.CHECKED_IN
            desired[pk] = (status, reason)
        elif row is not None and (
            meeting.status == MeetingStatus.HELD or row.status == AttendanceStatus.CHECKED_IN
        ):
            desired[pk] = (row.status, row.reason)
        elif pk in approved:
            desired[pk] = (AttendanceStatus.ON_LEAVE, approved[pk])
        else:
            desired[pk] = (AttendanceStatus.PRESENT, "")

    attended = {pk for pk, (status, _) in desired.items() if status in ATTENDED}
    voting = [pk for pk, m in members.items() if m.status == MemberStatus.FULL]
    present_voting = sum(1 for pk in voting if pk in attended)
    vote_inputs: list[VoteInput] = []
    if votes is None:
        vote_inputs = [
            VoteInput(v.subject, v.yes, v.no, v.abstain)
            for v in Vote.objects.filter(meeting=meeting).order_by("pk")
        ]
    else:
        try:
            vote_inputs = parse_votes(votes)
        except ServiceValidationError as exc:
            errors.update(exc.errors)
    if vote_inputs and meeting.kind not in DECIDING_KINDS:
        errors["votes"] = "只有支部党员大会和支部委员会会议进行表决"
    elif vote_inputs and not check_quorum(len(voting), present_voting):
        violation = quorum_violation(meeting.kind, len(voting), present_voting)
        assert violation is not None
        errors["votes"] = (
            f"{violation.message}（须过半数有表决权党员到会，至少{len(voting) // 2 + 1}人）"
        )
    else:
        for index, vote in enumerate(vote_inputs, start=1):
            cast = vote.yes + vote.no + vote.abstain
            if cast > present_voting:
                errors[f"votes.{index}"] = (
                    f"第{index}项表决（{vote.subject}）：赞成、反对、弃权合计{cast}票，"
                    f"超过实到有表决权的党员{present_voting}人"
                )
    if errors:
        raise ServiceValidationError(errors)

    # Everything is valid: write.
    meeting.starts_at = starts_at
    meeting.held_on = local_date(starts_at)
    meeting.status = MeetingStatus.HELD
    meeting.host, meeting.recorder = host, recorder
    for key, value in texts.items():
        setattr(meeting, key, value)
    meeting.expected_count = len(members)
    meeting.present_count = len(attended)

    new_rows, changed_rows = [], []
    for pk, (status, reason) in desired.items():
        row = saved.get(pk)
        if row is None:
            new_rows.append(Attendance(meeting=meeting, member_id=pk, status=status, reason=reason))
        elif (row.status, row.reason) != (status, reason):
            row.status, row.reason = status, reason
            changed_rows.append(row)
    Attendance.objects.bulk_create(new_rows, batch_size=500)
    Attendance.objects.bulk_update(changed_rows, ["status", "reason"], batch_size=500)

    old_votes = before["votes"]
    new_votes = [
        [v.subject, len(voting), present_voting, v.yes, v.no, v.abstain] for v in vote_inputs
    ]
    if new_votes != old_votes:
        Vote.objects.filter(meeting=meeting).delete()
        Vote.objects.bulk_create(
            Vote(
                meeting=meeting,
                subject=subject,
                voting_members=voting_members,
                present_voting=present,
                yes=yes,
                no=no,
                abstain=abstain,
            )
            for subject, voting_members, present, yes, no, abstain in new_votes
        )

    after = {
        **_state_without_rows(meeting, desired),
        "votes": new_votes,
    }
    changes = diff(before, after)
    if changes:
        meeting.save()
        on_leave = len(after["on_leave"])
        absent = len(after["absent"])
        record(
            actor,
            AuditAction.UPDATE,
            meeting,
            changes=changes,
            message=(
                f"记录会议：应到{meeting.expected_count}人，实到{meeting.present_count}人，"
                f"请假{on_leave}人，缺席{absent}人"
            ),
        )
    counts = {s: sum(1 for st, _ in desired.values() if st == s) for s in AttendanceStatus.values}
    return RecordResult(
        meeting=meeting,
        expected=meeting.expected_count,
        present=meeting.present_count,
        on_leave=counts[AttendanceStatus.ON_LEAVE],
        absent=counts[AttendanceStatus.ABSENT],
        changed=bool(changes),
    )


def _state_without_rows(meeting: Meeting, desired: Mapping[int, tuple[str, str]]) -> dict:
    """`_state` computed from the values about to be saved (no query)."""
    return {
        **_meeting_fields(meeting),
        "on_leave": sorted(m for m, (s, _) in desired.items() if s == AttendanceStatus.ON_LEAVE),
        "absent": sorted(m for m, (s, _) in desired.items() if s == AttendanceStatus.ABSENT),
        "checked_in": sorted(
            m for m, (s, _) in desired.items() if s == AttendanceStatus.CHECKED_IN
        ),
    }


# ---- leave ---------------------------------------------------------------------------------


@transaction.atomic
def request_leave(actor: Actor, meeting: Meeting, member: Member, reason: str) -> LeaveRequest:
    """A member asks for leave from an upcoming meeting (or the secretary notes it for them)."""
    own = actor.user is not None and actor.user.member_id == member.pk
    if actor.user is not None and not own and not can_write_into(actor.user, meeting.organization):
        raise PermissionDenied("只能为本人请假")
    meeting = Meeting.objects.select_for_update().select_related("organization").get(pk=meeting.pk)
    errors: dict[str, str] = {}
    reason = inputs.short_text(reason, "reason", "请假事由", 200, errors)
    if not reason and "reason" not in errors:
        errors["reason"] = "请填写请假事由"
    if meeting.status != MeetingStatus.PLANNED:
        errors["meeting"] = "会议已召开或已取消，不能请假"
    elif local_date(meeting.starts_at) < today():
        errors["meeting"] = "会议日期已过，不能请假"
    elif not is_expected(meeting, member):
        errors["member"] = "不在本次会议的应到人员中，无需请假"
    existing = LeaveRequest.objects.filter(meeting=meeting, member=member).first()
    if existing is not None and existing.status == LeaveStatus.APPROVED:
        errors["reason"] = "请假已批准，无需重复申请"
    if errors:
        raise ServiceValidationError(errors)
    if existing is None:
        leave = LeaveRequest.objects.create(meeting=meeting, member=member, reason=reason)
        record(
            actor,
            AuditAction.CREATE,
            leave,
            changes=diff(None, _leave_fields(leave)),
            message=f"请假：{meeting}"[:500],
        )
        return leave
    before = _leave_fields(existing)
    existing.reason = reason
    existing.status = LeaveStatus.PENDING
    existing.decided_by = None
    existing.decided_at = None
    existing.save()
    record(
        actor,
        AuditAction.UPDATE,
        existing,
        changes=diff(before, _leave_fields(existing)),
        message=f"重新请假：{meeting}"[:500],
    )
    return existing


def _leave_fields(leave: LeaveRequest) -> dict:
    return {
        "meeting": leave.meeting_id,
        "member": leave.member_id,
        "reason": leave.reason,
        "status": leave.status,
    }


@transaction.atomic
def decide_leave(actor: Actor, leave: LeaveRequest, *, approve: bool) -> LeaveRequest:
    inputs.require_write(actor, leave.meeting.organization)
    leave = LeaveRequest.objects.select_for_update().select_related("meeting").get(pk=leave.pk)
    if leave.status != LeaveStatus.PENDING:
        raise ServiceValidationError({"status": "该请假申请已处理"})
    if leave.meeting.status != MeetingStatus.PLANNED:
        raise ServiceValidationError({"status": "会议已召开或已取消，请在会议记录中修改出勤"})
    before = _leave_fields(leave)
    leave.status = LeaveStatus.APPROVED if approve else LeaveStatus.REJECTED
    leave.decided_by = actor.user
    leave.decided_at = timezone.now()
    leave.save()
    event = record(
        actor,
        AuditAction.UPDATE,
        leave,
        changes=diff(before, _leave_fields(leave)),
        message=f"{'批准' if approve else '不批准'}请假：{leave.meeting}"[:500],
    )
    _tell_member(leave, approve, event.seq)
    return leave


def _tell_member(leave: LeaveRequest, approve: bool, seq: int) -> None:
    """The member learns the decision in their inbox (and by email when configured)."""
    from django.urls import reverse

    from dangjian.meetings.inbox import NoticeKind
    from dangjian.notices.services import notify

    user_id = getattr(getattr(leave.member, "user", None), "pk", None)
    if user_id is None:
        return
    meeting = leave.meeting
    notify(
        [user_id],
        key=f"leave:{leave.pk}:{seq}",
        kind=NoticeKind.LEAVE,
        link=reverse("meetings:detail", args=[meeting.pk]),
        title=f"请假{'已批准' if approve else '未批准'}：{local_date(meeting.starts_at):%-m月%-d日}"
        f"{meeting.get_kind_display()}",
        body=meeting.topic,
    )


# ---- QR self check-in ----------------------------------------------------------------------


@transaction.atomic
def check_in(
    actor: Actor, token: str, *, meeting_id: int | None = None, now: float | None = None
) -> Attendance:
    """The logged-in member checks in with a token from the screen (签到); idempotent."""
    try:
        bound = checkin.read_token(token, meeting_id=meeting_id, now=now)
    except checkin.CheckinError as exc:
        raise ServiceValidationError({"token": exc.message}) from None
    meeting = (
        Meeting.objects.select_for_update().select_related("organization").filter(pk=bound).first()
    )
    if meeting is None:
        raise ServiceValidationError({"token": checkin.FORGED})
    if meeting.status == MeetingStatus.CANCELLED:
        raise ServiceValidationError({"meeting": "会议已取消，无需签到"})
    member = actor.user.member if actor.user is not None else None
    if member is None:
        raise ServiceValidationError({"member": "您的账号未关联党员信息，不能签到"})
    if not is_expected(meeting, member):
        raise ServiceValidationError({"member": "您不在本次会议的应到人员名单中，不能签到"})
    row = Attendance.objects.filter(meeting=meeting, member=member).first()
    if row is not None and row.status == AttendanceStatus.CHECKED_IN:
        return row
    before = None if row is None else row.status
    if row is None:
        row = Attendance.objects.create(
            meeting=meeting, member=member, status=AttendanceStatus.CHECKED_IN
        )
    else:
        row.status, row.reason = AttendanceStatus.CHECKED_IN, ""
        row.save(update_fields=["status", "reason"])
    if meeting.status == MeetingStatus.HELD:
        meeting.present_count = Attendance.objects.filter(
            meeting=meeting, status__in=ATTENDED
        ).count()
        meeting.save(update_fields=["present_count", "updated_at"])
    record(
        actor,
        AuditAction.CREATE if before is None else AuditAction.UPDATE,
        row,
        changes={"meeting": [None, meeting.pk], "status": [before, AttendanceStatus.CHECKED_IN]},
        message=f"扫码签到：{meeting}"[:500],
    )
    return row
