"""流动党员 (members working away): the branch records a member away and their return. Each
write checks who acts and the dates, runs in one transaction and leaves one audit event without
the place or the contact (the member's id, the dates and whether the place is fixed)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction

from dangjian.accounts.access import Action, member_allows
from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor, diff, record
from dangjian.core.errors import ServiceValidationError
from dangjian.members.models import Member
from dangjian.regulations.periods import cn_date
from dangjian.transfers.models import MobileRecord
from dangjian.transfers.services import _not_future, _text, locked_current_member


@transaction.atomic
def record_mobile(
    actor: Actor,
    member: Member,
    *,
    place: str,
    since: dt.date,
    contact_org: str = "",
    certificate: str = "",
    fixed_place: bool = False,
) -> MobileRecord:
    """流动党员: the branch records a member away (where, since when, the party organization they
    report to there, the 活动证 number). One open record per member."""
    member = locked_current_member(
        actor, member, "您对该党员没有登记流动党员的权限", "该党员已不在册"
    )
    if MobileRecord.objects.filter(open_key=member.pk).exists():
        raise ServiceValidationError({"member": "该党员已有未结束的流动党员记录，请先登记返回"})
    place = _text(place, "place", "外出地点（单位）", 200)
    contact_org = _text(contact_org, "contact_org", "联系的流入地党组织", 200, required=False)
    certificate = _text(certificate, "certificate", "流动党员活动证编号", 40, required=False)
    _not_future(since, "since", "外出日期")
    row = MobileRecord(
        member=member,
        place=place,
        since=since,
        fixed_place=fixed_place,
        contact_org=contact_org,
        certificate=certificate,
        open_key=member.pk,
        recorded_by=actor.user,
    )
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        raise ServiceValidationError(
            {"member": "该党员已有未结束的流动党员记录，请先登记返回"}
        ) from None
    record(actor, AuditAction.CREATE, row, changes=diff(None, row.audit_fields()))
    return row


@transaction.atomic
def end_mobile(actor: Actor, row: MobileRecord, ended_on: dt.date) -> MobileRecord:
    """The member is back (or transferred): the record ends on `ended_on`."""
    row = MobileRecord.objects.select_for_update().select_related("member").get(pk=row.pk)
    if actor.user is not None and not member_allows(actor.user, row.member, Action.WRITE):
        raise PermissionDenied("您对该党员没有登记流动党员的权限")
    if row.ended_on is not None:
        raise ServiceValidationError({"ended_on": "该流动党员记录已结束"})
    if ended_on < row.since:
        raise ServiceValidationError(
            {"ended_on": f"返回日期不能早于外出日期（{cn_date(row.since)}）"}
        )
    _not_future(ended_on, "ended_on", "返回日期")
    before = row.audit_fields()
    row.ended_on, row.open_key = ended_on, None
    row.save(update_fields=["ended_on", "open_key"])
    record(actor, AuditAction.UPDATE, row, changes=diff(before, row.audit_fields()), message="返回")
    return row
