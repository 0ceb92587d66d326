"""Member pages: thin, every object fetched through the access module."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from dangjian.accounts.access import (
    Action,
    get_org_for_user,
    member_allows,
    require_member_reader,
    scope_for,
    visible_orgs,
)
from dangjian.audit.services import Actor
from dangjian.core.errors import ServiceValidationError
from dangjian.members import services
from dangjian.members.access import get_member_for_user
from dangjian.members.forms import MemberForm, MoveForm
from dangjian.members.models import MemberCategory, MemberStatus
from dangjian.members.queries import MemberFilter, member_list
from dangjian.orgs.models import Organization, OrgKind, PostKind


def _filter_from_request(request) -> MemberFilter:
    code = (request.GET.get("org") or "").strip()
    org = get_org_for_user(request.user, code, field_name="code") if code else None
    return MemberFilter.from_params(request.GET, org)


@login_required
def member_list_view(request):
    flt = _filter_from_request(request)
    require_member_reader(request.user)
    scope = scope_for(request.user)
    qs = member_list(request.user, flt)
    page = Paginator(qs, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    # A secretary without a filter still gets the "add" button for the one branch they run.
    add_org = flt.org
    if add_org is None and len(scope.paths.get(Action.WRITE, [])) == 1:
        add_org = Organization.objects.filter(path=scope.paths[Action.WRITE][0]).first()
    context = {
        "add_org": add_org
        if add_org is not None
        and add_org.kind == OrgKind.BRANCH
        and scope.covers(add_org.path, Action.WRITE)
        else None,
        "page": page,
        "flt": flt,
        "query": query.urlencode(),
        "status_choices": MemberStatus.choices,
        "category_choices": MemberCategory.choices,
        "post_choices": [("any", "任一职务"), *PostKind.choices],
        "can_export": bool(scope.paths.get(Action.EXPORT)),
        "can_reveal": bool(scope.paths.get(Action.REVEAL)),
        "can_import": bool(scope.paths.get(Action.WRITE)),
    }
    if flt.id_number_dropped:
        context["id_search_refused"] = (
            "按身份证号查找会记入审计日志：请使用「按身份证号查找」并填写查询事由"
            if context["can_reveal"]
            else "您没有按身份证号查找的权限，请按姓名或拼音查找"
        )
    template = (
        "members/_rows.html"
        if request.htmx and request.htmx.target == "member-rows"
        else "members/list.html"
    )
    return render(request, template, context)


class FindByIdForm(forms.Form):
    id_number = forms.CharField(label="身份证号", max_length=30)
    reason = forms.CharField(
        label="查询事由", max_length=200, help_text="如：核对组织关系转入材料；记入审计日志"
    )


@login_required
def member_find_by_id(request):
    """Find a member by a whole ID number: a reveal, so POST only, with a reason, audited."""
    if not services.may_find_by_id_number(request.user):
        raise PermissionDenied("您没有按身份证号查找的权限（可按姓名或拼音查找）")
    form = FindByIdForm(request.POST or None)
    found = None
    if request.method == "POST" and form.is_valid():
        try:
            found = services.find_by_id_number(
                Actor.from_request(request),
                form.cleaned_data["id_number"],
                form.cleaned_data["reason"],
            )
        except ServiceValidationError as exc:
            for field, message in exc.errors.items():
                form.add_error(field if field in form.fields else None, message)
    return render(request, "members/find_by_id.html", {"form": form, "found": found})


@login_required
def member_export(request):
    """The roster as .xlsx. Unmasked (full ID and mobile numbers), it first says how many people
    the file will hold and asks for a reason, which the audit event keeps (issue 18)."""
    flt = _filter_from_request(request)
    unmasked = request.GET.get("unmasked") == "1"
    reason = ""
    if unmasked:
        count = services.export_queryset(request.user, flt, unmasked=True).count()
        reason = request.POST.get("reason", "")
        error = ""
        if request.method == "POST":
            try:
                content, _count = services.export_members(
                    Actor.from_request(request), flt, unmasked=True, reason=reason
                )
            except ServiceValidationError as exc:
                error = exc.errors.get("reason", "请填写事由")
            else:
                return _xlsx_download(content)
        return render(
            request,
            "members/export_unmasked.html",
            {
                "count": count,
                "flt": flt,
                "reason": reason,
                "error": error,
                "max_reason": services.EXPORT_REASON_MAX,
                "query": request.GET.urlencode(),
            },
            status=400 if error else 200,
        )
    content, _count = services.export_members(Actor.from_request(request), flt)
    return _xlsx_download(content)


def _xlsx_download(content: bytes) -> HttpResponse:
    stamp = timezone.localtime().strftime("%Y%m%d%H%M")
    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="members-{stamp}.xlsx"'
    return response


@login_required
def member_detail(request, pk: int):
    member = get_member_for_user(request.user, pk)
    posts = member.posts.select_related("organization").order_by("-started_on")
    return render(
        request,
        "members/detail.html",
        {
            "member": member,
            "posts": posts,
            # The membership history (党籍变动): where and as what the member counted, and when.
            "spells": member.spells.select_related("organization").order_by("started_on", "pk"),
            "can_write": member_allows(request.user, member, Action.WRITE),
            # Without it, the birth year only: the date is digits 7–14 of the ID number.
            "can_reveal": member_allows(request.user, member, Action.REVEAL),
        },
    )


@login_required
@require_POST
def member_reveal(request, pk: int, field: str):
    if field not in services.REVEALABLE:
        raise Http404()
    member = get_member_for_user(request.user, pk, Action.REVEAL)
    value = services.reveal(Actor.from_request(request), member, field)
    return render(request, "members/_revealed.html", {"value": value})


@login_required
def member_create(request):
    code = request.GET.get("org") or request.POST.get("org") or ""
    org = get_org_for_user(request.user, code, Action.WRITE, field_name="code")
    if org.kind != OrgKind.BRANCH:
        raise Http404("党员只能添加到党支部")
    form = MemberForm(request.POST or None, initial={"ethnicity": "汉族", "category": "employed"})
    if not scope_for(request.user).covers(org.path, Action.REVEAL):
        del form.fields["employee_number"]
    if request.method == "POST" and form.is_valid():
        try:
            member, warnings = services.create_member(
                Actor.from_request(request), org, form.cleaned_data
            )
        except ServiceValidationError as exc:
            form.add_service_errors(exc.errors)
        else:
            for warning in warnings:
                messages.warning(request, warning)
            messages.success(request, f"已添加党员 {member.name}")
            return redirect("members:detail", pk=member.pk)
    return render(
        request, "members/form.html", {"form": form, "org": org, "title": f"添加党员 · {org.name}"}
    )


@login_required
def member_edit(request, pk: int):
    member = get_member_for_user(request.user, pk, Action.WRITE)
    initial = {
        "name": member.name,
        # Masked: the edit form is no unaudited way round the reveal button.
        "id_number": member.id_number_masked,
        "phone": member.phone_masked,
        "status": member.status,
        "category": member.category,
        "admitted_on": member.admitted_on_display,
        "confirmed_on": member.confirmed_on_display,
        "ethnicity": member.ethnicity,
        "education": member.education,
        "job_title": member.job_title,
        # No digit of it: the form is no way round the reveal button either.
        "employee_number": member.EMPLOYEE_NUMBER_MASK if member.employee_number_encrypted else "",
    }
    form = MemberForm(request.POST or None, initial=initial)
    if not member_allows(request.user, member, Action.REVEAL):
        del form.fields["employee_number"]
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        if data.get("employee_number", "").strip() == member.EMPLOYEE_NUMBER_MASK:
            del data["employee_number"]
        # A field left showing its mask means "unchanged".
        if data.get("id_number", "").strip() == member.id_number_masked:
            data["id_number"] = member.id_number
        if member.phone_encrypted and data.get("phone", "").strip() == member.phone_masked:
            data["phone"] = member.phone
        try:
            member, warnings = services.update_member(Actor.from_request(request), member, data)
        except ServiceValidationError as exc:
            form.add_service_errors(exc.errors)
        else:
            for warning in warnings:
                messages.warning(request, warning)
            messages.success(request, "已保存")
            return redirect("members:detail", pk=member.pk)
    return render(
        request,
        "members/form.html",
        {"form": form, "member": member, "title": f"编辑党员 · {member.name}"},
    )


@login_required
def member_move(request, pk: int):
    member = get_member_for_user(request.user, pk, Action.WRITE)
    writable = visible_orgs(request.user, Action.WRITE)
    branches = list(writable.filter(kind=OrgKind.BRANCH).order_by("path"))
    groups = list(writable.filter(kind=OrgKind.PARTY_GROUP).order_by("path"))
    branch_names = {b.path: b.name for b in branches}
    group_choices = [
        (g.pk, f"{branch_names.get(g.path[: -g.steplen], '')} / {g.name}") for g in groups
    ]
    form = MoveForm(
        request.POST or None,
        branch_choices=[(b.pk, b.name) for b in branches],
        group_choices=group_choices,
        initial={
            "organization": member.organization_id,
            "party_group": member.party_group_id or "",
        },
    )
    if request.method == "POST" and form.is_valid():
        target = get_org_for_user(request.user, form.cleaned_data["organization"], Action.WRITE)
        group_id = form.cleaned_data.get("party_group")
        group = get_org_for_user(request.user, group_id, Action.WRITE) if group_id else None
        try:
            services.move_member(
                Actor.from_request(request),
                member,
                target,
                group,
                reason=form.cleaned_data["reason"],
            )
        except ServiceValidationError as exc:
            for field, message in exc.errors.items():
                form.add_error(field if field in form.fields else None, message)
        else:
            messages.success(request, f"已将 {member.name} 调至 {target.name}")
            return redirect("members:detail", pk=member.pk)
    return render(request, "members/move.html", {"form": form, "member": member})
