"""Reads of the administrators' pages: users with filters, grants by who may see them."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from dangjian.accounts.access import has_role
from dangjian.accounts.models import ApiToken, Grant, GrantStatus, Role, User


def users(q: str = "", role: str = "", status: str = "") -> QuerySet[User]:
    """Accounts for the system administrator's list (no personal data beyond the name)."""
    qs = User.objects.prefetch_related("roles__organization").order_by("username")
    q = q.strip()
    if q:
        qs = qs.filter(Q(username__icontains=q) | Q(first_name__icontains=q))
    if role == "none":
        qs = qs.filter(roles__isnull=True)
    elif role in Role.values:
        qs = qs.filter(roles__role=role).distinct()
    if status == "active":
        qs = qs.filter(is_active=True)
    elif status == "disabled":
        qs = qs.filter(is_active=False)
    return qs


def get_user(pk) -> User:
    try:
        return User.objects.get(pk=pk)
    except (User.DoesNotExist, ValueError):
        raise Http404("用户不存在") from None


def tokens(user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at")


def grants_for(viewer) -> QuerySet[Grant]:
    """Every grant, for the three administrators; nothing for anyone else."""
    if not has_role(viewer, Role.SYSADMIN, Role.SECADMIN, Role.AUDITOR):
        return Grant.objects.none()
    return Grant.objects.select_related(
        "user", "organization", "requested_by", "decided_by"
    ).order_by("-requested_at", "-pk")


def pending_grants(viewer) -> QuerySet[Grant]:
    return grants_for(viewer).filter(status=GrantStatus.PENDING)


def get_grant(viewer, pk) -> Grant:
    try:
        return grants_for(viewer).get(pk=pk)
    except (Grant.DoesNotExist, ValueError):
        raise Http404("申请不存在") from None
