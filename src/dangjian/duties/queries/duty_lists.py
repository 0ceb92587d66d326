"""Duty lists: the shipped defaults, each subtree's edits (the deepest owner wins), and an
organization's list by post with what each duty links to."""

from __future__ import annotations

import datetime as dt
import tomllib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from django.db.models import Count

from dangjian.duties.models import DutyItem, Responsibility, WorkItem
from dangjian.duties.queries.items import state_of
from dangjian.meetings.models import Meeting, MeetingKind, MeetingStatus
from dangjian.orgs.models import Organization, OrgKind, Post, PostKind


@dataclass(frozen=True)
class Duty:
    key: str
    org_kind: str
    post_kind: str
    responsibility: str
    title: str
    text: str = ""
    source: str = ""
    meeting_kinds: tuple[str, ...] = ()
    order: int = 0
    active: bool = True
    owner_id: int | None = None  # None: shipped with the platform
    owner_name: str = ""

    @property
    def responsibility_label(self) -> str:
        return Responsibility(self.responsibility).label if self.responsibility else ""

    @property
    def post_label(self) -> str:
        return PostKind(self.post_kind).label

    @property
    def org_kind_label(self) -> str:
        return OrgKind(self.org_kind).label

    @property
    def meeting_labels(self) -> list[str]:
        return [MeetingKind(k).label for k in self.meeting_kinds]


@cache
def default_duties() -> tuple[Duty, ...]:
    """The shipped defaults (duties/defaults.toml), validated: a bad file fails loudly."""
    raw = tomllib.loads(
        resources.files("dangjian.duties").joinpath("defaults.toml").read_text("utf-8")
    )
    out = []
    for order, entry in enumerate(raw.get("duty", []), start=1):
        duty = Duty(
            key=entry["key"],
            org_kind=OrgKind(entry["org_kind"]).value,
            post_kind=PostKind(entry["post_kind"]).value,
            responsibility=Responsibility(entry.get("responsibility", "")).value
            if entry.get("responsibility")
            else "",
            title=entry["title"],
            text=entry.get("text", ""),
            source=entry.get("source", ""),
            meeting_kinds=tuple(MeetingKind(k).value for k in entry.get("meeting_kinds", [])),
            order=order,
        )
        out.append(duty)
    keys = [d.key for d in out]
    if len(keys) != len(set(keys)):
        raise ValueError("duties/defaults.toml: duplicate keys")
    return tuple(out)


def _chain(org: Organization) -> list[str]:
    """The paths of the organization and its ancestors, root first."""
    return [org.path[:i] for i in range(org.steplen, len(org.path) + 1, org.steplen)]


def effective_duties(org: Organization, *, include_retired: bool = False) -> list[Duty]:
    """The duties in force at `org`: the defaults, overridden by each ancestor's edits, the
    deepest owner last (it wins)."""
    by_key: dict[str, Duty] = {d.key: d for d in default_duties()}
    rows = DutyItem.objects.filter(owner__path__in=_chain(org)).select_related("owner")
    for row in sorted(rows, key=lambda r: (r.owner.depth, r.pk)):
        by_key[row.key] = Duty(
            key=row.key,
            org_kind=row.org_kind,
            post_kind=row.post_kind,
            responsibility=row.responsibility,
            title=row.title,
            text=row.text,
            source=row.source,
            meeting_kinds=tuple(row.meeting_kinds or ()),
            order=row.order,
            active=row.active,
            owner_id=row.owner_id,
            owner_name=row.owner.name,
        )
    duties = [d for d in by_key.values() if include_retired or d.active]
    return sorted(duties, key=lambda d: (d.org_kind, d.order, d.key))


POST_ORDER = [k.value for k in PostKind]


@dataclass
class DutySection:
    post_kind: str
    holders: list[Post]
    duties: list[tuple[Duty, int]]  # duty, meetings of its kinds held this year
    items: Counter = field(default_factory=Counter)

    @property
    def post_label(self) -> str:
        return PostKind(self.post_kind).label


def duty_list(org: Organization, year: int, today: dt.date) -> list[DutySection]:
    """The organization's duty list: each post, who holds it now, its duties and what they link
    to (meetings held this year, work items by state). Four queries."""
    duties = [d for d in effective_duties(org) if d.org_kind == org.kind]
    posts = list(
        Post.objects.filter(organization=org, ended_on__isnull=True)
        .select_related("member")
        .order_by("kind", "started_on")
    )
    held = dict(
        Meeting.objects.filter(organization=org, status=MeetingStatus.HELD, held_on__year=year)
        .values_list("kind")
        .annotate(n=Count("pk"))
        .values_list("kind", "n")
    )
    items: dict[str, Counter] = defaultdict(Counter)
    for post, status, deadline in WorkItem.objects.filter(
        organization=org, plan_year=year
    ).values_list("responsible_post", "status", "deadline"):
        items[post][state_of(status, deadline, today)] += 1
    kinds = {d.post_kind for d in duties} | {p.kind for p in posts}
    sections = []
    for kind in sorted(kinds, key=POST_ORDER.index):
        sections.append(
            DutySection(
                post_kind=kind,
                holders=[p for p in posts if p.kind == kind],
                duties=[
                    (d, sum(held.get(k, 0) for k in d.meeting_kinds))
                    for d in duties
                    if d.post_kind == kind
                ],
                items=items.get(kind, Counter()),
            )
        )
    return sections
