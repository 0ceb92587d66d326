"""Transfers' periodic job: remind the organization responsible for a member in transit (the
sending branch, 第二十五条; the receiving one for a letter from outside) and the receiving
branch a week before the letter expires, and again once it has, then with the 机关党委 above
the responsible organization told as well (escalation). Idempotent: one notice per
transfer and state (the notice key)."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from dangjian.accounts.acting import responsible_users
from dangjian.core.jobs import job
from dangjian.notices.services import Message, notify_many
from dangjian.orgs.models import Organization, OrgKind
from dangjian.regulations.periods import local_date
from dangjian.transfers import queries
from dangjian.transfers.findings import message
from dangjian.transfers.inbox import NoticeKind
from dangjian.transfers.models import Transfer


def _committees_above(orgs: list[Organization]) -> dict[int, Organization]:
    """The nearest 机关党委 above each organization, in one query."""
    step = Organization.steplen
    wanted = {o.path[:i] for o in orgs for i in range(step, len(o.path), step)}
    found = {
        c.path: c
        for c in Organization.objects.filter(path__in=wanted, kind=OrgKind.ORGAN_COMMITTEE)
    }
    out = {}
    for org in orgs:
        above = [found[p] for p in sorted(found, key=len, reverse=True) if org.path.startswith(p)]
        if above and above[0].path != org.path:
            out[org.pk] = above[0]
    return out


def run(on: dt.date) -> dict[str, int]:
    late = list(
        queries.late_letters(
            Transfer.objects.select_related("organization", "to_organization"), on
        ).order_by("pk")
    )
    orgs = {t.organization_id: t.organization for t in late}
    orgs.update({t.to_organization_id: t.to_organization for t in late if t.to_organization})
    committees = _committees_above([t.organization for t in late if on > t.valid_until])
    orgs.update({c.pk: c for c in committees.values()})
    acting = responsible_users(list(orgs.values()))
    messages = []
    for t in late:
        assert t.valid_until is not None
        expired = on > t.valid_until
        users = set(acting.get(t.organization_id, set()))
        if t.to_organization_id:
            users |= acting.get(t.to_organization_id, set())
        above = committees.get(t.organization_id)
        if expired and above is not None:  # escalation: the 机关党委 that issued the letter
            users |= acting.get(above.pk, set())
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
