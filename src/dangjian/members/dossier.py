"""The dossier's roster summary: counts only (least disclosure), never names or ID numbers."""

from __future__ import annotations

from django.db.models import Count, Q

from dangjian.core.clock import today
from dangjian.core.dossier import Section, Table, register
from dangjian.members.models import Gender, MemberCategory, MembershipSpell, MemberStatus


def member_tables(org, start, end) -> list[Table]:
    day = min(end, today())
    table = Table(
        "党员名册摘要（按组织统计，不含个人信息）",
        ["组织", "党员状态", "性别", "人员类别", "人数"],
        note=f"按{day.year}年{day.month}月{day.day}日在册党员统计（党员状态为当日状态）。",
    )
    # The members of the period's last day (today for a period not over yet), from the
    # membership history, each in the branch that held them that day with that day's status:
    # the same table generated then or later (gender and category as recorded today).
    rows = (
        MembershipSpell.objects.filter(
            Q(ended_on__isnull=True) | Q(ended_on__gte=day),
            organization__path__startswith=org.path,
            started_on__lte=day,
        )
        .values_list(
            "organization__path",
            "organization__name",
            "status",
            "member__gender",
            "member__category",
        )
        .annotate(n=Count("member_id"))
        .order_by("organization__path", "status", "member__gender", "member__category")
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
