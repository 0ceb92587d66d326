"""Quarterly payment (按季度交纳, 第十二条): the branch's consent for a member, and a payment that
covers a quarter, refused without that consent. Each write audited, without amounts."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db import transaction

from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor, record
from dangjian.core.clock import today
from dangjian.core.errors import ServiceValidationError
from dangjian.dues import queries
from dangjian.dues.models import Payment, PayMethod, QuarterlyApproval
from dangjian.dues.services import is_dues_manager, month_errors
from dangjian.members.models import Member
from dangjian.regulations.dates import add_months
from dangjian.regulations.dues import BACKPAY_RULE, month_start

QUARTER_FIRST_MONTHS = (1, 4, 7, 10)


def quarter_months(first: dt.date) -> list[dt.date]:
    return [add_months(month_start(first), n) for n in range(3)]


def approved_quarterly(member: Member) -> QuarterlyApproval | None:
    """The branch's consent, if given by the branch that holds the membership now."""
    return QuarterlyApproval.objects.filter(
        member=member, organization_id=member.organization_id
    ).first()


@transaction.atomic
def approve_quarterly(
    actor: Actor, member: Member, decided_on: dt.date | None
) -> QuarterlyApproval:
    """Record the branch's consent that `member` pays by the quarter."""
    if actor.user is None or not is_dues_manager(actor.user, member.organization):
        raise PermissionDenied("只有党员所在支部的书记和支委可以同意按季度交纳")
    if decided_on is None:
        raise ServiceValidationError({"decided_on": "请填写支部同意的日期"})
    if decided_on > today():
        raise ServiceValidationError({"decided_on": "支部同意的日期不能晚于今天"})
    row, created = QuarterlyApproval.objects.update_or_create(
        member=member,
        defaults={
            "organization": member.organization,
            "decided_on": decided_on,
            "decided_by": actor.user,
            # A new consent after a withdrawal: quarterly payment again from now on.
            "withdrawn_from": None,
            "withdrawn_on": None,
            "withdrawn_by": None,
        },
    )
    record(
        actor,
        AuditAction.CREATE if created else AuditAction.UPDATE,
        row,
        changes={"decided_on": [None, decided_on.isoformat()]},
        message="支部同意按季度交纳党费",
    )
    return row


WITHDRAW_AHEAD_MONTHS = 12  # a platform limit: a withdrawal is decided for the coming year


@transaction.atomic
def withdraw_quarterly(
    actor: Actor, member: Member, from_month: dt.date | None
) -> QuarterlyApproval:
    """The branch withdraws its consent from `from_month` on: no quarter reaching into that
    month or later may be recorded as one payment; the member pays month by month again.
    Payments already recorded (quarters paid) stay as they are."""
    if actor.user is None or not is_dues_manager(actor.user, member.organization):
        raise PermissionDenied("只有党员所在支部的书记和支委可以撤销按季度交纳")
    row = (
        QuarterlyApproval.objects.select_for_update()
        .filter(member=member, organization_id=member.organization_id)
        .first()
    )
    if row is None:
        raise ServiceValidationError({"member": f"{member.name}未经本支部同意按季度交纳，无需撤销"})
    if row.withdrawn_from is not None:
        raise ServiceValidationError(
            {
                "member": f"{member.name}的按季度交纳已自{row.withdrawn_from.year}年"
                f"{row.withdrawn_from.month}月起撤销"
            }
        )
    if from_month is None:
        raise ServiceValidationError({"month": "请选择自哪个月起撤销"})
    first = month_start(from_month)
    if first < month_start(row.decided_on):
        raise ServiceValidationError({"month": "撤销的起始月份不能早于支部同意按季度交纳的月份"})
    if first > add_months(month_start(today()), WITHDRAW_AHEAD_MONTHS):
        raise ServiceValidationError(
            {"month": f"撤销的起始月份最多只能在{WITHDRAW_AHEAD_MONTHS}个月之后"}
        )
    row.withdrawn_from, row.withdrawn_on, row.withdrawn_by = first, today(), actor.user
    row.save(update_fields=["withdrawn_from", "withdrawn_on", "withdrawn_by"])
    record(
        actor,
        AuditAction.UPDATE,
        row,
        changes={"withdrawn_from": [None, f"{first:%Y-%m}"]},
        message=f"撤销按季度交纳党费（自{first.year}年{first.month}月起）",
    )
    return row


@transaction.atomic
def record_quarter(
    actor: Actor,
    member: Member,
    first_month: dt.date,
    *,
    paid_on: dt.date | None = None,
    method: str = PayMethod.CASH,
) -> list[Payment]:
    """Record one payment covering the three months of a quarter at the amounts owed (an
    exempted month gets no payment). All three months or none."""
    branch = member.organization
    if actor.user is None or not is_dues_manager(actor.user, branch):
        raise PermissionDenied("只有本支部的书记和支委可以登记党费")
    consent = approved_quarterly(member)
    if consent is None:
        raise ServiceValidationError(
            {
                "member": f"{member.name}未经党支部同意按季度交纳（{BACKPAY_RULE.citation}），"
                "请按月登记，或先由支部同意按季度交纳"
            }
        )
    if not consent.covers(month_start(first_month)) and consent.withdrawn_from is not None:
        raise ServiceValidationError(
            {
                "member": f"支部已自{consent.withdrawn_from.year}年{consent.withdrawn_from.month}月"
                f"起撤销{member.name}按季度交纳，该季度请按月登记"
            }
        )
    now = today()
    paid_on = paid_on or now
    errors: dict[str, str] = {}
    if month_start(first_month).month not in QUARTER_FIRST_MONTHS or first_month.day != 1:
        errors["month"] = "季度应从1月、4月、7月或10月开始"
    if method not in PayMethod.values:
        errors["method"] = "请选择交纳方式"
    if paid_on > now:
        errors["paid_on"] = "交纳日期不能晚于今天"
    if errors:
        raise ServiceValidationError(errors)
    # Lock the member so two recordings of the same quarter cannot both pass the checks.
    Member.objects.select_for_update().filter(pk=member.pk).first()
    new: list[Payment] = []
    for month in quarter_months(first_month):
        label = f"{month.year}年{month.month}月"
        if (problem := month_errors(month, now)) is not None:
            errors[f"month_{month:%Y%m}"] = f"{label}：{problem}"
            continue
        row = next((r for r in queries.ledger(branch, month) if r.member.pk == member.pk), None)
        if row is None:
            errors[f"month_{month:%Y%m}"] = f"{label}：该党员在本月无需在本支部交纳党费"
        elif row.expected is None:
            errors[f"month_{month:%Y%m}"] = f"{label}：尚未核定党费"
        elif row.payment is not None:
            errors[f"month_{month:%Y%m}"] = f"{label}：党费已登记，不能重复登记"
        elif row.expected:
            new.append(
                Payment(
                    member=member,
                    organization=branch,
                    month=month,
                    amount=row.expected,
                    paid_on=paid_on,
                    method=method,
                )
            )
    if errors:
        raise ServiceValidationError(errors)
    Payment.objects.bulk_create(new)
    first = month_start(first_month)
    record(
        actor,
        AuditAction.CREATE,
        object_type="dues.payment",
        object_id=f"{branch.pk}:{first:%Y-%m}:q:{member.pk}",
        changes={"organization": [None, branch.pk], "payments": [None, len(new)]},
        object_repr=f"{branch.name}{first.year}年第{(first.month + 2) // 3}季度党费",
        message=f"按季度登记党费{len(new)}个月",
    )
    return new
