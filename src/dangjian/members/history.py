"""Who belonged where, and when: the membership history read on a day or over a period.

Every answer is one query whatever the size of the subtree (a path-prefix filter on the
organization of each spell or post). A day is a calendar day in China; a period is two days,
both included. These reads are not scoped by user: they serve the rules (compliance, votes,
statistics); a page that shows their result checks access on the organization first.

- members_on(org, day, status=None): Member queryset, everyone in `org`'s subtree that day;
- members_during(org, start, end, status=None): anyone in it at some point of the period;
- committee_on(org, day) / committee_during(org, start, end): Post querysets of committee seats
  (of `org` itself: a committee is an organization's own, not its subtree's);
- counts_on(org, day) / counts_during(org, start, end): {organization id: Counts} for every
  organization of the subtree that held members, and `total(counts)` for the whole subtree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from dangjian.members.models import Member, MembershipSpell, MemberStatus
from dangjian.orgs.models import COMMITTEE_POSTS, Organization, Post

__all__ = [
    "Counts",
    "committee_during",
    "committee_on",
    "counts_during",
    "counts_on",
    "members_during",
    "members_on",
    "spells_during",
    "total",
]


def _overlapping(start: dt.date, end: dt.date) -> Q:
    return Q(started_on__lte=end) & (Q(ended_on__isnull=True) | Q(ended_on__gte=start))


def spells_during(
    org: Organization, start: dt.date, end: dt.date, status: str | None = None
) -> QuerySet[MembershipSpell]:
    """The spells in `org`'s subtree that overlap the period (a day: start == end)."""
    if end < start:
        raise ValueError("period ends before it starts")
    qs = MembershipSpell.objects.filter(
        _overlapping(start, end), organization__path__startswith=org.path
    )
    if status is not None:
        if status not in MemberStatus.values:
            raise ValueError(f"unknown status {status!r}")
        qs = qs.filter(status=status)
    return qs


def members_on(org: Organization, day: dt.date, status: str | None = None) -> QuerySet[Member]:
    """The members of `org` (and the organizations below it) on `day`, with `status` then if
    given (MemberStatus.FULL: those with a vote)."""
    return members_during(org, day, day, status)


def members_during(
    org: Organization, start: dt.date, end: dt.date, status: str | None = None
) -> QuerySet[Member]:
    """Everyone who belonged to `org`'s subtree on at least one day of the period (with
    `status` on at least one of those days, if given)."""
    spells = spells_during(org, start, end, status).values("member_id")
    return Member.objects.filter(pk__in=spells)


def committee_on(org: Organization, day: dt.date) -> QuerySet[Post]:
    """The committee seats (书记, 副书记, 委员...) of `org` held on `day`; one member may hold two."""
    return committee_during(org, day, day)


def committee_during(org: Organization, start: dt.date, end: dt.date) -> QuerySet[Post]:
    """The committee seats of `org` held on at least one day of the period."""
    if end < start:
        raise ValueError("period ends before it starts")
    return Post.objects.filter(_overlapping(start, end), organization=org, kind__in=COMMITTEE_POSTS)


@dataclass(frozen=True)
class Counts:
    members: int = 0
    full: int = 0

    @property
    def probationary(self) -> int:
        return self.members - self.full


def counts_on(org: Organization, day: dt.date) -> dict[int, Counts]:
    """Members and full members on `day`, per organization of the subtree holding members."""
    return counts_during(org, day, day)


def counts_during(org: Organization, start: dt.date, end: dt.date) -> dict[int, Counts]:
    """Per organization of the subtree: the members who belonged to it on at least one day of
    the period, and those of them who were full members on at least one of those days."""
    rows = (
        spells_during(org, start, end)
        .values("organization_id")
        .annotate(
            n=Count("member_id", distinct=True),
            n_full=Count("member_id", distinct=True, filter=Q(status=MemberStatus.FULL)),
        )
    )
    return {row["organization_id"]: Counts(row["n"], row["n_full"]) for row in rows}


def total(counts: dict[int, Counts]) -> Counts:
    """The subtree's totals on a day (for a period, a member who moved counts in both places:
    use members_during(...).count() for distinct people)."""
    return Counts(sum(c.members for c in counts.values()), sum(c.full for c in counts.values()))
