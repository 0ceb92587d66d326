"""Reads on assessment, scoped to what the user may see.

- The assessing organization's readers (roles covering it) see its schemes, drafts included,
  and every target's explanation; its committee (write access, `services.can_manage`) also the
  list ordered by score. Nobody below sees that order: organizations are shown by grade.
- A target's own readers (roles covering the target organization) see a published scheme's
  indicators and their own explanation, never another target's (404).
- A post holder assessed in person (述职评议 of secretaries, `Scheme.target_post`) is seen by
  that person and the assessing organization only, not by the branch's other committee members.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from dangjian.accounts.access import Action, scope_for, visible_orgs
from dangjian.assessment.models import Scheme, SchemeStatus, Target
from dangjian.assessment.services import ASSESSING_KINDS, can_manage


def _as_target_q(scope) -> Q:
    """Targets the user is, or reads as their organization's: never another person's."""
    of_orgs = scope.org_q(Action.READ, prefix="organization__") & Q(member__isnull=True)
    if scope.own_member_id:
        of_orgs |= Q(member_id=scope.own_member_id)
    return of_orgs


def visible_schemes(user) -> QuerySet[Scheme]:
    scope = scope_for(user)
    own = scope.org_q(Action.READ, prefix="organization__")
    as_target = Q(pk__in=Target.objects.filter(_as_target_q(scope)).values("scheme_id")) & ~Q(
        status=SchemeStatus.DRAFT
    )
    return Scheme.objects.filter(own | as_target).select_related("organization")


def get_scheme_for_user(user, pk) -> Scheme:
    try:
        return visible_schemes(user).get(pk=pk)
    except (Scheme.DoesNotExist, ValueError):
        raise Http404("考核方案不存在") from None


def sees_all_targets(user, scheme: Scheme) -> bool:
    return scope_for(user).covers(scheme.organization.path, Action.READ)


def may_rank(user, scheme: Scheme) -> bool:
    """The ordered list by score: the assessing committee only, and never of people (述职评议
    gives grades only)."""
    return not scheme.of_people and can_manage(user, scheme.organization)


def visible_targets(user, scheme: Scheme) -> QuerySet[Target]:
    targets = scheme.targets.select_related("organization", "member", "scheme").order_by(
        "organization__path"
    )
    if sees_all_targets(user, scheme):
        return targets
    return targets.filter(_as_target_q(scope_for(user)))


def get_target_for_user(user, pk) -> Target:
    try:
        target = Target.objects.select_related(
            "scheme__organization", "organization", "member"
        ).get(pk=pk)
    except (Target.DoesNotExist, ValueError):
        raise Http404("考核对象不存在") from None
    scheme = target.scheme
    scope = scope_for(user)
    if sees_all_targets(user, scheme):
        return target
    if scheme.status == SchemeStatus.DRAFT:
        raise Http404("考核对象不存在")
    if target.member_id is not None:
        if target.member_id == scope.own_member_id:
            return target
    elif scope.covers(target.organization.path, Action.READ):
        return target
    raise Http404("考核对象不存在")


def managed_orgs(user):
    """Organizations the user may create schemes for (assessing kinds, write access)."""
    return (
        visible_orgs(user, Action.WRITE)
        .filter(kind__in=[str(k) for k in ASSESSING_KINDS])
        .order_by("path")
    )
