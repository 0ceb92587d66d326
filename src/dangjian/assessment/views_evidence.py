"""The self-assessment's linked records (自评佐证): link one, unlink one. Thin: the target through
`assessment.queries`, the write through `assessment.services_evidence`."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from dangjian.assessment import queries, services_evidence
from dangjian.assessment.models import SelfEvidence
from dangjian.assessment.views import _attempt
from dangjian.audit.services import Actor


@login_required
@require_POST
def evidence_link(request, pk: int):
    target = queries.get_target_for_user(request.user, pk)
    kind = request.POST.get("kind", "")
    _attempt(
        request,
        "已关联自评佐证",
        services_evidence.link,
        Actor.from_request(request),
        target,
        kind,
        request.POST.get(f"record_{kind}", request.POST.get("record", "")),
        request.POST.get("note", ""),
    )
    return redirect("assessment:target", pk=target.pk)


@login_required
@require_POST
def evidence_unlink(request, pk: int):
    try:
        row = SelfEvidence.objects.get(pk=pk)
    except (SelfEvidence.DoesNotExist, ValueError):
        raise Http404("自评佐证不存在") from None
    row.target = queries.get_target_for_user(request.user, row.target_id)
    _attempt(request, "已取消关联", services_evidence.unlink, Actor.from_request(request), row)
    return redirect("assessment:target", pk=row.target.pk)
