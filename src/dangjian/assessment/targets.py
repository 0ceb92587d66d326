"""Who a new scheme assesses: the organizations of a kind below the assessing one, or the
holders of a post in them today (述职评议)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef, Q

from dangjian.assessment.models import TARGET_POSTS
from dangjian.core.clock import today
from dangjian.orgs.models import Organization, OrganizationSpell, OrgKind, Post


def _post_holders(orgs: list[Organization], post: str) -> dict[int, int]:
    """Organization id → the member holding `post` there today (one query)."""
    on = today()
    return dict(
        Post.objects.filter(
            Q(ended_on__isnull=True) | Q(ended_on__gte=on),
            organization__in=orgs,
            kind=post,
            started_on__lte=on,
        )
        .order_by("organization_id", "started_on")
        .values_list("organization_id", "member_id")
    )


def targets_of(
    org: Organization, target_kind: str, target_post: str, errors: dict[str, str], year: int
) -> tuple[list[Organization], dict[int, int]]:
    """The target organizations in tree order and, for a post, organization id → holder;
    problems go into `errors` under the form's field names. Only organizations that existed
    in `year` (a spell overlapping it): one dissolved before it is not assessed for it."""
    if target_kind not in OrgKind.values:
        errors["target_kind"] = "请选择考核对象的组织类型"
    if target_post and target_post not in dict(TARGET_POSTS):
        errors["target_post"] = "按职务考核只能选择书记（每个组织一人）"
    if "target_kind" in errors:
        return [], {}
    targets = list(
        Organization.objects.filter(path__startswith=org.path, kind=target_kind)
        .filter(
            Exists(
                OrganizationSpell.objects.filter(
                    Q(ended_on__isnull=True) | Q(ended_on__gte=dt.date(year, 1, 1)),
                    organization=OuterRef("pk"),
                    started_on__lte=dt.date(year, 12, 31),
                )
            )
        )
        .exclude(pk=org.pk)
        .order_by("path")
    )
    if not targets:
        errors["target_kind"] = f"{org.name}下没有“{OrgKind(target_kind).label}”，无法作为考核对象"
        return [], {}
    if not target_post or "target_post" in errors:
        return targets, {}
    holders = _post_holders(targets, target_post)
    targets = [o for o in targets if o.pk in holders]
    if not targets:
        errors["target_post"] = "这些组织目前都没有在任的书记"
    return targets, holders
