"""Organizational life's periodic job (`meetings/jobs.py`, run by `dangjian tick`): fixed
monthly plans (主题党日) are topped up once, and the branch is told once."""

from __future__ import annotations

import datetime as dt

from dangjian.core.jobs import tick
from dangjian.meetings.inbox import NoticeKind
from dangjian.meetings.models import Meeting, MeetingSeries
from dangjian.notices.models import Notice
from dangjian.regulations.periods import TZ
from tests.helpers import events_since, last_seq

D = dt.date


def at(day: dt.date, hour: int = 9) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=TZ)


def test_tick_tops_up_monthly_series_once_and_tells_the_branch(demo):
    # The demo's series are planned to next month only: the first tick plans them ahead.
    now = at(D(2026, 11, 26))
    before = Meeting.objects.count()
    seq = last_seq()

    first = tick(now=now)
    second = tick(now=now)

    assert first["series_meetings"] == Meeting.objects.count() - before > 0
    assert second["series_meetings"] == 0
    creates = [e for e in events_since(seq) if e.object_type == "meetings.meeting"]
    assert len(creates) == first["series_meetings"]
    series = MeetingSeries.objects.get(organization=demo.branch, active=True)
    months = [
        (m.starts_at.astimezone(TZ).year, m.starts_at.astimezone(TZ).month)
        for m in Meeting.objects.filter(series=series)
    ]
    assert len(months) == len(set(months))  # never two of a series in one month
    assert max(months) >= (2027, 10)
    told = Notice.objects.filter(kind=NoticeKind.SERIES, recipient=demo.users["secretary"])
    assert told.count() == 1


def test_a_series_planned_far_ahead_is_left_alone(demo):
    assert tick(now=at(D(2026, 11, 26)))["series_meetings"] > 0  # planned a year ahead
    before = Meeting.objects.count()
    # A month later the plan still reaches more than two months ahead: nothing to add.
    assert tick(now=at(D(2026, 12, 28)))["series_meetings"] == 0
    assert Meeting.objects.count() == before
