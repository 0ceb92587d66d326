"""The auditor's pages: filter, export, verify. Nobody can edit or delete an event here.

They check the auditor's role, so they sit above `accounts` (and `audit`, whose log they read)."""

import io

import xlsxwriter
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from dangjian.accounts.access import require_role
from dangjian.accounts.models import Role
from dangjian.audit.anchor import AnchorError, check_anchors, configured_path, read_anchors
from dangjian.audit.models import AuditAction
from dangjian.audit.queries import filtered_events
from dangjian.audit.readable import kinds_in_log, readable, readable_page
from dangjian.audit.services import Actor, record, verify_chain


@login_required
@require_GET
def event_list(request):
    require_role(request.user, Role.AUDITOR)
    qs, applied = filtered_events(request.GET)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/list.html",
        {
            "page": page,
            "rows": readable_page(page.object_list),
            "applied": applied,
            "actions": AuditAction.choices,
            "kinds": kinds_in_log(),
            "query": query.urlencode(),
        },
    )


@login_required
@require_GET
def event_export(request):
    require_role(request.user, Role.AUDITOR)
    qs, applied = filtered_events(request.GET)
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("审计日志")
    head = [
        "序号",
        "时间",
        "操作人",
        "IP",
        "操作",
        "对象类型",
        "对象",
        "变更",
        "说明",
        "哈希",
    ]
    for col, title in enumerate(head):
        sheet.write_string(0, col, title)
    row = 0
    names: dict = {}  # referenced objects looked up once per export
    for row, e in enumerate(qs.iterator(chunk_size=2000), start=1):
        words = readable(e, names)
        values = [
            str(e.seq),
            timezone.localtime(e.at).strftime("%Y-%m-%d %H:%M:%S"),
            e.actor_username,
            e.ip,
            e.get_action_display(),
            words.kind,
            e.object_repr,
            words.changes_text(),
            e.message,
            e.hash,
        ]
        for col, value in enumerate(values):
            sheet.write_string(row, col, value)
    book.close()
    record(
        Actor.from_request(request),
        AuditAction.EXPORT,
        object_type="audit.auditevent",
        object_repr="审计日志",
        message=f"导出审计日志 {row} 条（条件：{applied or '全部'}）",
    )
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = 'attachment; filename="audit-log.xlsx"'
    return response


@login_required
@require_POST
def event_verify(request):
    require_role(request.user, Role.AUDITOR)
    report = verify_chain()
    if not report.ok:
        messages.error(request, f"哈希链校验失败：{report.reason}")
        return redirect("audit:list")
    # The configured anchor file, if the server can read it, is checked too.
    path = configured_path()
    if path is not None and path.exists():
        try:
            problem = check_anchors(read_anchors(path))
        except AnchorError as exc:
            problem = str(exc)
        if problem:
            messages.error(request, f"哈希链与锚定记录不符：{problem}")
            return redirect("audit:list")
        messages.success(request, f"哈希链完整：共校验 {report.checked} 条事件，与锚定记录一致")
        return redirect("audit:list")
    messages.success(request, f"哈希链完整：共校验 {report.checked} 条事件")
    return redirect("audit:list")
