"""Transfers' periodic job: remind the organization responsible for a member in transit (the
sending branch, 第二十五条; the receiving one for a letter from outside) and the receiving
branch a week before the letter expires, and again once it has. Idempotent: one notice per
transfer and state (the notice key)."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from dangjian.core.jobs import job
from dangjian.notices.acting import responsible_users
from dangjian.notices.services import Message, notify_many
from dangjian.regulations.periods import local_date
from dangjian.transfers import queries
from dangjian.transfers.findings import message
from dangjian.transfers.inbox import NoticeKind
from dangjian.transfers.models import Transfer


def run(on: dt.date) -> dict[str, int]:
    late = list(
        queries.late_letters(
            Transfer.objects.select_related("organization", "to_organization"), on
        ).order_by("pk")
    )
    orgs = {t.organization_id: t.organization for t in late}
    orgs.update({t.to_organization_id: t.to_organization for t in late if t.to_organization})
    acting = responsible_users(list(orgs.values()))
    messages = []
    for t in late:
        assert t.valid_until is not None
        expired = on > t.valid_until
        users = set(acting.get(t.organization_id, set()))
        if t.to_organization_id:
            users |= acting.get(t.to_organization_id, set())
        state = "late" if expired else "due"
        messages.append(
            Message(
                frozenset(users),
                key=f"transfer:{t.pk}:{state}",
                kind=NoticeKind.EXPIRED if expired else NoticeKind.EXPIRING,
                title=message(t, expired),
                link=reverse("transfers:detail", args=[t.pk]),
                subject=t,
            )
        )
    return {"transfer_reminders": notify_many(messages)}


@job(
    "transfers.letters",
    report_order=35,
    counters={"transfer_reminders": "组织关系介绍信提醒 {} 条"},
)
def transfer_letters(now: dt.datetime) -> dict[str, int]:
    return run(local_date(now))
