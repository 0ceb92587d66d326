"""What the responsibility-system pages share: the organization and year they are asked about,
and the messages of a refused write."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404

from dangjian.accounts.access import Action, get_org_for_user
from dangjian.core.errors import ServiceValidationError


def org_param(request, action: Action = Action.READ, *, required: bool = True):
    code = (request.GET.get("org") or request.POST.get("org") or "").strip().upper()
    if not code:
        if required:
            raise Http404("请指定组织")
        return None
    return get_org_for_user(request.user, code, action, field_name="code")


def year_param(request, default: int) -> int:
    try:
        year = int(request.GET.get("year") or default)
    except ValueError:
        return default
    return year if 2000 <= year <= 2100 else default


def show_errors(request, exc: ServiceValidationError) -> None:
    for message in exc.errors.values():
        messages.error(request, message)
