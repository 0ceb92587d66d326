"""Writes to discipline records: open a review, end it, record a decision. Each is done by the
纪检 or the 机关党委 covering the member, in one transaction, with one audit event that carries
the member's id, the kind and the dates, never the reason."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db import transaction

from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor, diff, record
from dangjian.core import clock
from dangjian.core.errors import ServiceValidationError
from dangjian.crypto import default_keyring
from dangjian.discipline.access import may_handle
from dangjian.discipline.models import DECISIONS, DisciplineRecord, RecordKind
from dangjian.members import services_lifecycle as lifecycle
from dangjian.members.models import LeaveReason, Member
from dangjian.regulations import discipline as rules
from dangjian.regulations.periods import cn_date

REASON_LIMIT = 500


def _member(actor: Actor, member: Member) -> Member:
    member = Member.objects.select_for_update().select_related("organization").get(pk=member.pk)
    if actor.user is not None and not may_handle(actor.user, member):
        raise PermissionDenied("纪律审查与处分由纪检或机关党委登记")
    return member


def _day(day: dt.date | None, field: str, label: str) -> dt.date:
    if day is None:
        raise ServiceValidationError({field: f"请填写{label}"})
    if day > clock.today():
        raise ServiceValidationError({field: f"{label}不能晚于今天"})
    return day


def _reason(value: str) -> str:
    value = (value or "").strip()
    if len(value) > REASON_LIMIT:
        raise ServiceValidationError({"reason": f"事由不超过{REASON_LIMIT}个字"})
    return default_keyring().encrypt(value) if value else ""


def _save(actor: Actor, row: DisciplineRecord) -> DisciplineRecord:
    row.recorded_by = actor.user
    row.save()
    record(actor, AuditAction.CREATE, row, changes=diff(None, row.audit_fields()))
    return row


@transaction.atomic
def open_review(
    actor: Actor, member: Member, started_on: dt.date | None, reason: str = ""
) -> DisciplineRecord:
    """审查/立案: the member is under review from `started_on` until it is ended."""
    member = _member(actor, member)
    started_on = _day(started_on, "started_on", "审查开始日期")
    if DisciplineRecord.objects.filter(
        member=member, kind=RecordKind.REVIEW, ended_on__isnull=True
    ).exists():
        raise ServiceValidationError({"kind": "该党员已有未结束的审查"})
    row = DisciplineRecord(
        member=member,
        kind=RecordKind.REVIEW,
        started_on=started_on,
        reason_encrypted=_reason(reason),
    )
    return _save(actor, row)


@transaction.atomic
def end_review(actor: Actor, row: DisciplineRecord, ended_on: dt.date | None) -> DisciplineRecord:
    """The review ends: `ended_on` is its last day (the member is free of it the day after)."""
    row = DisciplineRecord.objects.select_for_update().get(pk=row.pk)
    _member(actor, row.member)
    if row.kind != RecordKind.REVIEW or row.ended_on is not None:
        raise ServiceValidationError({"ended_on": "该记录不是未结束的审查"})
    ended_on = _day(ended_on, "ended_on", "审查结束日期")
    if ended_on < row.started_on:
        raise ServiceValidationError(
            {"ended_on": f"结束日期不能早于审查开始日期（{cn_date(row.started_on)}）"}
        )
    before = row.audit_fields()
    row.ended_on = ended_on
    row.save(update_fields=["ended_on"])
    record(
        actor, AuditAction.UPDATE, row, changes=diff(before, row.audit_fields()), message="结束审查"
    )
    return row


def _expel(actor: Actor, member: Member, decided_on: dt.date) -> None:
    """开除党籍 ends the membership on the decision's day (the member counts nowhere from it;
    their posts end the day before). A member whose 党籍 was suspended already counts nowhere:
    only the reason they left becomes 开除党籍, as 除名 does. Someone who left otherwise (died,
    transferred out) cannot be expelled here."""
    if member.left_on is None:
        lifecycle.end_membership_decided(actor, member, decided_on, LeaveReason.EXPELLED)
        return
    if member.left_reason != LeaveReason.SUSPENDED:
        raise ServiceValidationError({"kind": "该党员已不在册，不能登记开除党籍"})
    if decided_on < member.left_on:
        raise ServiceValidationError({"started_on": "开除党籍日期应在停止党籍之后"})
    lifecycle.decided_after_suspension(actor, member, LeaveReason.EXPELLED, decided_on)


@transaction.atomic
def decide(
    actor: Actor,
    member: Member,
    kind: str,
    decided_on: dt.date | None,
    *,
    months: int | None = None,
    reason: str = "",
) -> DisciplineRecord:
    """A party discipline decision on `decided_on`; 留党察看 with its period (one or two years)."""
    member = _member(actor, member)
    if kind not in DECISIONS:
        raise ServiceValidationError({"kind": "请选择处分类别"})
    decided_on = _day(decided_on, "started_on", "处分决定日期")
    ended_on = None
    if kind == RecordKind.PROBATION:
        if months not in rules.PROBATION_MONTHS_CHOICES:
            raise ServiceValidationError({"months": "留党察看期限为一年或二年"})
        ended_on = rules.probation_ends(decided_on, months)
    else:
        months = None
    if kind == RecordKind.EXPULSION:
        _expel(actor, member, decided_on)
    row = DisciplineRecord(
        member=member,
        kind=kind,
        started_on=decided_on,
        ended_on=ended_on,
        months=months,
        reason_encrypted=_reason(reason),
    )
    return _save(actor, row)
