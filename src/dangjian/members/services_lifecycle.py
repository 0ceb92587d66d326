"""Events in a member's party life: confirmation, extension of probation, leaving, restoring.

Each one checks the dates, writes the member and their history (MembershipSpell) in one
transaction, and records one audit event. Moves are `services.move_member`.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db import transaction

from dangjian.accounts.access import Action, can_write_into, member_allows
from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor, diff, record
from dangjian.core import clock
from dangjian.core.errors import ServiceValidationError
from dangjian.members import spells
from dangjian.members.models import LeaveReason, Member, MemberStatus, SpellEvent
from dangjian.members.services import refuse_dissolved
from dangjian.orgs.models import Organization, OrgKind, Post
from dangjian.regulations.membership import MembershipError, check_confirmation, probation_end


def _locked(actor: Actor, member: Member, what: str) -> Member:
    if actor.user is not None and not member_allows(actor.user, member, Action.WRITE):
        raise PermissionDenied(f"您对该党员没有{what}权限")
    return Member.objects.select_for_update().get(pk=member.pk)


def _check_day(day: dt.date, field: str, label: str, member: Member) -> None:
    if day > clock.today():
        raise ServiceValidationError({field: f"{label}不能晚于今天"})
    opened = spells.current_spells(member)
    if opened and day < opened[-1].started_on:
        raise ServiceValidationError(
            {field: f"{label}不能早于该党员上一次变动的日期（{opened[-1].started_on:%Y-%m-%d}）"}
        )


@transaction.atomic
def confirm_member(actor: Actor, member: Member, confirmed_on: dt.date) -> Member:
    """转正: the member is full from `confirmed_on` on."""
    member = _locked(actor, member, "办理转正的")
    if member.left_on is not None:
        raise ServiceValidationError({"confirmed_on": "该党员已离开，不能办理转正"})
    if member.status != MemberStatus.PROBATIONARY:
        raise ServiceValidationError({"confirmed_on": "该党员已是正式党员"})
    try:
        check_confirmation(member.admitted_on, confirmed_on)
    except MembershipError as exc:
        raise ServiceValidationError({exc.field: exc.message}) from exc
    _check_day(confirmed_on, "confirmed_on", "转正时间", member)
    before = member.audit_fields()
    member.status, member.confirmed_on = MemberStatus.FULL, confirmed_on
    member.save(update_fields=["status", "confirmed_on", "updated_at"])
    spells.replace(
        {
            member.pk: spells.resplit(
                spells.current_spells(member), member.admitted_on, member.confirmed_on
            )
        }
    )
    record(
        actor,
        AuditAction.UPDATE,
        member,
        changes=diff(before, member.audit_fields()),
        message="转为正式党员",
    )
    return member


@transaction.atomic
def extend_probation(actor: Actor, member: Member, months: int, decided_on: dt.date) -> Member:
    """延长预备期 (once, by 6–12 months), decided on `decided_on`."""
    member = _locked(actor, member, "延长预备期的")
    if member.left_on is not None or member.status != MemberStatus.PROBATIONARY:
        raise ServiceValidationError({"months": "只能为在册的预备党员延长预备期"})
    if member.probation_ends_on != probation_end(member.admitted_on):
        raise ServiceValidationError({"months": "预备期只能延长一次"})
    try:
        new_end = probation_end(member.admitted_on, months)
    except MembershipError as exc:
        raise ServiceValidationError({"months": exc.message}) from exc
    _check_day(decided_on, "decided_on", "延长预备期的决定日期", member)
    if not (member.admitted_on < decided_on <= probation_end(member.admitted_on)):
        raise ServiceValidationError({"decided_on": "延长预备期应在预备期内决定"})
    before = member.audit_fields() | {"probation_ends_on": member.probation_ends_on}
    member.probation_ends_on = new_end
    member.save(update_fields=["probation_ends_on", "updated_at"])
    spells.replace(
        {member.pk: spells.cut(spells.current_spells(member), decided_on, SpellEvent.EXTENDED)}
    )
    record(
        actor,
        AuditAction.UPDATE,
        member,
        changes=diff(before, member.audit_fields() | {"probation_ends_on": new_end}),
        message=f"延长预备期{months}个月",
    )
    return member


@transaction.atomic
def end_membership(actor: Actor, member: Member, left_on: dt.date, reason: str) -> Member:
    """The member stops counting from `left_on` (death, 除名, 退党, 停止党籍, transfer out);
    their current posts end the day before."""
    return end_membership_decided(actor, _locked(actor, member, "办理该事项的"), left_on, reason)


@transaction.atomic
def end_membership_decided(actor: Actor, member: Member, left_on: dt.date, reason: str) -> Member:
    """`end_membership` for a decision whose maker's right the caller has already checked (a
    开除党籍 recorded by the 纪检, who need not hold the roster's write right): same records,
    same audit, the actor named as who decided."""
    member = Member.objects.select_for_update().get(pk=member.pk)
    if reason not in LeaveReason.values:
        raise ServiceValidationError({"reason": "请选择离开原因"})
    if member.left_on is not None:
        raise ServiceValidationError({"left_on": "该党员已离开"})
    _check_day(left_on, "left_on", "离开日期", member)
    before = member.audit_fields()
    member.left_on, member.left_reason = left_on, reason
    member.save(update_fields=["left_on", "left_reason", "updated_at"])
    spells.replace(
        {member.pk: spells.cut(spells.current_spells(member), left_on, reason, end=True)}
    )
    last_day = left_on - dt.timedelta(days=1)
    for post in Post.objects.select_for_update().filter(member=member, ended_on__isnull=True):
        post_before = post.audit_fields()
        if post.started_on > last_day:
            post.ended_on = post.started_on
        else:
            post.ended_on = last_day
        post.save(update_fields=["ended_on"])
        record(actor, AuditAction.UPDATE, post, changes=diff(post_before, post.audit_fields()))
    record(
        actor,
        AuditAction.UPDATE,
        member,
        changes=diff(before, member.audit_fields()),
        message=LeaveReason(reason).label,
    )
    return member


@transaction.atomic
def restore_membership(
    actor: Actor,
    member: Member,
    restored_on: dt.date,
    organization: Organization | None = None,
    *,
    event: str = SpellEvent.RESTORED,
    receiving: bool = False,
) -> Member:
    """恢复党籍 (or a transfer back in): the member counts again from `restored_on`.

    `event` names the new spell's start (恢复党籍, or 组织关系转入 for a member transferred out
    who comes back in from outside). `receiving`: the receiving branch of that transfer, who
    writes into the new branch but not the old one (`transfers.services.receive`); the target
    is still checked."""
    if receiving:
        member = Member.objects.select_for_update().get(pk=member.pk)
    else:
        member = _locked(actor, member, "办理该事项的")
    if member.left_on is None:
        raise ServiceValidationError({"restored_on": "该党员在册，无需恢复"})
    if restored_on < member.left_on or restored_on > clock.today():
        raise ServiceValidationError({"restored_on": "恢复日期应在离开日期之后、今天之前"})
    org = organization or member.organization
    if org.kind != OrgKind.BRANCH:
        raise ServiceValidationError({"organization": "党员的组织关系只能落在党支部"})
    refuse_dissolved(org)
    if actor.user is not None and not can_write_into(actor.user, org):
        raise ServiceValidationError({"organization": "目标组织不在您的管理范围内"})
    before = member.audit_fields()
    if org.pk != member.organization_id:
        member.organization, member.party_group = org, None
    member.left_on, member.left_reason, member.org_since = None, "", restored_on
    member.save()
    spells.replace(
        {
            member.pk: spells.reopen(
                spells.current_spells(member), member, restored_on, org.pk, event
            )
        }
    )
    record(
        actor,
        AuditAction.UPDATE,
        member,
        changes=diff(before, member.audit_fields()),
        message=SpellEvent(event).label,
    )
    return member


@transaction.atomic
def remove_suspended(actor: Actor, member: Member, decided_on: dt.date) -> Member:
    """除名 of a member whose 党籍 was suspended (停止党籍): they already count nowhere since
    the suspension, so only the reason they left changes; the audit event carries the day."""
    member = _locked(actor, member, "办理该事项的")
    if member.left_on is None or member.left_reason != LeaveReason.SUSPENDED:
        raise ServiceValidationError({"member": "该党员未被停止党籍，不能按此办理除名"})
    if decided_on < member.left_on or decided_on > clock.today():
        raise ServiceValidationError({"decided_on": "除名日期应在停止党籍之后且不晚于今天"})
    return decided_after_suspension(actor, member, LeaveReason.REMOVED, decided_on)


def decided_after_suspension(
    actor: Actor, member: Member, reason: LeaveReason, decided_on: dt.date
) -> Member:
    """A member suspended (停止党籍) already counts nowhere: a later 除名 or 开除党籍 changes
    only the reason they left; the audit event carries the decision's day. The caller has
    locked the member and checked the day and the actor's right."""
    before = member.audit_fields()
    member.left_reason = reason
    member.save(update_fields=["left_reason", "updated_at"])
    record(
        actor,
        AuditAction.UPDATE,
        member,
        changes={**diff(before, member.audit_fields()), "decided_on": decided_on.isoformat()},
        message=reason.label,
    )
    return member
