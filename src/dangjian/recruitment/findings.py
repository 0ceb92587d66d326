"""Recruitment's column on the compliance report: development steps past their time limit.

A step whose limit has passed is violated (an error: the talk, the approval, the confirmation);
one due within a week is at risk. Found by `meetings.findings.contributors` as `jobs.py` is.
"""

from __future__ import annotations

from collections.abc import Mapping

from dangjian.meetings.findings.contributors import Column, Contributor, Result, Scope, register
from dangjian.recruitment import deadlines
from dangjian.recruitment.models import Applicant
from dangjian.regulations.base import Severity
from dangjian.regulations.meetings import FindingStatus
from dangjian.regulations.membership import RECRUITMENT_RULES

COLUMN = "recruitment"


def _columns(_rules) -> list[Column]:
    return [Column(COLUMN, "发展党员时限", tuple(sorted(set(deadlines.STEP_RULES.values()))),
                   RECRUITMENT_RULES)]  # fmt: skip


def evaluate(scope: Scope) -> Mapping[int, list[Result]]:
    files = deadlines.open_files(Applicant.objects.filter(scope.where("organization__")))
    out: dict[int, list[Result]] = {}
    for item in deadlines.waiting(files, scope.as_of):
        found = deadlines.rule_for(item)
        out.setdefault(item.applicant.organization_id, []).append(
            Result(
                rule_id=found.id,
                column=COLUMN,
                status=FindingStatus.VIOLATED if item.overdue else FindingStatus.AT_RISK,
                severity=Severity.ERROR if item.overdue else None,
                message=deadlines.message(item),
                citation=found.citation,
                facts={
                    "file": item.applicant.pk,
                    "step": item.row.number,
                    "due_on": item.row.due_on.isoformat() if item.row.due_on else None,
                },
            )  # fmt: skip
        )
    return out


register(
    Contributor(
        key=COLUMN,
        columns=_columns,
        evaluate=evaluate,
        owners={
            "recruitment.applicant": (Applicant, "organization_id"),
        },
    )
)
