"""Every write on dues: assessing a member, revealing a base, recording a month in bulk.

Each function checks the actor first, validates everything, then writes in one transaction with
its audit event. Audit messages never carry a base or an amount (they would reveal pay).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction

from dangjian.accounts.access import Action, member_allows, signal_visibility
from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor, record
from dangjian.core.clock import today
from dangjian.core.errors import ServiceValidationError
from dangjian.crypto import default_keyring
from dangjian.dues import queries
from dangjian.dues.models import Assessment, Payment, PayMethod
from dangjian.meetings.packs import rules_in_force
from dangjian.members.models import Member
from dangjian.orgs.models import Organization
from dangjian.regulations.dues import (
    BASED_KINDS,
    DuesKind,
    assess,
    backpay_allowed,
    month_start,
    months_between,
    parse_base,
)

# Paying ahead is allowed (第十二条 speaks of paying monthly; ahead is common practice);
# the platform takes at most a year ahead so a typo in the month is caught.
AHEAD_MONTHS = 12
UNPAID = "unpaid"


def is_dues_manager(user, branch: Organization) -> bool:
    """The branch's secretary and committee (roles bound to the branch or above it)."""
    return user is not None and signal_visibility(user, branch).streaks


@transaction.atomic
def assess_member(
    actor: Actor, member: Member, kind: str, base: object, effective_from: dt.date
) -> Assessment:
    """Set (or re-set) a member's monthly amount from the month of `effective_from`."""
    if actor.user is None or not member_allows(actor.user, member, Action.WRITE):
        raise PermissionDenied("您没有核定该党员党费的权限")
    if not is_dues_manager(actor.user, member.organization):
        raise PermissionDenied("只有党员所在支部的书记和支委可以核定党费")
    try:
        dues_kind = DuesKind(kind)
    except ValueError:
        raise ServiceValidationError({"kind": "请选择交纳类别"}) from None
    value: Decimal | None = None
    if dues_kind in BASED_KINDS:
        try:
            value = parse_base(base)
        except ValueError as exc:
            raise ServiceValidationError({"base": str(exc)}) from None
    result = assess(dues_kind, value, rules_in_force().dues)
    start = month_start(effective_from)
    row, created = Assessment.objects.update_or_create(
        member=member,
        effective_from=start,
        defaults={
            "kind": dues_kind.value,
            "base_encrypted": default_keyring().encrypt(f"{value:f}") if value is not None else "",
            "amount": result.amount,
            "rate": result.rate,
            "bracket": result.bracket,
            "rule_id": result.rule.id,
        },
    )
    record(
        actor,
        AuditAction.CREATE if created else AuditAction.UPDATE,
        row,
        changes={"kind": [None, dues_kind.value], "effective_from": [None, start.isoformat()]},
        message="核定党费",
        object_repr=f"党费核定#{row.pk}",
    )
    return row


@transaction.atomic
def reveal_base(actor: Actor, assessment: Assessment) -> str:
    """The base in clear, for the member and the branch's dues managers; always audited."""
    member = assessment.member
    user = actor.user
    allowed = user is not None and (
        member.pk == getattr(user, "member_id", None) or is_dues_manager(user, member.organization)
    )
    if not allowed:
        raise PermissionDenied("您没有查看计算基数的权限")
    if not assessment.base_encrypted:
        raise ServiceValidationError({"base": "定额交纳，没有计算基数"})
    record(
        actor,
        AuditAction.REVEAL,
        assessment,
        message="查看党费计算基数",
        object_repr=f"党费核定#{assessment.pk}",
    )
    return default_keyring().decrypt(assessment.base_encrypted)


def month_errors(month: dt.date, now: dt.date) -> str | None:
    dues = rules_in_force().dues
    if not backpay_allowed(month, now, dues):
        return f"补交党费一般不超过{dues.backpay_months}个月（第十二条），该月份已超出补交期限"
    if months_between(month_start(now), month) > AHEAD_MONTHS:
        return f"预交党费最多{AHEAD_MONTHS}个月"
    return None


@transaction.atomic
def record_month(
    actor: Actor,
    branch: Organization,
    month: dt.date,
    *,
    exceptions: Mapping[int, str | Decimal] | None = None,
    paid_on: dt.date | None = None,
    method: str = PayMethod.CASH,
) -> int:
    """Record a month for a branch as the paper ledger does: everyone due paid the expected
    amount, except the members in `exceptions` ("unpaid", or the amount actually paid).

    Members already recorded for the month are left as they are. Returns the payments made.
    Nothing is written when any input is wrong.
    """
    if actor.user is None or not is_dues_manager(actor.user, branch):
        raise PermissionDenied("只有本支部的书记和支委可以登记党费")
    now = today()
    month = month_start(month)
    paid_on = paid_on or now
    errors: dict[str, str] = {}
    if (problem := month_errors(month, now)) is not None:
        errors["month"] = problem
    if method not in PayMethod.values:
        errors["method"] = "请选择交纳方式"
    if paid_on > now:
        errors["paid_on"] = "交纳日期不能晚于今天"
    rows = {row.member.pk: row for row in queries.ledger(branch, month)}
    exceptions = dict(exceptions or {})
    for member_id, value in exceptions.items():
        row = rows.get(member_id)
        if row is None or row.expected is None:
            errors[f"member_{member_id}"] = "该党员在本月无需在本支部交纳党费"
        elif row.expected == 0:
            errors[f"member_{member_id}"] = f"{row.member.name}本月经批准免交党费，无需登记"
        elif row.payment is not None:
            errors[f"member_{member_id}"] = f"{row.member.name}本月党费已登记，不能重复登记"
        elif value != UNPAID:
            try:
                amount = parse_base(value)
            except ValueError:
                errors[f"member_{member_id}"] = f"{row.member.name}：金额应为数字（元）"
                continue
            if amount <= 0:
                errors[f"member_{member_id}"] = f"{row.member.name}：金额应大于0，未交请选“未交”"
    if errors:
        raise ServiceValidationError(errors)
    new: list[Payment] = []
    for member_id, row in rows.items():
        if row.payment is not None or not row.expected:
            continue  # recorded already, not assessed, or exempted this month
        value = exceptions.get(member_id, row.expected)
        if value == UNPAID:
            continue
        new.append(
            Payment(
                member=row.member,
                organization=branch,
                month=month,
                amount=parse_base(value),
                paid_on=paid_on,
                method=method,
            )
        )
    Payment.objects.bulk_create(new)
    # One event for the month's payments; the organization in `changes` lets the compliance
    # report's cache re-read just this branch (meetings.findings.cache).
    record(
        actor,
        AuditAction.CREATE,
        object_type="dues.payment",
        object_id=f"{branch.pk}:{month:%Y-%m}",
        changes={"organization": [None, branch.pk], "payments": [None, len(new)]},
        object_repr=f"{branch.name}{month.year}年{month.month}月党费",
        message=f"登记党费{len(new)}人",
    )
    return len(new)
