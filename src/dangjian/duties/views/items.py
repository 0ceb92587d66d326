"""Work-item pages: the list, sending down and splitting, an item's page and its actions,
evidence files, and 督办 (what is overdue in the user's subtree).

Thin: every item is fetched for this user (`queries.get_item_for_user`), what the user may do
with it is `queries.item_actions`, and every write goes through `duties.services`.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from dangjian.accounts.access import Action, require_scope, visible_orgs
from dangjian.audit.services import Actor
from dangjian.core import clock, uploads
from dangjian.core.errors import ServiceValidationError
from dangjian.duties import queries, services
from dangjian.duties.models import Evidence, EvidenceKind, WorkStatus
from dangjian.duties.views.common import org_param, show_errors, year_param
from dangjian.meetings.models import MeetingKind
from dangjian.orgs.history import existing
from dangjian.orgs.models import Organization, OrgKind, PostKind

READER_ONLY = "您没有查看党建工作任务的权限"
# The held meetings offered as evidence on an item's page: the latest ones.
LINKABLE_MEETINGS = 30


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
    require_scope(request.user, Action.READ, READER_ONLY)
    today = clock.today()
    org = org_param(request, required=False)
    state = request.GET.get("state", "")
    if state not in dict(STATE_TABS):
        state = ""
    year = year_param(request, today.year) if request.GET.get("year") else None
    flt = queries.ItemFilter(org=org, state=state, year=year)
    page = Paginator(queries.item_list(request.user, flt, today), settings.PAGE_SIZE).get_page(
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
            "counts": {
                "items": queries.todo_items(request.user).count(),
                "review": queries.review_items(request.user).count(),
            },
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
    sender = org_param(request, Action.WRITE)
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
    rest are reached by "all branches under ..." or by typing codes). A dissolved one is not
    offered (the service refuses it)."""
    below = Organization.objects.filter(
        existing(), path__startswith=org.path, depth__gt=org.depth
    ).exclude(kind=OrgKind.PARTY_GROUP)
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
    return _detail_page(request, queries.get_item_for_user(request.user, pk))


def _detail_page(request, item, *, posted: dict | None = None, status: int = 200):
    """The item's page; after a refused action (`posted`: the form's name and what was typed),
    again with the refusal above and the typed text kept in its form."""
    today = clock.today()
    ancestors, tree = queries.item_tree(request.user, item, today)
    actions = queries.item_actions(request.user, item)
    item.state = queries.state_of(item.status, item.deadline, today)
    item.state_label = queries.STATE_LABELS[item.state]
    evidence = list(item.evidence.select_related("meeting", "meeting__organization"))
    has_children = item.children.exists()
    # A sent item asks its receivers for a post and evidence; it keeps none itself (issue 18).
    asked = _asked_of_children(item) if has_children else []
    meetings = []
    if actions.work and not has_children:
        linked = {e.meeting_id for e in evidence if e.meeting_id}
        meetings = [
            m for m in services.linkable_meetings(item)[:LINKABLE_MEETINGS] if m.pk not in linked
        ]
    return render(
        request,
        "duties/item_detail.html",
        {
            "item": item,
            "actions": actions,
            "ancestors": ancestors,
            "tree": tree,
            "summary": queries.tree_summary(tree),
            "events": list(item.events.select_related("actor")),
            "evidence": evidence,
            "meetings": meetings,
            "missing": services.missing_evidence(item)
            if item.status in (WorkStatus.OPEN, WorkStatus.RETURNED)
            else "",
            "has_children": has_children,
            "asked": asked,
            "today": today,
            "days_left": (item.deadline - today).days,
            "posted": posted or {},
        },
        status=status,
    )


def _item_action(request, pk: int, work, form: str = ""):
    item = queries.get_item_for_user(request.user, pk)
    try:
        message = work(Actor.from_request(request), item)
    except ServiceValidationError as exc:
        show_errors(request, exc)
        if form:  # a form with text typed in it: shown again with the text, not emptied
            item = queries.get_item_for_user(request.user, pk)
            posted = {"form": form, **request.POST.dict()}
            return _detail_page(request, item, posted=posted, status=400)
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

    return _item_action(request, pk, work, "progress")


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

    return _item_action(request, pk, work, "review")


@login_required
@require_POST
def item_withdraw(request, pk: int):
    def work(actor, item):
        count = services.withdraw(actor, item, request.POST.get("reason", ""))
        return f"已撤回{count}项任务"

    return _item_action(request, pk, work, "withdraw")


@login_required
@require_GET
def evidence_download(request, pk: int):
    try:
        evidence = Evidence.objects.select_related("item").get(pk=pk, kind=EvidenceKind.DOCUMENT)
    except (Evidence.DoesNotExist, ValueError):
        raise Http404("文件不存在") from None
    queries.get_item_for_user(request.user, evidence.item_id)
    return uploads.file_response(
        lambda: evidence.file.open("rb"),
        content_type=evidence.content_type,
        filename=evidence.original_name,
        missing="文件已不存在（可能已被清理），请联系系统管理员",
    )


# ---- 督办: what is overdue in my subtree ------------------------------------------------------


@login_required
@require_GET
def overdue(request):
    require_scope(request.user, Action.READ, READER_ONLY)
    today = clock.today()
    org = org_param(request, required=False)
    items = queries.overdue_items(request.user, today, org)
    return render(
        request,
        "duties/overdue.html",
        {"items": items, "org": org, "today": today},
    )


def _asked_of_children(item) -> list[dict[str, str]]:
    """The distinct post and evidence the direct children were sent with, as display labels."""
    shown = []
    for child in item.children.only(
        "responsible_post", "evidence_kind", "evidence_meeting_kind", "evidence_note"
    ).order_by("pk"):
        entry = {
            "post": child.get_responsible_post_display() or "未指定",
            "evidence": child.get_evidence_kind_display()
            + (
                f"：{child.get_evidence_meeting_kind_display()}"
                if child.evidence_meeting_kind
                else ""
            ),
        }
        if entry not in shown:
            shown.append(entry)
    return shown
