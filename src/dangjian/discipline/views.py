"""Discipline pages, for the 纪检 and the 机关党委 covering the member (404 for anyone else):
the records in scope, and one member's records with the forms to open or end a review and to
record a decision. Thin: reads through `queries`, writes through `services`."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from dangjian.audit.services import Actor
from dangjian.core.clock import today
from dangjian.core.errors import ServiceValidationError
from dangjian.discipline import queries, services
from dangjian.discipline.access import get_member, handling_paths
from dangjian.discipline.models import DECISIONS, DisciplineRecord, RecordKind
from dangjian.regulations import discipline as rules


def _date(raw: str | None) -> dt.date | None:
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ServiceValidationError({"date": "日期格式应为 YYYY-MM-DD"}) from None


@login_required
@require_GET
def index(request):
    """The records of the members the user handles: kinds and dates, no reason."""
    if not handling_paths(request.user):
        raise Http404("页面不存在")
    rows = list(queries.visible_records(request.user)[:300])
    return render(request, "discipline/index.html", {"rows": rows, "today": today()})


def _post(request, member) -> str:
    post, actor = request.POST, Actor.from_request(request)
    action = post.get("action")
    if action == "review":
        services.open_review(actor, member, _date(post.get("started_on")), post.get("reason", ""))
        return "已登记审查"
    if action == "end":
        raw = post.get("record") or ""
        row = DisciplineRecord.objects.filter(
            pk=raw if raw.isdigit() else None, member=member
        ).first()
        if row is None:
            raise ServiceValidationError({"record": "未找到该审查记录"})
        services.end_review(actor, row, _date(post.get("ended_on")))
        return "已登记审查结束"
    months = post.get("months") or ""
    services.decide(
        actor,
        member,
        post.get("kind", ""),
        _date(post.get("started_on")),
        months=int(months) if months.isdigit() else None,
        reason=post.get("reason", ""),
    )
    return "已登记处分决定"


@login_required
@require_http_methods(["GET", "POST"])
def member_records(request, pk: int):
    member = get_member(request.user, pk)
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            messages.success(request, _post(request, member))
            return redirect(reverse("discipline:member", args=[member.pk]))
        except ServiceValidationError as exc:
            errors = exc.errors
    now = today()
    rows = list(queries.for_member(member.pk))
    return render(
        request,
        "discipline/member.html",
        {
            "member": member,
            "rows": rows,
            "now": now,
            "errors": errors,
            "post": request.POST,
            "decisions": [(k.value, k.label) for k in RecordKind if k in DECISIONS],
            "months_choices": rules.PROBATION_MONTHS_CHOICES,
            "under_review": any(r.kind == RecordKind.REVIEW and r.covers(now) for r in rows),
        },
    )
