"""What organizational life puts in the inbox: its notice kinds, and the leave requests the user
may decide (to-dos)."""

from __future__ import annotations

from django.db import models
from django.urls import reverse

from dangjian.accounts.access import Action, scope_for
from dangjian.meetings.models import LeaveRequest, LeaveStatus, MeetingStatus
from dangjian.notices.registry import TodoProvider, TodoRow, register_kinds, register_todo
from dangjian.regulations.periods import local_date


class NoticeKind(models.TextChoices):
    LEAVE = "leave", "请假结果"
    SERIES = "series", "固定会议计划"


def pending_leave(user):
    """Leave requests for planned meetings that the user may decide (write scope)."""
    scope = scope_for(user)
    return LeaveRequest.objects.filter(
        scope.org_q(Action.WRITE, prefix="meeting__organization__"),
        status=LeaveStatus.PENDING,
        meeting__status=MeetingStatus.PLANNED,
    )


def _leave_count(user) -> int:
    if not scope_for(user).paths.get(Action.WRITE):
        return 0
    return pending_leave(user).count()


def _leave_rows(user, limit: int) -> list[TodoRow]:
    rows = []
    for leave in (
        pending_leave(user)
        .select_related("meeting__organization", "member")
        .order_by("meeting__starts_at", "pk")[:limit]
    ):
        meeting = leave.meeting
        day = local_date(meeting.starts_at)
        rows.append(
            TodoRow(
                link=reverse("meetings:detail", args=[meeting.pk]),
                tag="请假",
                style="secondary",
                title=f"{leave.member.name} 请假：{day.month}月{day.day}日 "
                f"{meeting.get_kind_display()}（{leave.reason}）",
                record=leave,
            )
        )
    return rows


register_kinds(NoticeKind)
register_todo(TodoProvider("leave", "待审批的请假", _leave_count, _leave_rows, order=30))
