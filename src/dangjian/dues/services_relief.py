"""Hardship reduction or exemption (减免): the branch decides (支部研究), the upper 党委
approves (报上一级党委批准); each step audited. Only an approved relief changes what is owed,
from the month of the approval on. Audit messages carry neither the reason nor an amount.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction

from dangjian.accounts.access import Action, scope_for
from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor, record
from dangjian.core.clock import today
from dangjian.core.errors import ServiceValidationError
from dangjian.dues.models import Assessment, Relief, ReliefKind, ReliefStatus
from dangjian.dues.services import is_dues_manager
from dangjian.members.models import Member
from dangjian.orgs.models import Organization
from dangjian.regulations.dues import month_start, months_between, parse_base

# A relief is decided for a stated period; the platform takes at most a year at a time so the
# upper 党委 looks at it again (a platform limit, not a regulation number).
RELIEF_MAX_MONTHS = 12
REASON_MAX = 500
NOTE_MAX = 200


def upper_committee(branch: Organization) -> Organization | None:
    """The level above the branch (its 机关党委 or 党总支), which approves."""
    return Organization.objects.filter(path=branch.path[: -Organization.steplen]).first()


def may_approve(user, relief: Relief) -> bool:
    upper = upper_committee(relief.organization)
    return (
        user is not None
        and upper is not None
        and scope_for(user).covers(upper.path, Action.WRITE)
        and not is_dues_manager(user, relief.organization)  # the branch cannot approve itself
    )


def _validate(
    member: Member,
    kind: str,
    amount: object,
    first: dt.date,
    last: dt.date,
    reason: str,
    decided_on: dt.date | None,
) -> tuple[dict[str, str], Decimal | None]:
    errors: dict[str, str] = {}
    now = today()
    value: Decimal | None = None
    if kind not in ReliefKind.values:
        errors["kind"] = "请选择减免方式（少交或免交）"
    if not reason.strip():
        errors["reason"] = "请填写困难情况"
    elif len(reason) > REASON_MAX:
        errors["reason"] = f"困难情况最多{REASON_MAX}字"
    if decided_on is None:
        errors["decided_on"] = "请填写支部研究日期"
    elif decided_on > now:
        errors["decided_on"] = "支部研究日期不能晚于今天"
    if last < first:
        errors["last_month"] = "截止月份不能早于起始月份"
    elif months_between(first, last) >= RELIEF_MAX_MONTHS:
        errors["last_month"] = f"一次最多减免{RELIEF_MAX_MONTHS}个月，期满后可重新研究报批"
    elif last < month_start(now):
        errors["last_month"] = "截止月份已过，减免自上级党委批准的月份起执行"
    assessment = (
        Assessment.objects.filter(member=member, effective_from__lte=max(first, month_start(now)))
        .order_by("-effective_from")
        .first()
    )
    if assessment is None:
        errors["member"] = f"{member.name}尚未核定党费，请先核定"
    if kind == ReliefKind.REDUCE:
        try:
            value = parse_base(amount)
        except ValueError:
            errors["amount"] = "减免后月交纳额应为数字（元）"
        else:
            if value <= 0:
                errors["amount"] = "减免后月交纳额应大于0；不交请选“免交”"
            elif assessment is not None and value >= assessment.amount:
                errors["amount"] = f"减免后月交纳额应低于核定的{assessment.amount}元"
    overlapping = Relief.objects.filter(
        member=member,
        status__in=(ReliefStatus.PENDING, ReliefStatus.APPROVED),
        first_month__lte=last,
        last_month__gte=first,
    )
    if "last_month" not in errors and overlapping.exists():
        errors["first_month"] = f"{member.name}在这些月份已有待批或已批准的减免"
    return errors, value


@transaction.atomic
def decide_relief(
    actor: Actor,
    member: Member,
    *,
    kind: str,
    amount: object = None,
    first_month: dt.date,
    last_month: dt.date,
    reason: str,
    decided_on: dt.date | None,
) -> Relief:
    """The branch's decision to reduce or exempt a member's dues, waiting for the upper 党委."""
    if actor.user is None or not is_dues_manager(actor.user, member.organization):
        raise PermissionDenied("只有党员所在支部的书记和支委可以研究党费减免")
    first, last = month_start(first_month), month_start(last_month)
    # Lock the member's row so two decisions for the same months cannot both pass the check.
    Member.objects.select_for_update().filter(pk=member.pk).first()
    errors, value = _validate(member, kind, amount, first, last, reason, decided_on)
    if errors or decided_on is None:
        raise ServiceValidationError(errors)
    relief = Relief.objects.create(
        member=member,
        organization=member.organization,
        kind=kind,
        amount=value if kind == ReliefKind.REDUCE else None,
        first_month=first,
        last_month=last,
        reason=reason.strip(),
        decided_on=decided_on,
        decided_by=actor.user,
    )
    record(
        actor,
        AuditAction.CREATE,
        relief,
        changes={
            "kind": [None, kind],
            "first_month": [None, f"{first:%Y-%m}"],
            "last_month": [None, f"{last:%Y-%m}"],
        },
        message="支部研究党费减免，报上级党委批准",
    )
    return relief


@transaction.atomic
def approve_relief(actor: Actor, relief: Relief, *, approve: bool, note: str = "") -> Relief:
    """The upper 党委's answer. Approved: owed from the month of the approval to the last month."""
    relief = Relief.objects.select_for_update().select_related("organization").get(pk=relief.pk)
    if actor.user is None or not may_approve(actor.user, relief):
        raise PermissionDenied("党费减免由支部的上一级党委批准")
    if relief.status != ReliefStatus.PENDING:
        raise ServiceValidationError({"status": "该减免已批复，不能重复批复"})
    if len(note) > NOTE_MAX:
        raise ServiceValidationError({"note": f"批复意见最多{NOTE_MAX}字"})
    now = today()
    if approve and month_start(now) > relief.last_month:
        raise ServiceValidationError(
            {"status": "减免期限已过，批准后已无可减免的月份，请支部重新研究"}
        )
    before = relief.status
    relief.status = ReliefStatus.APPROVED if approve else ReliefStatus.REJECTED
    relief.approver_organization = upper_committee(relief.organization)
    relief.approved_on = now
    relief.approved_by = actor.user
    relief.approval_note = note.strip()
    relief.save()
    record(
        actor,
        AuditAction.UPDATE,
        relief,
        changes={"status": [before, relief.status]},
        message="上级党委批准党费减免" if approve else "上级党委不同意党费减免",
    )
    return relief
