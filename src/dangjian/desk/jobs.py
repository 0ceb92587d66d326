"""Periodic jobs of the desk app, run by `dangjian tick`."""

from __future__ import annotations

import datetime as dt

from dangjian.core.jobs import job
from dangjian.desk.dossiers import remove_old


@job("desk.dossiers", report_order=58, counters={"dossiers_removed": "清理台账文件 {} 个"})
def remove_old_dossiers(now: dt.datetime) -> dict[str, int]:
    return {"dossiers_removed": remove_old(now)}
