"""The dossier's party-dues section (党费收缴): per organization of the subtree and month of the
period, how many payments and how much, what was handed over to whom and when; voluntary
payments and approved reliefs as counts and sums.

No names and no amounts per person: the yearly publication to the branch (每年公布1次) is where
members see their own (docs/dues.md). Two of these tables are what an inspector checks first:
that every month was collected and that what was handed over equals what was collected.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, Sum

from dangjian.core.dossier import Section, Table, register
from dangjian.dues.models import ExtraPayment, Handover, Payment, Relief, ReliefStatus
from dangjian.regulations.dues import month_start


def _yuan(value) -> str:
    return f"{Decimal(value or 0):.2f}"


def dues_tables(org, start, end) -> list[Table]:
    first, last = month_start(start), month_start(end)
    inside = {"organization__path__startswith": org.path}
    monthly = Table(
        "党费收缴与上缴（按月，不含个人信息）",
        ["组织", "月份", "交纳笔数", "交纳金额（元）", "上缴金额（元）", "上缴至", "上缴日期"],
        note="上缴金额与当月交纳金额一致方为平衡；未上缴的月份上缴栏为空。",
    )
    rows: dict[tuple[str, object], list] = {}
    for path, name, month, n, total in (
        Payment.objects.filter(**inside, month__gte=first, month__lte=last)
        .values_list("organization__path", "organization__name", "month")
        .annotate(n=Count("pk"), total=Sum("amount"))
        .order_by()
    ):
        rows[(path, month)] = [name, f"{month:%Y-%m}", n, _yuan(total), "", "", ""]
    for path, name, month, amount, to_name, handed_on in Handover.objects.filter(
        **inside, month__gte=first, month__lte=last
    ).values_list(
        "organization__path",
        "organization__name",
        "month",
        "amount",
        "to_organization__name",
        "handed_on",
    ):
        row = rows.setdefault((path, month), [name, f"{month:%Y-%m}", 0, _yuan(0), "", "", ""])
        row[4:] = [_yuan(amount), to_name, handed_on]
    monthly.rows = [rows[key] for key in sorted(rows, key=lambda k: (k[0], k[1]))]

    extra = Table(
        "自愿多交党费（只列笔数与金额）",
        ["组织", "笔数", "金额（元）", "其中全额上缴中央（笔）"],
    )
    extras: dict[str, list] = {}
    for path, name, to_centre, n, total in (
        ExtraPayment.objects.filter(**inside, paid_on__gte=start, paid_on__lte=end)
        .values_list("organization__path", "organization__name", "to_centre")
        .annotate(n=Count("pk"), total=Sum("amount"))
        .order_by()
    ):
        row = extras.setdefault(path, [name, 0, Decimal(0), 0])
        row[1] += n
        row[2] += total or 0
        if to_centre:
            row[3] += n
    extra.rows = [[r[0], r[1], _yuan(r[2]), r[3]] for _, r in sorted(extras.items())]

    relief = Table(
        "党费减免（经上级党委批准，只列人数）",
        ["组织", "批准人数", "其中免交"],
        note="困难情况与金额只在支部和批准党委的记录中，不进入台账。",
    )
    counted: dict[str, list] = defaultdict(list)
    for path, name, kind, n in (
        Relief.objects.filter(
            **inside,
            status=ReliefStatus.APPROVED,
            first_month__lte=last,
            last_month__gte=first,
        )
        .values_list("organization__path", "organization__name", "kind")
        .annotate(n=Count("member", distinct=True))
        .order_by()
    ):
        row = counted.setdefault(path, [name, 0, 0])
        row[1] += n
        if kind == "exempt":
            row[2] += n
    relief.rows = [r for _, r in sorted(counted.items())]
    return [monthly, extra, relief]


register(Section("dues", "党费收缴", dues_tables, order=55))
