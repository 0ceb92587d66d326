"""Calendar arithmetic shared by the rule modules (periods counted in months and years)."""

from __future__ import annotations

import calendar
from datetime import date

__all__ = ["add_months"]


def add_months(d: date, months: int) -> date:
    """Same day `months` later (or earlier), clamped to the month's last day.

    This is how 《民法典》第二百零一条 counts periods in months or years: the period ends on
    the corresponding day, or on the last day of the month when there is none, so one
    year from 29 February ends on 28 February.
    """
    total = d.year * 12 + (d.month - 1) + months
    year, month = divmod(total, 12)
    month += 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))
