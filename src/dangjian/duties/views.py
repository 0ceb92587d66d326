"""Responsibility-system pages: work items, 督办, duty lists, statistics on request, the inbox.

Thin: every object is fetched for this user through the access helpers, every write goes
through `duties.services` (which checks scope, validates and audits).
"""

from __future__ import annotations

import io

import xlsxwriter
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from dangjian.accounts.access import Action, get_org_for_user, scope_for, visible_orgs
from dangjian.accounts.models import Role
from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor, record
from dangjian.core.errors import ServiceValidationError
from dangjian.duties import queries, services
from dangjian.duties.models import Evidence, EvidenceKind, Notice, Responsibility, WorkStatus
from dangjian.meetings.models import MeetingKind
from dangjian.meetings.queries import default_org
from dangjian.orgs.models import Organization, OrgKind, PostKind


def _org_param(request, action: Action = Action.READ, *, required: bool = True):
    code = (request.GET.get("org") or request.POST.get("org") or "").strip().upper()
    if not code:
        if required:
            raise Http404("请指定组织")
        return None
    return get_org_for_user(request.user, code, action, field_name="code")


def _year(request, default: int) -> int:
    try:
        year = int(request.GET.get("year") or default)
    except ValueError:
        return default
    return year if 2000 <= year <= 2100 else default


def _require_reader(user) -> None:
    if not scope_for(user).paths.get(Action.READ):
        raise PermissionDenied("您没有查看党建工作任务的权限")


def _fail(request, exc: ServiceValidationError) -> None:
    for message in exc.errors.values():
        messages.error(request, message)


# ---- work items ----------------------------------------------------------------------------

STATE_TABS = [
    ("", "全部"),
    ("open", "办理中"),
    ("overdue", "已逾期"),
    ("submitted", "待验收"),
    ("review", "待我验收"),
    ("done", "已完成"),
]


@login_required
@require_GET
def item_list(request):
    _require_reader(request.user)
    today = services.today()
    org = _org_param(request, required=False)
    state = request.GET.get("state", "")
    if state not in dict(STATE_TABS):
        state = ""
    year = _year(request, today.year) if request.GET.get("year") else None
    flt = queries.ItemFilter(org=org, state=state, year=year)
    page = Paginator(queries.item_list(request.user, flt, today), 50).get_page(
        request.GET.get("page")
    )
    for item in page:
        item.state = queries.state_of(item.status, item.deadline, today)
        item.state_label = queries.STATE_LABELS[item.state]
        item.days_left = (item.deadline - today).days
        item.days_overdue = -item.days_left
    # Organizations the user may send work down from: those with branches below them.
    candidates = list(
        visible_orgs(request.user, Action.WRITE)
        .exclude(kind__in=[OrgKind.BRANCH, OrgKind.PARTY_GROUP, OrgKind.ORGAN_DISCIPLINE_COMMITTEE])
        .order_by("path")[:20]
    )
    branch_paths = list(
        visible_orgs(request.user, Action.WRITE)
        .filter(kind=OrgKind.BRANCH)
        .values_list("path", flat=True)
    )
    senders = [o for o in candidates if any(p.startswith(o.path) for p in branch_paths)]
    return render(
        request,
        "duties/items.html",
        {
            "page": page,
            "org": org,
            "state": state,
            "tabs": STATE_TABS,
            "year": year,
            "today": today,
            "senders": senders,
            "counts": queries.action_counts(request.user, today),
        },
    )


FORM_FIELDS = frozenset({*services.ITEM_FIELDS, "targets"})


def _form_data(request) -> dict:
    return {k: request.POST.get(k, "") for k in services.ITEM_FIELDS}


def _form_context(org: Organization, data: dict, errors: dict) -> dict:
    return {
        "data": data,
        "errors": errors,
        "other_errors": [m for k, m in errors.items() if k not in FORM_FIELDS],
        "posts": PostKind.choices,
        "evidence_kinds": EvidenceKind.choices,
        "meeting_kinds": MeetingKind.choices,
    }


@login_required
def item_create(request):
    """The 机关党委 sends a work item down: to chosen organizations or to every branch."""
    sender = _org_param(request, Action.WRITE)
    if sender.kind in (OrgKind.BRANCH, OrgKind.PARTY_GROUP):
        raise PermissionDenied("党支部、党小组不能下发任务，可以分解收到的任务")
    targets_all, truncated = _target_choices(sender)
    data: dict = {"evidence_kind": EvidenceKind.NONE}
    errors: dict = {}
    chosen: list[str] = []
    within_code = ""
    if request.method == "POST":
        data = _form_data(request)
        chosen = _chosen_codes(request)
        within_code = (request.POST.get("within") or "").strip().upper()
        all_branches = request.POST.get("mode", "branches") == "branches"
        try:
            within = None
            if all_branches and within_code and within_code != sender.code:
                within = Organization.objects.filter(
                    code=within_code, path__startswith=sender.path
                ).first()
                if within is None:
                    raise ServiceValidationError({"within": "范围组织不存在或不在本组织之下"})
            result = services.send_down(
                Actor.from_request(request),
                sender,
                data,
                targets=chosen,
                all_branches=all_branches,
                within=within,
            )
        except ServiceValidationError as exc:
            errors = exc.errors
        else:
            for warning in result.warnings:
                messages.warning(request, warning)
            messages.success(request, f"已下发给{len(result.children)}个组织")
            return redirect("duties:detail", pk=result.item.pk)
    return render(
        request,
        "duties/item_form.html",
        {
            "org": sender,
            "targets": targets_all,
            "truncated": truncated,
            "areas": [o for o in targets_all if o.kind != OrgKind.BRANCH],
            "within": within_code,
            "chosen": chosen,
            "mode": request.POST.get("mode", "branches"),
            "split_of": None,
            **_form_context(sender, data, errors),
        },
    )


# A phone renders a few hundred checkboxes well; a province's 9,000 organizations it does not.
TARGET_LIST_LIMIT = 300


def _target_choices(org: Organization) -> tuple[list[Organization], bool]:
    """Organizations to tick: all below `org` when few, else the top two levels below it (the
    rest are reached by "all branches under ..." or by typing codes)."""
    below = Organization.objects.filter(path__startswith=org.path, depth__gt=org.depth).exclude(
        kind=OrgKind.PARTY_GROUP
    )
    if below.count() <= TARGET_LIST_LIMIT:
        return list(below.order_by("path")), False
    return list(below.filter(depth__lte=org.depth + 2).order_by("path")), True


def _chosen_codes(request) -> list[str]:
    """Ticked organizations plus codes typed into the box (comma, space or newline separated)."""
    codes = list(request.POST.getlist("targets"))
    typed = request.POST.get("target_codes", "")
    for sep in "，,;；、\n\t":
        typed = typed.replace(sep, " ")
    codes.extend(c for c in typed.split() if c)
    return codes


@login_required
def item_split(request, pk: int):
    item = queries.get_item_for_user(request.user, pk, Action.WRITE)
    org = item.organization
    targets_all = list(
        Organization.objects.filter(path__startswith=org.path, depth__gt=org.depth).order_by("path")
    )
    if not targets_all:
        raise Http404("该组织没有下级组织，不能分解")
    data = {"title": item.title, "deadline": item.deadline.isoformat()}
    errors: dict = {}
    chosen: list[str] = []
    if request.method == "POST":
        data = _form_data(request)
        chosen = _chosen_codes(request)
        try:
            result = services.split(
                Actor.from_request(request),
                item,
                data,
                targets=chosen,
                all_branches=request.POST.get("mode") == "branches",
            )
        except ServiceValidationError as exc:
            errors = exc.errors
        else:
            for warning in result.warnings:
                messages.warning(request, warning)
            messages.success(request, f"已分解给{len(result.children)}个组织")
            return redirect("duties:detail", pk=item.pk)
    return render(
        request,
        "duties/item_form.html",
        {
            "org": org,
            "targets": targets_all,
            "chosen": chosen,
            "mode": request.POST.get("mode", "chosen"),
            "split_of": item,
            **_form_context(org, data, errors),
        },
    )


@login_required
@require_GET
def item_detail(request, pk: int):
    item = queries.get_item_for_user(request.user, pk)
    today = services.today()
    ancestors, tree = queries.item_tree(request.user, item, today)
    can_work = queries.can_work(request.user, item)
    can_review = queries.can_review(request.user, item)
    item.state = queries.state_of(item.status, item.deadline, today)
    item.state_label = queries.STATE_LABELS[item.state]
    evidence = list(item.evidence.select_related("meeting", "meeting__organization"))
    has_children = item.children.exists()
    meetings = []
    if can_work and not has_children and item.status in (WorkStatus.OPEN, WorkStatus.RETURNED):
        linked = {e.meeting_id for e in evidence if e.meeting_id}
        meetings = [m for m in services.linkable_meetings(item)[:30] if m.pk not in linked]
    return render(
        request,
        "duties/item_detail.html",
        {
            "item": item,
            "ancestors": ancestors,
            "tree": tree,
            "summary": queries.tree_summary(tree),
            "events": list(item.events.select_related("actor")),
            "evidence": evidence,
            "meetings": meetings,
            "missing": services.missing_evidence(item)
            if item.status in (WorkStatus.OPEN, WorkStatus.RETURNED)
            else "",
            "can_work": can_work and item.status in (WorkStatus.OPEN, WorkStatus.RETURNED),
            "can_split": can_work
            and item.status in (WorkStatus.OPEN, WorkStatus.RETURNED)
            and Organization.objects.filter(
                path__startswith=item.organization.path, depth__gt=item.organization.depth
            ).exists(),
            "can_review": can_review and item.status == WorkStatus.SUBMITTED,
            "can_withdraw": item.status not in (WorkStatus.ACCEPTED, WorkStatus.WITHDRAWN)
            and (can_review if item.parent_id else can_work),
            "has_children": has_children,
            "today": today,
            "days_left": (item.deadline - today).days,
        },
    )


def _item_action(request, pk: int, work):
    item = queries.get_item_for_user(request.user, pk)
    try:
        message = work(Actor.from_request(request), item)
    except ServiceValidationError as exc:
        _fail(request, exc)
    else:
        if message:
            messages.success(request, message)
    return redirect("duties:detail", pk=item.pk)


@login_required
@require_POST
def item_progress(request, pk: int):
    def work(actor, item):
        services.report_progress(
            actor, item, request.POST.get("progress", ""), request.POST.get("note", "")
        )
        return "已记录进展"

    return _item_action(request, pk, work)


@login_required
@require_POST
def item_evidence(request, pk: int):
    def work(actor, item):
        note = request.POST.get("note", "")
        if request.POST.get("meeting"):
            services.link_meeting(actor, item, request.POST["meeting"], note)
            return "已关联会议记录"
        if request.FILES.getlist("file"):
            n = services.add_document(actor, item, request.FILES.getlist("file"), note)
            return f"已上传{n}个文件"
        if request.POST.get("figure", "").strip():
            services.add_figure(actor, item, request.POST["figure"], note)
            return "已填报数据"
        raise ServiceValidationError({"evidence": "请选择会议记录、上传文件或填写数据"})

    return _item_action(request, pk, work)


@login_required
@require_POST
def item_submit(request, pk: int):
    def work(actor, item):
        item = services.submit(actor, item, request.POST.get("note", ""))
        return "任务已完成" if item.status == WorkStatus.ACCEPTED else "已提交验收"

    return _item_action(request, pk, work)


@login_required
@require_POST
def item_review(request, pk: int):
    def work(actor, item):
        if request.POST.get("decision") == "return":
            services.return_item(actor, item, request.POST.get("note", ""))
            return "已退回"
        services.accept(actor, item, request.POST.get("note", ""))
        return "已验收通过"

    return _item_action(request, pk, work)


@login_required
@require_POST
def item_withdraw(request, pk: int):
    def work(actor, item):
        count = services.withdraw(actor, item, request.POST.get("reason", ""))
        return f"已撤回{count}项任务"

    return _item_action(request, pk, work)


@login_required
@require_GET
def evidence_download(request, pk: int):
    try:
        evidence = Evidence.objects.select_related("item").get(pk=pk, kind=EvidenceKind.DOCUMENT)
    except (Evidence.DoesNotExist, ValueError):
        raise Http404("文件不存在") from None
    queries.get_item_for_user(request.user, evidence.item_id)
    try:
        handle = evidence.file.open("rb")
    except FileNotFoundError:
        raise Http404("文件已不存在（可能已被清理），请联系系统管理员") from None
    return FileResponse(
        handle,
        as_attachment=True,
        filename=evidence.original_name,
        content_type=evidence.content_type,
    )


# ---- 督办: what is overdue in my subtree ------------------------------------------------------


@login_required
@require_GET
def overdue(request):
    _require_reader(request.user)
    today = services.today()
    org = _org_param(request, required=False)
    items = queries.overdue_items(request.user, today, org)
    return render(
        request,
        "duties/overdue.html",
        {"items": items, "org": org, "today": today},
    )


# ---- duty lists ----------------------------------------------------------------------------


@login_required
@require_GET
def duty_list(request):
    org = _org_param(request, required=False) or default_org(request.user)
    if org is None:
        raise PermissionDenied("您没有查看责任清单的权限")
    today = services.today()
    year = _year(request, today.year)
    scope = scope_for(request.user)
    editor = next(
        (
            o
            for o in Organization.objects.filter(
                path__in=[org.path[:i] for i in range(org.steplen, len(org.path) + 1, org.steplen)],
                kind__in=services.DUTY_OWNER_KINDS,
            ).order_by("-depth")
            if Role.ORGAN_COMMITTEE in scope.roles and scope.covers(o.path, Action.WRITE)
        ),
        None,
    )
    return render(
        request,
        "duties/duty_list.html",
        {
            "org": org,
            "year": year,
            "sections": queries.duty_list(org, year, today),
            "editor": editor,
            "children": Organization.objects.filter(
                path__startswith=org.path, depth=org.depth + 1
            ).order_by("path"),
            "parent": Organization.objects.filter(path=org.path[: -org.steplen]).first()
            if org.depth > 1
            else None,
        },
    )


@login_required
def duty_edit(request):
    """The 机关党委 edits the duties in force in its subtree (defaults stay for others)."""
    owner = _org_param(request, Action.WRITE)
    services._require_duty_editor(Actor.from_request(request), owner)
    errors: dict = {}
    editing = request.POST.get("key") or request.GET.get("key") or ""
    if request.method == "POST":
        data = {
            "org_kind": request.POST.get("org_kind", ""),
            "post_kind": request.POST.get("post_kind", ""),
            "responsibility": request.POST.get("responsibility", ""),
            "title": request.POST.get("title", ""),
            "text": request.POST.get("text", ""),
            "source": request.POST.get("source", ""),
            "meeting_kinds": request.POST.getlist("meeting_kinds"),
            "active": request.POST.get("active", "0"),
        }
        try:
            services.save_duty(Actor.from_request(request), owner, data, key=editing)
        except ServiceValidationError as exc:
            errors = exc.errors
        else:
            messages.success(request, "责任清单已保存")
            return redirect(f"{reverse('duties:duty_edit')}?org={owner.code}")
    duties = queries.effective_duties(owner, include_retired=True)
    current = next((d for d in duties if d.key == editing), None)
    return render(
        request,
        "duties/duty_edit.html",
        {
            "org": owner,
            "duties": duties,
            "current": current,
            "editing": editing,
            "errors": errors,
            "org_kinds": [c for c in OrgKind.choices if c[0] != OrgKind.WORKING_COMMITTEE],
            "posts": PostKind.choices,
            "responsibilities": Responsibility.choices,
            "meeting_kinds": MeetingKind.choices,
        },
    )


# ---- statistics on request (最多报一次) ------------------------------------------------------


def _stat_request(request, action: Action = Action.READ):
    scope = scope_for(request.user)
    if not scope.paths.get(action):
        raise PermissionDenied(
            "您没有导出权限" if action == Action.EXPORT else "您没有查看统计的权限"
        )
    org = _org_param(request, action, required=False) or default_org(request.user)
    today = services.today()
    year = _year(request, today.year)
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
            "rows": [(r, table.cells(r.pk)) for r in table.rows] if table else [],
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
    for i, row in enumerate(table.rows, start=3):
        sheet.write(i, 0, row.name)
        sheet.write_row(i, 1, table.cells(row.pk))
    last = 3 + len(table.rows)
    sheet.write(last, 0, "合计", bold)
    sheet.write_row(last, 1, table.cells(None), bold)
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


# ---- the inbox -----------------------------------------------------------------------------


@login_required
@require_GET
def inbox(request):
    today = services.today()
    notices = Paginator(
        Notice.objects.filter(recipient=request.user).select_related("item"), 30
    ).get_page(request.GET.get("page"))
    todo = list(
        queries.todo_items(request.user)
        .select_related("organization", "parent__organization")
        .order_by("deadline")[:50]
    )
    for item in todo:
        item.days_left = (item.deadline - today).days
    review = list(
        queries.review_items(request.user)
        .select_related("organization", "parent__organization")
        .order_by("submitted_at")[:50]
    )
    leave = list(queries.pending_leave(request.user)[:50])
    return render(
        request,
        "duties/inbox.html",
        {
            "notices": notices,
            "todo": todo,
            "review": review,
            "leave": leave,
            "counts": queries.action_counts(request.user, today),
        },
    )


@login_required
@require_POST
def inbox_read(request):
    ids = request.POST.getlist("notice")
    if ids:
        try:
            services.mark_read(request.user, [int(i) for i in ids])
        except ValueError:
            raise Http404("消息不存在") from None
    else:
        services.mark_read(request.user)
    target = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ) or not target.startswith("/"):
        target = reverse("duties:inbox")
    return redirect(target)


@login_required
@require_GET
def inbox_badge(request):
    """The navigation badge, loaded after the page so other pages pay nothing for it."""
    counts = queries.action_counts(request.user, services.today())
    return render(request, "duties/_badge.html", {"counts": counts})
