"""Tests of organizational life (meetings, attendance, leave, check-in); shared helpers."""

from __future__ import annotations

import datetime as dt

from dangjian.audit.services import Actor
from dangjian.core import clock
from dangjian.meetings import services
from dangjian.regulations.periods import TZ


def local(day: dt.date, hour: int = 14, minute: int = 30) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TZ)


def days_from_today(days: int) -> dt.date:
    """A date relative to today on the wall calendar in China (the services' clock)."""
    return clock.today() + dt.timedelta(days=days)


def starting_now() -> dt.datetime:
    """The current minute in China: a meeting starting now is open for QR check-in."""
    from django.utils import timezone

    return timezone.now().astimezone(TZ).replace(second=0, microsecond=0)


def plan(user, org, kind: str = "general_meeting", *, days: int = -1, **extra):
    """A meeting planned by `user` (None: the system) `days` from today at 14:30."""
    actor = Actor(user=user) if user is not None else Actor.system("test")
    data = {
        "kind": kind,
        "starts_at": local(days_from_today(days)),
        "topic": extra.pop("topic", "测试会议"),
        # Tests plan several meetings a day; the duplicate check has its own tests.
        "confirm_duplicate": extra.pop("confirm_duplicate", True),
        **extra,
    }
    return services.plan_meeting(actor, org, data)
