"""Voluntary extra payments (第十一条) and the hand-over of a month's dues to the level above
(上缴), each audited. A hand-over's amounts are computed, never typed: a branch hands over its
ledger for the month and the voluntary payments not yet handed over, a 机关党委 the sums of its
branches' hand-overs, so they balance. Voluntary payments of 1,000 元 or more are kept apart at
every level: they go up in full to the centre (`VOLUNTARY_RULE`)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Sum

from dangjian.accounts.access import Action, member_allows, scope_for
from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor, record
from dangjian.core.clock import today
from dangjian.core.errors import ServiceValidationError
from dangjian.dues.models import ExtraPayment, Handover, Payment
from dangjian.dues.services import is_dues_manager
from dangjian.meetings.packs import rules_in_force
from dangjian.members.models import Member
from dangjian.orgs.models import Organization, OrgKind
from dangjian.regulations.dates import add_months
from dangjian.regulations.dues import month_start, parse_base


@transaction.atomic
def record_extra(actor: Actor, member: Member, amount: object, paid_on: dt.date) -> ExtraPayment:
    if actor.user is None or not member_allows(actor.user, member, Action.WRITE):
        raise PermissionDenied("您没有登记该党员党费的权限")
    if not is_dues_manager(actor.user, member.organization):
        raise PermissionDenied("只有党员所在支部的书记和支委可以登记党费")
    try:
        value = parse_base(amount)
    except ValueError:
        raise ServiceValidationError({"amount": "金额应为数字（元）"}) from None
    if value <= 0:
        raise ServiceValidationError({"amount": "金额应大于0"})
    if paid_on > today():
        raise ServiceValidationError({"paid_on": "交纳日期不能晚于今天"})
    extra = ExtraPayment.objects.create(
        member=member,
        organization=member.organization,
        amount=value,
        paid_on=paid_on,
        to_centre=value >= rules_in_force().dues.voluntary_threshold,
    )
    record(actor, AuditAction.CREATE, extra, message="登记自愿多交党费")
    return extra


def _parent(org: Organization) -> Organization:
    parent = Organization.objects.filter(path=org.path[: -Organization.steplen]).first()
    if parent is None:
        raise ServiceValidationError({"organization": "该组织没有上级党组织"})
    return parent


@transaction.atomic
def hand_over(actor: Actor, org: Organization, month: dt.date) -> Handover:
    """Record `org`'s dues for `month` as handed to the level above."""
    month = month_start(month)
    if actor.user is None:
        raise PermissionDenied("请先登录")
    zero = Decimal("0.00")
    carried: list[ExtraPayment] = []
    if org.kind == OrgKind.BRANCH:
        if not is_dues_manager(actor.user, org):
            raise PermissionDenied("只有本支部的书记和支委可以上缴党费")
        totals = Payment.objects.filter(organization=org, month=month).aggregate(
            n=Count("pk"), total=Sum("amount")
        )
        # Voluntary payments not yet handed over, paid by the end of the month: they go up
        # with the first hand-over of a month not before the one they were paid in.
        carried = list(
            ExtraPayment.objects.select_for_update()
            .filter(organization=org, handover__isnull=True, paid_on__lt=add_months(month, 1))
            .order_by("pk")
        )
        extra = sum((e.amount for e in carried if not e.to_centre), zero)
        to_centre = sum((e.amount for e in carried if e.to_centre), zero)
        extra_count = len(carried)
    else:
        if not scope_for(actor.user).covers(org.path, Action.WRITE):
            raise PermissionDenied("您对该组织没有此操作权限")
        totals = Handover.objects.filter(to_organization=org, month=month).aggregate(
            n=Sum("payments"),
            total=Sum("amount"),
            extra=Sum("extra_amount"),
            to_centre=Sum("to_centre_amount"),
            extras=Sum("extra_payments"),
        )
        extra, to_centre = totals["extra"] or zero, totals["to_centre"] or zero
        extra_count = totals["extras"] or 0
    if Handover.objects.filter(organization=org, month=month).exists():
        raise ServiceValidationError({"month": "该月党费已上缴，不能重复上缴"})
    if not totals["n"] and not extra_count:
        raise ServiceValidationError({"month": "该月没有可上缴的党费"})
    handover = Handover.objects.create(
        organization=org,
        to_organization=_parent(org),
        month=month,
        amount=totals["total"] or zero,
        payments=totals["n"] or 0,
        extra_amount=extra,
        to_centre_amount=to_centre,
        extra_payments=extra_count,
        handed_on=today(),
    )
    if carried:
        ExtraPayment.objects.filter(pk__in=[e.pk for e in carried]).update(handover=handover)
    record(actor, AuditAction.CREATE, handover, message=f"上缴{month.year}年{month.month}月党费")
    return handover
