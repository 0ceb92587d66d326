"""The findings' one write: a secretary's reason for a warning-level finding (audited)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor, diff, record
from dangjian.core.errors import ServiceValidationError
from dangjian.meetings.findings.evaluation import compute
from dangjian.meetings.models import FindingExplanation
from dangjian.orgs.models import Organization


@transaction.atomic
def explain_finding(
    actor: Actor,
    org: Organization,
    *,
    rule_id: str,
    period_key: str,
    reason: str,
    today: dt.date | None = None,
) -> FindingExplanation:
    """Record (or replace) a secretary's reason for a warning-level finding; audited.

    The caller has checked write access to `org`. The finding is recomputed from the
    records, so only a warning that exists can be explained.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ServiceValidationError({"reason": "请填写情况说明"})
    if len(reason) > 500:
        raise ServiceValidationError({"reason": "情况说明不能超过500字"})
    try:
        year = int(period_key[:4])
    except ValueError:
        raise ServiceValidationError({"period": "期间不正确"}) from None
    report = compute(org, year, today=today, max_depth=org.depth)
    finding = report.finding(org.pk, rule_id, period_key)
    if finding is None:
        raise ServiceValidationError({"rule_id": "没有找到该检查结果"})
    if not finding.explainable:
        raise ServiceValidationError(
            {"rule_id": "只有“一般”性规定的提示（警告级）可以填写情况说明"}
        )
    existing = (
        FindingExplanation.objects.select_for_update()
        .filter(organization=org, rule_id=rule_id, period_key=period_key)
        .first()
    )
    before = _explanation_fields(existing) if existing else None
    if existing is None:
        existing = FindingExplanation(organization=org, rule_id=rule_id, period_key=period_key)
    existing.reason = reason
    existing.explained_by = actor.user
    existing.save()
    after = _explanation_fields(existing)
    record(
        actor,
        AuditAction.UPDATE if before else AuditAction.CREATE,
        existing,
        changes=diff(before, after),
        message=f"{org.name} {finding.period_label} {rule_id} 情况说明",
    )
    return existing


def _explanation_fields(explanation: FindingExplanation) -> dict[str, object]:
    return {
        "organization": explanation.organization_id,
        "rule_id": explanation.rule_id,
        "period_key": explanation.period_key,
        "reason": explanation.reason,
        "explained_by": explanation.explained_by_id,
    }
