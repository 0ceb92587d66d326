"""What the responsibility system puts in the inbox: its notice kinds, and two to-do lists
(received items to do; submitted items waiting for the user's acceptance)."""

from __future__ import annotations

from django.db import models
from django.urls import reverse

from dangjian.accounts.access import Action, scope_for
from dangjian.core.clock import today
from dangjian.duties.models import WorkStatus
from dangjian.duties.queries import review_items, todo_items
from dangjian.notices.registry import TodoProvider, TodoRow, register_kinds, register_todo


class NoticeKind(models.TextChoices):
    RECEIVED = "received", "收到任务"
    SUBMITTED = "submitted", "待验收"
    RETURNED = "returned", "被退回"
    ACCEPTED = "accepted", "已验收"
    REMINDER = "reminder", "到期提醒"
    OVERDUE = "overdue", "已逾期"
    ESCALATION = "escalation", "督办"
    WITHDRAWN = "withdrawn", "任务撤回"


def item_link(pk: int) -> str:
    return reverse("duties:detail", args=[pk])


def _todo_count(user) -> int:
    return todo_items(user).count()


def _todo_rows(user, limit: int) -> list[TodoRow]:
    on = today()
    items = (
        todo_items(user)
        .select_related("organization", "parent__organization")
        .order_by("deadline")[:limit]
    )
    return [
        TodoRow(
            link=item_link(item.pk),
            tag="任务",
            title=item.title,
            due=f"截止{item.deadline.month}月{item.deadline.day}日"
            + (" · 已退回" if item.status == WorkStatus.RETURNED else ""),
            late=item.deadline < on,
            detail=f"{item.organization.name} · {item.parent.organization.name}下发",
            record=item,
        )
        for item in items
    ]


def _review_count(user) -> int:
    if not scope_for(user).paths.get(Action.WRITE):
        return 0
    return review_items(user).count()


def _review_rows(user, limit: int) -> list[TodoRow]:
    items = (
        review_items(user)
        .select_related("organization", "parent__organization")
        .order_by("submitted_at")[:limit]
    )
    return [
        TodoRow(
            link=item_link(item.pk),
            tag="待验收",
            style="info",
            title=f"{item.organization.name}：{item.title}",
            record=item,
        )
        for item in items
    ]


register_kinds(NoticeKind)
register_todo(TodoProvider("items", "待办理的任务", _todo_count, _todo_rows, order=10))
register_todo(TodoProvider("review", "待我验收的任务", _review_count, _review_rows, order=20))
