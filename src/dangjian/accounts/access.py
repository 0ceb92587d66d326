"""The one place that decides what a user may see and change.

A role is bound to an organization and covers its subtree. Every page and API endpoint asks here:
objects outside the user's scope answer 404 (their existence is not revealed), and a user who may
read an object but not perform the action answers 403.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from dangjian.accounts.models import ADMIN_ROLES, Role, RoleAssignment
from dangjian.orgs.models import Organization, OrgKind


class Action(StrEnum):
    READ = "read"
    WRITE = "write"
    REVEAL = "reveal"  # see an ID number or phone unmasked
    EXPORT = "export"


# What each scoped role may do inside its subtree.
ROLE_ACTIONS: dict[str, frozenset[Action]] = {
    Role.ORGAN_COMMITTEE: frozenset(Action),
    Role.DISCIPLINE: frozenset({Action.READ, Action.EXPORT}),
    Role.BRANCH_SECRETARY: frozenset(Action),
    Role.BRANCH_COMMITTEE: frozenset({Action.READ, Action.WRITE, Action.EXPORT}),
}
# A member may read and reveal their own record, nothing else.
OWN_RECORD_ACTIONS = frozenset({Action.READ, Action.REVEAL})
# Roles whose holders act for the organization they are bound to: they receive its work and
# accept what it sent (see `dangjian.accounts.acting`, who is told and whose to-dos count).
ACTING_ROLES = (Role.ORGAN_COMMITTEE, Role.BRANCH_SECRETARY, Role.BRANCH_COMMITTEE)
# Roles told when work in their subtree is overdue (督办), beside the level above.
SUPERVISING_ROLES = (Role.DISCIPLINE,)


def _minimal_prefixes(paths: set[str]) -> list[str]:
    """Drop paths already covered by an ancestor path, so subtree filters stay short."""
    kept: list[str] = []
    for path in sorted(paths):
        if not any(path.startswith(k) for k in kept):
            kept.append(path)
    return kept


@dataclass
class Scope:
    roles: set[str] = field(default_factory=set)
    paths: dict[Action, list[str]] = field(default_factory=dict)
    own_member_id: int | None = None

    @property
    def is_admin(self) -> bool:
        return bool(self.roles & ADMIN_ROLES)

    @property
    def sees_structure(self) -> bool:
        """The organization tree (names, kinds, codes, counts) without personal data."""
        return Role.SYSADMIN in self.roles or bool(self.paths.get(Action.READ))

    def covers(self, org_path: str, action: Action) -> bool:
        return any(org_path.startswith(p) for p in self.paths.get(action, []))

    def org_q(self, action: Action = Action.READ, prefix: str = "") -> Q:
        """A filter on organizations (or on `<prefix>path`) inside the scope for `action`."""
        q = Q(pk__in=[])
        for path in self.paths.get(action, []):
            q |= Q(**{f"{prefix}path__startswith": path})
        return q


def scope_for(user) -> Scope:
    """The user's scope, computed once per user object (one query for the roles)."""
    if user is None or not user.is_authenticated:
        return Scope()
    cached = getattr(user, "_dangjian_scope", None)
    if cached is not None:
        return cached
    scope = Scope(own_member_id=user.member_id)
    raw: dict[Action, set[str]] = {}
    assignments = RoleAssignment.objects.filter(user=user).select_related("organization")
    for assignment in assignments:
        scope.roles.add(assignment.role)
        org = assignment.organization
        if org is None:
            continue
        for action in ROLE_ACTIONS.get(assignment.role, ()):
            raw.setdefault(action, set()).add(org.path)
    scope.paths = {action: _minimal_prefixes(paths) for action, paths in raw.items()}
    user._dangjian_scope = scope
    return scope


def has_role(user, *roles: str) -> bool:
    return bool(scope_for(user).roles & set(roles))


def require_role(user, *roles: str) -> None:
    if not has_role(user, *roles):
        raise PermissionDenied("您没有访问此功能的权限")


def require_scope(user, action: Action = Action.READ, message: str = "") -> None:
    """Refuse (403) a user whose roles give `action` on no organization at all: lists and
    forms that are about organizations' records, before any object is looked up."""
    if not scope_for(user).paths.get(action):
        raise PermissionDenied(message or "您没有访问此功能的权限")


# ---- organizations -------------------------------------------------------------------------


def visible_orgs(user, action: Action = Action.READ) -> QuerySet[Organization]:
    scope = scope_for(user)
    if action == Action.READ and Role.SYSADMIN in scope.roles:
        return Organization.objects.all()
    return Organization.objects.filter(scope.org_q(action))


def get_org_for_user(
    user, pk, action: Action = Action.READ, *, field_name: str = "pk"
) -> Organization:
    """The organization for this user: 404 outside the read scope, 403 when `action` is denied."""
    scope = scope_for(user)
    try:
        org = Organization.objects.get(**{field_name: pk})
    except (Organization.DoesNotExist, ValueError):
        raise Http404("组织不存在") from None
    if not scope.covers(org.path, Action.READ):
        raise Http404("组织不存在")
    if action != Action.READ and not scope.covers(org.path, action):
        raise PermissionDenied("您对该组织没有此操作权限")
    return org


def get_structure_org(user, pk) -> Organization:
    """An organization for the tree (structure only): everywhere for the system administrator."""
    if Role.SYSADMIN in scope_for(user).roles:
        try:
            return Organization.objects.get(pk=pk)
        except (Organization.DoesNotExist, ValueError):
            raise Http404("组织不存在") from None
    return get_org_for_user(user, pk)


def _structure_paths(user) -> list[str]:
    """The paths of the organizations the user's 机关党委 roles are bound to."""
    if user is None or not user.is_authenticated:
        return []
    return list(
        RoleAssignment.objects.filter(
            user=user, role=Role.ORGAN_COMMITTEE, organization__isnull=False
        ).values_list("organization__path", flat=True)
    )


def administers_structure(user, org: Organization) -> bool:
    """Whether the user may change `org`'s kind or dissolve it (docs/organization-history.md):
    a 机关党委 role (which the 机关工委's officers hold too) bound to an organization strictly
    above it. Nobody administers the organization their own role is bound to, nor the root; a
    branch secretary or committee, the discipline role and the administrators never do."""
    return any(org.path.startswith(p) and org.path != p for p in _structure_paths(user))


def founds_under(user, parent: Organization) -> bool:
    """Whether the user may found an organization under `parent` (新建下级党组织): the one who
    would administer the new organization (`administers_structure`), i.e. a 机关党委 role bound
    to `parent` itself or to an organization above it."""
    return any(parent.path.startswith(p) for p in _structure_paths(user))


def require_member_reader(user) -> None:
    """Lists of members need a read scope or an own record; administrators have neither."""
    scope = scope_for(user)
    if not scope.paths.get(Action.READ) and not scope.own_member_id:
        raise PermissionDenied("您没有查看党员信息的权限")


# ---- members -------------------------------------------------------------------------------


def members_q(user, action: Action = Action.READ) -> Q:
    """A filter on members inside the user's scope for `action`: those of the organizations it
    covers, and the user's own record for what a member may do with it. `members.access`
    applies it (`visible_members`)."""
    scope = scope_for(user)
    q = scope.org_q(action, prefix="organization__")
    if scope.own_member_id and action in OWN_RECORD_ACTIONS:
        if scope.paths.get(action):
            q = _scope_organizations_q(scope, action) or q
        q |= Q(pk=scope.own_member_id)
    return q


# "In these subtrees, or the user's own record" through the join to organizations is a
# sequential scan of every member on PostgreSQL (the OR across two tables defeats the indexes:
# 67-96 ms on the province for a 机关党委 of 53 members, twice per members page); with the
# scope's organizations resolved first (one indexed query) it is a bitmap OR of two index scans,
# 0.2 ms. A scope over more organizations than this holds most members anyway and keeps the join.
SCOPE_IDS_MAX = 2000


def _scope_organizations_q(scope: Scope, action: Action) -> Q | None:
    """`organization_id IN (the scope's organizations)`, or None for a scope over more than
    SCOPE_IDS_MAX of them. Read at each call, never kept: an organization created since is in."""
    ids = list(
        Organization.objects.filter(scope.org_q(action))
        .order_by()
        .values_list("pk", flat=True)[: SCOPE_IDS_MAX + 1]
    )
    return Q(organization_id__in=ids) if len(ids) <= SCOPE_IDS_MAX else None


def member_allows(user, member, action: Action) -> bool:
    scope = scope_for(user)
    if scope.covers(member.organization.path, action):
        return True
    return member.pk == scope.own_member_id and action in OWN_RECORD_ACTIONS


def can_write_into(user, org: Organization) -> bool:
    return scope_for(user).covers(org.path, Action.WRITE)


def require_write(actor, org, message: str = "该组织不在您的管理范围内") -> None:
    """A service's actor writing outside their write scope is refused (system actors pass)."""
    if actor.user is not None and not can_write_into(actor.user, org):
        raise PermissionDenied(message)


# ---- member signals: who sees names ---------------------------------------------------------


@dataclass(frozen=True)
class SignalVisibility:
    streaks: bool
    lapses: bool


def signal_visibility(user, branch: Organization) -> SignalVisibility:
    """Who sees names: streaks the branch's secretary and committee; lapses also the 机关党委.

    Decided from the user's role assignments (one query), not from the merged scope, so a
    纪检 reader or an officer with write access elsewhere never sees them.
    """
    if branch.kind != OrgKind.BRANCH:
        return SignalVisibility(False, False)
    branch_role = organ_role = False
    for role, path in RoleAssignment.objects.filter(user=user).values_list(
        "role", "organization__path"
    ):
        if path is None or not branch.path.startswith(path):
            continue
        if role in (Role.BRANCH_SECRETARY, Role.BRANCH_COMMITTEE):
            branch_role = True
        elif role == Role.ORGAN_COMMITTEE:
            organ_role = True
    return SignalVisibility(streaks=branch_role, lapses=branch_role or organ_role)
