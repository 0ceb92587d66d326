"""Linking the records a self-assessment (自评) rests on, and unlinking them: by the target's
own writers (or the assessed post holder), while the scheme is published or frozen, only records
of the target organization's subtree and the scheme's year (`evidence.candidates`). Audited, in
one transaction; a refused link writes nothing."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from dangjian.assessment import evidence
from dangjian.assessment.models import EvidenceKind, Scheme, SchemeStatus, SelfEvidence, Target
from dangjian.assessment.services import FINAL_MESSAGE
from dangjian.assessment.services_results import may_appeal
from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor, diff, record
from dangjian.core import inputs
from dangjian.core.errors import ServiceValidationError

MAX_LINKS = 50
FIELDS = {
    EvidenceKind.MEETING: "meeting",
    EvidenceKind.WORK_ITEM: "work_item",
    EvidenceKind.DOCUMENT: "document",
}


def _writable(actor: Actor, target: Target) -> Scheme:
    scheme = Scheme.objects.select_for_update().get(pk=target.scheme_id)
    if actor.user is None or not may_appeal(actor.user, target):
        raise PermissionDenied("只有被考核人本人或考核对象本单位的书记、委员可以关联自评佐证")
    if scheme.status == SchemeStatus.FINAL:
        raise ServiceValidationError(FINAL_MESSAGE)
    if scheme.status == SchemeStatus.DRAFT:
        raise ServiceValidationError("考核方案尚未发布")
    return scheme


@transaction.atomic
def link(actor: Actor, target: Target, kind: Any, record_id: Any, note: Any = "") -> SelfEvidence:
    """Link one record of the target organization's subtree and the scheme's year."""
    scheme = _writable(actor, target)
    errors: dict[str, str] = {}
    kind = inputs.text(kind)
    found = None
    if kind not in EvidenceKind.values:
        errors["kind"] = "请选择佐证类型（会议记录、工作任务或上传材料）"
    else:
        label = EvidenceKind(kind).label
        try:
            found = evidence.candidates(target, kind).filter(pk=int(inputs.text(record_id))).first()
        except ValueError:
            found = None
        if found is None:
            errors["record"] = (
                f"只能关联本单位（含下级组织）{scheme.year}年的{label}，"
                "所选记录不在本单位范围内或不存在"
            )
        elif SelfEvidence.objects.filter(target=target, **{FIELDS[kind]: found}).exists():
            errors["record"] = "该记录已关联"
        elif SelfEvidence.objects.filter(target=target).count() >= MAX_LINKS:
            errors["record"] = f"自评佐证最多关联{MAX_LINKS}条记录"
    text = inputs.short_text(note, "note", "说明", 200, errors)
    if errors:
        raise ServiceValidationError(errors)
    row = SelfEvidence.objects.create(
        target=target, kind=kind, note=text, added_by=actor.user, **{FIELDS[kind]: found}
    )
    record(
        actor,
        AuditAction.CREATE,
        row,
        changes=diff(None, row.audit_fields()),
        message=f"关联自评佐证（{EvidenceKind(kind).label}）：{target.organization.name}",
    )
    return row


@transaction.atomic
def unlink(actor: Actor, row: SelfEvidence) -> None:
    _writable(actor, row.target)
    record(
        actor,
        AuditAction.DELETE,
        row,
        changes=diff(row.audit_fields(), None),
        message=f"取消关联自评佐证：{row.target.organization.name}",
    )
    row.delete()
