"""The dossier's roster summary: counts only (least disclosure), never names or ID numbers."""

from __future__ import annotations

from django.db.models import Count

from dangjian.core.dossier import Section, Table, register
from dangjian.members.models import Gender, Member, MemberCategory, MemberStatus


def member_tables(org, start, end) -> list[Table]:
    table = Table(
        "党员名册摘要（按组织统计，不含个人信息）",
        ["组织", "党员状态", "性别", "人员类别", "人数"],
        note="按当前名册统计。",
    )
    rows = (
        Member.objects.filter(organization__path__startswith=org.path)
        .values_list("organization__path", "organization__name", "status", "gender", "category")
        .annotate(n=Count("pk"))
        .order_by("organization__path", "status", "gender", "category")
    )
    for _, name, status, gender, category, n in rows:
        table.rows.append(
            [
                name,
                MemberStatus(status).label,
                Gender(gender).label,
                MemberCategory(category).label,
                n,
            ]
        )
    return [table]


register(Section("members", "党员队伍", member_tables, order=20))
