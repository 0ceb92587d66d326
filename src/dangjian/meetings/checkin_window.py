"""When a meeting's QR check-in is open: from a number of minutes before its start (the pack
parameter `checkin_open_minutes_before`, 30 by default) to the end of the meeting's day on the
wall calendar in China. Outside it a check-in is refused and nothing is written.

Pure functions over datetimes (no database); the minutes come from the rules in force.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from dangjian.regulations.periods import TZ, cn_date

__all__ = ["DEFAULT_OPEN_MINUTES", "checkin_window", "open_minutes_before", "refusal"]

DEFAULT_OPEN_MINUTES: Final = 30


def open_minutes_before() -> int:
    """The minutes before the start when check-in opens, from the rules in force."""
    from dangjian.meetings.packs import rules_in_force

    value = rules_in_force().params.get("checkin_open_minutes_before")
    return DEFAULT_OPEN_MINUTES if value is None else int(value)


def checkin_window(
    starts_at: dt.datetime, *, minutes_before: int = DEFAULT_OPEN_MINUTES
) -> tuple[dt.datetime, dt.datetime]:
    """[opens, closes): `minutes_before` before the start, to midnight after the meeting's day
    (China time)."""
    day = starts_at.astimezone(TZ).date()
    closes = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0, 0), tzinfo=TZ)
    return starts_at - dt.timedelta(minutes=minutes_before), closes


def refusal(
    starts_at: dt.datetime, now: dt.datetime, *, minutes_before: int = DEFAULT_OPEN_MINUTES
) -> str | None:
    """The Chinese message refusing a check-in at `now`, or None when it is open."""
    opens, closes = checkin_window(starts_at, minutes_before=minutes_before)
    if now < opens:
        local = opens.astimezone(TZ)
        return f"签到尚未开始：本次会议自{cn_date(local.date())}{local:%H:%M}起可以签到"
    if now >= closes:
        day = starts_at.astimezone(TZ).date()
        return f"签到已结束：本次会议的签到截至{cn_date(day)}当天24时"
    return None
