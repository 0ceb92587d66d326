"""Who acts for an organization: who is told of its work, and whose to-dos it fills.

One rule for both sides. The people acting for an organization are everyone holding an acting
role (`access.ACTING_ROLES`: 机关党委, 支部书记, 支委) bound to it, plus, for work addressed to a
post, the holder of that post when their account may write there. An organization nobody is
bound to (a party group, a branch without accounts) falls back to its nearest ancestor that has
someone. `responsible_for` answers "who is told" for organizations; `acting_area` answers the
converse, "which organizations does this user act for", as one path filter for the badge.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from django.db.models import Q

from dangjian.accounts.access import ACTING_ROLES, SUPERVISING_ROLES, Action, scope_for
from dangjian.accounts.models import RoleAssignment
from dangjian.orgs.models import Organization, Post


def _writers_of(org_ids: Iterable[int]) -> dict[int, set[int]]:
    """User ids holding an acting role bound to each organization (one query)."""
    out: dict[int, set[int]] = {}
    rows = RoleAssignment.objects.filter(
        organization_id__in=list(org_ids), role__in=ACTING_ROLES, user__is_active=True
    ).values_list("organization_id", "user_id")
    for org_id, user_id in rows:
        out.setdefault(org_id, set()).add(user_id)
    return out


def _post_holders(org_ids: Iterable[int], post_kinds: set[str]) -> dict[tuple[int, str], set[int]]:
    """User ids of the members holding each (organization, post) now and able to act there (an
    acting role covering it), so nobody is told about work they cannot open. Two queries."""
    out: dict[tuple[int, str], set[int]] = {}
    if not post_kinds:
        return out
    rows = list(
        Post.objects.filter(
            organization_id__in=list(org_ids),
            kind__in=post_kinds,
            ended_on__isnull=True,
            member__user__isnull=False,
            member__user__is_active=True,
        ).values_list("organization_id", "organization__path", "kind", "member__user__id")
    )
    if not rows:
        return out
    writes: dict[int, list[str]] = {}
    for user_id, path in RoleAssignment.objects.filter(
        user_id__in={r[3] for r in rows}, role__in=ACTING_ROLES, organization__isnull=False
    ).values_list("user_id", "organization__path"):
        writes.setdefault(user_id, []).append(path)
    for org_id, path, kind, user_id in rows:
        if any(path.startswith(p) for p in writes.get(user_id, ())):
            out.setdefault((org_id, kind), set()).add(user_id)
    return out


def responsible_for(pairs: Iterable[tuple[Organization, str]]) -> dict[tuple[int, str], set[int]]:
    """For each (organization, responsible post): who must act on work addressed there
    (constant queries for any number of pairs; the post may be '')."""
    pairs = list(pairs)
    orgs = {org.pk: org for org, _ in pairs}
    ancestors: dict[int, list[str]] = {}
    paths: set[str] = set()
    for org in orgs.values():
        chain = [org.path[:i] for i in range(len(org.path), 0, -org.steplen)]
        ancestors[org.pk] = chain
        paths.update(chain)
    ids_by_path = dict(Organization.objects.filter(path__in=paths).values_list("path", "pk"))
    writers = _writers_of(ids_by_path.values())
    holders = _post_holders(list(orgs), {post for _, post in pairs if post})
    fallback: dict[int, set[int]] = {}
    for org in orgs.values():
        fallback[org.pk] = set()
        for path in ancestors[org.pk]:
            found = writers.get(ids_by_path.get(path), set())
            if found:
                fallback[org.pk] = found
                break
    return {
        (org.pk, post): fallback[org.pk] | holders.get((org.pk, post), set()) for org, post in pairs
    }


def responsible_users(
    orgs: Sequence[Organization], post_kinds: Mapping[int, str] | None = None
) -> dict[int, set[int]]:
    """`responsible_for` by organization, with at most one post per organization."""
    post_kinds = post_kinds or {}
    found = responsible_for([(o, post_kinds.get(o.pk, "")) for o in orgs])
    return {o.pk: found[(o.pk, post_kinds.get(o.pk, ""))] for o in orgs}


def supervisors_covering(paths: Iterable[str]) -> dict[str, set[int]]:
    """For each organization path: the users whose supervising role (纪检) covers it. One query."""
    bound = list(
        RoleAssignment.objects.filter(
            role__in=SUPERVISING_ROLES, user__is_active=True, organization__isnull=False
        ).values_list("organization__path", "user_id")
    )
    return {
        path: {uid for covering, uid in bound if path.startswith(covering)} for path in set(paths)
    }


def acting_area(user, prefix: str = "") -> Q:
    """A filter on organizations (through `prefix`) the user acts for: those an acting role binds
    them to, and below them every organization nobody else is bound to (its work falls back to
    the nearest level with someone, as `responsible_for` decides who is told).

    Two small queries and a path filter, whatever the size of the subtree: each bound subtree
    minus the subtrees of organizations someone else is bound to (a deeper binding of the user's
    own adds its subtree back).
    """
    bound = set(
        user.roles.filter(role__in=ACTING_ROLES, organization__isnull=False).values_list(
            "organization__path", flat=True
        )
    )
    if not bound:
        return Q(pk__in=[])
    within = Q(pk__in=[])
    for path in bound:
        within |= Q(organization__path__startswith=path)
    staffed = set(
        RoleAssignment.objects.filter(within, role__in=ACTING_ROLES).values_list(
            "organization__path", flat=True
        )
    )
    others = sorted(staffed - bound)
    area = Q(pk__in=[])
    for path in bound:
        below = [o for o in others if o.startswith(path) and o != path]
        # Only the outermost of nested subtrees need excluding.
        outer = [o for o in below if not any(o != p and o.startswith(p) for p in below)]
        part = Q(**{f"{prefix}path__startswith": path})
        for other in outer:
            part &= ~Q(**{f"{prefix}path__startswith": other})
        area |= part
    return area


def held_posts(user) -> list[tuple[int, str]]:
    """(organization id, post kind) of each post the user's member record holds now, where the
    user may act (a post holder without write access cannot). One query."""
    if not user.member_id:
        return []
    scope = scope_for(user)
    posts = Post.objects.filter(member_id=user.member_id, ended_on__isnull=True).values_list(
        "organization_id", "organization__path", "kind"
    )
    return [(org_id, kind) for org_id, path, kind in posts if scope.covers(path, Action.WRITE)]
