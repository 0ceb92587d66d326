"""Statistics on request (最多报一次): the table the 机关党委 asks for, on the page and as .xlsx,
computed from the records; no branch is asked anything."""

from __future__ import annotations

import io

import xlsxwriter
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from dangjian.accounts.access import Action, require_scope
from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor, record
from dangjian.core import clock
from dangjian.duties import queries
from dangjian.duties.views.common import org_param, year_param
from dangjian.meetings.queries import default_org
from dangjian.orgs.models import OrgKind


def _stat_request(request, action: Action = Action.READ):
    require_scope(
        request.user,
        action,
        "您没有导出权限" if action == Action.EXPORT else "您没有查看统计的权限",
    )
    org = org_param(request, action, required=False) or default_org(request.user)
    today = clock.today()
    year = year_param(request, today.year)
    level = request.GET.get("level") or ("branches" if org.kind == OrgKind.BRANCH else "children")
    if level not in ("children", "branches"):
        level = "children"
    figures = request.GET.getlist("f") or queries.DEFAULT_FIGURES
    return org, level, year, figures, today


@login_required
@require_GET
def statistics(request):
    org, level, year, figures, today = _stat_request(request)
    table = queries.statistics(org, level, figures, year, today) if request.GET else None
    return render(
        request,
        "duties/statistics.html",
        {
            "org": org,
            "level": level,
            "year": year,
            "figures": queries.FIGURES,
            "chosen": set(figures),
            "table": table,
            "rows": [(r, table.shown(r.pk)) for r in table.rows] if table else [],
            "total": table.shown(None) if table else [],
            "by_post": [
                (queries.post_label(k), c) for k, c in queries.completion_by_post(org, year, today)
            ]
            if table and any(f.startswith("items_") for f in table.figures)
            else [],
            "query": request.GET.urlencode(),
        },
    )


@login_required
@require_GET
def statistics_export(request):
    org, level, year, figures, today = _stat_request(request, Action.EXPORT)
    table = queries.statistics(org, level, figures, year, today)
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("统计")
    bold = book.add_format({"bold": True, "bg_color": "#F2F2F2", "border": 1})
    title = f"{org.name} {year}年 党建工作统计（由平台记录自动生成，{today:%Y-%m-%d}）"
    sheet.write(0, 0, title, book.add_format({"bold": True, "font_size": 13}))
    sheet.write_row(2, 0, ["组织", *table.headings], bold)
    # Rates are numbers in a percent format, so the sheet can sum, sort and chart them.
    rate = book.add_format({"num_format": "0.0%"})
    rate_bold = book.add_format(
        {"num_format": "0.0%", "bold": True, "bg_color": "#F2F2F2", "border": 1}
    )

    def write_cells(i: int, values: list[object], plain, as_rate) -> None:
        for col, (figure, value) in enumerate(zip(table.figures, values, strict=True), start=1):
            if figure in queries.RATE_FIGURES:
                sheet.write(i, col, "—" if value is None else value, as_rate)
            else:
                sheet.write(i, col, value, plain)

    for i, row in enumerate(table.rows, start=3):
        sheet.write(i, 0, row.name)
        write_cells(i, table.cells(row.pk), None, rate)
    last = 3 + len(table.rows)
    sheet.write(last, 0, "合计", bold)
    write_cells(last, table.cells(None), bold, rate_bold)
    sheet.set_column(0, 0, 28)
    sheet.set_column(1, len(table.figures), 12)
    sheet.freeze_panes(3, 1)
    book.close()
    record(
        Actor.from_request(request),
        AuditAction.EXPORT,
        object_type="orgs.organization",
        object_id=str(org.pk),
        object_repr=org.name,
        message=f"导出党建工作统计：{org.name} {year}年，{len(table.rows)}行，"
        f"指标：{'、'.join(table.headings)}"[:500],
    )
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    stamp = timezone.localtime().strftime("%Y%m%d%H%M")
    response["Content-Disposition"] = f'attachment; filename="statistics-{org.code}-{stamp}.xlsx"'
    return response
