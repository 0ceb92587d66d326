"""The accounts' part of the inbox: notice kinds of grant requests and decisions, and the
requests waiting for a security administrator's decision (a to-do)."""

from __future__ import annotations

from django.db import models
from django.urls import reverse

from dangjian.accounts import grants
from dangjian.accounts.access import has_role
from dangjian.accounts.models import Grant, GrantStatus, Role
from dangjian.audit.services import Actor
from dangjian.notices.registry import TodoProvider, TodoRow, register_kinds, register_todo


class NoticeKind(models.TextChoices):
    GRANT_REQUESTED = "grant_request", "授权申请"
    GRANT_DECIDED = "grant_decided", "授权审批结果"


register_kinds(NoticeKind)


def _decidable(user):
    """Pending requests this security administrator may decide (not their own, nor for them)."""
    if not has_role(user, Role.SECADMIN):
        return Grant.objects.none()
    return (
        Grant.objects.filter(status=GrantStatus.PENDING)
        .exclude(requested_by=user)
        .exclude(user=user)
        .exclude(user__created_by=user)
        .select_related("user", "organization")
    )


def _count(user) -> int:
    return _decidable(user).count()


def _rows(user, limit: int) -> list[TodoRow]:
    link = reverse("accounts:grants") + "?status=pending"
    actor = Actor(user, "")
    return [
        TodoRow(link=link, tag="授权", title=g.summary, style="danger", record=g)
        for g in _decidable(user)[:limit]
        if not grants.refusal_to_approve(actor, g)
    ]


register_todo(TodoProvider("grants", "待审批的授权申请", _count, _rows, order=50))
