"""The dues periodic job: arrears warnings and lapse notices (`services_tick`)."""

from __future__ import annotations

import datetime as dt

from dangjian.core.jobs import job
from dangjian.dues import services_tick
from dangjian.regulations.periods import local_date


@job(
    "dues.arrears",
    report_order=40,
    counters={
        "dues_warnings": "党费欠交预警 {} 条",
        "dues_lapses": "连续6个月未交党费通知 {} 条",
    },
)
def dues_arrears(now: dt.datetime) -> dict[str, int]:
    return services_tick.run(local_date(now))
