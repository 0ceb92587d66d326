"""The phone sitting's pages (手机评议): open and close for the assessing committee, one ballot
page for each member present. Thin: every write is `services_sitting`'s."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from dangjian.assessment import queries, services
from dangjian.assessment import services_sitting as sittings
from dangjian.assessment.models import Indicator, Sitting, SourceKind
from dangjian.audit.services import Actor
from dangjian.core.clock import today
from dangjian.core.errors import ServiceValidationError
from dangjian.regulations.assessment import VOTE_CHOICES


def _flash(request, exc: ServiceValidationError) -> None:
    for message in exc.errors.values():
        messages.error(request, message)


@login_required
@require_POST
def sitting_open(request, pk: int):
    scheme = queries.get_scheme_for_user(request.user, pk)
    if not services.can_manage(request.user, scheme.organization):
        raise PermissionDenied("只有考核单位的党务工作人员可以组织评议")
    indicator = Indicator.objects.filter(
        scheme=scheme, pk=request.POST.get("indicator") or 0, source_kind=SourceKind.VOTES
    ).first()
    if indicator is None:
        messages.error(request, "请选择本方案中的述职评议指标")
        return redirect("assessment:detail", pk=scheme.pk)
    try:
        sitting = sittings.open_sitting(Actor.from_request(request), scheme, indicator, today())
    except ServiceValidationError as exc:
        _flash(request, exc)
        return redirect("assessment:detail", pk=scheme.pk)
    messages.success(request, "手机评议已开始：请参会党员在手机上打开待办中的评议")
    return redirect("assessment:sitting", pk=sitting.pk)


def _sitting(pk: int) -> Sitting:
    try:
        return Sitting.objects.select_related("scheme__organization", "indicator").get(pk=pk)
    except (Sitting.DoesNotExist, ValueError):
        raise Http404("评议不存在") from None


@login_required
@require_http_methods(["GET", "POST"])
def sitting(request, pk: int):
    """The ballot for a voter; the count of voters (never their choices) for the committee."""
    found = _sitting(pk)
    manage = services.can_manage(request.user, found.scheme.organization)
    votes = sittings.may_vote(request.user, found)
    if not manage and not votes:
        raise Http404("评议不存在")
    if request.method == "POST":
        if not votes:
            raise PermissionDenied("只有本单位党员可以参加评议")
        chosen = {}
        for key, value in request.POST.items():
            if key.startswith("t_") and key[2:].isdigit():
                chosen[int(key[2:])] = value
        try:
            sittings.cast(Actor.from_request(request), found, chosen)
        except ServiceValidationError as exc:
            _flash(request, exc)
        else:
            messages.success(request, "已投票。投票不记名，任何人都看不到您的选择")
        return redirect("assessment:sitting", pk=found.pk)
    voted = found.voters.filter(user=request.user).exists()
    targets = list(
        found.scheme.targets.filter(pk__in=found.counts.values("target_id"))
        .select_related("organization", "member", "scheme")
        .order_by("organization__path")
    )
    return render(
        request,
        "assessment/sitting.html",
        {
            "sitting": found,
            "scheme": found.scheme,
            "manage": manage,
            "may_vote": votes and not voted and found.closed_at is None,
            "voted": voted,
            "voters": found.voters.count(),
            "targets": targets,
            "choices": VOTE_CHOICES,
        },
    )


@login_required
@require_POST
def sitting_close(request, pk: int):
    found = _sitting(pk)
    if not services.can_manage(request.user, found.scheme.organization):
        if sittings.may_vote(request.user, found):
            raise PermissionDenied("只有考核单位的党务工作人员可以结束评议")
        raise Http404("评议不存在")
    try:
        voters = sittings.close_sitting(Actor.from_request(request), found)
    except ServiceValidationError as exc:
        _flash(request, exc)
        return redirect("assessment:sitting", pk=found.pk)
    messages.success(request, f"评议已结束，{voters}人投票，各考核对象的计票已记入")
    return redirect("assessment:detail", pk=found.scheme_id)
