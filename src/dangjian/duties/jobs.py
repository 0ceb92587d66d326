"""The responsibility system's periodic job: reminders before a work item's deadline, the
overdue mark and 督办 after it (`services.deadlines`)."""

from __future__ import annotations

import datetime as dt

from dangjian.core.jobs import job
from dangjian.duties.services import deadlines
from dangjian.regulations.periods import local_date


@job(
    "duties.deadlines",
    report_order=10,
    counters={
        "reminders": "到期提醒 {} 条",
        "overdue_marked": "新标记逾期 {} 项",
        "escalations": "督办通知 {} 条",
    },
)
def work_item_deadlines(now: dt.datetime) -> dict[str, int]:
    return deadlines.run(local_date(now))
