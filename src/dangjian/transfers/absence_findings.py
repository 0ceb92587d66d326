"""The column of members out of contact or abroad on the compliance report (第二十四条).

Lost contact six months or more → a finding proposing 停止党籍; two years after the suspension,
still out of contact → one proposing 除名; abroad more than five years → one proposing
停止党籍 (一般). Each clears when the branch records its decision (`transfers.absence`) or the
record ends. The finding belongs to the member's branch; its message names no one (the record's
number only): the branch opens its list to see who.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db.models import Q

from dangjian.meetings.findings.contributors import Column, Result, Scope
from dangjian.regulations import discipline as rules
from dangjian.regulations.base import Severity
from dangjian.regulations.meetings import FindingStatus
from dangjian.regulations.periods import cn_date
from dangjian.transfers.absence import due_action
from dangjian.transfers.models import AbsenceKind, AbsenceRecord

COLUMN = "absence"


def columns(_rules) -> list[Column]:
    ids = (rules.LOST_CONTACT_RULE.id, rules.ABROAD_RULE.id)
    return [Column(COLUMN, "失去联系与出国出境", ids, rules.LOST_CONTACT_RULE.citation)]


def _message(row: AbsenceRecord, action: str) -> str:
    if action == "remove":
        assert row.suspended_on is not None
        return (
            f"{row}：停止党籍（{cn_date(row.suspended_on)}）已满2年仍无法取得联系，"
            "建议由支部按自行脱党予以除名"
        )
    if row.kind == AbsenceKind.LOST_CONTACT:
        return f"{row}：自{cn_date(row.since)}失去联系已满6个月，建议由支部决定停止党籍"
    return f"{row}：自{cn_date(row.since)}出国出境已超过5年，一般应由支部决定停止党籍"


def evaluate(scope: Scope) -> Mapping[int, list[Result]]:
    day = scope.as_of
    rows = (
        AbsenceRecord.objects.filter(scope.where("member__organization__"))
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=day), since__lte=day)
        .filter(Q(removed_on__isnull=True) | Q(removed_on__gt=day))
        .select_related("member")
        .order_by("since", "pk")
    )
    out: dict[int, list[Result]] = {}
    for row in rows:
        action = due_action(row, day)
        if action is None:
            continue
        rule = rules.ABROAD_RULE if row.kind == AbsenceKind.ABROAD else rules.LOST_CONTACT_RULE
        out.setdefault(row.member.organization_id, []).append(
            Result(
                rule_id=rule.id,
                column=COLUMN,
                status=FindingStatus.VIOLATED,
                severity=Severity.WARNING,
                message=_message(row, action),
                citation=rule.citation,
                facts={"record": row.pk, "proposes": action, "since": row.since.isoformat()},
            )
        )
    return out
