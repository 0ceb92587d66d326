"""Writes to transfers: start, register a letter from outside, approve (issue the letter),
receive, return, cancel. Each checks who acts and the dates, runs in one transaction and leaves
one audit event on the transfer; the membership history is written only on receipt, through
members' services (`move_member`, `create_member`, `end_membership`), so the member counts in
the sending branch until then (党员教育管理工作条例 第二十五条) and never in two branches.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Max

from dangjian.accounts.access import Action, can_write_into, member_allows
from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor, diff, record
from dangjian.core import clock
from dangjian.core.errors import ServiceValidationError
from dangjian.crypto import default_keyring
from dangjian.discipline.queries import under_review
from dangjian.dues.models import Payment
from dangjian.members import services as member_services
from dangjian.members import services_lifecycle
from dangjian.members.models import LeaveReason, Member, MembershipSpell, SpellEvent
from dangjian.orgs.history import dissolved_since
from dangjian.orgs.models import Organization, OrgKind
from dangjian.regulations import transfers as rules
from dangjian.regulations.identity import IdentityError, parse_id_number
from dangjian.regulations.periods import cn_date
from dangjian.transfers.models import Transfer, TransferKind, TransferStatus, TransferStep


def locked_current_member(actor: Actor, member: Member, denied: str, gone: str) -> Member:
    """The member's row locked, for a write on a member still on the rolls that the actor may
    write for (a transfer, a 流动党员 record): `denied` and `gone` are the refusals' words."""
    member = Member.objects.select_for_update().get(pk=member.pk)
    if actor.user is not None and not member_allows(actor.user, member, Action.WRITE):
        raise PermissionDenied(denied)
    if member.left_on is not None:
        raise ServiceValidationError({"member": gone})
    return member


def _text(value: str, field: str, label: str, limit: int, *, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ServiceValidationError({field: f"请填写{label}"})
    if len(value) > limit:
        raise ServiceValidationError({field: f"{label}不超过{limit}个字"})
    return value


def _not_future(day: dt.date, field: str, label: str) -> None:
    if day > clock.today():
        raise ServiceValidationError({field: f"{label}不能晚于今天"})


def _writes(actor: Actor, org: Organization | None) -> bool:
    return actor.user is None or (org is not None and can_write_into(actor.user, org))


def issuing_committees(org: Organization) -> list[Organization]:
    """The 机关党委 above a branch: the level that approves a transfer and issues the letter
    (第二十五条: the 基层党委 entitled to approve probationary members)."""
    step = Organization.steplen
    ancestors = [org.path[:i] for i in range(step, len(org.path), step)]
    return list(Organization.objects.filter(path__in=ancestors, kind=OrgKind.ORGAN_COMMITTEE))


def may_approve(user, transfer: Transfer) -> bool:
    org = transfer.from_organization
    if user is None or org is None:
        return False
    return any(can_write_into(user, c) for c in issuing_committees(org))


def _step(actor: Actor, transfer: Transfer, action: str, day: dt.date, note: str = "") -> None:
    TransferStep.objects.create(
        transfer=transfer,
        action=action,
        done_on=day,
        note=note[:500],
        actor=actor.user,
        actor_name=(getattr(actor.user, "display_name", "") or actor.username)[:100]
        if actor.user is not None
        else "系统",
    )


def _locked(transfer: Transfer) -> Transfer:
    """The transfer's row locked, then read with its relations: PostgreSQL refuses FOR UPDATE
    across the outer joins of the nullable foreign keys, and MariaDB has no FOR UPDATE OF."""
    Transfer.objects.select_for_update().filter(pk=transfer.pk).values_list("pk").get()
    return Transfer.objects.select_related(
        "member", "member__organization", "from_organization", "to_organization"
    ).get(pk=transfer.pk)


def _not_under_review(member: Member | None, day: dt.date) -> None:
    """No transfer is started or approved while the member is under disciplinary review, on
    the step's day or today (a review recorded since)."""
    if member is not None and under_review([member.pk], day) | under_review(
        [member.pk], clock.today()
    ):
        raise ServiceValidationError(
            {"member": "该党员正在接受纪律审查，审查结束前不能办理组织关系转接"}
        )


def _dues_paid_until(member: Member | None) -> dt.date | None:
    if member is None:
        return None
    return Payment.objects.filter(member=member).aggregate(last=Max("month"))["last"]


def _save_new(transfer: Transfer) -> None:
    try:
        with transaction.atomic():
            transfer.save()
    except IntegrityError:
        raise ServiceValidationError(
            {"member": "该党员已有未办结的组织关系转接，不能重复发起"}
        ) from None


def _not_dissolved(branch: Organization) -> None:
    """A transfer into a dissolved branch could never be received (`move_member` and
    `create_member` refuse it): refused when it is started or registered."""
    gone = dissolved_since(branch)
    if gone is not None:
        raise ServiceValidationError(
            {"to_organization": f"{branch.name}已于{cn_date(gone)}撤销，不能转入"}
        )


@transaction.atomic
def start(
    actor: Actor,
    member: Member,
    *,
    kind: str,
    reason: str,
    applied_on: dt.date,
    to_organization: Organization | None = None,
    to_name: str = "",
    to_address: str = "",
) -> Transfer:
    """The sending branch starts a transfer of one of its members: to a branch inside the
    platform, or out of it to an organization named by its name and address."""
    # Read again under a lock: the caller's copy may predate a move (its branch decides).
    member = locked_current_member(
        actor, member, "您对该党员没有办理组织关系转接的权限", "该党员已不在册，不能转出"
    )
    if Transfer.objects.filter(open_key=member.pk).exists():
        raise ServiceValidationError({"member": "该党员已有未办结的组织关系转接，不能重复发起"})
    reason = _text(reason, "reason", "转接原因", 200)
    _not_future(applied_on, "applied_on", "申请日期")
    _not_under_review(member, applied_on)
    if kind == TransferKind.WITHIN:
        if to_organization is None:
            raise ServiceValidationError({"to_organization": "请选择转入的党支部"})
        if to_organization.kind != OrgKind.BRANCH:
            raise ServiceValidationError({"to_organization": "组织关系只能转入党支部"})
        if to_organization.pk == member.organization_id:
            raise ServiceValidationError({"to_organization": "转入党支部与所在党支部相同"})
        _not_dissolved(to_organization)
        to_name = to_address = ""
    elif kind == TransferKind.OUT:
        to_organization = None
        to_name = _text(to_name, "to_name", "转入党组织名称", 200)
        to_address = _text(to_address, "to_address", "转入党组织地址", 200, required=False)
    else:
        raise ServiceValidationError({"kind": "请选择转接类型（系统内转接或转出至系统外）"})
    transfer = Transfer(
        kind=kind,
        member=member,
        from_organization=member.organization,
        organization=member.organization,
        to_organization=to_organization,
        to_name=to_name,
        to_address=to_address,
        reason=reason,
        applied_on=applied_on,
        open_key=member.pk,
        dues_paid_until=_dues_paid_until(member),
        started_by=actor.user,
    )
    _save_new(transfer)
    _step(actor, transfer, "start", applied_on, reason)
    record(actor, AuditAction.CREATE, transfer, changes=diff(None, transfer.audit_fields()))
    return transfer


@transaction.atomic
def register_incoming(
    actor: Actor,
    to_organization: Organization,
    *,
    person_name: str,
    from_name: str,
    letter_number: str,
    issued_on: dt.date,
    valid_until: dt.date,
    reason: str = "",
) -> Transfer:
    """The receiving branch records a letter from an organization outside the platform; the
    member's record is created when they report in (`receive`)."""
    if to_organization.kind != OrgKind.BRANCH:
        raise ServiceValidationError({"to_organization": "组织关系只能转入党支部"})
    if not _writes(actor, to_organization):
        raise PermissionDenied("您对该党支部没有办理组织关系转入的权限")
    _not_dissolved(to_organization)
    person_name = _text(person_name, "person_name", "姓名", 50)
    from_name = _text(from_name, "from_name", "转出党组织名称", 200)
    letter_number = _text(letter_number, "letter_number", "介绍信编号", 40)
    reason = _text(reason, "reason", "转接原因", 200, required=False) or "组织关系转入"
    _not_future(issued_on, "issued_on", "介绍信开具日期")
    if valid_until < issued_on:
        raise ServiceValidationError({"valid_until": "有效期不能早于介绍信开具日期"})
    transfer = Transfer.objects.create(
        kind=TransferKind.IN,
        status=TransferStatus.APPROVED,
        person_name=person_name,
        from_name=from_name,
        to_organization=to_organization,
        organization=to_organization,
        reason=reason,
        applied_on=issued_on,
        approved_on=issued_on,
        valid_until=valid_until,
        letter_number=letter_number,
        started_by=actor.user,
    )
    _step(actor, transfer, "register", issued_on, f"介绍信{letter_number}")
    record(actor, AuditAction.CREATE, transfer, changes=diff(None, transfer.audit_fields()))
    return transfer


def letter_validity_months() -> int | None:
    """The local pack's letter validity (months), or None (the rule's default applies)."""
    from dangjian.meetings.packs import rules_in_force

    value = rules_in_force().params.get("letter_validity_months")
    return int(value) if value else None


@transaction.atomic
def approve(actor: Actor, transfer: Transfer, approved_on: dt.date) -> Transfer:
    """转出方审核: the 机关党委 above the sending branch approves and issues the letter, with
    its number, its validity (the local pack's months) and the dues paid up to then."""
    transfer = _locked(transfer)
    if actor.user is not None and not may_approve(actor.user, transfer):
        raise PermissionDenied("组织关系转出应由上级党委（机关党委）审核并开具介绍信")
    if transfer.status != TransferStatus.APPLIED:
        raise ServiceValidationError({"status": "该转接不在待审核状态"})
    if approved_on < transfer.applied_on:
        raise ServiceValidationError(
            {"approved_on": f"审核日期不能早于申请日期（{cn_date(transfer.applied_on)}）"}
        )
    _not_future(approved_on, "approved_on", "审核日期")
    _not_under_review(transfer.member, approved_on)
    before = transfer.audit_fields()
    transfer.status = TransferStatus.APPROVED
    transfer.approved_on = approved_on
    transfer.valid_until = rules.letter_valid_until(approved_on, letter_validity_months())
    transfer.letter_number = f"{approved_on.year}{transfer.pk:06d}"
    transfer.dues_paid_until = _dues_paid_until(transfer.member)
    transfer.save()
    _step(actor, transfer, "approve", approved_on, f"介绍信{transfer.letter_number}")
    record(
        actor,
        AuditAction.UPDATE,
        transfer,
        changes=diff(before, transfer.audit_fields()),
        message="转出方审核通过，开具介绍信",
    )
    return transfer


def _receiving_side(transfer: Transfer) -> Organization | None:
    """Who records the receipt: the receiving branch, or for a transfer out of the platform
    the sending branch (it records the returned 回执)."""
    if transfer.kind == TransferKind.OUT:
        return transfer.from_organization
    return transfer.to_organization


def _close(transfer: Transfer, status: str, day: dt.date) -> None:
    transfer.status = status
    transfer.closed_on = day
    transfer.open_key = None


@transaction.atomic
def receive(
    actor: Actor,
    transfer: Transfer,
    received_on: dt.date,
    *,
    late_note: str = "",
    member_data: dict[str, Any] | None = None,
) -> Transfer:
    """转入方接收: the member belongs to the new branch from `received_on` (their spell in the
    old one ends the day before), or, for a transfer out of the platform, leaves on it; a member
    from outside is created in the receiving branch with the history starting that day."""
    transfer = _locked(transfer)
    side = _receiving_side(transfer)
    if not _writes(actor, side):
        raise PermissionDenied("应由转入方党组织办理接收")
    if transfer.status != TransferStatus.APPROVED:
        raise ServiceValidationError({"status": "该转接尚未开具介绍信，或已办结"})
    assert transfer.approved_on is not None and transfer.valid_until is not None
    if received_on < transfer.approved_on:
        raise ServiceValidationError(
            {"received_on": f"接收日期不能早于介绍信开具日期（{cn_date(transfer.approved_on)}）"}
        )
    _not_future(received_on, "received_on", "接收日期")
    late_note = _text(late_note, "late_note", "逾期报到证明", 500, required=False)
    late = rules.check_report_in(transfer.valid_until, received_on, late_note)
    if late is not None:
        raise ServiceValidationError({"late_note": late.message})
    if transfer.member is not None and (
        transfer.member.organization_id != transfer.from_organization_id
        or transfer.member.left_on is not None
    ):
        raise ServiceValidationError(
            {"status": "该党员的组织关系在转接期间已有变动，请撤销本次转接后重新发起"}
        )
    before = transfer.audit_fields()
    why = f"{transfer}接收"
    if transfer.kind == TransferKind.WITHIN:
        assert transfer.member is not None and transfer.to_organization is not None
        member_services.move_member(
            actor,
            transfer.member,
            transfer.to_organization,
            None,
            reason=why,
            on=received_on,
            event=SpellEvent.TRANSFERRED_IN,
            receiving=True,
        )
    elif transfer.kind == TransferKind.OUT:
        assert transfer.member is not None
        services_lifecycle.end_membership(
            actor, transfer.member, received_on, LeaveReason.TRANSFERRED_OUT
        )
    else:
        assert transfer.to_organization is not None
        data = dict(member_data or {})
        data.setdefault("name", transfer.person_name)
        known = returning_member(data.get("id_number"))
        if known is not None:
            transfer.member = _readmit(actor, known, transfer.to_organization, received_on)
        else:
            member, _warnings = member_services.create_member(
                actor, transfer.to_organization, data, transferred_in_on=received_on
            )
            transfer.member = member
    transfer.received_on = received_on
    transfer.late_note = late_note
    _close(transfer, TransferStatus.COMPLETED, received_on)
    transfer.save()
    action = "receipt" if transfer.kind == TransferKind.OUT else "receive"
    _step(actor, transfer, action, received_on, late_note)
    record(
        actor,
        AuditAction.UPDATE,
        transfer,
        changes=diff(before, transfer.audit_fields()),
        message="回执已收回" if transfer.kind == TransferKind.OUT else "转入方已接收",
    )
    return transfer


def returning_member(raw_id: Any) -> Member | None:
    """The stored member with this ID number (matched by its blind index), if any: a person
    transferred out of the platform who comes back in reuses their record. None for an unknown
    or invalid number (`create_member` then validates it and says what is wrong)."""
    try:
        value = parse_id_number(
            raw_id if isinstance(raw_id, (int, float)) else str(raw_id or "")
        ).value
    except IdentityError:
        return None
    return (
        Member.objects.select_for_update()
        .filter(id_number_index=default_keyring().blind_index(value))
        .first()
    )


def _readmit(actor: Actor, member: Member, to: Organization, day: dt.date) -> Member:
    """转出后又转回: the member's ended record is reused; a new spell in the receiving branch
    starts on the receiving day (组织关系转入), and the old history stays as it was."""
    if member.left_on is None:
        raise ServiceValidationError(
            {
                "id_number": f"该身份证号对应的党员仍在{member.organization.name}在册，"
                "不能作为系统外转入；平台内调动请由所在支部发起系统内转接"
            }
        )
    if member.left_reason != LeaveReason.TRANSFERRED_OUT:
        raise ServiceValidationError(
            {
                "id_number": f"该身份证号对应的党员已因“{LeaveReason(member.left_reason).label}”"
                "离开，不能以组织关系转入办理"
            }
        )
    if day < member.left_on:
        raise ServiceValidationError(
            {"received_on": f"接收日期不能早于该党员转出的日期（{cn_date(member.left_on)}）"}
        )
    return services_lifecycle.restore_membership(
        actor, member, day, to, event=SpellEvent.TRANSFERRED_IN, receiving=True
    )


@transaction.atomic
def return_transfer(
    actor: Actor, transfer: Transfer, reason: str, returned_on: dt.date | None = None
) -> Transfer:
    """退回 with a reason (no transfer is refused without one, 第二十五条): by the approving
    committee before the letter, by the receiving side after it. The member stays where they
    were; a new transfer may then be started."""
    transfer = _locked(transfer)
    if transfer.status == TransferStatus.APPLIED:
        if actor.user is not None and not may_approve(actor.user, transfer):
            raise PermissionDenied("应由上级党委（机关党委）审核退回")
    elif transfer.status == TransferStatus.APPROVED:
        if not _writes(actor, _receiving_side(transfer)):
            raise PermissionDenied("应由转入方党组织办理退回")
    else:
        raise ServiceValidationError({"status": "该转接已办结，不能退回"})
    reason = _text(reason, "return_reason", "退回理由", 500)
    day = returned_on or clock.today()
    _not_future(day, "returned_on", "退回日期")
    before = transfer.audit_fields()
    transfer.return_reason = reason
    _close(transfer, TransferStatus.RETURNED, day)
    transfer.save()
    _step(actor, transfer, "return", day, reason)
    record(
        actor,
        AuditAction.UPDATE,
        transfer,
        changes=diff(before, transfer.audit_fields()),
        message="退回",
    )
    return transfer


@transaction.atomic
def cancel(actor: Actor, transfer: Transfer, reason: str) -> Transfer:
    """The side that started the transfer withdraws it before the receipt."""
    transfer = _locked(transfer)
    starter = (
        transfer.to_organization if transfer.kind == TransferKind.IN else transfer.from_organization
    )
    if not _writes(actor, starter):
        raise PermissionDenied("应由发起转接的党组织撤销")
    if not transfer.is_open:
        raise ServiceValidationError({"status": "该转接已办结，不能撤销"})
    reason = _text(reason, "reason", "撤销原因", 500)
    day = clock.today()
    before = transfer.audit_fields()
    _close(transfer, TransferStatus.CANCELLED, day)
    transfer.save()
    _step(actor, transfer, "cancel", day, reason)
    record(
        actor,
        AuditAction.UPDATE,
        transfer,
        changes=diff(before, transfer.audit_fields()),
        message="撤销",
    )
    return transfer


def may_bulk_move(user, source: Organization) -> bool:
    """整建制转移 is decided by the 机关党委 above the branch (a writer of it)."""
    return user is not None and any(can_write_into(user, c) for c in issuing_committees(source))


def bulk_blockers(branch: Organization, member_ids: Iterable[int] | None = None) -> int:
    """How many members of `branch` (or of those chosen) are in an open transfer: a bulk move
    waits for them."""
    open_ = Transfer.objects.filter(
        open_key__isnull=False, member__organization=branch, member__left_on__isnull=True
    )
    if member_ids is not None:
        open_ = open_.filter(member_id__in=list(member_ids))
    return open_.count()


def in_transit(branch: Organization) -> set[int]:
    """The members of `branch` in an open transfer (the bulk page cannot choose them)."""
    return set(
        Transfer.objects.filter(
            open_key__isnull=False, member__organization=branch, member__left_on__isnull=True
        ).values_list("member_id", flat=True)
    )


def check_bulk_move(
    actor: Actor,
    source: Organization,
    target: Organization | None,
    on: dt.date,
    reason: str,
    member_ids: Iterable[int] | None = None,
    *,
    lock: bool = False,
) -> list[Member]:
    """Every check of a bulk move, writing nothing: the members who would move (the preview),
    or a Chinese message. `member_ids` chooses some of the branch's members; None takes all."""
    if target is None:
        raise ServiceValidationError({"target": "请选择转入的党支部"})
    if source.kind != OrgKind.BRANCH or target.kind != OrgKind.BRANCH:
        raise ServiceValidationError({"target": "整建制转移只能在党支部之间进行"})
    if source.pk == target.pk:
        raise ServiceValidationError({"target": "转入党支部与原党支部相同"})
    if not (_writes(actor, source) and _writes(actor, target)):
        raise PermissionDenied("整建制转移应由同时管理两个党支部的上级党组织办理")
    if actor.user is not None and not may_bulk_move(actor.user, source):
        raise PermissionDenied("整建制转移应由上级党委（机关党委）办理")
    reason = _text(reason, "reason", "转移原因", 200)
    _not_future(on, "on", "转移日期")
    current = Member.objects.filter(organization=source, left_on__isnull=True).order_by("pk")
    if lock:
        current = current.select_for_update()
    if member_ids is None:
        members = list(current)
        if not members:
            raise ServiceValidationError({"source": "该支部没有在册党员"})
    else:
        chosen = set(member_ids)
        if not chosen:
            raise ServiceValidationError({"members": "请至少选择一名党员"})
        members = list(current.filter(pk__in=chosen))
        if len(members) != len(chosen):
            raise ServiceValidationError(
                {"members": "所选党员中有人已不在该支部在册，请刷新页面后重新选择"}
            )
    blocked = bulk_blockers(source, [m.pk for m in members])
    if blocked:
        raise ServiceValidationError(
            {"source": f"所选党员中有{blocked}名党员正在办理组织关系转接，请先办结或撤销"}
        )
    reviewed = under_review([m.pk for m in members], on)
    if reviewed:
        raise ServiceValidationError(
            {"members": f"所选党员中有{len(reviewed)}名党员正在接受纪律审查，不能整建制转移"}
        )
    latest = MembershipSpell.objects.filter(
        member_id__in=[m.pk for m in members], ended_on__isnull=True
    ).aggregate(day=Max("started_on"))["day"]
    if latest is not None and on < latest:
        raise ServiceValidationError(
            {"on": f"转移日期不能早于所选党员最近一次组织关系变动的日期（{cn_date(latest)}）"}
        )
    return members


@transaction.atomic
def bulk_move(
    actor: Actor,
    source: Organization,
    target: Organization,
    on: dt.date,
    reason: str,
    member_ids: Iterable[int] | None = None,
) -> list[Member]:
    """A reorganised department: every current member of `source` (or those chosen) moves to
    `target` from `on`, each through `members.services.move_member` (their history cut on `on`,
    one MOVE event each), plus one summary event on the target. All or nothing; decided by the
    机关党委 above the branch, writing both branches. Members in an open transfer block it."""
    members = check_bulk_move(actor, source, target, on, reason, member_ids, lock=True)
    reason = reason.strip()
    for member in members:
        member_services.move_member(actor, member, target, None, reason=reason, on=on)
    record(
        actor,
        AuditAction.UPDATE,
        target,
        message=f"整建制转入{len(members)}名党员（自{source.code}，{on.isoformat()}起）",
    )
    return members
