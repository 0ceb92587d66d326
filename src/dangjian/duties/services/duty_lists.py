"""Duty lists: a 机关党委 adds a duty for its subtree, or edits or retires an inherited one
there (the edit lives on its organization; other subtrees keep theirs)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from dangjian.accounts.access import Action, scope_for
from dangjian.accounts.models import Role
from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor, diff, record
from dangjian.core import inputs
from dangjian.core.errors import ServiceValidationError
from dangjian.duties.models import DutyItem, Responsibility
from dangjian.duties.queries import effective_duties
from dangjian.duties.services.common import read_choice
from dangjian.meetings.models import MeetingKind
from dangjian.orgs.history import refuse_dissolved
from dangjian.orgs.models import Organization, OrgKind, PostKind

DUTY_OWNER_KINDS = (OrgKind.WORKING_COMMITTEE, OrgKind.LEADING_GROUP, OrgKind.ORGAN_COMMITTEE)


def require_duty_editor(actor: Actor, owner: Organization) -> None:
    if owner.kind not in DUTY_OWNER_KINDS:
        raise PermissionDenied("责任清单由机关党委（或机关工委）制定")
    if actor.user is not None:
        scope = scope_for(actor.user)
        if Role.ORGAN_COMMITTEE not in scope.roles or not scope.covers(owner.path, Action.WRITE):
            raise PermissionDenied("只有机关党委可以修改责任清单")


@transaction.atomic
def save_duty(
    actor: Actor, owner: Organization, data: Mapping[str, Any], *, key: str = ""
) -> DutyItem:
    """Add a duty for `owner`'s subtree, or (with the key of a shipped or inherited duty) edit it
    there. The edit lives on `owner`; other subtrees keep theirs."""
    require_duty_editor(actor, owner)
    refuse_dissolved(owner, "修改责任清单")
    errors: dict[str, str] = {}
    base = None
    if key:
        base = next(
            (d for d in effective_duties(owner, include_retired=True) if d.key == key), None
        )
        if base is None:
            raise ServiceValidationError({"key": "该职责不存在"})
    org_kind = read_choice(
        data.get("org_kind", base.org_kind if base else ""), OrgKind, "org_kind", "适用组织", errors
    )
    if not org_kind and "org_kind" not in errors:
        errors["org_kind"] = "请选择适用组织"
    post_kind = read_choice(
        data.get("post_kind", base.post_kind if base else ""), PostKind, "post_kind", "职务", errors
    )
    if not post_kind and "post_kind" not in errors:
        errors["post_kind"] = "请选择职务"
    responsibility = read_choice(
        data.get("responsibility", base.responsibility if base else ""),
        Responsibility,
        "responsibility",
        "责任类型",
        errors,
    )
    title = inputs.short_text(
        data.get("title", base.title if base else ""), "title", "职责", 200, errors
    )
    if not title and "title" not in errors:
        errors["title"] = "请填写职责"
    text = inputs.text(data.get("text", base.text if base else ""))
    if len(text) > 2000:
        errors["text"] = "内容不能超过2000个字"
    source = inputs.short_text(
        data.get("source", base.source if base else ""), "source", "依据", 200, errors
    )
    raw_kinds = data.get("meeting_kinds", base.meeting_kinds if base else [])
    if isinstance(raw_kinds, str):
        raw_kinds = [k for k in raw_kinds.replace("，", ",").split(",") if k.strip()]
    kinds = []
    for raw in raw_kinds or []:
        code = read_choice(raw, MeetingKind, "meeting_kinds", "关联会议类型", errors)
        if code and code not in kinds:
            kinds.append(code)
    active = data.get("active", base.active if base else True)
    active = active not in (False, "0", "false", "off", "")
    if errors:
        raise ServiceValidationError(errors)
    existing = DutyItem.objects.filter(owner=owner, key=key).first() if key else None
    before = existing.audit_fields() if existing else None
    duty = existing or DutyItem(owner=owner, key=key or f"local-{uuid.uuid4().hex[:12]}")
    duty.org_kind = org_kind
    duty.post_kind = post_kind
    duty.responsibility = responsibility
    duty.title = title
    duty.text = text
    duty.source = source
    duty.meeting_kinds = kinds
    duty.order = base.order if base else 500
    duty.active = active
    duty.updated_by = actor.user
    duty.save()
    record(
        actor,
        AuditAction.UPDATE if existing else AuditAction.CREATE,
        duty,
        changes=diff(before, duty.audit_fields()),
        message=f"责任清单（{owner.name}）"[:500],
    )
    return duty
