"""China's working-day calendar: weekends, the State Council's holidays and make-up working days
(调休) from the chinesecalendar tables, and Monday–Friday for a year the tables do not cover."""

from __future__ import annotations

import datetime as dt

import pytest

from dangjian.regulations import workdays

D = dt.date


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2026, 3, 27), True),  # Friday
        (D(2026, 3, 28), False),  # Saturday
        (D(2026, 3, 29), False),  # Sunday
        (D(2026, 1, 1), False),  # 元旦 (Thursday)
        (D(2026, 1, 4), True),  # Sunday, made up for 元旦
        (D(2026, 2, 14), True),  # Saturday, made up for 春节
        (D(2026, 2, 16), False),  # Monday in 春节
        (D(2026, 2, 28), True),  # Saturday, made up for 春节
        (D(2026, 5, 1), False),  # 劳动节 (Friday)
        (D(2026, 5, 5), False),  # Tuesday in 劳动节
        (D(2026, 5, 9), True),  # Saturday, made up for 劳动节
        (D(2026, 9, 20), True),  # Sunday, made up for 国庆
        (D(2026, 9, 30), True),
        *[(D(2026, 10, d), False) for d in range(1, 8)],  # 国庆 1–7 October, Thursday to Wednesday
        (D(2026, 10, 8), True),  # Thursday after 国庆
        (D(2026, 10, 10), True),  # Saturday, made up for 国庆
        (D(2026, 10, 11), False),  # Sunday
    ],
)
def test_working_days_of_2026(day, working):
    assert workdays.covered(2026)
    assert workdays.is_workday(day) is working


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (D(2026, 10, 1), "国庆节"),
        (D(2026, 10, 7), "国庆节"),
        (D(2026, 2, 16), "春节"),
        (D(2026, 1, 1), "元旦"),
        (D(2026, 5, 5), "劳动节"),
        (D(2026, 3, 28), "周末"),  # an ordinary Saturday
        (D(2026, 10, 11), "周末"),  # an ordinary Sunday right after the holiday
        (D(2026, 2, 14), ""),  # a make-up working Saturday is a working day
        (D(2026, 10, 8), ""),
    ],
)
def test_holiday_names_are_chinese(day, name):
    assert workdays.holiday_name(day) == name


def test_a_year_the_tables_do_not_cover_falls_back_to_monday_to_friday():
    assert workdays.covered(2099) is False
    # 2099-01-01 is a Thursday: a working day by the fallback, whatever the holiday would be.
    assert D(2099, 1, 1).weekday() == 3
    assert workdays.is_workday(D(2099, 1, 1)) is True
    assert workdays.is_workday(D(2099, 1, 3)) is False  # Saturday
    assert workdays.holiday_name(D(2099, 1, 3)) == "周末"
    assert workdays.holiday_name(D(2099, 1, 2)) == ""
    week = [D(2099, 1, 5) + dt.timedelta(days=i) for i in range(7)]
    assert [workdays.is_workday(d) for d in week] == [True] * 5 + [False] * 2


def test_a_year_before_the_tables_also_falls_back():
    assert workdays.covered(1990) is False
    assert workdays.is_workday(D(1990, 10, 1)) is True  # a Monday; no table for 1990


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (D(2026, 9, 30), 1, D(2026, 10, 8)),  # over 国庆
        (D(2026, 9, 30), 2, D(2026, 10, 9)),
        (D(2026, 9, 30), 3, D(2026, 10, 10)),  # the make-up Saturday counts
        (D(2026, 9, 30), 4, D(2026, 10, 12)),
        (D(2026, 3, 27), 1, D(2026, 3, 30)),  # Friday → Monday
        (D(2026, 3, 30), 1, D(2026, 3, 31)),  # month end
        (D(2026, 3, 31), 1, D(2026, 4, 1)),
        (D(2026, 2, 13), 1, D(2026, 2, 14)),  # Friday → the make-up Saturday
        (D(2026, 3, 28), 0, D(2026, 3, 28)),  # zero days: the start itself
        (D(2099, 1, 2), 1, D(2099, 1, 5)),  # fallback: Friday → Monday
    ],
)
def test_add_workdays_counts_working_days_after_the_start(start, days, expected):
    assert workdays.add_workdays(start, days) == expected


def test_add_workdays_crosses_from_a_covered_year_into_an_uncovered_one():
    # The calendar tables stop at some year; counting on past it uses Monday–Friday there.
    last = max(y for y in range(2020, 2100) if workdays.covered(y))
    start = D(last, 12, 31)
    day = workdays.add_workdays(start, 3)
    assert day.year == last + 1
    counted = [
        start + dt.timedelta(days=i)
        for i in range(1, (day - start).days + 1)
        if (start + dt.timedelta(days=i)).weekday() < 5
    ]
    assert len(counted) == 3 and counted[-1] == day


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2026, 10, 5), D(2026, 9, 30)),  # inside 国庆
        (D(2026, 10, 1), D(2026, 9, 30)),
        (D(2026, 10, 8), D(2026, 10, 8)),  # a working day stays
        (D(2026, 3, 28), D(2026, 3, 27)),  # Saturday → Friday
        (D(2026, 2, 15), D(2026, 2, 14)),  # 春节 → the make-up Saturday
        (D(2026, 2, 23), D(2026, 2, 14)),  # last day of 春节 (Monday) → the make-up Saturday
    ],
)
def test_workday_on_or_before(day, expected):
    assert workdays.workday_on_or_before(day) == expected
