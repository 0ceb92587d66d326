"""Editing indicators in place (a draft, or a published scheme not yet frozen): one indicator's
text, maximum, source and weight, or the weights of several at once. Thin: the scheme through
`assessment.queries`, the writes through `assessment.services_edit`."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from dangjian.assessment import queries, services, services_edit
from dangjian.assessment.models import Indicator
from dangjian.assessment.views import _attempt
from dangjian.audit.services import Actor


def _managed(request, pk: int):
    scheme = queries.get_scheme_for_user(request.user, pk)
    if not services.can_manage(request.user, scheme.organization):
        raise PermissionDenied("只有考核单位的党务工作人员可以修改考核指标")
    return scheme


@login_required
@require_POST
def indicator_edit(request, pk: int):
    try:
        indicator = Indicator.objects.select_related("scheme").get(pk=pk)
    except (Indicator.DoesNotExist, ValueError):
        raise Http404("指标不存在") from None
    scheme = _managed(request, indicator.scheme_id)
    _attempt(
        request,
        "已修改指标",
        services_edit.edit_indicator,
        Actor.from_request(request),
        indicator,
        title=request.POST.get("title", ""),
        description=request.POST.get("description", ""),
        weight=request.POST.get("weight", ""),
        max_score=request.POST.get("max_score") or "100",
        source_key=request.POST.get("source_key", ""),
    )
    return redirect("assessment:detail", pk=scheme.pk)


@login_required
@require_POST
def reweigh(request, pk: int):
    scheme = _managed(request, pk)
    weights = {
        key.removeprefix("weight_"): value
        for key, value in request.POST.items()
        if key.startswith("weight_")
    }
    _attempt(
        request, "已调整权重", services_edit.reweigh, Actor.from_request(request), scheme, weights
    )
    return redirect("assessment:detail", pk=scheme.pk)
