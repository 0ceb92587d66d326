"""Reads of transfers, always scoped: a transfer is seen by the readers of either side (the
secretaries and 支委 of the sending and the receiving branch, the 机关党委 and 纪检 above them),
and by the member it is about; everyone else gets a 404."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import Http404

from dangjian.accounts.access import Action, scope_for
from dangjian.members.models import Member
from dangjian.orgs.models import Organization, OrgKind
from dangjian.regulations import transfers as rules
from dangjian.transfers.models import (
    OPEN_STATUSES,
    AbsenceRecord,
    MobileRecord,
    Transfer,
    TransferKind,
    TransferStatus,
)

RELATED = ("member", "from_organization", "to_organization")


def _sides_q(user, action: Action) -> Q:
    scope = scope_for(user)
    q = scope.org_q(action, prefix="from_organization__") | scope.org_q(
        action, prefix="to_organization__"
    )
    if action == Action.READ and scope.own_member_id:
        q |= Q(member_id=scope.own_member_id)
    return q


def transfers_for(user, action: Action = Action.READ) -> QuerySet[Transfer]:
    return Transfer.objects.filter(_sides_q(user, action))


def get_transfer_for_user(user, pk) -> Transfer:
    """The transfer if the user may read it (404 otherwise: its existence is not revealed)."""
    try:
        return transfers_for(user).select_related(*RELATED).get(pk=pk)
    except (Transfer.DoesNotExist, ValueError):
        raise Http404("组织关系转接记录不存在") from None


def for_organization(org: Organization) -> dict[str, QuerySet[Transfer]]:
    """Open transfers leaving and entering `org`'s subtree (the page checks access to `org`)."""
    base = Transfer.objects.filter(status__in=OPEN_STATUSES).select_related(*RELATED)
    return {
        "outgoing": base.filter(from_organization__path__startswith=org.path).order_by(
            "applied_on", "pk"
        ),
        "incoming": base.filter(to_organization__path__startswith=org.path).order_by(
            "applied_on", "pk"
        ),
        "closed": Transfer.objects.exclude(status__in=OPEN_STATUSES)
        .filter(
            Q(from_organization__path__startswith=org.path)
            | Q(to_organization__path__startswith=org.path)
        )
        .select_related(*RELATED)
        .order_by("-closed_on", "-pk"),
    }


def _approver_committees(user) -> list[str]:
    scope = scope_for(user)
    if not scope.paths.get(Action.WRITE):
        return []
    return list(
        Organization.objects.filter(
            scope.org_q(Action.WRITE), kind=OrgKind.ORGAN_COMMITTEE
        ).values_list("path", flat=True)
    )


def waiting_for(user) -> QuerySet[Transfer]:
    """Transfers whose next step is the user's: approvals for a 机关党委 above the sending
    branch, receipts for the receiving side (the sending side for a transfer out of the
    platform, which records the 回执). Two queries, whatever the number of transfers."""
    scope = scope_for(user)
    if not scope.paths.get(Action.WRITE):
        return Transfer.objects.none()
    approve = Q(pk__in=[])
    for path in _approver_committees(user):
        approve |= Q(from_organization__path__startswith=path) & ~Q(from_organization__path=path)
    receive = (
        Q(kind=TransferKind.OUT) & scope.org_q(Action.WRITE, prefix="from_organization__")
    ) | (~Q(kind=TransferKind.OUT) & scope.org_q(Action.WRITE, prefix="to_organization__"))
    return (
        Transfer.objects.filter(
            (Q(status=TransferStatus.APPLIED) & approve)
            | (Q(status=TransferStatus.APPROVED) & receive)
        )
        .select_related(*RELATED)
        .order_by("valid_until", "applied_on", "pk")
    )


@dataclass(frozen=True)
class LetterState:
    code: str  # valid / expiring / expired / none
    label: str


LETTER_LABELS = {
    "valid": "有效期内",
    "expiring": f"{rules.EXPIRY_WARNING_DAYS}天内到期",
    "expired": "已过有效期",
    "none": "",
}


def letter_state(transfer: Transfer, today: dt.date) -> LetterState:
    if transfer.status != TransferStatus.APPROVED or transfer.valid_until is None:
        return LetterState("none", "")
    code = rules.letter_state(transfer.valid_until, today)
    return LetterState(code, LETTER_LABELS[code])


def late_letters(qs: QuerySet[Transfer], today: dt.date) -> QuerySet[Transfer]:
    """Letters issued and not yet received whose validity ended or ends within the warning."""
    limit = today + dt.timedelta(days=rules.EXPIRY_WARNING_DAYS - 1)
    return qs.filter(status=TransferStatus.APPROVED, valid_until__lte=limit)


def bulk_candidates(source: Organization) -> list[Member]:
    """The current members of a branch, for the bulk move's choice (the caller checked that the
    user is the 机关党委 above it)."""
    return list(
        Member.objects.filter(organization=source, left_on__isnull=True).order_by(
            "name_pinyin", "pk"
        )
    )


def bulk_targets(user, source: Organization) -> list[Organization]:
    """The branches the 机关党委 above `source` may move its members into: branches in the
    subtree of the committees the user writes, the source excepted (at most 500)."""
    from dangjian.transfers.services import issuing_committees

    scope = scope_for(user)
    committees = [c for c in issuing_committees(source) if scope.covers(c.path, Action.WRITE)]
    if not committees:
        return []
    under = Q()
    for c in committees:
        under |= Q(path__startswith=c.path)
    return list(
        Organization.objects.filter(under, kind=OrgKind.BRANCH)
        .exclude(pk=source.pk)
        .order_by("path")[:500]
    )


def mobile_records(org: Organization) -> QuerySet[MobileRecord]:
    """The open 流动党员 records of the members of `org`'s subtree (the caller checked the
    user reads `org`)."""
    return (
        MobileRecord.objects.filter(
            ended_on__isnull=True,
            member__organization__path__startswith=org.path,
            member__left_on__isnull=True,
        )
        .select_related("member", "member__organization")
        .order_by("member__organization__path", "since", "pk")
    )


@dataclass(frozen=True)
class MobileCounts:
    away: int  # open 流动党员 records
    should_transfer: int  # of them: at a fixed place six months or more


def mobile_counts(org: Organization, today: dt.date) -> MobileCounts:
    """For statistics: counts only, never names."""
    rows = list(mobile_records(org).values_list("since", "fixed_place"))
    return MobileCounts(
        len(rows), sum(rules.should_transfer(since, fixed, today) for since, fixed in rows)
    )


def mobile_counts_on(org: Organization, day: dt.date) -> MobileCounts:
    """`mobile_counts` as of `day` (statistics of a past date): the records open that day of the
    members of the subtree who had not left by then. One query, counts only."""
    rows = list(
        MobileRecord.objects.filter(
            Q(ended_on__isnull=True) | Q(ended_on__gt=day),
            Q(member__left_on__isnull=True) | Q(member__left_on__gt=day),
            since__lte=day,
            member__organization__path__startswith=org.path,
        ).values_list("since", "fixed_place")
    )
    return MobileCounts(
        len(rows), sum(rules.should_transfer(since, fixed, day) for since, fixed in rows)
    )


def absence_records(org: Organization) -> QuerySet[AbsenceRecord]:
    """The open 失去联系/出国出境 records of the members of `org`'s subtree (suspended members
    still out of contact included; the caller checked the user reads `org`)."""
    return (
        AbsenceRecord.objects.filter(
            open_key__isnull=False, member__organization__path__startswith=org.path
        )
        .select_related("member", "member__organization")
        .order_by("member__organization__path", "since", "pk")
    )
