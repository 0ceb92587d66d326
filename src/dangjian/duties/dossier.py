"""The dossier's responsibility section: work items due in the period and how they ended."""

from __future__ import annotations

from dangjian.core.dossier import Section, Table, register
from dangjian.duties.models import WorkItem, WorkStatus


def duty_tables(org, start, end) -> list[Table]:
    table = Table("工作任务", ["承办组织", "事项", "截止日期", "状态", "进度（%）", "完成日期"])
    items = (
        WorkItem.objects.filter(
            organization__path__startswith=org.path, deadline__gte=start, deadline__lte=end
        )
        .exclude(status=WorkStatus.WITHDRAWN)
        .order_by("organization__path", "deadline", "pk")
        .values_list(
            "organization__name", "title", "deadline", "status", "progress", "completed_on"
        )
    )
    for name, title, deadline, status, progress, completed in items:
        table.rows.append([name, title, deadline, WorkStatus(status).label, progress, completed])
    return [table]


register(Section("duties", "责任落实", duty_tables, order=40))
