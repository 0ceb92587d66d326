"""Deadlines of received work items, for the periodic job (`duties/jobs.py`): reminders before
the deadline on working days, and the first look past it: the overdue mark, the receivers told,
督办 to the level above and 纪检.

Idempotent: every notice has a key unique per recipient (`reminder:<item>:<days>`,
`overdue:<item>`, `escalation:<item>`), and an item is marked overdue once, under a row lock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor, record_many
from dangjian.duties.inbox import NoticeKind
from dangjian.duties.models import PENDING, EventKind, WorkEvent, WorkItem
from dangjian.duties.services.common import pending_event
from dangjian.duties.services.telling import about, receivers_of, supervisors_for
from dangjian.notices.services import notify_many
from dangjian.regulations import workdays

# Overdue items are marked in batches: one transaction, one audit append, one notice insert.
TICK_BATCH = 500


def reminder_due(deadline: dt.date, days: int) -> dt.date:
    """When the `days`-before reminder goes out: that day, or the working day before it."""
    return workdays.workday_on_or_before(deadline - dt.timedelta(days=days))


def _due_reminder(item: WorkItem, on: dt.date, days_list: Sequence[int]) -> int | None:
    """The reminder to send now: the nearest one already due (earlier ones are not repeated)."""
    due = [d for d in days_list if reminder_due(item.deadline, d) <= on]
    return min(due) if due else None


def pending_received(on: dt.date, days_list: Sequence[int]) -> list[WorkItem]:
    """Received items still the receiver's to move whose deadline is near or past."""
    return list(
        WorkItem.objects.filter(status__in=PENDING, parent__isnull=False)
        # Reminders move back over holidays (Spring Festival: up to 9 days), hence the margin.
        .filter(deadline__lte=on + dt.timedelta(days=max(days_list or [0]) + 15))
        .select_related("organization", "parent__organization")
        .order_by("pk")
    )


def send_reminders(items: Sequence[WorkItem], on: dt.date, days_list: Sequence[int]) -> int:
    """The reminders due on `on` for items not yet past their deadline; the notices sent."""
    if not items or not days_list:
        return 0
    receivers = receivers_of(items)
    reminders = []
    for item in items:
        days = _due_reminder(item, on, days_list)
        if days is None:
            continue
        left = (item.deadline - on).days
        reminders.append(
            about(
                item,
                receivers[item.pk],
                NoticeKind.REMINDER,
                f"reminder:{item.pk}:{days}",
                f"到期提醒：{item.title}",
                f"截止 {item.deadline:%Y-%m-%d}，"
                + ("今天到期" if left == 0 else f"还有 {left} 天"),
            )
        )
    return notify_many(reminders)


def run(on: dt.date) -> dict[str, int]:
    """Reminders, overdue marks and 督办 as of `on` (a date in Beijing)."""
    actor = Actor.system("tick")
    days_list = list(settings.DUTY_REMINDER_DAYS)
    pending = pending_received(on, days_list)
    upcoming = [i for i in pending if i.deadline >= on]
    # Items marked overdue earlier were told then (marks and notices share a transaction).
    late = [i for i in pending if i.deadline < on and i.overdue_since is None]
    counts = {"reminders": send_reminders(upcoming, on, days_list)}
    counts["overdue_marked"] = counts["escalations"] = 0
    for start in range(0, len(late), TICK_BATCH):
        marked, escalations = mark_overdue(actor, late[start : start + TICK_BATCH])
        counts["overdue_marked"] += marked
        counts["escalations"] += escalations
    return counts


@transaction.atomic
def mark_overdue(actor: Actor, items: list[WorkItem]) -> tuple[int, int]:
    """Mark the items overdue (audited, in their timelines), tell their receivers, and send
    the 督办 notices to the level above and 纪检. Returns (marked, escalation notices)."""
    still = set(
        WorkItem.objects.select_for_update()
        .filter(pk__in=[i.pk for i in items], overdue_since__isnull=True, status__in=PENDING)
        .values_list("pk", flat=True)
    )
    marked = [i for i in items if i.pk in still]  # others: another tick was first
    if not marked:
        return 0, 0
    events = []
    by_day: dict[dt.date, list[int]] = {}
    for item in marked:
        before = item.audit_fields()
        item.overdue_since = item.deadline + dt.timedelta(days=1)
        by_day.setdefault(item.overdue_since, []).append(item.pk)
        events.append(pending_event(item, AuditAction.UPDATE, before, "任务逾期"))
    now = timezone.now()
    for day, ids in by_day.items():
        WorkItem.objects.filter(pk__in=ids).update(overdue_since=day, updated_at=now)
    record_many(actor, events)
    WorkEvent.objects.bulk_create(
        [
            WorkEvent(item=i, kind=EventKind.OVERDUE, note=f"截止 {i.deadline:%Y-%m-%d} 未完成")
            for i in marked
        ]
    )
    receivers = receivers_of(marked)
    above = supervisors_for(marked)
    notify_many(
        about(
            i,
            receivers[i.pk],
            NoticeKind.OVERDUE,
            f"overdue:{i.pk}",
            f"任务已逾期：{i.title}",
            f"截止 {i.deadline:%Y-%m-%d}",
        )
        for i in marked
    )
    escalations = notify_many(
        about(
            i,
            above[i.pk] - receivers[i.pk],
            NoticeKind.ESCALATION,
            f"escalation:{i.pk}",
            f"督办：{i.organization.name}“{i.title}”已逾期",
            f"截止 {i.deadline:%Y-%m-%d}，{i.parent.organization.name}下发",
        )
        for i in marked
    )
    return len(marked), escalations
