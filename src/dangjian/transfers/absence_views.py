"""The page of a branch's members out of contact (失去联系) or abroad (出国出境): the open
records with what the findings propose, and the forms the branch's writers use to record one,
its end, and the decisions (停止党籍, 除名). Thin: reads through `queries`, writes through
`absence`."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from dangjian.audit.services import Actor
from dangjian.core.clock import today
from dangjian.core.errors import ServiceValidationError
from dangjian.members.models import Member
from dangjian.orgs.models import Organization
from dangjian.regulations import discipline as rules
from dangjian.transfers import absence, queries
from dangjian.transfers.models import AbsenceKind, AbsenceRecord
from dangjian.transfers.views import _date, _org, branch_records_post

DONE = {"end": "已登记恢复联系（返回）", "suspend": "已登记停止党籍", "remove": "已登记除名"}


def _post(request, branch: Organization) -> str:
    post, actor = request.POST, Actor.from_request(request)
    action = post.get("action")
    if action in DONE:
        raw = post.get("record") or ""
        row = AbsenceRecord.objects.filter(
            pk=raw if raw.isdigit() else None, member__organization=branch
        ).first()
        if row is None:
            raise ServiceValidationError({"record": "未找到该记录"})
        day = _date(post.get("on"), "on", "日期")
        {"end": absence.end_absence, "suspend": absence.suspend, "remove": absence.remove}[action](
            actor, row, day
        )
        return DONE[action]
    raw = post.get("member") or ""
    member = Member.objects.filter(
        pk=raw if raw.isdigit() else None, organization=branch, left_on__isnull=True
    ).first()
    if member is None:
        raise ServiceValidationError({"member": "请选择本支部的在册党员"})
    absence.record_absence(
        actor, member, post.get("kind", ""), _date(post.get("since"), "since", "起始日期")
    )
    return "已登记"


@login_required
@require_http_methods(["GET", "POST"])
def absence_page(request):
    org = _org(request)
    can_write, done, errors = branch_records_post(
        request, org, "失去联系和出国出境由党员所在党支部登记", _post, "transfers:absence"
    )
    if done is not None:
        return done
    now = today()
    records = list(queries.absence_records(org)[:500])
    taken = {r.member_id for r in records}
    return render(
        request,
        "transfers/absence.html",
        {
            "org": org,
            "rows": [(r, absence.due_action(r, now)) for r in records],
            "candidates": [m for m in queries.bulk_candidates(org) if m.pk not in taken]
            if can_write
            else [],
            "kinds": AbsenceKind.choices,
            "can_write": can_write,
            "errors": errors,
            "post": request.POST,
            "today": now,
            "citation": rules.LOST_CONTACT_RULE.citation,
        },
    )
