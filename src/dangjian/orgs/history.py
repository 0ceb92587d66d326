"""Which organizations existed, and of which kind, on a given day (docs/organization-history.md).

Every answer is a fixed number of queries whatever the size of the subtree (a path-prefix filter
on the spell's organization). A day is a calendar day in China. These reads are not scoped by
user: they serve the statistics; a page that shows their result checks access on the
organization first.

- spells_on(org, day): OrganizationSpell queryset, the subtree's organizations existing that day
  (`org` itself included) with their kind then;
- organizations_on(org, day): the same as an Organization queryset;
- kinds_on(org, day): {organization id: kind that day};
- committee_sizes_on(org, day): {organization id: distinct members holding a committee seat};
- kind_counts_on(org, day): per kind, how many organizations existed and how many of those had a
  committee set up (设立委员会), two queries.

The tree's shape is today's: organizations are never moved (no service moves one), so the parent
of an organization is the same on every day it existed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from dangjian.core.errors import ServiceValidationError
from dangjian.orgs.models import (
    COMMITTEE_POSTS,
    Organization,
    OrganizationSpell,
    OrgKind,
    Post,
)
from dangjian.regulations.committee import COMMITTEE_MIN_SIZE
from dangjian.regulations.periods import cn_date

__all__ = [
    "COMMITTEE_KINDS",
    "COMMITTEE_MIN_SEATS",
    "KindCount",
    "committee_sizes_on",
    "dissolved_since",
    "existing",
    "kind_counts_on",
    "kinds_on",
    "organizations_on",
    "spells_on",
]

# Kinds whose leadership is an elected committee (委员会): the basic-level committee, its
# discipline committee, a general branch and a branch. A 党组, the 机关工委 and a 党小组 are not
# counted for it (their seats are appointed or they have none).
COMMITTEE_KINDS = (
    OrgKind.ORGAN_COMMITTEE,
    OrgKind.ORGAN_DISCIPLINE_COMMITTEE,
    OrgKind.GENERAL_BRANCH,
    OrgKind.BRANCH,
)
# A committee is set up when at least three members hold its seats that day: below that an
# organization has a secretary (and a deputy), not a committee (regulations.committee:
# COMMITTEE_MIN_SIZE, and a committee "由3至5人组成").
COMMITTEE_MIN_SEATS = COMMITTEE_MIN_SIZE


def _covering(day: dt.date) -> Q:
    return Q(started_on__lte=day) & (Q(ended_on__isnull=True) | Q(ended_on__gte=day))


def spells_on(org: Organization, day: dt.date) -> QuerySet[OrganizationSpell]:
    """The spells of `org`'s subtree covering `day`: at most one per organization."""
    return OrganizationSpell.objects.filter(_covering(day), organization__path__startswith=org.path)


def dissolved_since(org: Organization) -> dt.date | None:
    """The day `org` was dissolved (the day after its last spell), None while it exists. A
    dissolved organization takes no new member, post or meeting (the dissolution was refused
    while it had any on or after that day)."""
    last = org.spells.order_by("-started_on").values_list("ended_on", flat=True).first()
    return last + dt.timedelta(days=1) if last is not None else None


def refuse_dissolved(org: Organization, doing: str, field: str = "organization") -> None:
    """Refuse a write that would give a dissolved organization something new ("…已于…撤销，不能再
    {doing}"): a member, a post, a plan, a task, an application, a scheme. What happened before
    its day (a meeting held, dues paid) is still recorded by the services that allow it."""
    if (gone := dissolved_since(org)) is not None:
        raise ServiceValidationError({field: f"{org.name}已于{cn_date(gone)}撤销，不能再{doing}"})


def existing() -> Exists:
    """A filter on organizations: those not dissolved (an open spell), one EXISTS per row, for
    the lists of receivers ("every branch") that must leave the dissolved ones out."""
    return Exists(
        OrganizationSpell.objects.filter(organization=OuterRef("pk"), ended_on__isnull=True)
    )


def organizations_on(org: Organization, day: dt.date) -> QuerySet[Organization]:
    """The organizations of `org`'s subtree (itself included) that existed on `day`."""
    return Organization.objects.filter(pk__in=spells_on(org, day).values("organization_id"))


def kinds_on(org: Organization, day: dt.date) -> dict[int, str]:
    """{organization id: its kind on `day`} for the subtree's organizations existing that day."""
    return dict(spells_on(org, day).values_list("organization_id", "kind"))


def committee_sizes_on(org: Organization, day: dt.date) -> dict[int, int]:
    """{organization id: distinct members holding one of its committee seats on `day`} for the
    subtree's organizations with at least one seat held that day (posts carry their dates)."""
    rows = (
        Post.objects.filter(
            _covering(day), organization__path__startswith=org.path, kind__in=COMMITTEE_POSTS
        )
        .values("organization_id")
        .annotate(n=Count("member_id", distinct=True))
        .order_by()
    )
    return {r["organization_id"]: r["n"] for r in rows}


@dataclass(frozen=True)
class KindCount:
    kind: str
    label: str
    organizations: int
    # how many of them had a committee set up that day; None for kinds without one
    with_committee: int | None


def kind_counts_on(org: Organization, day: dt.date) -> list[KindCount]:
    """Per kind (in `OrgKind` order, kinds with none left out): the organizations of the subtree
    existing on `day` and, for the kinds led by a committee, how many had one set up that day
    (at least `COMMITTEE_MIN_SEATS` members in its seats). Two grouped queries: the counting is
    the database's, whatever the size of the tree."""
    spells = spells_on(org, day)
    counts = dict(spells.values_list("kind").annotate(n=Count("pk")).order_by())
    set_up = (
        Post.objects.filter(
            _covering(day), organization__path__startswith=org.path, kind__in=COMMITTEE_POSTS
        )
        .values("organization_id")
        .annotate(n=Count("member_id", distinct=True))
        .filter(n__gte=COMMITTEE_MIN_SEATS)
        .values("organization_id")
    )
    committees = dict(
        spells.filter(kind__in=COMMITTEE_KINDS, organization_id__in=set_up)
        .values_list("kind")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return [
        KindCount(
            kind,
            label,
            counts[kind],
            committees.get(kind, 0) if kind in COMMITTEE_KINDS else None,
        )
        for kind, label in OrgKind.choices
        if counts.get(kind)
    ]
