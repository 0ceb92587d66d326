"""What transfers put in the inbox: their reminder kinds, and the transfers waiting for the
user (an approval for a 机关党委 above the sending branch, a receipt for the receiving side)."""

from __future__ import annotations

from django.db import models
from django.urls import reverse

from dangjian.core.clock import today
from dangjian.notices.registry import TodoProvider, TodoRow, register_kinds, register_todo


class NoticeKind(models.TextChoices):
    EXPIRING = "transfer_due", "介绍信即将到期"
    EXPIRED = "transfer_late", "介绍信已过有效期"


def _count(user) -> int:
    from dangjian.transfers.queries import waiting_for

    return waiting_for(user).count()


def _rows(user, limit: int) -> list[TodoRow]:
    from dangjian.transfers.models import TransferStatus
    from dangjian.transfers.queries import waiting_for

    now = today()
    rows = []
    for t in waiting_for(user)[:limit]:
        applied = t.status == TransferStatus.APPLIED
        rows.append(
            TodoRow(
                link=reverse("transfers:detail", args=[t.pk]),
                tag="组织关系",
                title=f"{t.name}：{'待审核转出' if applied else '待接收'}",
                due=""
                if applied or t.valid_until is None
                else f"介绍信{t.valid_until.month}月{t.valid_until.day}日到期",
                late=t.valid_until is not None and not applied and now > t.valid_until,
                detail=f"{t.from_label} → {t.to_label}",
                record=t,
            )
        )
    return rows


register_kinds(NoticeKind)
register_todo(TodoProvider("transfers", "组织关系转接待办", count=_count, rows=_rows, order=65))
