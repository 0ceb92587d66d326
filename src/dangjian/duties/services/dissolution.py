"""Work items of an organization that is dissolved (orgs.signals.organization_dissolved)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from dangjian.accounts.acting import responsible_users
from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor, record_many
from dangjian.duties.inbox import NoticeKind
from dangjian.duties.models import PENDING, EventKind, WorkEvent, WorkItem, WorkStatus
from dangjian.duties.services.common import pending_event
from dangjian.duties.services.telling import about
from dangjian.notices.services import notify_many
from dangjian.orgs.models import Organization
from dangjian.regulations.periods import cn_date


def withdraw_for_dissolution(
    sender, *, organization: Organization, on: dt.date, actor: Actor, **kwargs
) -> int:
    """The items the organization still has to do (办理中, 已退回) are withdrawn, each audited,
    and the organizations that sent them are told, so none turns overdue in a branch nobody
    can act for, and the sender can send it again where the work went. An item already
    submitted (待验收) stays for its sender to accept; done work stays done."""
    items = list(
        WorkItem.objects.select_for_update()
        .filter(organization=organization, status__in=PENDING)
        .order_by("pk")
    )
    if not items:
        return 0
    why = f"组织撤销（自{cn_date(on)}起）"
    pending = []
    for item in items:
        before = item.audit_fields()
        item.status = WorkStatus.WITHDRAWN
        pending.append(pending_event(item, AuditAction.UPDATE, before, f"撤回：{why}"))
    WorkItem.objects.filter(pk__in=[i.pk for i in items]).update(
        status=WorkStatus.WITHDRAWN, updated_at=timezone.now()
    )
    record_many(actor, pending)
    WorkEvent.objects.bulk_create(
        [WorkEvent(item=i, kind=EventKind.WITHDRAWN, note=why, actor=actor.user) for i in items]
    )
    received = list(
        WorkItem.objects.filter(pk__in=[i.pk for i in items], parent__isnull=False)
        .select_related("organization", "parent__organization")
        .order_by("pk")
    )
    parents = {i.pk: i.parent for i in received if i.parent is not None}
    senders = responsible_users(list({p.organization for p in parents.values()}))
    notify_many(
        about(
            i,
            senders.get(parents[i.pk].organization_id, set()),
            NoticeKind.WITHDRAWN,
            f"withdrawn:{i.pk}",
            f"任务已撤回：{i.title}",
            f"{i.organization.name}已撤销（自{cn_date(on)}起），任务随之撤回；如仍需办理，请另行下发。",
        )
        for i in received
    )
    return len(items)
