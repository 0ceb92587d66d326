"""What assessment puts in the inbox: appeals waiting for the assessing committee's decision,
and the notice kinds each step of a scheme sends its targets."""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse

from dangjian.accounts.access import Action, scope_for
from dangjian.assessment.models import Appeal, AppealStatus
from dangjian.assessment.services import ASSESSING_KINDS
from dangjian.assessment.tell import NoticeKind
from dangjian.notices.registry import TodoProvider, TodoRow, register_kinds, register_todo


def _pending(user):
    """Pending appeals on schemes of assessing organizations the user may write in."""
    paths = scope_for(user).paths.get(Action.WRITE, [])
    if not paths:
        return Appeal.objects.none()
    where = Q(pk__in=[])
    for path in paths:
        where |= Q(target__scheme__organization__path__startswith=path)
    return Appeal.objects.filter(
        where,
        status=AppealStatus.PENDING,
        target__scheme__organization__kind__in=[str(k) for k in ASSESSING_KINDS],
    )


def _count(user) -> int:
    return _pending(user).count()


def _rows(user, limit: int) -> list[TodoRow]:
    rows = []
    for appeal in (
        _pending(user)
        .select_related("target__organization", "target__scheme")
        .order_by("filed_at", "pk")[:limit]
    ):
        target = appeal.target
        rows.append(
            TodoRow(
                link=reverse("assessment:target", args=[target.pk]),
                tag="申诉",
                style="warning",
                title=f"{target.organization.name}对{target.scheme.year}年{target.scheme.title}的申诉",
                detail=appeal.reason[:80],
                record=appeal,
            )
        )
    return rows


register_todo(TodoProvider("appeals", "待处理的考核申诉", _count, _rows, order=70))
register_kinds(NoticeKind)
