"""Hardship reduction or exemption pages (减免): the branch's decision (a form on the ledger),
the list of decisions for a branch or for the upper 党委 that answers them, and the answer.
Thin: access through `accounts.access`, writes through `dues.services_relief`."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from dangjian.accounts.access import Action, get_org_for_user, scope_for
from dangjian.audit.services import Actor
from dangjian.core.clock import today
from dangjian.core.errors import ServiceValidationError
from dangjian.dues import services, services_relief
from dangjian.dues.models import Relief, ReliefKind, ReliefStatus
from dangjian.members.access import get_member_for_user
from dangjian.orgs.models import OrgKind
from dangjian.regulations.dues import HARDSHIP_RULE, month_start


def parse_month(raw: str | None) -> dt.date | None:
    """ "2026-03" (a month field) or "2026-03-15" (a date field) → the first of that month."""
    try:
        year, month = (int(part) for part in (raw or "").split("-")[:2])
        return dt.date(year, month, 1)
    except ValueError:
        return None


def _date(raw: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw or "")
    except ValueError:
        return None


@login_required
@require_POST
def decide(request, pk: int):
    """The branch records its decision to reduce or exempt a member's dues."""
    member = get_member_for_user(request.user, pk, Action.WRITE)
    first = parse_month(request.POST.get("first_month"))
    last = parse_month(request.POST.get("last_month"))
    month = first or month_start(today())
    if first is None or last is None:
        messages.error(request, f"{member.name}：请填写减免的起始和截止月份")
    else:
        try:
            services_relief.decide_relief(
                Actor.from_request(request),
                member,
                kind=request.POST.get("kind", ""),
                amount=request.POST.get("amount", ""),
                first_month=first,
                last_month=last,
                reason=request.POST.get("reason", ""),
                decided_on=_date(request.POST.get("decided_on")),
            )
        except ServiceValidationError as exc:
            for message in exc.errors.values():
                messages.error(request, f"{member.name}：{message}")
        else:
            messages.success(
                request, f"已记录支部对{member.name}党费减免的研究意见，待上级党委批准"
            )
    url = reverse("dues:ledger", args=[member.organization_id])
    return redirect(f"{url}?month={month:%Y-%m}")


@login_required
@require_GET
def reliefs(request, pk: int):
    """A branch's decisions (its dues managers), or those of the branches under a committee
    for the committee that approves them (writers of it); nobody else."""
    org = get_org_for_user(request.user, pk)
    if org.kind == OrgKind.BRANCH and services.is_dues_manager(request.user, org):
        rows = Relief.objects.filter(organization=org)
    elif scope_for(request.user).covers(org.path, Action.WRITE):
        rows = Relief.objects.filter(organization__path__startswith=org.path)
    else:
        raise PermissionDenied("只有支部书记、支委和上级党委可以查看党费减免")
    rows = rows.select_related("member", "organization", "approver_organization").order_by(
        "status", "-created_at"
    )[:200]
    items = [(r, services_relief.may_approve(request.user, r)) for r in rows]
    return render(
        request,
        "dues/reliefs.html",
        {
            "org": org,
            "items": items,
            "pending": ReliefStatus.PENDING,
            "rule": HARDSHIP_RULE,
            "exempt": ReliefKind.EXEMPT,
        },
    )


@login_required
@require_POST
def answer(request, pk: int):
    """The upper 党委 approves or refuses a branch's decision."""
    relief = Relief.objects.select_related("organization").filter(pk=pk).first()
    if relief is None:
        raise Http404("该减免记录不存在")
    get_org_for_user(request.user, relief.organization_id)  # 404 outside the reader's scope
    decision = request.POST.get("decision", "")
    if decision not in ("approve", "reject"):
        messages.error(request, "请选择批准或不批准")
    else:
        try:
            services_relief.approve_relief(
                Actor.from_request(request),
                relief,
                approve=decision == "approve",
                note=request.POST.get("note", ""),
            )
        except ServiceValidationError as exc:
            for message in exc.errors.values():
                messages.error(request, message)
        else:
            messages.success(request, "已批复党费减免")
    upper = services_relief.upper_committee(relief.organization)
    return redirect(reverse("dues:reliefs", args=[upper.pk if upper else relief.organization_id]))
