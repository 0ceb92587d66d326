"""The dossier's study section: trainings held by the organizations of the subtree."""

from __future__ import annotations

from dangjian.core.dossier import Section, Table, register
from dangjian.study.training_models import Training, TrainingKind


def study_tables(org, start, end) -> list[Table]:
    table = Table("培训", ["主办组织", "培训班", "类别", "开始日期", "结束日期", "学时"])
    trainings = (
        Training.objects.filter(
            organization__path__startswith=org.path, starts_on__lte=end, ends_on__gte=start
        )
        .order_by("organization__path", "starts_on", "pk")
        .values_list("organization__name", "title", "kind", "starts_on", "ends_on", "hours")
    )
    for name, title, kind, starts, ends, hours in trainings:
        table.rows.append([name, title, TrainingKind(kind).label, starts, ends, str(hours)])
    return [table]


register(Section("study", "学习培训", study_tables, order=50))
