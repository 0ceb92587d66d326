"""Calendar periods and Asia/Shanghai local dates, boundary by boundary."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dangjian.regulations.periods import (
    TZ,
    Period,
    local_date,
    period_of,
    periods_between,
    periods_in_year,
    quarter_start,
)

NEW_YORK = ZoneInfo("America/New_York")


def test_the_zone_is_shanghai() -> None:
    assert TZ.key == "Asia/Shanghai"


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        # 23:59 in Beijing on the last day of Q1 is 15:59 UTC: still 31 March.
        (datetime(2026, 3, 31, 15, 59, tzinfo=UTC), date(2026, 3, 31)),
        (datetime(2026, 3, 31, 23, 59, tzinfo=TZ), date(2026, 3, 31)),
        # Midnight in Beijing is 16:00 UTC the day before.
        (datetime(2026, 3, 31, 16, 0, tzinfo=UTC), date(2026, 4, 1)),
        (datetime(2026, 3, 31, 16, 30, tzinfo=UTC), date(2026, 4, 1)),
        (datetime(2026, 4, 1, 0, 30, tzinfo=TZ), date(2026, 4, 1)),
        (datetime(2026, 12, 31, 16, 0, tzinfo=UTC), date(2027, 1, 1)),
        (datetime(2028, 2, 28, 16, 0, tzinfo=UTC), date(2028, 2, 29)),
        # 11:00 on 31 March in New York is 23:00 in Beijing.
        (datetime(2026, 3, 31, 11, 0, tzinfo=NEW_YORK), date(2026, 3, 31)),
        (datetime(2026, 3, 31, 12, 0, tzinfo=NEW_YORK), date(2026, 4, 1)),
    ],
)
def test_local_date_is_the_beijing_calendar_day(moment: datetime, expected: date) -> None:
    assert local_date(moment) == expected


def test_local_date_refuses_a_naive_datetime() -> None:
    with pytest.raises(ValueError, match="naive"):
        local_date(datetime(2026, 3, 31, 23, 59))  # noqa: DTZ001 (the point of the test)


def test_local_date_refuses_a_plain_date() -> None:
    with pytest.raises(TypeError):
        local_date(date(2026, 3, 31))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("d", "kind", "start", "end", "label", "key"),
    [
        (date(2026, 11, 25), "month", date(2026, 11, 1), date(2026, 11, 30), "2026年11月", "2026-11"),
        (date(2026, 1, 1), "month", date(2026, 1, 1), date(2026, 1, 31), "2026年1月", "2026-01"),
        (date(2026, 2, 28), "month", date(2026, 2, 1), date(2026, 2, 28), "2026年2月", "2026-02"),
        (date(2028, 2, 29), "month", date(2028, 2, 1), date(2028, 2, 29), "2028年2月", "2028-02"),
        (date(2026, 12, 31), "month", date(2026, 12, 1), date(2026, 12, 31), "2026年12月", "2026-12"),
        (date(2026, 1, 1), "quarter", date(2026, 1, 1), date(2026, 3, 31), "2026年第1季度", "2026-Q1"),
        (date(2026, 3, 31), "quarter", date(2026, 1, 1), date(2026, 3, 31), "2026年第1季度", "2026-Q1"),
        (date(2026, 4, 1), "quarter", date(2026, 4, 1), date(2026, 6, 30), "2026年第2季度", "2026-Q2"),
        (date(2026, 9, 30), "quarter", date(2026, 7, 1), date(2026, 9, 30), "2026年第3季度", "2026-Q3"),
        (date(2026, 10, 1), "quarter", date(2026, 10, 1), date(2026, 12, 31), "2026年第4季度", "2026-Q4"),
        (date(2028, 2, 29), "quarter", date(2028, 1, 1), date(2028, 3, 31), "2028年第1季度", "2028-Q1"),
        (date(2026, 6, 15), "year", date(2026, 1, 1), date(2026, 12, 31), "2026年", "2026"),
        (date(2028, 2, 29), "year", date(2028, 1, 1), date(2028, 12, 31), "2028年", "2028"),
    ],
)  # fmt: skip
def test_period_of(d: date, kind: str, start: date, end: date, label: str, key: str) -> None:
    period = period_of(d, kind)  # type: ignore[arg-type]
    assert (period.kind, period.start, period.end) == (kind, start, end)
    assert period.label == label
    assert period.key == key
    assert period == Period(kind, start, end)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("d", "inside"),
    [
        (date(2025, 12, 31), False),
        (date(2026, 1, 1), True),
        (date(2026, 3, 30), True),
        (date(2026, 3, 31), True),
        (date(2026, 4, 1), False),
    ],
)
def test_contains_includes_both_ends(d: date, inside: bool) -> None:
    assert period_of(date(2026, 2, 1), "quarter").contains(d) is inside


@pytest.mark.parametrize(
    ("today", "days_left"),
    [
        (date(2026, 1, 1), 89),
        (date(2026, 3, 30), 1),
        (date(2026, 3, 31), 0),
        (date(2026, 4, 1), -1),
    ],
)
def test_days_left_counts_to_the_last_day(today: date, days_left: int) -> None:
    assert period_of(date(2026, 2, 1), "quarter").days_left(today) == days_left


def test_leap_february_has_29_days() -> None:
    february = period_of(date(2028, 2, 1), "month")
    assert february.end == date(2028, 2, 29)
    assert february.days_left(date(2028, 2, 1)) == 28
    assert february.contains(date(2028, 2, 29))
    assert period_of(date(2026, 2, 1), "month").days_left(date(2026, 2, 1)) == 27


@pytest.mark.parametrize(
    ("kind", "count", "labels"),
    [
        ("month", 12, ["2026年1月", "2026年2月", "2026年12月"]),
        ("quarter", 4, ["2026年第1季度", "2026年第2季度", "2026年第4季度"]),
        ("year", 1, ["2026年", "2026年", "2026年"]),
    ],
)
def test_periods_in_year(kind: str, count: int, labels: list[str]) -> None:
    periods = periods_in_year(2026, kind)  # type: ignore[arg-type]
    assert len(periods) == count
    assert [periods[0].label, periods[min(1, count - 1)].label, periods[-1].label] == labels
    assert periods[0].start == date(2026, 1, 1)
    assert periods[-1].end == date(2026, 12, 31)


def test_periods_between_takes_every_overlapping_period() -> None:
    found = periods_between(date(2025, 12, 31), date(2026, 4, 1), "quarter")
    assert [p.key for p in found] == ["2025-Q4", "2026-Q1", "2026-Q2"]
    assert [p.key for p in periods_between(date(2026, 5, 5), date(2026, 5, 5), "month")] == [
        "2026-05"
    ]


def test_periods_between_refuses_a_reversed_range() -> None:
    with pytest.raises(ValueError):
        periods_between(date(2026, 4, 1), date(2026, 3, 31), "month")


def test_next_and_previous_cross_the_year() -> None:
    q4 = period_of(date(2026, 12, 31), "quarter")
    assert q4.next().key == "2027-Q1"
    assert q4.next().previous() == q4
    assert period_of(date(2026, 1, 1), "month").previous().key == "2025-12"


@pytest.mark.parametrize(
    ("kind", "start", "end"),
    [
        ("quarter", date(2026, 1, 2), date(2026, 3, 31)),
        ("quarter", date(2026, 1, 1), date(2026, 3, 30)),
        ("month", date(2026, 2, 1), date(2026, 2, 27)),
        ("year", date(2026, 1, 1), date(2027, 12, 31)),
        ("week", date(2026, 1, 1), date(2026, 1, 7)),
    ],
)
def test_period_must_be_a_calendar_period(kind: str, start: date, end: date) -> None:
    with pytest.raises(ValueError):
        Period(kind, start, end)  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", ["week", "half_year", ""])
def test_period_of_refuses_unknown_kinds(kind: str) -> None:
    with pytest.raises(ValueError):
        period_of(date(2026, 1, 1), kind)  # type: ignore[arg-type]


def test_datetimes_must_be_converted_first() -> None:
    # 2026-03-31 16:30 UTC is already 1 April in Beijing; taking its own date would be wrong.
    moment = datetime(2026, 3, 31, 16, 30, tzinfo=UTC)
    with pytest.raises(TypeError, match="local_date"):
        period_of(moment, "quarter")
    with pytest.raises(TypeError):
        period_of(date(2026, 1, 1), "quarter").contains(moment)
    assert period_of(local_date(moment), "quarter").key == "2026-Q2"


@pytest.mark.parametrize(("quarter", "start"), [(1, date(2026, 1, 1)), (4, date(2026, 10, 1))])
def test_quarter_start(quarter: int, start: date) -> None:
    assert quarter_start(2026, quarter) == start


@pytest.mark.parametrize("quarter", [0, 5])
def test_quarter_start_refuses_bad_quarters(quarter: int) -> None:
    with pytest.raises(ValueError):
        quarter_start(2026, quarter)


days = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))


@given(
    start=days,
    length=st.integers(min_value=0, max_value=800),
    kind=st.sampled_from(["month", "quarter", "year"]),
)
def test_periods_between_tile_the_range_without_gaps(start: date, length: int, kind: str) -> None:
    end = start + timedelta(days=length)
    found = periods_between(start, end, kind)  # type: ignore[arg-type]
    assert found[0].contains(start)
    assert found[-1].contains(end)
    for before, after in zip(found, found[1:], strict=False):
        assert after.start == before.end + timedelta(days=1)


@given(d=days, kind=st.sampled_from(["month", "quarter", "year"]))
def test_every_day_is_in_exactly_its_own_period(d: date, kind: str) -> None:
    period = period_of(d, kind)  # type: ignore[arg-type]
    assert period.contains(d)
    assert not period.next().contains(d)
    assert not period.previous().contains(d)
    assert period.days_left(d) >= 0
    assert sum(p.contains(d) for p in periods_in_year(d.year, kind)) == 1  # type: ignore[arg-type]
