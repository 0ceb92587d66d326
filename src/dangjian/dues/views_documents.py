"""Dues documents: a member's receipt (.docx) and the branch's yearly publication (.xlsx).
Built in memory, streamed, every one audited as an export (messages without names or amounts).
"""

from __future__ import annotations

import io

import xlsxwriter
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.views.decorators.http import require_GET

from dangjian.accounts.access import Action, get_org_for_user, scope_for
from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor, record
from dangjian.core import office
from dangjian.core.clock import today
from dangjian.dues import queries, receipts, services
from dangjian.dues.models import Payment
from dangjian.members.access import get_member_for_user
from dangjian.orgs.models import OrgKind
from dangjian.regulations.dues import PUBLICATION_RULE
from dangjian.regulations.identity import mask_name

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@login_required
@require_GET
def receipt(request, pk: int):
    """The receipt for one payment: for the member who paid and the branch that recorded it."""
    payment = Payment.objects.select_related("member", "organization").filter(pk=pk).first()
    if payment is None:
        raise Http404("该党费记录不存在")
    get_member_for_user(request.user, payment.member_id)  # 404 outside the reader's scope
    own = payment.member_id == scope_for(request.user).own_member_id
    if not own and not services.is_dues_manager(request.user, payment.organization):
        raise PermissionDenied("党费收据只提供给交纳人本人和所在支部")
    body = receipts.receipt(payment, today())
    pdf = office.pdf_or_none(body, request.GET.get("format"))
    record(
        Actor.from_request(request),
        AuditAction.EXPORT,
        payment,
        message="生成党费收据（PDF）" if pdf is not None else "生成党费收据",
        object_repr=f"党费交纳#{payment.pk}",
    )
    if pdf is not None:
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="dues-receipt-{payment.pk}.pdf"'
        return response
    response = HttpResponse(body, content_type=DOCX)
    response["Content-Disposition"] = f'attachment; filename="dues-receipt-{payment.pk}.docx"'
    return response


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _year(raw: str | None) -> int:
    if not raw:
        return today().year
    try:
        year = int(raw)
    except ValueError:
        raise Http404("年份格式应为 2026") from None
    if not 2000 <= year <= today().year:
        raise Http404("年份超出范围")
    return year


@login_required
@require_GET
def publication(request, pk: int):
    """The branch's dues of a year as a sheet to publish (每年公布1次): masked names, no ID
    numbers, no bases; per member the months paid and the amounts. For the branch's dues
    managers and the writers above it (the 机关党委)."""
    branch = get_org_for_user(request.user, pk)
    if branch.kind != OrgKind.BRANCH:
        raise Http404("只有党支部有党费收缴公布表")
    if not services.is_dues_manager(request.user, branch) and not scope_for(request.user).covers(
        branch.path[: -type(branch).steplen], Action.WRITE
    ):
        raise PermissionDenied("党费收缴公布表由支部书记、支委和上级党委生成")
    year = _year(request.GET.get("year"))
    rows = queries.publication(branch, year)
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet(f"{year}年")
    bold = book.add_format({"bold": True, "bg_color": "#F2F2F2", "border": 1})
    money = book.add_format({"num_format": "0.00"})
    money_bold = book.add_format({"num_format": "0.00", "bold": True, "border": 1})
    sheet.write(
        0,
        0,
        f"{branch.name} {year}年党费收缴情况公布",
        book.add_format({"bold": True, "font_size": 13}),
    )
    sheet.write(
        1, 0, f"{PUBLICATION_RULE.summary}。姓名仅显示姓氏；空白为未交，“免交”为经批准免交。"
    )
    months = [f"{n}月" for n in range(1, 13)]
    sheet.write_row(3, 0, ["序号", "姓名", *months, "已交月数", "合计（元）"], bold)
    for i, row in enumerate(rows, start=4):
        sheet.write(i, 0, i - 3)
        sheet.write(i, 1, mask_name(row.member.name))
        for col, (amount, exempt) in enumerate(zip(row.months, row.exempt, strict=True), start=2):
            if amount is not None:
                sheet.write_number(i, col, amount, money)
            elif exempt:
                sheet.write(i, col, "免交")
        sheet.write(i, 14, row.paid_months)
        sheet.write_number(i, 15, row.total, money)
    last = 4 + len(rows)
    sheet.write(last, 1, "合计", bold)
    for col in range(12):
        total = sum((r.months[col] or 0 for r in rows), 0)
        sheet.write_number(last, col + 2, total, money_bold)
    sheet.write_number(last, 15, sum((r.total for r in rows), 0), money_bold)
    sheet.set_column(1, 1, 10)
    sheet.freeze_panes(4, 2)
    book.close()
    record(
        Actor.from_request(request),
        AuditAction.EXPORT,
        object_type="orgs.organization",
        object_id=str(branch.pk),
        object_repr=branch.name,
        message=f"导出{year}年党费收缴公布表：{len(rows)}人",
    )
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = (
        f'attachment; filename="dues-publication-{branch.code}-{year}.xlsx"'
    )
    return response
