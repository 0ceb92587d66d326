"""A member's own side of organizational life: 我的会议 and leave (ask, withdraw; the secretary
decides)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from dangjian.accounts.access import Action
from dangjian.audit.services import Actor
from dangjian.core import clock
from dangjian.core.errors import ServiceValidationError
from dangjian.meetings import services
from dangjian.meetings.models import LeaveRequest
from dangjian.meetings.queries import (
    attendance_history,
    get_meeting_for_user,
    is_expected,
    leave_requests_of,
    own_member,
    upcoming_for_member,
)

# 我的会议 shows the next few meetings; the rest are one tap away (a phone screen, issue 18).
UPCOMING_SHOWN = 3


@login_required
@require_GET
def mine(request):
    member = own_member(request.user)
    if member is None:
        raise PermissionDenied("您的账号未关联党员信息")
    today = clock.today()
    upcoming = list(upcoming_for_member(member, today))
    leaves = list(leave_requests_of(member))
    leave_by_meeting = {lr.meeting_id: lr for lr in leaves}
    for meeting in upcoming:
        meeting.my_leave = leave_by_meeting.get(meeting.pk)
    history = Paginator(attendance_history(member), settings.PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "meetings/mine.html",
        {
            "member": member,
            "upcoming": upcoming[:UPCOMING_SHOWN],
            "later": upcoming[UPCOMING_SHOWN:],
            "leaves": leaves,
            "history": history,
        },
    )


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or ""
    # The meetings pages, or the work desk (`/`), which offers leave in one tap too.
    if target == "/" or (target.startswith("/meetings/") and "//" not in target):
        return target
    return fallback


@login_required
@require_POST
def leave_request(request, pk: int):
    meeting = get_meeting_for_user(request.user, pk)
    member = own_member(request.user)
    if member is None:
        raise PermissionDenied("您的账号未关联党员信息")
    if not is_expected(meeting, member):
        raise PermissionDenied("您不在本次会议的应到人员中，无需请假")
    try:
        services.request_leave(
            Actor.from_request(request), meeting, member, request.POST.get("reason", "")
        )
    except ServiceValidationError as exc:
        messages.error(request, "；".join(exc.errors.values()))
    else:
        messages.success(request, "已提交请假申请，等待支部书记审批")
    return redirect(_safe_next(request, reverse("meetings:detail", kwargs={"pk": meeting.pk})))


@login_required
@require_POST
def leave_withdraw(request, pk: int):
    """Take back a request not yet decided: the member's own, or one the secretary noted."""
    leave = LeaveRequest.objects.filter(pk=pk).select_related("member").first()
    if leave is None:
        raise Http404("请假申请不存在")
    own = request.user.member_id == leave.member_id
    meeting = get_meeting_for_user(
        request.user, leave.meeting_id, Action.READ if own else Action.WRITE
    )
    try:
        services.withdraw_leave(Actor.from_request(request), leave)
    except ServiceValidationError as exc:
        messages.error(request, "；".join(exc.errors.values()))
    else:
        messages.success(request, "已撤回请假申请")
    return redirect(_safe_next(request, reverse("meetings:detail", kwargs={"pk": meeting.pk})))


@login_required
@require_POST
def leave_decide(request, pk: int):
    leave = LeaveRequest.objects.filter(pk=pk).first()
    if leave is None:
        raise Http404("请假申请不存在")
    meeting = get_meeting_for_user(request.user, leave.meeting_id, Action.WRITE)
    approve = request.POST.get("decision") == "approve"
    try:
        services.decide_leave(Actor.from_request(request), leave, approve=approve)
    except ServiceValidationError as exc:
        messages.error(request, "；".join(exc.errors.values()))
    else:
        messages.success(
            request, f"已{'批准' if approve else '不批准'} {leave.member.name} 的请假申请"
        )
    return redirect("meetings:detail", pk=meeting.pk)
