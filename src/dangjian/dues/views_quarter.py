"""Quarterly payment pages (按季度交纳): the branch's consent and recording a quarter for a member
(forms on the ledger). Thin: access through `accounts.access`, writes through
`dues.services_quarter`."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from dangjian.accounts.access import Action
from dangjian.audit.services import Actor
from dangjian.core.clock import today
from dangjian.core.errors import ServiceValidationError
from dangjian.dues import services_quarter
from dangjian.dues.models import PayMethod
from dangjian.dues.views_relief import parse_month
from dangjian.members.access import get_member_for_user
from dangjian.regulations.dues import month_start


def _date(raw: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw or "")
    except ValueError:
        return None


def _back(member, month: dt.date):
    url = reverse("dues:ledger", args=[member.organization_id])
    return redirect(f"{url}?month={month:%Y-%m}")


@login_required
@require_POST
def consent(request, pk: int):
    """The branch agrees that the member pays by the quarter."""
    member = get_member_for_user(request.user, pk, Action.WRITE)
    try:
        services_quarter.approve_quarterly(
            Actor.from_request(request), member, _date(request.POST.get("decided_on"))
        )
    except ServiceValidationError as exc:
        for message in exc.errors.values():
            messages.error(request, f"{member.name}：{message}")
    else:
        messages.success(request, f"已记录支部同意{member.name}按季度交纳党费")
    return _back(member, month_start(today()))


@login_required
@require_POST
def withdraw(request, pk: int):
    """The branch withdraws its consent from a month on (quarters already paid stay)."""
    member = get_member_for_user(request.user, pk, Action.WRITE)
    try:
        row = services_quarter.withdraw_quarterly(
            Actor.from_request(request), member, parse_month(request.POST.get("month"))
        )
    except ServiceValidationError as exc:
        for message in exc.errors.values():
            messages.error(request, f"{member.name}：{message}")
    else:
        since = row.withdrawn_from
        messages.success(
            request, f"已撤销{member.name}按季度交纳，自{since.year}年{since.month}月起按月登记"
        )
    return _back(member, month_start(today()))


@login_required
@require_POST
def pay_quarter(request, pk: int):
    """Record a payment covering the quarter that starts with `month` for one member."""
    member = get_member_for_user(request.user, pk, Action.WRITE)
    first = parse_month(request.POST.get("month"))
    paid_on = request.POST.get("paid_on")
    if first is None or (paid_on and _date(paid_on) is None):
        messages.error(request, f"{member.name}：请选择季度并填写正确的交纳日期")
        return _back(member, month_start(today()))
    try:
        done = services_quarter.record_quarter(
            Actor.from_request(request),
            member,
            first,
            paid_on=_date(paid_on) if paid_on else None,
            method=request.POST.get("method", PayMethod.CASH),
        )
    except ServiceValidationError as exc:
        for message in exc.errors.values():
            messages.error(request, message)
    else:
        messages.success(request, f"已登记{member.name}本季度党费（{len(done)}个月）")
    return _back(member, first)
