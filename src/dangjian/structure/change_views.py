"""Pages for the dated changes of an organization (docs/organization-history.md): 新建下级党组织
(founding one under it), 调整组织类型 and 撤销组织, for the 机关党委 (or 机关工委) above it.
Thin: the services check and write (one audited event, nothing written when refused); a refusal
comes back as its Chinese message."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render

from dangjian.accounts.access import (
    administers_structure,
    founds_under,
    get_org_for_user,
    scope_for,
)
from dangjian.audit.services import Actor
from dangjian.core import clock
from dangjian.core.errors import ServiceValidationError
from dangjian.core.inputs import form_day
from dangjian.orgs.models import Organization, OrgKind
from dangjian.orgs.services import ALLOWED_CHILDREN, create_organization
from dangjian.structure.queries import dissolved_on
from dangjian.structure.services import change_kind, dissolve_organization


def _administered(request, pk: int) -> Organization:
    """The organization, 404 outside the user's read scope, 403 unless the user administers
    the structure above it."""
    org = get_org_for_user(request.user, pk)
    if not administers_structure(request.user, org):
        raise PermissionDenied("只有上级机关党委（机关工委）可以调整组织设置")
    return org


def _day(value: str, field: str, errors: dict[str, str]) -> dt.date | None:
    return form_day(value, field, errors, required=True, invalid="请填写有效的日期")


def _split(errors: dict[str, str], fields: set[str]) -> tuple[dict[str, str], list[str]]:
    """The service's refusals beside their fields, the others above the form."""
    return (
        {k: v for k, v in errors.items() if k in fields},
        [v for k, v in errors.items() if k not in fields],
    )


@login_required
def org_found_child(request, pk: int):
    """新建下级党组织 under the organization `pk`: name, kind (those it may hold), code and the
    founding day; the new organization's page after it."""
    parent = get_org_for_user(request.user, pk)
    if not founds_under(request.user, parent):
        raise PermissionDenied("只有本级或上级机关党委（机关工委）可以新建下级党组织")
    kinds = [(v, label) for v, label in OrgKind.choices if v in ALLOWED_CHILDREN[parent.kind]]
    if request.method == "POST":
        data, errors = request.POST, {}
        on = _day(data.get("founded_on", ""), "founded_on", errors)
        if on is not None:
            try:
                org = create_organization(
                    Actor.from_request(request),
                    parent,
                    name=data.get("name", ""),
                    kind=data.get("kind", ""),
                    code=data.get("code", ""),
                    founded_on=on,
                )
            except ServiceValidationError as exc:
                errors = exc.errors
            else:
                messages.success(request, f"已新建{org.name}")
                return redirect("orgs:detail", pk=org.pk)
    else:
        data, errors = {"founded_on": clock.today().isoformat()}, {}
    field_errors, other_errors = _split(errors, {"name", "kind", "code", "founded_on"})
    return render(
        request,
        "orgs/found_child.html",
        {
            "org": parent,
            "kinds": kinds,
            "dissolved_on": dissolved_on(parent),
            "data": data,
            "errors": field_errors,
            "other_errors": other_errors,
        },
    )


@login_required
def org_change_kind(request, pk: int):
    org = _administered(request, pk)
    parent = Organization.objects.get_parent(org)
    kinds = [
        (value, label)
        for value, label in OrgKind.choices
        if value != org.kind and value in ALLOWED_CHILDREN[parent.kind if parent else None]
    ]
    data, errors = request.POST if request.method == "POST" else {}, {}
    if request.method == "POST":
        on = _day(data.get("changed_on", ""), "changed_on", errors)
        if on is not None:
            try:
                change_kind(Actor.from_request(request), org, data.get("kind", ""), on)
            except ServiceValidationError as exc:
                errors = exc.errors
            else:
                messages.success(request, f"已调整组织类型为{org.get_kind_display()}")
                return redirect("orgs:detail", pk=org.pk)
    field_errors, other_errors = _split(errors, {"kind", "changed_on"})
    return render(
        request,
        "orgs/change_kind.html",
        {
            "org": org,
            "kinds": kinds,
            "data": data,
            "errors": field_errors,
            "other_errors": other_errors,
        },
    )


@login_required
def org_dissolve(request, pk: int):
    org = _administered(request, pk)
    data, errors = request.POST if request.method == "POST" else {}, {}
    if request.method == "POST":
        on = _day(data.get("dissolved_on", ""), "dissolved_on", errors)
        merged_into = None
        code = data.get("merged_into", "").strip().upper()
        if code:
            merged_into = (
                Organization.objects.filter(code=code, **_readable(request.user)).first()
                if code != org.code
                else org
            )
            if merged_into is None:
                errors["merged_into"] = f"找不到组织编码 {code}"
        if data.get("confirm") != "yes":
            errors["confirm"] = "请勾选确认：撤销后不能恢复"
        if on is not None and not errors:
            try:
                dissolve_organization(Actor.from_request(request), org, on, merged_into=merged_into)
            except ServiceValidationError as exc:
                errors = exc.errors
            else:
                messages.success(request, f"已撤销{org.name}")
                return redirect("orgs:detail", pk=org.pk)
    field_errors, other_errors = _split(errors, {"dissolved_on", "merged_into", "confirm"})
    return render(
        request,
        "orgs/dissolve.html",
        {"org": org, "data": data, "errors": field_errors, "other_errors": other_errors},
    )


def _readable(user) -> dict:
    """A filter on organizations the user may read (the merged-into organization)."""
    scope = scope_for(user)
    return {"pk__in": Organization.objects.filter(scope.org_q()).values("pk")}
