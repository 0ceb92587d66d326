"""Quorum figures for meetings written in bulk (the demo generators): the 支委会's 委员 seated on
the meeting's day and those of them present, in one UPDATE whatever the number of meetings.

Meetings recorded through `services.record_meeting` get these figures there, from
`queries.entitled_voters`; this is for rows inserted without the service, and reads the same
history (posts with their dates)."""

from __future__ import annotations

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from dangjian.meetings.models import ATTENDED, Attendance, Meeting, MeetingKind, MeetingStatus
from dangjian.orgs.models import COMMITTEE_POSTS, Post


def _seated_on_the_day(member_ref: str) -> Q:
    return Q(
        organization_id=OuterRef(f"{member_ref}organization_id"),
        kind__in=COMMITTEE_POSTS,
        started_on__lte=OuterRef(f"{member_ref}held_on"),
    ) & (Q(ended_on__isnull=True) | Q(ended_on__gte=OuterRef(f"{member_ref}held_on")))


def fill_committee_quorums(meetings: QuerySet[Meeting]) -> int:
    """Set quorum_base / quorum_present on the held 支委会 among `meetings`; how many."""
    seats = (
        Post.objects.filter(_seated_on_the_day(""))
        .order_by()
        .values("organization_id")
        .annotate(n=Count("member_id", distinct=True))
        .values("n")
    )
    seated_present = (
        Attendance.objects.filter(meeting_id=OuterRef("pk"), status__in=ATTENDED)
        .filter(
            member_id__in=Post.objects.filter(
                organization_id=OuterRef(OuterRef("organization_id")),
                kind__in=COMMITTEE_POSTS,
                started_on__lte=OuterRef(OuterRef("held_on")),
            )
            .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=OuterRef(OuterRef("held_on"))))
            .values("member_id")
        )
        .order_by()
        .values("meeting_id")
        .annotate(n=Count("member_id"))
        .values("n")
    )
    return meetings.filter(
        kind=MeetingKind.COMMITTEE_MEETING, status=MeetingStatus.HELD, held_on__isnull=False
    ).update(
        quorum_base=Coalesce(Subquery(seats, output_field=IntegerField()), 0),
        quorum_present=Coalesce(Subquery(seated_present, output_field=IntegerField()), 0),
    )
