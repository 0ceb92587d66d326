"""Refused requests after login leave a trace in the audit log, without letting a scanner flood it.

Every answer 403 or 404 to a logged-in user (session or API token) counts. The first refusal of a
user on a route within a minute is an audit event at once ("拒绝访问"); the others of that minute
only raise the count of its `DenialWindow`; when the minute is over, `close_windows` (the
`audit.denials` job of every tick, and the user's next refusal after that minute) appends one
summary event with the count. So a flood costs at most two events per user, route and minute,
and no refusal goes uncounted. Events name the route pattern (`members/<int:pk>/`), never the
path itself, which could carry an ID number.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from dangjian.audit.models import AuditAction, DenialWindow
from dangjian.audit.services import Actor, record

DENIED_STATUSES = frozenset({403, 404})
UNKNOWN_ROUTE = "（不存在的地址）"
# Asset requests a browser makes by itself are no attempt on an object or an action.
IGNORED_PREFIXES = ("/static/", "/favicon.ico")
OBJECT_TYPE = "request"


def route_of(request) -> str:
    match = getattr(request, "resolver_match", None)
    route = getattr(match, "route", "") if match is not None else ""
    return ("/" + route)[:200] if route else UNKNOWN_ROUTE


def note_denial(request, status: int) -> None:
    """Count one refused request; append an event if it is the first of its minute."""
    user = request.user
    route = route_of(request)
    minute = timezone.now().replace(second=0, microsecond=0)
    where = {"actor": user, "route": route, "minute": minute}
    with transaction.atomic():
        if DenialWindow.objects.filter(**where).update(count=F("count") + 1):
            return
        try:
            with transaction.atomic():
                DenialWindow.objects.create(
                    **where, actor_username=user.get_username(), ip=_ip(request)
                )
        except IntegrityError:  # another worker opened the window just now
            DenialWindow.objects.filter(**where).update(count=F("count") + 1)
            return
        record(
            Actor.from_request(request),
            AuditAction.DENIED,
            object_type=OBJECT_TYPE,
            object_repr=route,
            message=f"拒绝访问：{request.method} {route}（{status}）",
        )
    close_windows(timezone.now(), user=user)


def close_windows(now: dt.datetime, *, user=None) -> int:
    """Summarise and remove the windows of minutes before `now`'s; returns the events appended."""
    before = now.replace(second=0, microsecond=0)
    windows = (
        DenialWindow.objects.filter(minute__lt=before)
        .select_related("actor")
        .order_by("minute", "pk")
    )
    if user is not None:
        windows = windows.filter(actor=user)
    appended = 0
    for window in windows:
        with transaction.atomic():
            # Claim the row: of two closers at once, only the one that deletes it summarises.
            if not DenialWindow.objects.filter(pk=window.pk).delete()[0]:
                continue
            if window.count > 1:
                at = timezone.localtime(window.minute).strftime("%Y-%m-%d %H:%M")
                record(
                    Actor(user=_user_or_none(window), ip=window.ip),
                    AuditAction.DENIED,
                    object_type=OBJECT_TYPE,
                    object_repr=window.route,
                    message=(
                        f"{window.actor_username} 在 {at} 这一分钟内共被拒绝访问 {window.route} "
                        f"{window.count} 次（首次已单独记录）"
                    ),
                )
                appended += 1
    return appended


def _user_or_none(window: DenialWindow):
    try:
        return window.actor
    except DenialWindow.actor.RelatedObjectDoesNotExist:  # the account was removed since
        return None


def _ip(request) -> str:
    return (request.META.get("REMOTE_ADDR", "") or "")[:45]


class DeniedRequestAuditMiddleware:
    """After authentication: note every 403/404 answered to a logged-in user."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code in DENIED_STATUSES and not request.path.startswith(
            IGNORED_PREFIXES
        ):
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                note_denial(request, response.status_code)
        return response
