"""Leave: a member asks not to attend, the secretary decides, the member is told."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from dangjian.accounts.access import can_write_into, require_write
from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor, diff, record
from dangjian.core import inputs
from dangjian.core.clock import today
from dangjian.core.errors import ServiceValidationError
from dangjian.meetings.models import (
    LeaveRequest,
    LeaveStatus,
    Meeting,
    MeetingStatus,
)
from dangjian.meetings.queries import (
    is_expected,
)
from dangjian.members.models import Member
from dangjian.regulations.periods import local_date


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


@transaction.atomic
def withdraw_leave(actor: Actor, leave: LeaveRequest) -> None:
    """The member takes back a request not yet decided (or the secretary, who may note leave for
    them); a decided one stays, as the record of the decision."""
    leave = (
        LeaveRequest.objects.select_for_update()
        .select_related("meeting__organization", "member")
        .get(pk=leave.pk)
    )
    own = actor.user is not None and actor.user.member_id == leave.member_id
    if actor.user is not None and not own:
        require_write(actor, leave.meeting.organization)
    if leave.status != LeaveStatus.PENDING:
        raise ServiceValidationError({"status": "请假申请已审批，不能撤回；请联系支部书记"})
    if leave.meeting.status != MeetingStatus.PLANNED:
        raise ServiceValidationError({"status": "会议已召开或已取消，不能撤回请假"})
    before = _leave_fields(leave)
    meeting = leave.meeting
    record(
        actor,
        AuditAction.DELETE,
        leave,
        changes=diff(before, None),
        message=f"撤回请假：{meeting}"[:500],
    )
    leave.delete()


def _leave_fields(leave: LeaveRequest) -> dict:
    return {
        "meeting": leave.meeting_id,
        "member": leave.member_id,
        "reason": leave.reason,
        "status": leave.status,
    }


@transaction.atomic
def decide_leave(actor: Actor, leave: LeaveRequest, *, approve: bool) -> LeaveRequest:
    require_write(actor, leave.meeting.organization)
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
