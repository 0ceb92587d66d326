"""Transfer pages: an organization's transfers in and out, one transfer with its steps and the
forms of the next step, starting a transfer, registering a letter from outside, and the letter
as .docx. Thin: reads through `queries`, writes through `services`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.accounts.access import Action, get_org_for_user, require_scope, scope_for
from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor, record
from dangjian.core import office
from dangjian.core.clock import today
from dangjian.core.errors import ServiceValidationError
from dangjian.members.access import get_member_for_user
from dangjian.orgs.models import Organization, OrgKind
from dangjian.regulations import transfers as rules
from dangjian.regulations.transfers import LIMBO_RULE
from dangjian.transfers import documents, queries, services
from dangjian.transfers import mobile as mobile_services
from dangjian.transfers.models import TransferKind, TransferStatus

MEMBER_FIELDS = ("id_number", "phone", "status", "admitted_on", "confirmed_on", "job_title")


def _date(raw: str | None, field: str, label: str) -> dt.date:
    if not raw:
        raise ServiceValidationError({field: f"请填写{label}"})
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ServiceValidationError({field: f"{label}格式应为 YYYY-MM-DD"}) from None


def _org(request) -> Organization:
    require_scope(request.user, Action.READ, "您没有查看组织关系转接的权限")
    raw = request.GET.get("org")
    if raw:
        return get_org_for_user(request.user, raw)
    first = scope_for(request.user).paths[Action.READ][0]
    return Organization.objects.get(path=first)


@login_required
@require_GET
def transfer_list(request):
    """An organization's transfers: out and not yet received, in and not yet received (both
    with the letter's state), the ones waiting for the user, and the recently closed."""
    org = _org(request)
    now = today()
    lists = queries.for_organization(org)
    rows = {
        key: [(t, queries.letter_state(t, now)) for t in lists[key][:200]]
        for key in ("outgoing", "incoming")
    }
    return render(
        request,
        "transfers/list.html",
        {
            "org": org,
            "outgoing": rows["outgoing"],
            "incoming": rows["incoming"],
            "closed": lists["closed"][:50],
            "waiting": queries.waiting_for(request.user)[:50],
            "can_write": scope_for(request.user).covers(org.path, Action.WRITE),
            "is_branch": org.kind == OrgKind.BRANCH,
            "can_bulk": org.kind == OrgKind.BRANCH and services.may_bulk_move(request.user, org),
            "limbo": LIMBO_RULE.citation,
        },
    )


def _actions(user, transfer) -> dict[str, bool]:
    """Which forms the page offers; the services decide again on submit."""
    scope = scope_for(user)

    def writes(org) -> bool:
        return org is not None and scope.covers(org.path, Action.WRITE)

    receiving = (
        transfer.from_organization
        if transfer.kind == TransferKind.OUT
        else transfer.to_organization
    )
    starter = (
        transfer.to_organization if transfer.kind == TransferKind.IN else transfer.from_organization
    )
    applied = transfer.status == TransferStatus.APPLIED
    approved = transfer.status == TransferStatus.APPROVED
    return {
        "approve": applied and services.may_approve(user, transfer),
        "receive": approved and writes(receiving),
        "return": (applied and services.may_approve(user, transfer))
        or (approved and writes(receiving)),
        "cancel": transfer.is_open and writes(starter),
        "letter": transfer.letter_number != ""
        and transfer.from_organization is not None
        and scope.covers(transfer.from_organization.path, Action.EXPORT),
    }


@login_required
@require_GET
def transfer_detail(request, pk: int):
    return _detail_page(request, queries.get_transfer_for_user(request.user, pk))


def _detail_page(request, transfer, *, posted: dict | None = None, status: int = 200):
    """The transfer's page; after a refused step (`posted`: the form's name and what was
    typed), again with the refusal above and the typed values kept in their form."""
    return render(
        request,
        "transfers/detail.html",
        {
            "transfer": transfer,
            "steps": transfer.steps.all(),
            "letter": queries.letter_state(transfer, today()),
            "pdf": office.available(),
            "pdf_note": office.PDF_MISSING_NOTE,
            "can": _actions(request.user, transfer),
            "today": today(),
            "member_fields": transfer.kind == TransferKind.IN,
            "posted": posted or {},
        },
        status=status,
    )


# What each step's confirmation says was saved ("已办理" alone did not say what happened).
DONE = {
    "approve": "已审核通过，介绍信已开具，等待对方接收",
    "receive": "已办结接收，组织关系自接收之日起转移",
    "return": "已退回，组织关系未转移",
    "cancel": "已撤销，组织关系未转移",
}


def _act(request, pk: int, do, form: str) -> HttpResponse:
    transfer = queries.get_transfer_for_user(request.user, pk)
    try:
        do(Actor.from_request(request), transfer, request.POST)
        messages.success(request, DONE[form])
    except ServiceValidationError as exc:
        for message in exc.errors.values():
            messages.error(request, message)
        # The form again with what was typed (a receiving form holds a whole member's data).
        transfer = queries.get_transfer_for_user(request.user, pk)
        posted = {"form": form, **request.POST.dict()}
        return _detail_page(request, transfer, posted=posted, status=400)
    return redirect("transfers:detail", pk=transfer.pk)


@login_required
@require_POST
def approve(request, pk: int):
    return _act(
        request,
        pk,
        lambda actor, t, post: services.approve(
            actor, t, _date(post.get("approved_on"), "approved_on", "审核日期")
        ),
        "approve",
    )


@login_required
@require_POST
def receive(request, pk: int):
    def do(actor, t, post):
        data = None
        if t.kind == TransferKind.IN:
            data = {f: post.get(f, "") for f in MEMBER_FIELDS}
            data["name"] = t.person_name
        services.receive(
            actor,
            t,
            _date(post.get("received_on"), "received_on", "接收日期"),
            late_note=post.get("late_note", ""),
            member_data=data,
        )

    return _act(request, pk, do, "receive")


@login_required
@require_POST
def return_view(request, pk: int):
    return _act(
        request,
        pk,
        lambda actor, t, post: services.return_transfer(actor, t, post.get("return_reason", "")),
        "return",
    )


@login_required
@require_POST
def cancel(request, pk: int):
    return _act(
        request,
        pk,
        lambda actor, t, post: services.cancel(actor, t, post.get("reason", "")),
        "cancel",
    )


def _destination(code: str) -> Organization:
    code = (code or "").strip().upper()
    if not code:
        raise ServiceValidationError({"to_organization": "请填写转入党支部的组织编码"})
    found = Organization.objects.filter(code=code).first()
    if found is None:
        raise ServiceValidationError({"to_organization": f"未找到组织编码为{code}的党组织"})
    return found


# The kinds a branch starts, in the order the first step offers them; each form shows only its
# own fields (a secretary could not tell which of the mixed fields applied).
START_KINDS = (TransferKind.WITHIN, TransferKind.OUT)


@login_required
@require_http_methods(["GET", "POST"])
def new_transfer(request):
    """The sending branch starts a transfer of one of its members (`?member=`): first the kind
    (`?kind=` missing: a choice that works without JavaScript), then the form of that kind only.
    A refused form comes back (400) with what was typed and the reason."""
    member = get_member_for_user(request.user, request.GET.get("member"), Action.WRITE)
    errors: dict[str, str] = {}
    source = request.POST if request.method == "POST" else request.GET
    kind = source.get("kind", "")
    status = 200
    if request.method == "POST":
        post = request.POST
        try:
            transfer = services.start(
                Actor.from_request(request),
                member,
                kind=kind,
                reason=post.get("reason", ""),
                applied_on=_date(post.get("applied_on"), "applied_on", "申请日期"),
                to_organization=_destination(post.get("to_code", ""))
                if kind == TransferKind.WITHIN
                else None,
                to_name=post.get("to_name", ""),
                to_address=post.get("to_address", ""),
            )
        except ServiceValidationError as exc:
            errors, status = exc.errors, 400
        else:
            messages.success(request, "已提交转出申请，等待机关党委审核并开具介绍信。")
            return redirect("transfers:detail", pk=transfer.pk)
    elif kind and kind not in START_KINDS:
        errors, status = {"kind": "请选择转往哪里"}, 400
    return render(
        request,
        "transfers/new.html",
        {
            "member": member,
            "errors": errors,
            "today": today(),
            "post": request.POST,
            "kind": kind if kind in START_KINDS else "",
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def register_incoming(request):
    """The receiving branch records a letter from an organization outside the platform."""
    org = _org(request)
    branch = get_org_for_user(request.user, org.pk, Action.WRITE)
    errors: dict[str, str] = {}
    if request.method == "POST":
        post = request.POST
        try:
            transfer = services.register_incoming(
                Actor.from_request(request),
                branch,
                person_name=post.get("person_name", ""),
                from_name=post.get("from_name", ""),
                letter_number=post.get("letter_number", ""),
                issued_on=_date(post.get("issued_on"), "issued_on", "介绍信开具日期"),
                valid_until=_date(post.get("valid_until"), "valid_until", "有效期"),
                reason=post.get("reason", ""),
            )
            messages.success(request, "已登记介绍信，党员报到时在此办理接收")
            return redirect("transfers:detail", pk=transfer.pk)
        except ServiceValidationError as exc:
            errors = exc.errors
    return render(
        request,
        "transfers/incoming.html",
        {"org": branch, "errors": errors, "post": request.POST},
    )


@login_required
@require_GET
def letter(request, pk: int):
    """The introduction letter (介绍信: stub, letter, receipt) as .docx; audited as an export.
    Only the sending side issues it."""
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    transfer = queries.get_transfer_for_user(request.user, pk)
    org = transfer.from_organization
    if org is None or not scope_for(request.user).covers(org.path, Action.EXPORT):
        raise PermissionDenied("介绍信由转出方党组织开具")
    if not transfer.letter_number:
        raise Http404("尚未开具介绍信")
    body = documents.render_letter(transfer)
    pdf = office.pdf_or_none(body, request.GET.get("format"))
    kind = "（PDF）" if pdf is not None else ""
    record(
        Actor.from_request(request),
        AuditAction.EXPORT,
        transfer,
        message=f"生成组织关系介绍信{kind}",
    )
    name = f"transfer-{transfer.pk}-letter"
    if pdf is not None:
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
        return response
    response = HttpResponse(
        body,
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.docx"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def bulk(request):
    """整建制转移: the 机关党委 moves a whole branch's members (or those chosen) to another
    branch on a date. A form, a preview listing who moves, one confirmation; all or nothing."""
    from django.core.exceptions import PermissionDenied

    source = _org(request)
    if source.kind != OrgKind.BRANCH or not services.may_bulk_move(request.user, source):
        raise PermissionDenied("整建制转移由上级党委（机关党委）对党支部办理")
    members = queries.bulk_candidates(source)
    busy = services.in_transit(source)
    targets = queries.bulk_targets(request.user, source)
    errors: dict[str, str] = {}
    post = request.POST
    stage = "form"
    chosen: list = []
    target = None
    if request.method == "POST":
        try:
            target = next((t for t in targets if str(t.pk) == post.get("target")), None)
            on = _date(post.get("on"), "on", "转移日期")
            ids = [int(x) for x in post.getlist("members") if x.isdigit()]
            actor = Actor.from_request(request)
            if post.get("action") == "confirm":
                moved = services.bulk_move(actor, source, target, on, post.get("reason", ""), ids)
                assert target is not None
                messages.success(request, f"已将{len(moved)}名党员整建制转入{target.name}")
                return redirect(f"{reverse('transfers:list')}?org={target.pk}")
            chosen = services.check_bulk_move(
                actor, source, target, on, post.get("reason", ""), ids
            )
            stage = "preview"
        except ServiceValidationError as exc:
            errors = exc.errors
    selected = {int(x) for x in post.getlist("members") if x.isdigit()}
    return render(
        request,
        "transfers/bulk.html",
        {
            "org": source,
            "stage": stage,
            "rows": [
                (
                    m,
                    m.pk in busy,
                    (m.pk in selected) if request.method == "POST" else m.pk not in busy,
                )
                for m in members
            ],
            "busy": len(busy),
            "targets": targets,
            "target": target,
            "chosen": chosen,
            "errors": errors,
            "post": post,
            "today": today(),
        },
    )


def branch_records_post(
    request,
    org: Organization,
    refusal: str,
    handle: Callable[[HttpRequest, Organization], str | None],
    url_name: str,
) -> tuple[bool, HttpResponse | None, dict[str, str]]:
    """The write side of a branch's records page (流动党员, 失去联系与出国出境): whether the user
    may write there, and on a POST the branch's writers' record handled by `handle` (which may
    return a message to show) and a redirect back, or the Chinese errors of a refused one."""
    can_write = org.kind == OrgKind.BRANCH and scope_for(request.user).covers(
        org.path, Action.WRITE
    )
    if request.method != "POST":
        return can_write, None, {}
    branch = get_org_for_user(request.user, org.pk, Action.WRITE)
    if branch.kind != OrgKind.BRANCH:
        raise PermissionDenied(refusal)
    try:
        message = handle(request, branch)
    except ServiceValidationError as exc:
        return can_write, None, exc.errors
    if message:
        messages.success(request, message)
    return can_write, redirect(f"{reverse(url_name)}?org={org.pk}"), {}


def _mobile_post(request, branch: Organization) -> None:
    """Add a 流动党员 record for a member of the branch, or end one (the member is back)."""
    from dangjian.members.models import Member
    from dangjian.transfers.models import MobileRecord

    post, actor = request.POST, Actor.from_request(request)
    if post.get("action") == "end":
        row = MobileRecord.objects.filter(
            pk=post.get("record") if (post.get("record") or "").isdigit() else None,
            member__organization=branch,
        ).first()
        if row is None:
            raise ServiceValidationError({"record": "未找到该流动党员记录"})
        mobile_services.end_mobile(actor, row, _date(post.get("ended_on"), "ended_on", "返回日期"))
        messages.success(request, "已登记返回")
        return
    raw = post.get("member") or ""
    member = Member.objects.filter(
        pk=raw if raw.isdigit() else None, organization=branch, left_on__isnull=True
    ).first()
    if member is None:
        raise ServiceValidationError({"member": "请选择本支部的在册党员"})
    mobile_services.record_mobile(
        actor,
        member,
        place=post.get("place", ""),
        since=_date(post.get("since"), "since", "外出日期"),
        contact_org=post.get("contact_org", ""),
        certificate=post.get("certificate", ""),
        fixed_place=post.get("fixed_place") == "1",
    )
    messages.success(request, "已登记流动党员")


@login_required
@require_http_methods(["GET", "POST"])
def mobile(request):
    """流动党员: the branch's members away (where, since when, the organization they report to
    there); counts for a level above. Writers of the branch add and end records."""
    org = _org(request)
    can_write, done, errors = branch_records_post(
        request, org, "流动党员由所在党支部登记", _mobile_post, "transfers:mobile"
    )
    if done is not None:
        return done
    now = today()
    records = list(queries.mobile_records(org)[:500])
    away = {r.member_id for r in records}
    return render(
        request,
        "transfers/mobile.html",
        {
            "org": org,
            "rows": [(r, rules.should_transfer(r.since, r.fixed_place, now)) for r in records],
            "counts": queries.mobile_counts(org, now),
            "candidates": [m for m in queries.bulk_candidates(org) if m.pk not in away]
            if can_write
            else [],
            "can_write": can_write,
            "errors": errors,
            "post": request.POST,
            "today": now,
            "rule": rules.MOBILE_RULE.citation,
        },
    )
