"""Organizational life's periodic job: keep fixed monthly plans (主题党日) planned ahead."""

from __future__ import annotations

import datetime as dt

from django.db.models import Max, Q

from dangjian.accounts.acting import responsible_users
from dangjian.audit.services import Actor
from dangjian.core.jobs import job
from dangjian.meetings.inbox import NoticeKind
from dangjian.meetings.models import MeetingSeries
from dangjian.meetings.services import extend_series
from dangjian.notices.services import notify
from dangjian.regulations.periods import TZ, local_date

# A fixed monthly plan is kept planned this far ahead; the tick tops it up.
SERIES_HORIZON = dt.timedelta(days=62)


@job("meetings.series", report_order=50, counters={"series_meetings": "续排固定会议 {} 次"})
def top_up_series(now: dt.datetime) -> dict[str, int]:
    """Plan the next months of every active series whose last planned meeting is near (one
    query when nothing is due; `extend_series` skips months that already have a meeting), and
    tell the branch once."""
    on = local_date(now)
    horizon = dt.datetime.combine(on + SERIES_HORIZON, dt.time.min, tzinfo=TZ)
    due = (
        MeetingSeries.objects.filter(active=True)
        .annotate(last=Max("meetings__starts_at"))
        .filter(Q(last__isnull=True) | Q(last__lt=horizon))
        .select_related("organization")
    )
    created = 0
    for series in due:
        made = extend_series(Actor.system("tick"), series, on=on)
        created += len(made)
        if made:
            notify(
                responsible_users([series.organization]).get(series.organization_id, set()),
                key=f"series:{series.pk}:{made[-1].pk}",
                kind=NoticeKind.SERIES,
                title=f"已续排{series.organization.name}{series.get_kind_display()}：{len(made)}次",
                body=f"每月{series.day_of_month}日，排至{local_date(made[-1].starts_at):%Y年%-m月}",
            )
    return {"series_meetings": created}
