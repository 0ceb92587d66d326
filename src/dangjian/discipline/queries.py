"""Reads of discipline records: the standing other apps ask about (under review, under 留党察看
on a day: ids only, no reason) and the lists the 纪检 and the 机关党委 see."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Q, QuerySet

from dangjian.discipline.access import members_q
from dangjian.discipline.models import DisciplineRecord, RecordKind


def _covering(kind: str, member_ids: Iterable[int], day: dt.date) -> set[int]:
    return set(
        DisciplineRecord.objects.filter(
            Q(ended_on__isnull=True) | Q(ended_on__gte=day),
            kind=kind,
            member_id__in=list(member_ids),
            started_on__lte=day,
        ).values_list("member_id", flat=True)
    )


def under_review(member_ids: Iterable[int], day: dt.date) -> set[int]:
    """The members under disciplinary review on `day` (its first and last days included)."""
    return _covering(RecordKind.REVIEW, member_ids, day)


def on_party_probation(member_ids: Iterable[int], day: dt.date) -> set[int]:
    """The members under 留党察看 on `day` (the decision's day to the period's last day)."""
    return _covering(RecordKind.PROBATION, member_ids, day)


def visible_records(user) -> QuerySet[DisciplineRecord]:
    return DisciplineRecord.objects.filter(members_q(user, "member__")).select_related(
        "member", "member__organization"
    )


def for_member(member_id: int) -> QuerySet[DisciplineRecord]:
    return DisciplineRecord.objects.filter(member_id=member_id)
