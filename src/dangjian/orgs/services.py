"""Writes to the organization tree and posts; each one audited."""

from __future__ import annotations

import datetime as dt
import re

from django.db import IntegrityError, transaction
from django.db.models import Q

from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor, diff, record
from dangjian.core import clock
from dangjian.core.errors import ServiceValidationError
from dangjian.core.inputs import short_text
from dangjian.orgs.history import existing, refuse_dissolved
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


# The organization's code: letters, digits and hyphens (the codes the roster import and the
# organization picker take, e.g. "FGW-B01"), as long as the column allows.
CODE_PATTERN = re.compile(r"[A-Z0-9][A-Z0-9-]*")
NAME_MAX = Organization._meta.get_field("name").max_length
CODE_MAX = Organization._meta.get_field("code").max_length


def _lock_line(parent: Organization) -> bool:
    """Lock the open spells of `parent` and of every organization above it, and re-read
    `parent`; False when `parent` is dissolved.

    A dissolution or change of kind of the parent locks its open spell too
    (`structure.services`), so it waits for this founding or this founding sees it. Siblings are
    ordered by code: a founding under an organization above shifts the paths of the later
    siblings' subtrees, this parent's perhaps, so those foundings wait as well, and the
    parent's path is read after the locks. The ancestors are found by id (the tree is never
    re-parented), the locks taken in id order (two foundings never wait on each other)."""
    parent.refresh_from_db(fields=["path", "depth", "numchild"])
    step = Organization.steplen
    above = [parent.path[:end] for end in range(step, len(parent.path), step)]
    line = [parent.pk, *Organization.objects.filter(path__in=above).values_list("pk", flat=True)]
    locked = set(
        OrganizationSpell.objects.select_for_update()
        .filter(organization_id__in=line, ended_on__isnull=True)
        .order_by("organization_id")
        .values_list("organization_id", flat=True)
    )
    parent.refresh_from_db(fields=["path", "depth", "numchild"])
    return parent.pk in locked


def _parent_refusal(parent: Organization, kind: str | None, founded_on: dt.date) -> dict[str, str]:
    """Why `kind` (None: not known) cannot be founded under `parent` on `founded_on`, or
    nothing, with the parent's line locked (`_lock_line`)."""
    if not _lock_line(parent):
        return {"parent": "上级组织已撤销，不能在其下成立组织"}
    if not parent.spells.filter(started_on__lte=founded_on).exists():
        first = parent.spells.order_by("started_on").values_list("started_on", flat=True).first()
        since = f"（{cn_date(first)}）" if first else ""
        return {"founded_on": f"成立日期不能早于上级组织的成立日期{since}"}
    if kind is None:
        return {}
    # From its founding on, the new organization sits under each kind the parent has then.
    spells = parent.spells.filter(Q(ended_on__isnull=True) | Q(ended_on__gte=founded_on))
    for spell in spells.order_by("started_on"):
        if kind not in ALLOWED_CHILDREN[spell.kind]:
            until = "" if spell.ended_on is None else f"至{cn_date(spell.ended_on)}"
            return {
                "kind": f"上级组织{until}为{OrgKind(spell.kind).label}，"
                f"其下不能设立{OrgKind(kind).label}"
            }
    return {}


def _sibling_named(parent: Organization, name: str) -> bool:
    """Whether an organization of `parent` that exists (not dissolved) bears `name`: people pick
    organizations by name (the roster import's 所在支部 and 党小组), so two of one name under
    one parent cannot be told apart. A dissolved one's name may be taken again (重建). Read
    after the parent's line is locked, so a concurrent founding under it has committed (read
    committed on PostgreSQL and MariaDB alike, settings.py)."""
    return Organization.objects.filter(
        existing(), path__startswith=parent.path, depth=parent.depth + 1, name=name
    ).exists()


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
    history opens with one spell of `kind` from that day (docs/organization-history.md).

    Refused (nothing written): a name or code missing, too long or with invisible characters, a
    code in use, the name of an existing organization under the same parent, a kind its parent cannot hold on any day from `founded_on` on
    (`ALLOWED_CHILDREN`), a founding after today or before the parent's, a dissolved parent.
    Its place in the tree follows its code (`Organization.node_order_by`): treebeard computes its
    path, shifting the later siblings' paths when it sorts before them."""
    errors: dict[str, str] = {}
    founded_on = founded_on or clock.today()
    name = short_text(name, "name", "组织名称", NAME_MAX, errors)
    code = short_text(code, "code", "组织编码", CODE_MAX, errors).upper()
    if not name and "name" not in errors:
        errors["name"] = "请填写组织名称"
    if "code" in errors:
        pass  # invisible characters or too long, said above
    elif not code:
        errors["code"] = "请填写组织编码"
    elif not CODE_PATTERN.fullmatch(code):
        errors["code"] = "组织编码只能由字母、数字和连字符（-）组成，且以字母或数字开头"
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
        known = None if "kind" in errors else kind
        for field, message in _parent_refusal(parent, known, founded_on).items():
            errors.setdefault(field, message)
        # Read under the parent's lock: a concurrent founding of the same name has committed.
        if name and "name" not in errors and _sibling_named(parent, name):
            errors["name"] = f"{parent.name}下已有“{name}”"
    if errors:
        raise ServiceValidationError(errors)
    fields = dict(
        name=name, kind=kind, code=code, term_started_on=term_started_on, term_ends_on=term_ends_on
    )
    try:
        # A savepoint: a code taken by a concurrent founding since the check above is refused
        # with the same message, and the transaction stays usable.
        with transaction.atomic():
            if parent is None:
                org = Organization.objects.add_root(fields)
            else:
                org = Organization.objects.add_child(parent, fields)
    except IntegrityError as exc:
        # The only unique column a founding can collide on (the path is computed under the
        # locks). Not re-read: MariaDB's snapshot would not show the other founding's row.
        if "code" in str(exc):
            raise ServiceValidationError({"code": f"组织编码 {code} 已被使用"}) from None
        raise
    OrganizationSpell.objects.create(
        organization=org, kind=kind, started_on=founded_on, start_reason=OrgEvent.FOUNDED
    )
    changes = diff(None, {**org.audit_fields(), "founded_on": founded_on})
    record(
        actor,
        AuditAction.CREATE,
        org,
        changes=changes,
        message=f"成立{OrgKind(kind).label}，自{cn_date(founded_on)}起",
    )
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
    refuse_dissolved(organization, "任职")
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
