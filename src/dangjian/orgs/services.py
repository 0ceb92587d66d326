"""Writes to the organization tree and posts; each one audited."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor, diff, record
from dangjian.core import clock
from dangjian.core.errors import ServiceValidationError
from dangjian.orgs.history import dissolved_since
from dangjian.orgs.models import (
    Organization,
    OrganizationSpell,
    OrgEvent,
    OrgKind,
    Post,
    PostKind,
)
from dangjian.regulations.periods import cn_date

# Which kinds may sit under which: keeps the tree shaped like real organs.
ALLOWED_CHILDREN: dict[str | None, set[str]] = {
    None: {OrgKind.WORKING_COMMITTEE, OrgKind.LEADING_GROUP, OrgKind.ORGAN_COMMITTEE},
    OrgKind.WORKING_COMMITTEE: {OrgKind.LEADING_GROUP, OrgKind.ORGAN_COMMITTEE},
    OrgKind.LEADING_GROUP: {OrgKind.ORGAN_COMMITTEE},
    OrgKind.ORGAN_COMMITTEE: {
        OrgKind.ORGAN_DISCIPLINE_COMMITTEE,
        OrgKind.GENERAL_BRANCH,
        OrgKind.BRANCH,
    },
    OrgKind.ORGAN_DISCIPLINE_COMMITTEE: set(),
    OrgKind.GENERAL_BRANCH: {OrgKind.BRANCH},
    OrgKind.BRANCH: {OrgKind.PARTY_GROUP},
    OrgKind.PARTY_GROUP: set(),
}


@transaction.atomic
def create_organization(
    actor: Actor,
    parent: Organization | None,
    *,
    name: str,
    kind: str,
    code: str,
    term_started_on: dt.date | None = None,
    term_ends_on: dt.date | None = None,
    founded_on: dt.date | None = None,
) -> Organization:
    """A new organization under `parent`, founded (成立) on `founded_on` (today by default): its
    history opens with one spell of `kind` from that day (docs/organization-history.md)."""
    errors = {}
    founded_on = founded_on or clock.today()
    name, code = name.strip(), code.strip().upper()
    if not name:
        errors["name"] = "请填写组织名称"
    if not code:
        errors["code"] = "请填写组织编码"
    elif Organization.objects.filter(code=code).exists():
        errors["code"] = f"组织编码 {code} 已被使用"
    if kind not in OrgKind.values:
        errors["kind"] = "组织类型不正确"
    elif kind not in ALLOWED_CHILDREN[parent.kind if parent else None]:
        errors["kind"] = "该类型的组织不能设在所选上级组织之下"
    if term_started_on and term_ends_on and term_ends_on <= term_started_on:
        errors["term_ends_on"] = "任期届满日期应晚于任期开始日期"
    if founded_on > clock.today():
        errors["founded_on"] = "成立日期不能晚于今天"
    elif parent is not None:
        if not parent.spells.filter(ended_on__isnull=True).exists():
            errors["parent"] = "上级组织已撤销，不能在其下成立组织"
        elif not parent.spells.filter(started_on__lte=founded_on).exists():
            errors["founded_on"] = "成立日期不能早于上级组织的成立日期"
    if errors:
        raise ServiceValidationError(errors)
    fields = dict(
        name=name, kind=kind, code=code, term_started_on=term_started_on, term_ends_on=term_ends_on
    )
    if parent is None:
        org = Organization.objects.add_root(fields)
    else:
        org = Organization.objects.add_child(parent, fields)
    OrganizationSpell.objects.create(
        organization=org, kind=kind, started_on=founded_on, start_reason=OrgEvent.FOUNDED
    )
    changes = diff(None, {**org.audit_fields(), "founded_on": founded_on})
    record(actor, AuditAction.CREATE, org, changes=changes)
    return org


@transaction.atomic
def add_post(
    actor: Actor,
    organization: Organization,
    member,
    kind: str,
    started_on: dt.date,
    *,
    full_time: bool = False,
) -> Post:
    if kind not in PostKind.values:
        raise ServiceValidationError({"kind": "职务不正确"})
    gone = dissolved_since(organization)
    if gone is not None:
        raise ServiceValidationError(
            {"organization": f"{organization.name}已于{cn_date(gone)}撤销，不能再任职"}
        )
    branch_path = member.organization.path
    if organization.kind in {OrgKind.BRANCH, OrgKind.PARTY_GROUP} and not (
        organization.path.startswith(branch_path)
    ):
        raise ServiceValidationError({"member": "支部职务只能由本支部党员担任"})
    if (
        kind in {PostKind.SECRETARY}
        and Post.objects.filter(
            organization=organization, kind=kind, ended_on__isnull=True
        ).exists()
    ):
        raise ServiceValidationError({"kind": "该组织已有在任书记，请先结束其任职"})
    post = Post.objects.create(
        organization=organization,
        member=member,
        kind=kind,
        started_on=started_on,
        full_time=full_time,
    )
    record(actor, AuditAction.CREATE, post, changes=diff(None, post.audit_fields()))
    return post


@transaction.atomic
def end_post(actor: Actor, post: Post, ended_on: dt.date) -> Post:
    if ended_on < post.started_on:
        raise ServiceValidationError({"ended_on": "任职结束日期不能早于开始日期"})
    before = post.audit_fields()
    post.ended_on = ended_on
    post.save(update_fields=["ended_on"])
    record(actor, AuditAction.UPDATE, post, changes=diff(before, post.audit_fields()))
    return post
