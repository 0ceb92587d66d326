"""Duty-list pages: an organization's list by post, and the 机关党委's edits for its subtree."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from dangjian.accounts.access import Action, scope_for
from dangjian.accounts.models import Role
from dangjian.audit.services import Actor
from dangjian.core import clock
from dangjian.core.errors import ServiceValidationError
from dangjian.duties import queries, services
from dangjian.duties.models import Responsibility
from dangjian.duties.views.common import org_param, year_param
from dangjian.meetings.models import MeetingKind
from dangjian.meetings.queries import default_org
from dangjian.orgs.models import Organization, OrgKind, PostKind


@login_required
@require_GET
def duty_list(request):
    org = org_param(request, required=False) or default_org(request.user)
    if org is None:
        raise PermissionDenied("您没有查看责任清单的权限")
    today = clock.today()
    year = year_param(request, today.year)
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
            # The 上级 link only when the user may open it (issue 18).
            "parent": Organization.objects.filter(path=org.path[: -org.steplen]).first()
            if org.depth > 1 and scope.covers(org.path[: -org.steplen], Action.READ)
            else None,
        },
    )


@login_required
def duty_edit(request):
    """The 机关党委 edits the duties in force in its subtree (defaults stay for others)."""
    owner = org_param(request, Action.WRITE)
    services.require_duty_editor(Actor.from_request(request), owner)
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
