"""Members out of contact (失去联系) or abroad (出国出境), and the branch's decisions the
findings propose (党员教育管理工作条例 第二十四条): 停止党籍 after six months out of contact or
more than five years abroad, and 除名 two years after the suspension, still out of contact.

The branch records each; the suspension ends the membership through `members`' services
(the member counts nowhere from that day), the removal changes why they left. Each write checks
who acts and the dates, runs in one transaction and leaves audit events with the member's id and
the dates, no text.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction

from dangjian.accounts.access import Action, member_allows
from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor, diff, record
from dangjian.core.errors import ServiceValidationError
from dangjian.members import services_lifecycle
from dangjian.members.models import LeaveReason, Member
from dangjian.regulations import discipline as rules
from dangjian.regulations.periods import cn_date
from dangjian.transfers.models import AbsenceKind, AbsenceRecord
from dangjian.transfers.services import _not_future, locked_current_member

DENIED = "失去联系和出国出境由党员所在党支部登记"
OPEN = "该党员已有未结束的失去联系或出国出境记录"


def due_action(row: AbsenceRecord, day: dt.date) -> str | None:
    """What the findings propose for the record on `day`: 'suspend', 'remove' or None."""
    if row.since > day or (row.ended_on is not None and row.ended_on <= day):
        return None
    if row.removed_on is not None and row.removed_on <= day:
        return None
    if row.suspended_on is None or row.suspended_on > day:
        due = (
            rules.lost_contact_due(row.since)
            if row.kind == AbsenceKind.LOST_CONTACT
            else rules.abroad_due(row.since)
        )
        return "suspend" if day >= due else None
    if row.kind == AbsenceKind.LOST_CONTACT and day >= rules.removal_due(row.suspended_on):
        return "remove"
    return None


@transaction.atomic
def record_absence(actor: Actor, member: Member, kind: str, since: dt.date) -> AbsenceRecord:
    member = locked_current_member(actor, member, DENIED, "该党员已不在册")
    if kind not in AbsenceKind.values:
        raise ServiceValidationError({"kind": "请选择失去联系或出国出境"})
    _not_future(since, "since", "起始日期")
    if AbsenceRecord.objects.filter(open_key=member.pk).exists():
        raise ServiceValidationError({"member": OPEN})
    row = AbsenceRecord(
        member=member, kind=kind, since=since, open_key=member.pk, recorded_by=actor.user
    )
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        raise ServiceValidationError({"member": OPEN}) from None
    record(actor, AuditAction.CREATE, row, changes=diff(None, row.audit_fields()))
    return row


def _locked(actor: Actor, row: AbsenceRecord) -> AbsenceRecord:
    row = AbsenceRecord.objects.select_for_update().select_related("member").get(pk=row.pk)
    if actor.user is not None and not member_allows(actor.user, row.member, Action.WRITE):
        raise PermissionDenied(DENIED)
    if row.open_key is None:
        raise ServiceValidationError({"record": "该记录已结束"})
    return row


def _update(actor: Actor, row: AbsenceRecord, before: dict, message: str) -> AbsenceRecord:
    row.save()
    record(
        actor, AuditAction.UPDATE, row, changes=diff(before, row.audit_fields()), message=message
    )
    return row


@transaction.atomic
def end_absence(actor: Actor, row: AbsenceRecord, ended_on: dt.date) -> AbsenceRecord:
    """Contact regained, or the member is back: the record ends (a suspended 党籍 is restored
    by its own procedure, not here)."""
    row = _locked(actor, row)
    if ended_on < row.since:
        raise ServiceValidationError({"ended_on": f"日期不能早于起始日期（{cn_date(row.since)}）"})
    _not_future(ended_on, "ended_on", "恢复联系（返回）日期")
    before = row.audit_fields()
    row.ended_on, row.open_key = ended_on, None
    return _update(
        actor, row, before, "恢复联系" if row.kind == AbsenceKind.LOST_CONTACT else "返回"
    )


@transaction.atomic
def suspend(actor: Actor, row: AbsenceRecord, decided_on: dt.date) -> AbsenceRecord:
    """停止党籍, decided by the branch once the finding proposes it: the member stops counting
    from `decided_on`."""
    row = _locked(actor, row)
    if row.suspended_on is not None:
        raise ServiceValidationError({"record": "已停止党籍"})
    if due_action(row, decided_on) != "suspend":
        due = (
            rules.lost_contact_due(row.since)
            if row.kind == AbsenceKind.LOST_CONTACT
            else rules.abroad_due(row.since)
        )
        what = "失去联系满6个月" if row.kind == AbsenceKind.LOST_CONTACT else "出国出境超过5年"
        raise ServiceValidationError(
            {"decided_on": f"{what}后（{cn_date(due)}起）方可决定停止党籍"}
        )
    services_lifecycle.end_membership(actor, row.member, decided_on, LeaveReason.SUSPENDED)
    before = row.audit_fields()
    row.suspended_on = decided_on
    if row.kind == AbsenceKind.ABROAD:
        row.open_key = None  # nothing further is proposed for a member abroad
    return _update(actor, row, before, "停止党籍")


@transaction.atomic
def remove(actor: Actor, row: AbsenceRecord, decided_on: dt.date) -> AbsenceRecord:
    """除名, two years after the suspension, the member still out of contact."""
    row = _locked(actor, row)
    if due_action(row, decided_on) != "remove":
        if row.kind != AbsenceKind.LOST_CONTACT or row.suspended_on is None:
            raise ServiceValidationError({"record": "失去联系并停止党籍的党员方可除名"})
        due = rules.removal_due(row.suspended_on)
        raise ServiceValidationError(
            {"decided_on": f"停止党籍满2年后（{cn_date(due)}起）仍无法取得联系的，方可除名"}
        )
    services_lifecycle.remove_suspended(actor, row.member, decided_on)
    before = row.audit_fields()
    row.removed_on, row.open_key = decided_on, None
    return _update(actor, row, before, "除名")
