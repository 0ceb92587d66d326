"""China's working-day calendar: weekends, public holidays and the make-up working days (调休).

The State Council publishes each year's holiday arrangement in November or December; the
`chinesecalendar` package carries those tables (offline, in the package). A year the package
does not know yet falls back to Monday–Friday, and `covered(year)` says so, so a page can tell
the user instead of pretending.
"""

from __future__ import annotations

import datetime as dt
from functools import cache

import chinese_calendar

_CHINESE = {h.value: h.chinese for h in chinese_calendar.Holiday}


@cache
def covered(year: int) -> bool:
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def is_workday(day: dt.date) -> bool:
    if covered(day.year):
        return chinese_calendar.is_workday(day)
    return day.weekday() < 5


def holiday_name(day: dt.date) -> str:
    """The holiday's Chinese name (国庆节…), 周末 for an ordinary weekend, '' on a working day."""
    if is_workday(day):
        return ""
    if covered(day.year):
        on_holiday, holiday = chinese_calendar.get_holiday_detail(day)
        if on_holiday and holiday:
            return _CHINESE.get(holiday, "节假日")
    return "周末"


def workday_on_or_before(day: dt.date) -> dt.date:
    while not is_workday(day):
        day -= dt.timedelta(days=1)
    return day


def add_workdays(start: dt.date, days: int) -> dt.date:
    """The `days`-th working day after `start` (start itself not counted)."""
    day = start
    remaining = days
    while remaining > 0:
        day += dt.timedelta(days=1)
        if is_workday(day):
            remaining -= 1
    return day
