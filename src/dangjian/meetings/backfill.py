"""When a meeting may be recorded, and when its record is a 补录 (issue 12).

- 记录会议 opens at the meeting's start (China time): before it the page does not offer it and
  a record is refused, saying when it opens.
- A meeting first recorded more than the pack parameter `backfill_after_days` (7 in the national
  pack) after the day it was held is a 补录: the record needs a reason and is marked as such
  wherever the meeting is shown. Day 7 after the meeting is on time; day 8 is a 补录.

Functions over dates, datetimes and a meeting's fields (no query); the days come from the rules
in force. The page and the API both ask `recordable`.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from django.utils import timezone

from dangjian.meetings.models import Meeting, MeetingStatus
from dangjian.regulations.periods import TZ, cn_date

__all__ = [
    "DEFAULT_AFTER_DAYS",
    "after_days",
    "days_late",
    "is_backfill",
    "not_yet_message",
    "record_opens",
    "recordable",
]

DEFAULT_AFTER_DAYS: Final = 7


def after_days() -> int:
    """The days after the meeting's day within which a record is on time, from the rules in
    force."""
    from dangjian.meetings.packs import rules_in_force

    value = rules_in_force().params.get("backfill_after_days")
    return DEFAULT_AFTER_DAYS if value is None else int(value)


def record_opens(starts_at: dt.datetime, now: dt.datetime) -> bool:
    """Whether a meeting starting at `starts_at` may be recorded at `now`."""
    return now >= starts_at


def recordable(meeting: Meeting, now: dt.datetime | None = None) -> bool:
    """Whether 记录会议 is offered: a meeting not cancelled, from its start (China time); a
    held meeting's record may be corrected."""
    if meeting.status == MeetingStatus.CANCELLED:
        return False
    return meeting.status == MeetingStatus.HELD or record_opens(
        meeting.starts_at, now or timezone.now()
    )


def not_yet_message(starts_at: dt.datetime) -> str:
    """The refusal of a record before the meeting's start, saying when it opens."""
    local = starts_at.astimezone(TZ)
    return f"会议尚未开始，不能记录：本次会议自{cn_date(local.date())}{local:%H:%M}起可以记录"


def days_late(held_on: dt.date, recorded_on: dt.date) -> int:
    """Days between the meeting's day and the day it was first recorded."""
    return (recorded_on - held_on).days


def is_backfill(
    held_on: dt.date, recorded_on: dt.date | None, *, after: int = DEFAULT_AFTER_DAYS
) -> bool:
    """A record made more than `after` days after the meeting's day; a meeting recorded before
    the day of its first record was kept (`recorded_on` None) is not judged."""
    return recorded_on is not None and days_late(held_on, recorded_on) > after
