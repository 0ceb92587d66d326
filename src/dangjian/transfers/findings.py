"""Transfers' column on the compliance report: letters issued and not received in time.

A letter past its last valid day with the member not received is violated (an error: the member
belongs nowhere new, and the sending branch still answers for them, 第二十五条); one expiring
within a week is at risk. The finding belongs to the organization responsible until the
receipt (`Transfer.organization`). Applications waiting for the 机关党委 have no time limit in
the digest ("No legal time limit found"), so they make no finding.
"""

from __future__ import annotations

from collections.abc import Mapping

from dangjian.meetings.findings.contributors import Column, Contributor, Result, Scope, register
from dangjian.regulations import transfers as rules
from dangjian.regulations.base import Severity
from dangjian.regulations.meetings import FindingStatus
from dangjian.regulations.periods import cn_date
from dangjian.transfers import absence_findings, queries
from dangjian.transfers.models import AbsenceRecord, Transfer

COLUMN = "transfers"


def _columns(_rules) -> list[Column]:
    rule = rules.LETTER_VALIDITY_RULE
    return [Column(COLUMN, "组织关系转接", (rule.id,), rule.citation)]


def message(transfer: Transfer, expired: bool) -> str:
    assert transfer.valid_until is not None
    state = "已过有效期" if expired else "即将到期"
    return (
        f"{transfer}（{transfer.to_label}）介绍信{state}（有效期至{cn_date(transfer.valid_until)}），"
        "尚未被接收"
    )


def evaluate(scope: Scope) -> Mapping[int, list[Result]]:
    rule = rules.LETTER_VALIDITY_RULE
    late = queries.late_letters(
        Transfer.objects.filter(scope.where("organization__")).select_related("to_organization"),
        scope.as_of,
    )
    out: dict[int, list[Result]] = {}
    for transfer in late.order_by("valid_until", "pk"):
        assert transfer.valid_until is not None
        expired = scope.as_of > transfer.valid_until
        out.setdefault(transfer.organization_id, []).append(
            Result(
                rule_id=rule.id,
                column=COLUMN,
                status=FindingStatus.VIOLATED if expired else FindingStatus.AT_RISK,
                severity=Severity.ERROR if expired else None,
                message=message(transfer, expired),
                citation=rule.citation,
                facts={"transfer": transfer.pk, "valid_until": transfer.valid_until.isoformat()},
            )
        )
    return out


register(
    Contributor(
        key=COLUMN,
        columns=_columns,
        evaluate=evaluate,
        owners={"transfers.transfer": (Transfer, "organization_id")},
    )
)


register(
    Contributor(
        key=absence_findings.COLUMN,
        columns=absence_findings.columns,
        evaluate=absence_findings.evaluate,
        owners={"transfers.absencerecord": (AbsenceRecord, "member__organization_id")},
    )
)
