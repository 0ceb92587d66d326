"""Member development's periodic job: remind the branch (or the committee above, for its
steps) a week before a step's time limit, and again once it has passed. Idempotent: one notice
per file, step and state (the notice key)."""

from __future__ import annotations

import datetime as dt

from dangjian.accounts.acting import responsible_users
from dangjian.core.jobs import job
from dangjian.notices.services import Message, notify_many
from dangjian.orgs.models import Organization
from dangjian.recruitment import deadlines
from dangjian.recruitment.inbox import NoticeKind
from dangjian.recruitment.models import Applicant
from dangjian.regulations.periods import local_date
from dangjian.regulations.recruitment import BRANCH, STEPS


def run(on: dt.date) -> dict[str, int]:
    items = deadlines.waiting(
        deadlines.open_files(Applicant.objects.select_related("organization")), on
    )
    branches = {i.applicant.organization_id: i.applicant.organization for i in items}
    step = Organization.steplen
    by_path = {
        o.path: o
        for o in Organization.objects.filter(
            path__in=[b.path[:-step] for b in branches.values() if b.depth > 1]
        )
    }
    parents = {pk: by_path.get(b.path[:-step], b) for pk, b in branches.items()}
    acting = responsible_users(
        list({o.pk: o for o in [*branches.values(), *parents.values()]}.values())
    )
    messages = []
    for item in items:
        org = item.applicant.organization
        level = STEPS[item.row.number - 1].level
        target = org if level == BRANCH else parents[org.pk]
        state = "late" if item.overdue else "due"
        messages.append(
            Message(
                frozenset(acting.get(target.pk, set())),
                key=f"recruit:{item.applicant.pk}:{item.row.number}:{state}",
                kind=NoticeKind.LATE if item.overdue else NoticeKind.DUE,
                title=deadlines.message(item),
                link=item.link,
                subject=item.applicant,
            )
        )
    sent = notify_many(messages)
    return {"recruitment_reminders": sent}


@job(
    "recruitment.deadlines",
    report_order=30,
    counters={"recruitment_reminders": "发展党员时限提醒 {} 条"},
)
def recruitment_deadlines(now: dt.datetime) -> dict[str, int]:
    return run(local_date(now))
