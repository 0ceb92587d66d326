"""QR self check-in pages: the screen the secretary shows, its rotating code, and the page a
member's phone opens from it."""

from __future__ import annotations

import segno
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from dangjian.accounts.access import Action
from dangjian.audit.services import Actor
from dangjian.core.errors import ServiceValidationError
from dangjian.meetings import checkin, services
from dangjian.meetings.models import Attendance, AttendanceStatus, MeetingStatus
from dangjian.meetings.queries import get_meeting_for_user
from dangjian.regulations.periods import TZ


def _qr_context(request, meeting) -> dict:
    token = checkin.issue_token(meeting.pk)
    url = request.build_absolute_uri(reverse("meetings:checkin", kwargs={"token": token}))
    svg = segno.make(url, error="m").svg_inline(scale=6, dark="#000", light="#fff")
    return {
        "meeting": meeting,
        "qr_svg": mark_safe(svg),  # noqa: S308 (segno's own SVG markup, no user input in it)
        "checkin_url": url,
        "checked_in": Attendance.objects.filter(
            meeting=meeting, status=AttendanceStatus.CHECKED_IN
        ).count(),
        "rotate_seconds": checkin.ROTATE_SECONDS,
    }


def _checkin_meeting(request, pk: int):
    meeting = get_meeting_for_user(request.user, pk, Action.WRITE)
    if meeting.status == MeetingStatus.CANCELLED:
        raise Http404("会议已取消")
    return meeting


@login_required
@require_GET
def checkin_screen(request, pk: int):
    meeting = _checkin_meeting(request, pk)
    context = _qr_context(request, meeting)
    context["local_start"] = timezone.localtime(meeting.starts_at, TZ)
    return render(request, "meetings/checkin_screen.html", context)


@login_required
@require_GET
def checkin_qr(request, pk: int):
    meeting = _checkin_meeting(request, pk)
    return render(request, "meetings/_checkin_qr.html", _qr_context(request, meeting))


@login_required
def checkin_view(request, token: str):
    """Opened from the QR code on the member's phone: checks the logged-in member in.

    A GET does it, so scanning is the whole job; the token is short-lived, bound to one meeting
    and only ever checks the logged-in member in to a meeting they are expected at.
    """
    meeting_id = request.POST.get("meeting") if request.method == "POST" else None
    try:
        row = services.check_in(
            Actor.from_request(request),
            token,
            meeting_id=int(meeting_id) if meeting_id and meeting_id.isdigit() else None,
        )
    except ServiceValidationError as exc:
        # A refused token is a bad request; a member who is not expected is forbidden.
        status = 403 if "member" in exc.errors else 400
        return render(
            request,
            "meetings/checkin_result.html",
            {"error": "；".join(exc.errors.values())},
            status=status,
        )
    return render(
        request,
        "meetings/checkin_result.html",
        {
            "meeting": row.meeting,
            "member": row.member,
            "local_start": timezone.localtime(row.meeting.starts_at, TZ),
        },
    )
