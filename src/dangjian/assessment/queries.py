"""Reads on assessment, scoped to what the user may see.

- The assessing organization's readers (roles covering it) see its schemes, drafts included,
  and every target's explanation; its committee (write access, `services.can_manage`) also the
  list ordered by score. Nobody below sees that order: organizations are shown by grade.
- A target's own readers (roles covering the target organization) see a published scheme's
  indicators and their own explanation, never another target's (404).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from dangjian.accounts.access import Action, scope_for, visible_orgs
from dangjian.assessment.models import Scheme, SchemeStatus, Target
from dangjian.assessment.services import ASSESSING_KINDS, can_manage


def visible_schemes(user) -> QuerySet[Scheme]:
    scope = scope_for(user)
    own = scope.org_q(Action.READ, prefix="organization__")
    as_target = Q(
        pk__in=Target.objects.filter(scope.org_q(Action.READ, prefix="organization__")).values(
            "scheme_id"
        )
    ) & ~Q(status=SchemeStatus.DRAFT)
    return Scheme.objects.filter(own | as_target).select_related("organization")


def get_scheme_for_user(user, pk) -> Scheme:
    try:
        return visible_schemes(user).get(pk=pk)
    except (Scheme.DoesNotExist, ValueError):
        raise Http404("考核方案不存在") from None


def sees_all_targets(user, scheme: Scheme) -> bool:
    return scope_for(user).covers(scheme.organization.path, Action.READ)


def may_rank(user, scheme: Scheme) -> bool:
    """The ordered list by score: the assessing committee only."""
    return can_manage(user, scheme.organization)


def visible_targets(user, scheme: Scheme) -> QuerySet[Target]:
    targets = scheme.targets.select_related("organization").order_by("organization__path")
    if sees_all_targets(user, scheme):
        return targets
    return targets.filter(scope_for(user).org_q(Action.READ, prefix="organization__"))


def get_target_for_user(user, pk) -> Target:
    try:
        target = Target.objects.select_related("scheme__organization", "organization").get(pk=pk)
    except (Target.DoesNotExist, ValueError):
        raise Http404("考核对象不存在") from None
    scheme = target.scheme
    scope = scope_for(user)
    if sees_all_targets(user, scheme):
        return target
    if scheme.status != SchemeStatus.DRAFT and scope.covers(target.organization.path, Action.READ):
        return target
    raise Http404("考核对象不存在")


def managed_orgs(user):
    """Organizations the user may create schemes for (assessing kinds, write access)."""
    return (
        visible_orgs(user, Action.WRITE)
        .filter(kind__in=[str(k) for k in ASSESSING_KINDS])
        .order_by("path")
    )
