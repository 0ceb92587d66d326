"""Voluntary one-off payments (自愿多交, 第十一条) of a branch: the list of the year and the form
that records one (`services_handover.record_extra`). One of 1,000 元 or more is recorded as going
to the centre in full. Thin: access through `accounts.access`, writes through the service."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from dangjian.audit.services import Actor
from dangjian.core.clock import today
from dangjian.core.errors import ServiceValidationError
from dangjian.dues import services_handover
from dangjian.dues.models import ExtraPayment
from dangjian.dues.views import _branch_for_manager
from dangjian.meetings.packs import rules_in_force
from dangjian.members.models import Member
from dangjian.regulations.dues import VOLUNTARY_RULE


def _record(request, branch) -> dict[str, str]:
    raw = request.POST.get("member") or ""
    member = (
        Member.objects.current().filter(organization=branch, pk=int(raw)).first()
        if raw.isdigit()
        else None
    )
    if member is None:
        return {"member": "请选择本支部的党员"}
    try:
        paid_on = dt.date.fromisoformat(request.POST.get("paid_on") or "")
    except ValueError:
        return {"paid_on": "交纳日期格式不正确"}
    try:
        extra = services_handover.record_extra(
            Actor.from_request(request), member, request.POST.get("amount", ""), paid_on
        )
    except ServiceValidationError as exc:
        return exc.errors
    note = "，全额上缴中央" if extra.to_centre else ""
    messages.success(request, f"已登记{member.name}自愿多交党费 {extra.amount} 元{note}")
    return {}


@login_required
@require_http_methods(["GET", "POST"])
def extra(request, pk: int):
    branch = _branch_for_manager(request, pk)
    errors: dict[str, str] = {}
    if request.method == "POST":
        errors = _record(request, branch)
        if not errors:
            return redirect(reverse("dues:extra", args=[branch.pk]))
    year = today().year
    rows = list(
        ExtraPayment.objects.filter(organization=branch, paid_on__year=year)
        .select_related("member", "handover")
        .order_by("-paid_on", "-pk")
    )
    context = {
        "branch": branch,
        "year": year,
        "rows": rows,
        "errors": errors,
        "members": Member.objects.current().filter(organization=branch).order_by("name_pinyin"),
        "threshold": rules_in_force().dues.voluntary_threshold,
        "rule": VOLUNTARY_RULE,
        "to_centre_total": sum((r.amount for r in rows if r.to_centre), Decimal("0.00")),
        "today": today(),
        "form": request.POST if errors else {},
    }
    return render(request, "dues/extra.html", context, status=400 if errors else 200)
