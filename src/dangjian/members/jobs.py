"""The members app's periodic job: uploaded rosters and their error files hold unmasked personal
data, so they are removed after a week (`roster.jobs.remove_old_files`)."""

from __future__ import annotations

import datetime as dt

from dangjian.core.jobs import job
from dangjian.members.roster.jobs import remove_old_files


@job(
    "members.import_files",
    report_order=60,
    counters={"import_files_removed": "清理导入文件 {} 个"},
)
def remove_import_files(now: dt.datetime) -> dict[str, int]:
    return {"import_files_removed": remove_old_files(now)}
