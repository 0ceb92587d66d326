"""The statistics as .xlsx in a fixed layout (documented in docs/desk.md): one sheet per table,
a header row, then one row per organization (per organization and year for meetings)."""

from __future__ import annotations

from typing import IO

from openpyxl import Workbook

from dangjian.desk.figures import CHANGE_COLUMNS, MEMBER_COLUMNS, Statistics


def statistics_xlsx(stats: Statistics, out: IO[bytes]) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "党员"
    ws.append(["组织", "党员总数", *[label for _, label in MEMBER_COLUMNS]])
    for name, counts in stats.members:
        ws.append([name, *counts])
    ws = wb.create_sheet("组织生活")
    ws.append(["组织", "年度", "合计", *[label for _, label in stats.kinds]])
    for name, year, counts in stats.meetings:
        ws.append([name, year, *counts])
    ws = wb.create_sheet("本年变动")
    ws.append(["组织", *[label for _, label in CHANGE_COLUMNS]])
    for name, counts in stats.changes:
        ws.append([name, *counts])
    ws = wb.create_sheet("组织")
    ws.append(["组织类别", "数量", "其中设立委员会"])
    for label, n, with_committee in stats.org_kinds:
        ws.append([label, n, with_committee])  # empty for kinds not led by a committee
    ws = wb.create_sheet("流动党员")
    ws.append(["项目", "人数"])
    ws.append(["外出流动党员", stats.mobile[0]])
    ws.append(["其中在固定地点满六个月、应转接组织关系", stats.mobile[1]])
    wb.save(out)
