"""The dossier's assessment section: the schemes that assessed organizations of the subtree in
the period, each target with its step and, once fixed, its grade.

Grades only, in tree order, never scores or an order by score (the list by score is the
assessing committee's working list, not published downward: docs/assessment.md). Appeals are
counted, not quoted.
"""

from __future__ import annotations

from django.db.models import Count, Q

from dangjian.assessment.models import AppealStatus, SchemeStatus, Target
from dangjian.core.dossier import Section, Table, register


def _step(status: str, results_shown: bool) -> str:
    if status == SchemeStatus.FINAL:
        return "已定档"
    if results_shown:
        return "结果已公布（申诉期）"
    return SchemeStatus(status).label


def assessment_tables(org, start, end) -> list[Table]:
    table = Table(
        "考核评价结果（按组织层级排列，只列等次）",
        ["年度", "考核方案", "考核单位", "考核对象", "进度", "等次", "申诉", "申诉成立"],
        note="等次在结果定档后列出；综合得分与排序只供考核单位使用，不向下公布。",
    )
    targets = (
        Target.objects.filter(
            organization__path__startswith=org.path,
            scheme__year__gte=start.year,
            scheme__year__lte=end.year,
        )
        .exclude(scheme__status=SchemeStatus.DRAFT)
        .select_related("scheme__organization", "organization")
        .annotate(
            appeals_filed=Count("appeals"),
            appeals_upheld=Count("appeals", filter=Q(appeals__status=AppealStatus.UPHELD)),
        )
        .order_by("scheme__year", "scheme_id", "organization__path")
    )
    for t in targets:
        scheme = t.scheme
        final = scheme.status == SchemeStatus.FINAL
        table.rows.append(
            [
                scheme.year,
                scheme.title,
                scheme.organization.name,
                # A post holder by post, not by name (least disclosure in the dossier).
                t.organization.name
                + (scheme.get_target_post_display() if t.member_id is not None else ""),
                _step(scheme.status, scheme.results_published_on is not None),
                t.grade if final else "",
                t.appeals_filed,
                t.appeals_upheld,
            ]
        )
    return [table]


register(Section("assessment", "考核评价", assessment_tables, order=60))
