"""The steps waiting with a time limit: findings for the compliance report, reminders for the
tick job, to-dos for the inbox. One reading of the open files (two queries), for all three."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import QuerySet
from django.urls import reverse

from dangjian.recruitment.models import Applicant
from dangjian.recruitment.queries import TimelineRow, timeline
from dangjian.regulations.base import Rule, rule
from dangjian.regulations.periods import cn_date

# The rule each time-limited step answers to.
STEP_RULES = {
    2: "talk_within_month",
    6: "activist_review",
    17: "approval_time",
    18: "approval_time",
    22: "probation_length",
    24: "full_member_approval",
}
WARN_DAYS = 7


@dataclass(frozen=True)
class Waiting:
    applicant: Applicant
    row: TimelineRow

    @property
    def overdue(self) -> bool:
        return self.row.status == "overdue"

    @property
    def link(self) -> str:
        return reverse("recruitment:file", args=[self.applicant.pk])


def open_files(files: QuerySet[Applicant]) -> QuerySet[Applicant]:
    return (
        files.filter(closed_on__isnull=True, next_step__in=list(STEP_RULES))
        .select_related("member")
        .prefetch_related("steps")
    )


def waiting(files: Iterable[Applicant], on: dt.date, within: int = WARN_DAYS) -> list[Waiting]:
    """Next steps with a time limit that has passed or ends within `within` days."""
    found = []
    for applicant in files:
        row = timeline(applicant, on)[applicant.next_step - 1]
        if row.due_on is not None and row.due_on <= on + dt.timedelta(days=within):
            found.append(Waiting(applicant, row))
    return found


def message(item: Waiting) -> str:
    row = item.row
    when = f"{cn_date(row.due_on)}"
    state = f"已于{when}到期" if item.overdue else f"应于{when}前办理"
    return f"发展档案#{item.applicant.pk}：第{row.number}步「{row.label}」{state}"


def rule_for(item: Waiting) -> Rule:
    return rule(STEP_RULES[item.row.number])
