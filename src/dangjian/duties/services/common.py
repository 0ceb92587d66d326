"""Helpers the responsibility system's services share: reading dates and choices, locking an
item, saving it with its audit event."""

from __future__ import annotations

import datetime as dt
from typing import Any

from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor, PendingEvent, diff, record
from dangjian.core import inputs
from dangjian.core.errors import ServiceValidationError
from dangjian.duties.models import PENDING, WorkItem, WorkStatus
from dangjian.regulations.periods import local_date


def read_date(value: Any, key: str, label: str, errors: dict[str, str]) -> dt.date | None:
    if value in (None, ""):
        errors[key] = f"请填写{label}"
        return None
    if isinstance(value, dt.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            return value.date()
        return local_date(value)
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(inputs.text(value))
    except ValueError:
        errors[key] = f"{label}格式不正确，应为 YYYY-MM-DD"
        return None


def read_choice(value: Any, choices, key: str, label: str, errors: dict[str, str]) -> str:
    raw = inputs.text(value)
    if not raw:
        return ""
    by_label = {lab: code for code, lab in choices.choices}
    code = by_label.get(raw, raw)
    if code not in choices.values:
        errors[key] = f"{label}不正确，可选：{'、'.join(choices.labels)}"
    return code


def pending_event(
    item: WorkItem, action: str, before: dict | None = None, message: str = ""
) -> PendingEvent:
    """The audit event of one item in a batch (`record_many`): created, or changed from
    `before` (its `audit_fields()` ahead of the change)."""
    return PendingEvent.of(
        action,
        item,
        diff(before, item.audit_fields()),
        message,
        object_repr=f"{item.organization.name}：{item.title}",
    )


def locked(item: WorkItem) -> WorkItem:
    """Lock the row, then read it with its organizations (PostgreSQL refuses FOR UPDATE on the
    nullable side of the parent join, and MariaDB has no FOR UPDATE OF)."""
    list(WorkItem.objects.select_for_update().filter(pk=item.pk).values_list("pk", flat=True))
    return WorkItem.objects.select_related("organization", "parent__organization").get(pk=item.pk)


def require_pending(item: WorkItem) -> None:
    if item.status not in PENDING:
        raise ServiceValidationError({"status": f"任务{item.get_status_display()}，不能再修改进展"})


def save_item(actor: Actor, item: WorkItem, before: dict, message: str) -> None:
    item.save()
    record(
        actor,
        AuditAction.UPDATE,
        item,
        changes=diff(before, item.audit_fields()),
        message=message[:500],
    )


def complete(actor: Actor, item: WorkItem, day: dt.date, message: str) -> None:
    before = item.audit_fields()
    item.status = WorkStatus.ACCEPTED
    item.progress = 100
    item.completed_on = day
    save_item(actor, item, before, message)
