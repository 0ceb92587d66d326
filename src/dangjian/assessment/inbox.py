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


def _sittings(user):
    """Open phone sittings of assessing organizations above the user's own membership that the
    user has not voted in (the ballot is the to-do; it leaves the list once cast)."""
    from dangjian.assessment.models import Sitting
    from dangjian.members.models import Member

    member_id = getattr(user, "member_id", None)
    if member_id is None:
        return Sitting.objects.none()
    member = Member.objects.current().filter(pk=member_id).select_related("organization").first()
    if member is None:
        return Sitting.objects.none()
    path = member.organization.path
    steplen = member.organization.steplen
    ancestors = [path[:i] for i in range(steplen, len(path) + 1, steplen)]
    return Sitting.objects.filter(
        closed_at__isnull=True, scheme__organization__path__in=ancestors
    ).exclude(voters__user=user)


def _sitting_count(user) -> int:
    return _sittings(user).count()


def _sitting_rows(user, limit: int) -> list[TodoRow]:
    return [
        TodoRow(
            link=reverse("assessment:sitting", args=[s.pk]),
            tag="评议",
            title=f"{s.scheme.year}年{s.scheme.title}：{s.indicator.title}",
            detail="评议会进行中，请在手机上投票（不记名）",
            record=s,
        )
        for s in _sittings(user).select_related("scheme", "indicator").order_by("pk")[:limit]
    ]


register_kinds(NoticeKind)
register_todo(TodoProvider("sittings", "进行中的述职评议", _sitting_count, _sitting_rows, order=71))
