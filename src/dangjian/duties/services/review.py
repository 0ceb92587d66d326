"""The sender's side of a work item: accepting or returning what was submitted, withdrawing
what was sent; a plan item completes when the last item it sent is accepted."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from dangjian.accounts.access import require_write
from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor, record_many
from dangjian.core import inputs
from dangjian.core.errors import ServiceValidationError
from dangjian.duties.inbox import NoticeKind
from dangjian.duties.models import EventKind, WorkEvent, WorkItem, WorkStatus
from dangjian.duties.services.common import complete, locked, pending_event, save_item
from dangjian.duties.services.telling import about, receivers_of, receivers_of_one, tell
from dangjian.notices.services import notify_many
from dangjian.regulations.periods import local_date


def _finish_parent_plan(actor: Actor, item: WorkItem) -> None:
    """A plan item (the sender's own top item) is done when every item it sent is accepted."""
    parent = item.parent
    if parent is None or parent.parent_id is not None or parent.status == WorkStatus.ACCEPTED:
        return
    live = parent.children.exclude(status=WorkStatus.WITHDRAWN)
    if not live.exists() or live.exclude(status=WorkStatus.ACCEPTED).exists():
        return
    parent = locked(parent)
    last = max(live.values_list("completed_on", flat=True))
    complete(actor, parent, last, "下发的任务已全部验收，计划事项完成")
    WorkEvent.objects.create(
        item=parent, kind=EventKind.ACCEPTED, note="下发的任务已全部验收", actor=actor.user
    )


def _require_reviewer(actor: Actor, item: WorkItem) -> None:
    if item.parent_id is None:
        require_write(actor, item.organization, "只有下发任务的组织可以验收")
        raise ServiceValidationError({"status": "计划事项由下发的任务完成情况决定，无需验收"})
    require_write(actor, item.parent.organization, "只有下发任务的组织可以验收")


@transaction.atomic
def accept(actor: Actor, item: WorkItem, note: Any = "") -> WorkItem:
    item = locked(item)
    _require_reviewer(actor, item)
    if item.status != WorkStatus.SUBMITTED:
        raise ServiceValidationError({"status": f"任务{item.get_status_display()}，不能验收"})
    errors: dict[str, str] = {}
    text = inputs.short_text(note, "note", "验收意见", 500, errors)
    if errors:
        raise ServiceValidationError(errors)
    # Done on the day it was submitted: the sender's reading time is not the receiver's delay.
    complete(actor, item, local_date(item.submitted_at), f"验收通过{('：' + text) if text else ''}")
    WorkEvent.objects.create(item=item, kind=EventKind.ACCEPTED, note=text, actor=actor.user)
    tell(
        item,
        receivers_of_one(item),
        NoticeKind.ACCEPTED,
        f"accepted:{item.pk}",
        f"已验收：{item.title}",
        text,
    )
    _finish_parent_plan(actor, item)
    return item


@transaction.atomic
def return_item(actor: Actor, item: WorkItem, reason: Any) -> WorkItem:
    item = locked(item)
    _require_reviewer(actor, item)
    if item.status != WorkStatus.SUBMITTED:
        raise ServiceValidationError({"status": f"任务{item.get_status_display()}，不能退回"})
    errors: dict[str, str] = {}
    text = inputs.short_text(reason, "reason", "退回原因", 500, errors)
    if not text and "reason" not in errors:
        errors["reason"] = "请填写退回原因"
    if errors:
        raise ServiceValidationError(errors)
    before = item.audit_fields()
    item.status = WorkStatus.RETURNED
    item.submitted_at = None
    save_item(actor, item, before, f"退回：{text}")
    event = WorkEvent.objects.create(
        item=item, kind=EventKind.RETURNED, note=text, actor=actor.user
    )
    tell(
        item,
        receivers_of_one(item),
        NoticeKind.RETURNED,
        f"returned:{item.pk}:{event.pk}",
        f"任务被退回：{item.title}",
        f"退回原因：{text}",
    )
    return item


@transaction.atomic
def withdraw(actor: Actor, item: WorkItem, reason: Any) -> int:
    """The sender takes back an item sent by mistake (or no longer needed), with everything
    split from it that is not done yet. Done work stays done. Returns the items withdrawn.

    A plan item is withdrawn by its own organization; a received item by the organization that
    sent it. The receivers are told, nothing is deleted, and the statistics stop counting it.
    """
    item = locked(item)
    sender = item.parent.organization if item.parent_id else item.organization
    require_write(actor, sender, "只有下发任务的组织可以撤回")
    errors: dict[str, str] = {}
    text = inputs.short_text(reason, "reason", "撤回原因", 500, errors)
    if not text and "reason" not in errors:
        errors["reason"] = "请填写撤回原因"
    if item.status in (WorkStatus.ACCEPTED, WorkStatus.WITHDRAWN):
        errors["status"] = f"任务{item.get_status_display()}，不能撤回"
    if errors:
        raise ServiceValidationError(errors)
    tree = {
        i.pk: i
        for i in WorkItem.objects.filter(root_id=item.root_id or item.pk).select_related(
            "organization"
        )
    }
    below: dict[int | None, list[WorkItem]] = {}
    for i in tree.values():
        below.setdefault(i.parent_id, []).append(i)
    todo, stack = [], [item]
    while stack:
        node = stack.pop()
        if node.status not in (WorkStatus.ACCEPTED, WorkStatus.WITHDRAWN):
            todo.append(node)
        stack.extend(below.get(node.pk, []))
    ids = [i.pk for i in todo]
    list(WorkItem.objects.select_for_update().filter(pk__in=ids).values_list("pk", flat=True))
    pending = []
    for node in todo:
        before = node.audit_fields()
        node.status = WorkStatus.WITHDRAWN
        pending.append(pending_event(node, AuditAction.UPDATE, before, f"撤回：{text}"))
    WorkItem.objects.filter(pk__in=ids).update(
        status=WorkStatus.WITHDRAWN, updated_at=timezone.now()
    )
    record_many(actor, pending)
    WorkEvent.objects.bulk_create(
        [
            WorkEvent(item=node, kind=EventKind.WITHDRAWN, note=text, actor=actor.user)
            for node in todo
        ]
    )
    received = [n for n in todo if n.parent_id]
    receivers = receivers_of(received)
    notify_many(
        about(
            n,
            receivers[n.pk],
            NoticeKind.WITHDRAWN,
            f"withdrawn:{n.pk}",
            f"任务已撤回：{n.title}",
            f"撤回原因：{text}",
        )
        for n in received
    )
    if item.parent_id:
        _finish_parent_plan(actor, item)
    return len(todo)
