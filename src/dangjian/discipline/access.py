"""Who sees and writes discipline records: the 纪检 and the 机关党委 whose organization covers
the member's branch. Everyone else, the member and the branch included, is answered 404."""

from __future__ import annotations

from django.db.models import Q
from django.http import Http404

from dangjian.accounts.models import Role, RoleAssignment
from dangjian.members.models import Member

HANDLING_ROLES = (Role.DISCIPLINE, Role.ORGAN_COMMITTEE)


def handling_paths(user) -> list[str]:
    """The organization paths under which the user handles discipline (cached per user)."""
    if user is None or not user.is_authenticated:
        return []
    cached = getattr(user, "_dangjian_discipline_paths", None)
    if cached is None:
        cached = sorted(
            RoleAssignment.objects.filter(
                user=user, role__in=HANDLING_ROLES, organization__isnull=False
            ).values_list("organization__path", flat=True)
        )
        user._dangjian_discipline_paths = cached
    return cached


def members_q(user, prefix: str = "") -> Q:
    q = Q(pk__in=[])
    for path in handling_paths(user):
        q |= Q(**{f"{prefix}organization__path__startswith": path})
    return q


def may_handle(user, member: Member) -> bool:
    org = member.organization
    return org is not None and any(org.path.startswith(p) for p in handling_paths(user))


def get_member(user, pk) -> Member:
    """The member for a discipline page, or 404 (their existence is not revealed)."""
    member = (
        Member.objects.select_related("organization")
        .filter(pk=pk if str(pk).isdigit() else None)
        .first()
    )
    if member is None or not may_handle(user, member):
        raise Http404("页面不存在")
    return member
