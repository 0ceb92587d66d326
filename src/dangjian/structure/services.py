"""Dated changes to the organization tree: a change of kind (e.g. a 党支部 becoming a 党总支)
and a dissolution (撤销, or 合并 into another organization). Each writes the organization's
history (`orgs.OrganizationSpell`, docs/organization-history.md) and one audit event in one
transaction; a refused change writes nothing. Founding is `orgs.services.create_organization`.

They live here, above `members`, because both must know whether members still belong to the
organization on or after the day.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q

from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor, record
from dangjian.core import clock
from dangjian.core.errors import ServiceValidationError
from dangjian.members import history
from dangjian.members.models import Member
from dangjian.orgs.models import (
    MEMBER_HOLDING_KINDS,
    Organization,
    OrganizationSpell,
    OrgEvent,
    OrgKind,
    Post,
)
from dangjian.orgs.services import ALLOWED_CHILDREN
from dangjian.orgs.signals import organization_dissolved
from dangjian.regulations.periods import cn_date

ONE_DAY = dt.timedelta(days=1)


def _open_spell(org: Organization, on: dt.date, field: str) -> OrganizationSpell:
    """The organization's open spell, locked; refuses a day in the future or not after the last
    change (a spell lasts at least one day, and history is not rewritten backwards)."""
    spell = (
        OrganizationSpell.objects.select_for_update()
        .filter(organization=org, ended_on__isnull=True)
        .first()
    )
    if spell is None:
        raise ServiceValidationError({field: "该组织已撤销"})
    if on > clock.today():
        raise ServiceValidationError({field: "日期不能晚于今天"})
    if on <= spell.started_on:
        raise ServiceValidationError(
            {field: f"日期应晚于该组织成立或上次调整的日期（{cn_date(spell.started_on)}）"}
        )
    return spell


def _live_children(org: Organization, on: dt.date) -> list[tuple[Organization, str]]:
    """The direct children existing on `on` or later, with their kind then (the last one)."""
    spells = (
        OrganizationSpell.objects.filter(
            Q(ended_on__isnull=True) | Q(ended_on__gte=on),
            organization__path__startswith=org.path,
            organization__depth=org.depth + 1,
        )
        .select_related("organization")
        .order_by("organization__path", "started_on")
    )
    last = {s.organization_id: (s.organization, s.kind) for s in spells}
    return list(last.values())


def _has_members_from(org: Organization, on: dt.date) -> bool:
    """Whether anyone belongs to `org` itself on `on` or later (the membership history), or is
    in it as a party group today."""
    if history.spells_during(org, on, dt.date.max).filter(organization=org).exists():
        return True
    return Member.objects.current().filter(party_group=org).exists()


def _cut(spell: OrganizationSpell, on: dt.date, reason: str) -> None:
    spell.ended_on = on - ONE_DAY
    spell.end_reason = reason
    spell.save(update_fields=["ended_on", "end_reason"])


@transaction.atomic
def change_kind(actor: Actor, org: Organization, kind: str, on: dt.date) -> OrganizationSpell:
    """From `on`, `org` is of `kind`: its spell closes on `on` − 1 and the next opens on `on`
    (counted as the old kind up to the day before, as the new one from the day itself)."""
    if kind not in OrgKind.values:
        raise ServiceValidationError({"kind": "组织类型不正确"})
    spell = _open_spell(org, on, "changed_on")
    if kind == spell.kind:
        raise ServiceValidationError({"kind": "组织类型没有变化"})
    parent = Organization.objects.get_parent(org)
    if kind not in ALLOWED_CHILDREN[parent.kind if parent else None]:
        raise ServiceValidationError({"kind": "该类型的组织不能设在其上级组织之下"})
    misplaced = [c.name for c, k in _live_children(org, on) if k not in ALLOWED_CHILDREN[kind]]
    if misplaced:
        raise ServiceValidationError(
            {"kind": f"下级组织{'、'.join(misplaced[:5])}不能设在该类型的组织之下，请先撤销或调整"}
        )
    if (
        spell.kind in MEMBER_HOLDING_KINDS
        and kind not in MEMBER_HOLDING_KINDS
        and _has_members_from(org, on)
    ):
        raise ServiceValidationError(
            {"kind": "该类型的组织不直接管理党员：请先将本组织党员的组织关系调到所属党支部"}
        )
    old = spell.kind
    _cut(spell, on, OrgEvent.KIND_CHANGED)
    new = OrganizationSpell.objects.create(
        organization=org, kind=kind, started_on=on, start_reason=OrgEvent.KIND_CHANGED
    )
    org.kind = kind
    org.save(update_fields=["kind", "updated_at"])
    record(
        actor,
        AuditAction.UPDATE,
        org,
        changes={"kind": [old, kind], "changed_on": [None, on.isoformat()]},
        message=f"调整组织类型：{OrgKind(old).label}→{OrgKind(kind).label}，自{cn_date(on)}起",
    )
    return new


@transaction.atomic
def dissolve_organization(
    actor: Actor, org: Organization, on: dt.date, *, merged_into: Organization | None = None
) -> OrganizationSpell:
    """`org` is dissolved (撤销) on `on`, or merged into `merged_into` (合并): it exists up to
    `on` − 1. Refused while anything still belongs to it on or after `on`: an organization below
    it, a member, a post held. The record stays (meetings, posts and the history refer to it)."""
    spell = _open_spell(org, on, "dissolved_on")
    errors = {}
    children = _live_children(org, on)
    if children:
        names = "、".join(c.name for c, _ in children[:5])
        errors["children"] = f"请先撤销其下级组织：{names}"
    if _has_members_from(org, on):
        errors["members"] = "该组织在撤销日期及以后仍有党员，请先将党员组织关系转出或调动"
    posts = Post.objects.filter(Q(ended_on__isnull=True) | Q(ended_on__gte=on), organization=org)
    if posts.exists():
        errors["posts"] = "该组织在撤销日期及以后仍有任职，请先结束任职（结束日期早于撤销日期）"
    if merged_into is not None and (
        merged_into.pk == org.pk
        or not merged_into.spells.filter(ended_on__isnull=True, started_on__lt=on).exists()
    ):
        errors["merged_into"] = "合并到的组织应为撤销日期前已成立、现仍存在的其他组织"
    if errors:
        raise ServiceValidationError(errors)
    reason = OrgEvent.MERGED if merged_into is not None else OrgEvent.DISSOLVED
    _cut(spell, on, reason)
    changes: dict = {"dissolved_on": [None, on.isoformat()], "reason": [None, reason]}
    message = f"撤销组织，自{cn_date(on)}起"
    if merged_into is not None:
        changes["merged_into"] = [None, merged_into.code]
        message = f"合并撤销组织，并入{merged_into.name}，自{cn_date(on)}起"
    record(actor, AuditAction.UPDATE, org, changes=changes, message=message)
    # What other apps had planned or open for it from that day ends with it or moves to the
    # organization it merges into (meetings, work items, recruitment files).
    organization_dissolved.send(
        sender=Organization, organization=org, on=on, actor=actor, merged_into=merged_into
    )
    return spell
