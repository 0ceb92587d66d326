"""Reads of development files, always scoped: a file is seen by those who read its branch.

Applicants are not members: the member's own-record access never reaches a file, and no member
count reads this table.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.http import Http404

from dangjian.accounts.access import Action, scope_for
from dangjian.orgs.models import Organization
from dangjian.recruitment.models import Applicant, StepRecord
from dangjian.regulations import recruitment as rules
from dangjian.regulations.membership import probation_end


def files_for(user, action: Action = Action.READ) -> QuerySet[Applicant]:
    scope = scope_for(user)
    return Applicant.objects.filter(scope.org_q(action, prefix="organization__"))


def get_file_for_user(user, pk, action: Action = Action.READ) -> Applicant:
    """404 outside the read scope, 403 when `action` is denied (as for members)."""
    try:
        applicant = Applicant.objects.select_related("organization").get(pk=pk)
    except (Applicant.DoesNotExist, ValueError):
        raise Http404("发展档案不存在") from None
    scope = scope_for(user)
    if not scope.covers(applicant.organization.path, Action.READ):
        raise Http404("发展档案不存在")
    if action != Action.READ and not scope.covers(applicant.organization.path, action):
        raise PermissionDenied("您对该发展档案没有此操作权限")
    return applicant


@dataclass(frozen=True)
class TimelineRow:
    number: int
    label: str
    stage: str
    level: str
    status: str  # done / late / due / overdue / pending
    done_on: dt.date | None = None
    due_on: dt.date | None = None
    earliest: dt.date | None = None
    record: StepRecord | None = None


def _due(step: int, done: dict[int, dt.date], admitted_end: dt.date | None) -> dt.date | None:
    """The last day a step may be done, from the steps before it (None: no time limit)."""
    if step == 2 and 1 in done:
        return rules.talk_deadline(done[1])
    if step == 6 and 3 in done:
        return rules.activist_review_due(done[3])
    if step in (17, 18) and 15 in done:
        return rules.approval_deadlines(done[15])[0]
    if step == 22 and admitted_end is not None:
        return admitted_end
    if step == 24 and 23 in done:
        return rules.approval_deadlines(done[23])[0]
    return None


def _earliest(step: int, done: dict[int, dt.date], admitted_end: dt.date | None) -> dt.date | None:
    if step == 7 and 3 in done:
        return rules.candidate_earliest(done[3])
    if step == 23 and admitted_end is not None:
        return admitted_end
    return None


def timeline(applicant: Applicant, today: dt.date) -> list[TimelineRow]:
    """Each of the 25 steps: done (on time or late), due (with its last day), overdue, pending."""
    records = {r.step: r for r in applicant.steps.all()}
    done = {n: r.done_on for n, r in records.items()}
    member = applicant.member
    end = None
    if member is not None:
        end = member.probation_ends_on or probation_end(member.admitted_on)
    elif 15 in done:
        end = probation_end(done[15])
    rows = []
    for step in rules.STEPS:
        due = _due(step.number, done, end)
        rec = records.get(step.number)
        if rec is not None:
            status = "late" if due is not None and rec.done_on > due else "done"
        elif step.number == applicant.next_step and applicant.closed_on is None:
            status = "overdue" if due is not None and today > due else "due"
        else:
            status = "pending"
        rows.append(
            TimelineRow(
                step.number,
                step.label,
                step.stage,
                rules.LEVEL_LABELS[step.level],
                status,
                rec.done_on if rec else None,
                due,
                _earliest(step.number, done, end),
                rec,
            )
        )
    return rows


def pipeline(branch: Organization) -> dict[str, int]:
    """Open files of the branch's subtree per stage (applicants are counted here, never as members)."""
    rows = (
        Applicant.objects.filter(organization__path__startswith=branch.path, closed_on__isnull=True)
        .values("stage")
        .annotate(n=Count("pk"))
    )
    counts = {row["stage"]: row["n"] for row in rows}
    return {code: counts.get(code, 0) for code, _ in rules.STAGES}


# Steps the 基层党委 (or the department above) must act on: pre-review, talk, approval, filing.
COMMITTEE_STEP_NUMBERS = tuple(s.number for s in rules.STEPS if s.level != rules.BRANCH)


def pending_approvals(user) -> QuerySet[Applicant]:
    """Open files whose next step is the upper level's, inside what the user may write."""
    return (
        files_for(user, Action.WRITE)
        .filter(closed_on__isnull=True, next_step__in=COMMITTEE_STEP_NUMBERS)
        .select_related("organization")
        .order_by("organization__path", "pk")
    )
