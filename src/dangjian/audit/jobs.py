"""The audit app's periodic jobs: summarise the refused requests of minutes gone by, and once a
day anchor the chain's head outside the database."""

from __future__ import annotations

import datetime as dt

from dangjian.audit.anchor import anchored_today, configured_path, write_anchor
from dangjian.audit.denials import close_windows
from dangjian.core.jobs import job


@job("audit.anchor", report_order=55, counters={"audit_anchors": "审计链锚定 {} 次"})
def anchor_daily(now: dt.datetime) -> dict[str, int]:
    # Without a configured file there is nowhere to anchor to (docs/audit.md says how to set
    # one); with one, the first tick of each Beijing day appends the head.
    path = configured_path()
    if path is None or anchored_today(path, now):
        return {"audit_anchors": 0}
    write_anchor(path)
    return {"audit_anchors": 1}


@job("audit.denials", report_order=54, counters={"denial_summaries": "拒绝访问汇总 {} 条"})
def summarise_denials(now: dt.datetime) -> dict[str, int]:
    return {"denial_summaries": close_windows(now)}
