"""The work desk (home page for every role), the leaders' dashboard and the statistics pages.

Thin: `queries.desk_for` and `figures` read through the apps' scoped queries; the access module
decides which organizations a user may pick (404 outside the scope).
"""

from __future__ import annotations

import datetime as dt
import io

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from dangjian.accounts.access import Action, get_org_for_user, scope_for
from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor, record
from dangjian.core import clock
from dangjian.core.errors import ServiceValidationError
from dangjian.desk import figures, queries
from dangjian.desk.export import statistics_xlsx
from dangjian.orgs.models import Organization
from dangjian.regulations.periods import cn_date


@login_required
@require_GET
def home(request):
    scope = scope_for(request.user)
    if not scope.roles and not scope.own_member_id:
        return render(request, "core/no_role.html")
    desk = queries.desk_for(request.user)
    return render(request, "desk/home.html", {"desk": desk})


def _root(request, action: Action = Action.READ) -> Organization:
    """The organization picked by `?org=<code>`, or the top of the user's scope for `action`
    (404 outside the read scope, 403 when `action` is denied there)."""
    scope = scope_for(request.user)
    paths = scope.paths.get(action)
    if not paths:
        raise PermissionDenied(
            "您没有导出权限" if action == Action.EXPORT else "您没有查看统计图表的权限"
        )
    code = (request.GET.get("org") or "").strip()
    if code:
        return get_org_for_user(request.user, code, action, field_name="code")
    return Organization.objects.filter(path__in=paths).order_by("path").first()


def _year(request) -> int:
    today = clock.today()
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        return today.year
    return year if 2000 <= year <= today.year + 1 else today.year


@login_required
@require_GET
def dashboard(request):
    root = _root(request)
    year = _year(request)
    board = figures.dashboard(root, year)
    structure = figures.structure(root, clock.today())
    chart = {
        "orgs": [r.name for r in board.rows],
        "meetings": [r.meetings for r in board.rows],
        "violated": [r.violated for r in board.rows],
        "at_risk": [r.at_risk for r in board.rows],
        "overdue": [r.items_overdue for r in board.rows],
        "months": [f"{m}月" for m in range(1, 13)],
        "by_month": board.by_month,
        "heat": {
            "orgs": [r.name for r in board.rows],
            "columns": [label for _, label in board.heat_columns],
            # [column, row, red + amber, red, amber] for each non-empty cell
            "cells": [
                [x, y, v + a, v, a]
                for y, (_, counts) in enumerate(board.heat_rows())
                for x, (v, a) in enumerate(counts)
                if v or a
            ],
            "max": board.heat_max,
        },
        "structure": [
            {
                "title": title,
                "labels": [label for label, _ in parts],
                "values": [n for _, n in parts],
            }
            for title, parts in structure
        ],
    }
    today = clock.today()
    return render(
        request,
        "desk/dashboard.html",
        {
            "board": board,
            "chart": chart,
            "structure": structure,
            "year": year,
            "years": list(range(today.year, today.year - 4, -1)),
        },
    )


def _years(request) -> list[int]:
    year = _year(request)
    return [year - 2, year - 1, year]


def _as_of(request) -> dt.date | None:
    """`?on=YYYY-MM-DD`: the statistics as of that day (from the membership history); none for
    today. A bad or future date is refused with a clear message."""
    text = (request.GET.get("on") or "").strip()
    if not text:
        return None
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise ServiceValidationError(
            {"on": "统计日期格式不正确，请按“年-月-日”填写，例如 2025-12-31"}
        ) from None
    if day > clock.today():
        raise ServiceValidationError({"on": "统计日期不能晚于今天"})
    if day.year < 2000:
        raise ServiceValidationError({"on": "统计日期不能早于2000年"})
    return day


def _statistics(request, action: Action = Action.READ) -> figures.Statistics:
    root = _root(request, action)
    day = _as_of(request)
    years = [day.year - 2, day.year - 1, day.year] if day else _years(request)
    return figures.statistics(root, years, as_of=day)


@login_required
@require_GET
def statistics(request):
    try:
        stats = _statistics(request)
    except ServiceValidationError as exc:
        return _bad_request(request, exc)
    return render(
        request,
        "desk/statistics.html",
        {
            "stats": stats,
            "member_columns": figures.MEMBER_COLUMNS,
            "change_columns": figures.CHANGE_COLUMNS,
            "year": stats.years[-1],
            "on": request.GET.get("on", ""),
            "today": clock.today(),
        },
    )


def _bad_request(request, exc: ServiceValidationError) -> HttpResponse:
    return render(
        request,
        "core/error.html",
        {
            "title": "统计日期有误",
            "status": 400,
            "message": "；".join(str(v) for v in exc.errors.values()),
            "ways_back": [("返回党内统计", reverse("desk:statistics"))],
        },
        status=400,
    )


@login_required
@require_GET
def statistics_export(request):
    try:
        stats = _statistics(request, Action.EXPORT)
    except ServiceValidationError as exc:
        return _bad_request(request, exc)
    root = stats.root
    buffer = io.BytesIO()
    statistics_xlsx(stats, buffer)
    record(
        Actor.from_request(request),
        AuditAction.EXPORT,
        object_type="orgs.organization",
        object_id=str(root.pk),
        object_repr=root.name,
        message=f"导出党内统计：{root.name} {stats.years[0]}—{stats.years[-1]}年，截至{cn_date(stats.as_of)}",
    )
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="statistics-{root.code}-{stats.as_of:%Y%m%d}.xlsx"'
    )
    return response
