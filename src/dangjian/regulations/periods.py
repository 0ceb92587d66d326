"""Calendar periods (month, quarter, year) in Asia/Shanghai local dates, for frequency rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final, Literal, get_args
from zoneinfo import ZoneInfo

__all__ = [
    "PERIOD_KINDS",
    "TZ",
    "Period",
    "PeriodKind",
    "local_date",
    "period_of",
    "periods_between",
    "periods_in_year",
    "quarter_start",
    "require_date",
]

# Every rule counts meetings by the date on the wall calendar in China, whatever the server's
# zone: a meeting at 23:59 on 31 March (15:59 UTC) belongs to the first quarter.
TZ: Final = ZoneInfo("Asia/Shanghai")

PeriodKind = Literal["month", "quarter", "year"]
PERIOD_KINDS: Final[tuple[str, ...]] = get_args(PeriodKind)


def local_date(value: datetime) -> date:
    """The Asia/Shanghai calendar date of an aware datetime; naive datetimes are refused.

    A naive datetime could be UTC or local time, and guessing wrong moves meetings held
    in the last eight hours of a quarter into the next one.
    """
    if not isinstance(value, datetime):
        raise TypeError(f"local_date() needs a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value.isoformat()} has no time zone")
    return value.astimezone(TZ).date()


def cn_date(d: date) -> str:
    """The one way a date is written for people: 2026年5月1日 (no zero padding), in messages,
    pages and files alike (issue 18: "2025年05月01日" and "2026年12月3日" sat side by side)."""
    return f"{d.year}年{d.month}月{d.day}日"


def require_date(d: object, name: str = "d") -> date:
    """Return `d` if it is a plain date; datetimes are refused (TypeError).

    datetime is a subclass of date, so a UTC datetime would otherwise count on its UTC
    calendar day; callers convert with local_date() first.
    """
    if isinstance(d, datetime) or not isinstance(d, date):
        raise TypeError(f"{name} must be a date (convert datetimes with local_date())")
    return d


def quarter_start(year: int, quarter: int) -> date:
    """The first day of quarter 1–4 of `year`."""
    if not 1 <= quarter <= 4:
        raise ValueError(f"quarter must be 1–4, got {quarter}")
    return date(year, 3 * (quarter - 1) + 1, 1)


def _month_end(year: int, month: int) -> date:
    first_next = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return first_next - timedelta(days=1)


@dataclass(frozen=True)
class Period:
    """A calendar month, quarter or year; `end` is the last day and is inside the period."""

    kind: PeriodKind
    start: date
    end: date

    def __post_init__(self) -> None:
        if self.kind not in PERIOD_KINDS:
            raise ValueError(f"unknown period kind: {self.kind!r}")
        expected = period_of(self.start, self.kind)
        if (expected.start, expected.end) != (self.start, self.end):
            raise ValueError(
                f"{self.start}–{self.end} is not a calendar {self.kind}; use period_of()"
            )

    @property
    def year(self) -> int:
        return self.start.year

    @property
    def index(self) -> int:
        """Month 1–12, quarter 1–4, or 1 for a year."""
        if self.kind == "month":
            return self.start.month
        if self.kind == "quarter":
            return (self.start.month - 1) // 3 + 1
        return 1

    @property
    def label(self) -> str:
        """Chinese label: 2026年11月, 2026年第4季度, 2026年."""
        if self.kind == "month":
            return f"{self.year}年{self.index}月"
        if self.kind == "quarter":
            return f"{self.year}年第{self.index}季度"
        return f"{self.year}年"

    @property
    def key(self) -> str:
        """Stable machine key for JSON and URLs: 2026-11, 2026-Q4, 2026."""
        if self.kind == "month":
            return f"{self.year}-{self.index:02d}"
        if self.kind == "quarter":
            return f"{self.year}-Q{self.index}"
        return f"{self.year}"

    def contains(self, d: date) -> bool:
        """Whether the local date `d` falls in the period (both ends included)."""
        return self.start <= require_date(d) <= self.end

    def days_left(self, today: date) -> int:
        """Days from `today` to the period's last day: 0 on the last day, negative after it."""
        return (self.end - require_date(today, "today")).days

    def next(self) -> Period:
        return period_of(self.end + timedelta(days=1), self.kind)

    def previous(self) -> Period:
        return period_of(self.start - timedelta(days=1), self.kind)


def period_of(d: date, kind: PeriodKind) -> Period:
    """The month, quarter or year containing the local date `d`."""
    require_date(d)
    if kind == "month":
        start = date(d.year, d.month, 1)
        end = _month_end(d.year, d.month)
    elif kind == "quarter":
        start = quarter_start(d.year, (d.month - 1) // 3 + 1)
        end = _month_end(d.year, start.month + 2)
    elif kind == "year":
        start, end = date(d.year, 1, 1), date(d.year, 12, 31)
    else:
        raise ValueError(f"unknown period kind: {kind!r}")
    period = object.__new__(Period)
    # Built directly to skip __post_init__, which would call period_of() again.
    for name, value in (("kind", kind), ("start", start), ("end", end)):
        object.__setattr__(period, name, value)
    return period


def periods_in_year(year: int, kind: PeriodKind) -> list[Period]:
    """The 12 months, 4 quarters or single year of `year`, in order."""
    return periods_between(date(year, 1, 1), date(year, 12, 31), kind)


def periods_between(start: date, end: date, kind: PeriodKind) -> list[Period]:
    """Every period that overlaps the dates `start`..`end` (both included), in order."""
    require_date(start, "start")
    require_date(end, "end")
    if start > end:
        raise ValueError(f"start {start} is after end {end}")
    found = [period_of(start, kind)]
    while found[-1].end < end:
        found.append(found[-1].next())
    return found
