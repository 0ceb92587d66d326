"""Reads of the organization tree for its pages, always scoped to what the user may see: member
counts per subtree and the committee's post holders (so above `members`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Q

from dangjian.accounts.access import Action, scope_for, visible_orgs
from dangjian.accounts.models import Role
from dangjian.core import clock
from dangjian.members.models import Member, MemberStatus
from dangjian.orgs.models import COMMITTEE_POSTS, Organization, OrgKind, Post, PostKind
from dangjian.regulations.base import RuleViolation
from dangjian.regulations.committee import check_committee
from dangjian.structure.counts import counts_by_prefix


@dataclass
class TreeNode:
    org: Organization
    members: int = 0
    full_members: int = 0
    has_children: bool = False
    # Whether the user may open the organization's page (the system administrator sees the
    # structure but reads no organization): the name links only then.
    readable: bool = True


def _counts_by_group(branch: Organization) -> dict[str, tuple[int, int]]:
    rows = (
        Member.objects.current()
        .filter(organization=branch, party_group__isnull=False)
        .values("party_group__path")
        .annotate(n=Count("id"), n_full=Count("id", filter=Q(status=MemberStatus.FULL)))
    )
    return {row["party_group__path"]: (row["n"], row["n_full"]) for row in rows}


def tree_roots(user) -> list[TreeNode]:
    scope = scope_for(user)
    if Role.SYSADMIN in scope.roles:
        roots = list(Organization.objects.get_root_nodes())
    else:
        paths = scope.paths.get(Action.READ, [])
        roots = list(Organization.objects.filter(path__in=paths).order_by("path"))
    nodes = []
    for org in roots:  # one per role assignment, never per organization
        counts = counts_by_prefix(org.path, len(org.path)).get(org.path, (0, 0))
        nodes.append(
            TreeNode(
                org,
                counts[0],
                counts[1],
                org.numchild > 0,
                readable=scope.covers(org.path, Action.READ),
            )
        )
    return nodes


def tree_children(user, parent: Organization) -> list[TreeNode]:
    """Children of a visible node with subtree member counts: two queries whatever the size."""
    children = list(
        visible_orgs(user)
        .filter(path__startswith=parent.path, depth=parent.depth + 1)
        .order_by("path")
    )
    if parent.kind == OrgKind.BRANCH:
        # Party groups hold no members of their own: their members are the branch's, by group.
        counts = _counts_by_group(parent)
    else:
        counts = counts_by_prefix(parent.path, len(parent.path) + parent.steplen)
    scope = scope_for(user)
    return [
        TreeNode(
            c,
            *counts.get(c.path, (0, 0)),
            has_children=c.numchild > 0,
            readable=scope.covers(c.path, Action.READ),
        )
        for c in children
    ]


@dataclass
class CommitteeView:
    org: Organization
    posts: list[Post]
    committee_size: int
    full_members: int
    total_members: int
    findings: list[RuleViolation] = field(default_factory=list)


def committee_view(org: Organization, today: dt.date | None = None) -> CommitteeView:
    today = today or clock.today()
    rank = {kind: i for i, kind in enumerate(PostKind.values)}
    posts = sorted(
        Post.objects.filter(organization=org, ended_on__isnull=True).select_related("member"),
        key=lambda p: (rank.get(p.kind, 99), p.started_on),
    )
    seats = {p.member_id for p in posts if p.kind in COMMITTEE_POSTS}
    subtree = Member.objects.current().filter(organization__path__startswith=org.path)
    counts = subtree.aggregate(
        n=Count("id"), n_full=Count("id", filter=Q(status=MemberStatus.FULL))
    )
    findings = check_committee(
        org.kind,
        counts["n_full"],
        len(seats),
        org.term_ends_on,
        today,
        total_members=counts["n"],
        term_started_on=org.term_started_on,
        deputies=sum(1 for p in posts if p.kind == PostKind.DEPUTY_SECRETARY),
        officers=sum(
            1
            for p in posts
            if p.kind in COMMITTEE_POSTS
            and p.kind not in (PostKind.SECRETARY, PostKind.DEPUTY_SECRETARY)
        ),
    )
    return CommitteeView(org, posts, len(seats), counts["n_full"], counts["n"], findings)


def party_groups(org: Organization) -> list[tuple[Organization, int]]:
    groups = (
        Organization.objects.filter(path__startswith=org.path, kind=OrgKind.PARTY_GROUP)
        .annotate(n=Count("group_members", filter=Q(group_members__left_on__isnull=True)))
        .order_by("path")
    )
    return [(g, g.n) for g in groups]


def dissolved_on(org: Organization) -> dt.date | None:
    """The day `org` was dissolved (the day after its last spell), None while it exists."""
    spells = list(org.spells.order_by("started_on").values_list("ended_on", flat=True))
    if not spells or spells[-1] is None:
        return None
    return spells[-1] + dt.timedelta(days=1)
