"""QR self check-in (签到): the member checks in with a token from the screen."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor, record
from dangjian.core.errors import ServiceValidationError
from dangjian.meetings import checkin, checkin_window
from dangjian.meetings.models import (
    ATTENDED,
    Attendance,
    AttendanceStatus,
    LeaveRequest,
    LeaveStatus,
    Meeting,
    MeetingStatus,
)
from dangjian.meetings.queries import (
    is_expected,
)


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
    moment = timezone.now() if now is None else dt.datetime.fromtimestamp(now, tz=dt.UTC)
    refused = checkin_window.refusal(
        meeting.starts_at, moment, minutes_before=checkin_window.open_minutes_before()
    )
    if refused is not None:
        raise ServiceValidationError({"meeting": refused})
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
    _leave_not_taken(actor, meeting, member)
    return row


def _leave_not_taken(actor: Actor, meeting: Meeting, member) -> None:
    """An approved leave of a member who checked in after all is marked as not taken."""
    leave = (
        LeaveRequest.objects.select_for_update()
        .filter(meeting=meeting, member=member, status=LeaveStatus.APPROVED, not_taken=False)
        .first()
    )
    if leave is None:
        return
    leave.not_taken = True
    leave.save(update_fields=["not_taken"])
    record(
        actor,
        AuditAction.UPDATE,
        leave,
        changes={"not_taken": [False, True]},
        message=f"已批准请假但本人扫码签到，请假未使用：{meeting}"[:500],
    )
