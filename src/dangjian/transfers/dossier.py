"""The dossier's transfer register: the transfers of the period out of and into the subtree,
by record and letter number (no names: least disclosure, as the roster summary)."""

from __future__ import annotations

from django.db.models import Q

from dangjian.core.dossier import Section, Table, register
from dangjian.transfers.models import Transfer, TransferKind, TransferStatus


def transfer_tables(org, start, end) -> list[Table]:
    table = Table(
        "组织关系转接登记（不含个人信息）",
        ["记录", "类型", "转出党组织", "转入党组织", "申请日期", "介绍信编号", "有效期至", "状态",
         "办结日期"],
        note="转出但尚未被接收的党员仍计入转出党组织（《中国共产党党员教育管理工作条例》第二十五条）。",
    )  # fmt: skip
    side = Q(from_organization__path__startswith=org.path) | Q(
        to_organization__path__startswith=org.path
    )
    in_period = Q(applied_on__lte=end) & (Q(closed_on__isnull=True) | Q(closed_on__gte=start))
    rows = (
        Transfer.objects.filter(side & in_period)
        .select_related("from_organization", "to_organization")
        .order_by("applied_on", "pk")
    )
    for t in rows:
        table.rows.append(
            [str(t), TransferKind(t.kind).label, t.from_label, t.to_label, t.applied_on,
             t.letter_number, t.valid_until or "", TransferStatus(t.status).label,
             t.closed_on or ""]
        )  # fmt: skip
    return [table]


register(Section("transfers", "组织关系转接", transfer_tables, order=45))
