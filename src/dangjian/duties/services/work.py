"""The receiver's side of a work item: progress, evidence (a linked meeting record, a file, a
figure) and submission for acceptance."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from dangjian.accounts.access import require_write
from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor, diff, record
from dangjian.core import inputs, uploads
from dangjian.core.clock import today
from dangjian.core.errors import ServiceValidationError
from dangjian.duties.inbox import NoticeKind
from dangjian.duties.models import (
    EventKind,
    Evidence,
    EvidenceKind,
    WorkEvent,
    WorkItem,
    WorkStatus,
)
from dangjian.duties.services.common import complete, locked, require_pending, save_item
from dangjian.duties.services.telling import sender_writers, tell
from dangjian.meetings.models import Meeting, MeetingKind, MeetingStatus
from dangjian.regulations.periods import local_date


@transaction.atomic
def report_progress(actor: Actor, item: WorkItem, progress: Any, note: Any = "") -> WorkItem:
    require_write(actor, item.organization)
    item = locked(item)
    require_pending(item)
    errors: dict[str, str] = {}
    try:
        value = int(inputs.text(progress) or item.progress)
        if not 0 <= value <= 100:
            raise ValueError
    except ValueError:
        errors["progress"] = "进度应为0到100之间的整数"
        value = item.progress
    text = inputs.short_text(note, "note", "进展说明", 500, errors)
    if not text and value == item.progress and "progress" not in errors:
        errors["note"] = "请填写进展说明或修改进度"
    if errors:
        raise ServiceValidationError(errors)
    before = item.audit_fields()
    item.progress = min(value, 99)  # 100% is reached by acceptance, not by a number
    WorkEvent.objects.create(
        item=item, kind=EventKind.PROGRESS, note=text, progress=item.progress, actor=actor.user
    )
    save_item(actor, item, before, f"任务进展：{text}")
    return item


def earliest_evidence(item: WorkItem) -> dt.date:
    """A meeting shows this item's work if held in its plan year or after it was sent (an item
    sent in December for next January may be done in December)."""
    sent = local_date(item.created_at) if item.created_at else today()
    if item.plan_year:
        return min(dt.date(item.plan_year, 1, 1), sent)
    return sent


# ---- records of a subtree that can be linked as evidence ----------------------------------------
# A work item links them here; an assessment target's self-assessment (assessment.evidence) links
# the same records, chosen from the same subtree, never retyped.


def held_meetings_in(org):
    """Held (recorded) meetings of `org` and below."""
    return Meeting.objects.filter(
        organization__path__startswith=org.path, status=MeetingStatus.HELD
    ).select_related("organization")


def items_in(org):
    """Work items addressed to `org` or below, withdrawn ones left out."""
    return (
        WorkItem.objects.filter(organization__path__startswith=org.path)
        .exclude(status=WorkStatus.WITHDRAWN)
        .select_related("organization")
    )


def documents_in(org):
    """Files uploaded as evidence of the work items addressed to `org` or below."""
    return Evidence.objects.filter(
        kind=EvidenceKind.DOCUMENT, item__organization__path__startswith=org.path
    ).exclude(item__status=WorkStatus.WITHDRAWN)


def linkable_meetings(item: WorkItem):
    """Held meetings of the item's organization and below that could show the work done."""
    qs = held_meetings_in(item.organization)
    if item.evidence_meeting_kind:
        qs = qs.filter(kind=item.evidence_meeting_kind)
    return qs.filter(held_on__gte=earliest_evidence(item)).order_by("-held_on", "-pk")


@transaction.atomic
def link_meeting(actor: Actor, item: WorkItem, meeting_id: Any, note: Any = "") -> Evidence:
    """Link a meeting record already in the platform: nothing is uploaded again."""
    require_write(actor, item.organization)
    item = locked(item)
    require_pending(item)
    errors: dict[str, str] = {}
    meeting = None
    with contextlib.suppress(ValueError):
        meeting = (
            Meeting.objects.select_related("organization")
            .filter(
                pk=int(inputs.text(meeting_id)),
                organization__path__startswith=item.organization.path,
            )
            .first()
        )
    if meeting is None:
        errors["meeting"] = "请选择本组织已召开的会议"
    elif meeting.status != MeetingStatus.HELD:
        errors["meeting"] = "只能关联已召开（已记录）的会议"
    elif item.evidence_meeting_kind and meeting.kind != item.evidence_meeting_kind:
        errors["meeting"] = f"该任务需要“{MeetingKind(item.evidence_meeting_kind).label}”的会议记录"
    elif meeting.held_on < earliest_evidence(item):
        errors["meeting"] = f"只能关联{earliest_evidence(item):%Y年%-m月%-d日}以后召开的会议"
    elif item.evidence.filter(meeting=meeting).exists():
        errors["meeting"] = "该会议记录已关联"
    text = inputs.short_text(note, "note", "说明", 500, errors)
    if errors:
        raise ServiceValidationError(errors)
    evidence = Evidence.objects.create(
        item=item, kind=EvidenceKind.MEETING, meeting=meeting, note=text, added_by=actor.user
    )
    record(actor, AuditAction.CREATE, evidence, changes=diff(None, evidence.audit_fields()))
    WorkEvent.objects.create(
        item=item,
        kind=EventKind.EVIDENCE,
        note=f"关联会议记录：{meeting.held_on:%Y-%m-%d} {meeting.get_kind_display()}“{meeting.topic}”",
        actor=actor.user,
    )
    return evidence


def add_document(actor: Actor, item: WorkItem, files_in: Sequence[Any], note: Any = "") -> int:
    """Files checked by content and size (the meeting attachments' rules)."""
    require_write(actor, item.organization)
    files = uploads.check_many(files_in, uploads.ATTACHMENTS, "attachments")
    if not files:
        raise ServiceValidationError({"file": "请选择要上传的文件"})
    errors: dict[str, str] = {}
    text = inputs.short_text(note, "note", "说明", 500, errors)
    if errors:
        raise ServiceValidationError(errors)
    storage = Evidence._meta.get_field("file").storage
    with uploads.removing_on_failure(storage) as stored, transaction.atomic():
        current = locked(item)
        require_pending(current)
        for f in files:
            evidence = Evidence(
                item=current,
                kind=EvidenceKind.DOCUMENT,
                original_name=f.original_name,
                content_type=f.content_type,
                size=f.size,
                note=text,
                added_by=actor.user,
            )
            stored.append(uploads.save_to(evidence.file, f))
            evidence.save()
            record(actor, AuditAction.CREATE, evidence, changes=diff(None, evidence.audit_fields()))
            WorkEvent.objects.create(
                item=current,
                kind=EventKind.EVIDENCE,
                note=f"上传材料：{f.original_name}",
                actor=actor.user,
            )
    return len(files)


@transaction.atomic
def add_figure(actor: Actor, item: WorkItem, figure: Any, note: Any = "") -> Evidence:
    require_write(actor, item.organization)
    item = locked(item)
    require_pending(item)
    errors: dict[str, str] = {}
    value = None
    try:
        value = Decimal(inputs.text(figure).replace(",", "").replace("，", ""))
        if not value.is_finite() or abs(value) >= Decimal("1e12"):
            raise InvalidOperation
        value = value.quantize(Decimal("0.01"))
        if abs(value) >= Decimal("1e12"):  # 999999999999.999 rounds past the column
            raise InvalidOperation
    except InvalidOperation:
        errors["figure"] = "请填写数字"
    text = inputs.short_text(note, "note", "说明", 500, errors)
    if not text and "note" not in errors:
        errors["note"] = "请说明这个数据是什么（如：参训人数）"
    if errors:
        raise ServiceValidationError(errors)
    evidence = Evidence.objects.create(
        item=item, kind=EvidenceKind.FIGURE, figure=value, note=text, added_by=actor.user
    )
    record(actor, AuditAction.CREATE, evidence, changes=diff(None, evidence.audit_fields()))
    WorkEvent.objects.create(
        item=item, kind=EventKind.EVIDENCE, note=f"填报数据：{text} {value}", actor=actor.user
    )
    return evidence


def missing_evidence(item: WorkItem) -> str:
    """Why the item cannot be submitted yet ('' when it can)."""
    children = list(
        item.children.exclude(status=WorkStatus.WITHDRAWN).values_list("status", flat=True)
    )
    if children and any(s != WorkStatus.ACCEPTED for s in children):
        done = sum(1 for s in children if s == WorkStatus.ACCEPTED)
        return f"分解的任务尚未全部完成（{done}/{len(children)}）"
    kinds = set(item.evidence.values_list("kind", flat=True))
    if item.evidence_kind == EvidenceKind.MEETING and EvidenceKind.MEETING not in kinds:
        label = (
            MeetingKind(item.evidence_meeting_kind).label if item.evidence_meeting_kind else "会议"
        )
        return f"请先关联“{label}”的会议记录"
    if item.evidence_kind == EvidenceKind.DOCUMENT and EvidenceKind.DOCUMENT not in kinds:
        return "请先上传文件材料"
    if item.evidence_kind == EvidenceKind.FIGURE and EvidenceKind.FIGURE not in kinds:
        return "请先填报数据"
    return ""


@transaction.atomic
def submit(actor: Actor, item: WorkItem, note: Any = "") -> WorkItem:
    """The receiver says it is done; the sender is asked to accept. A plan item completes."""
    require_write(actor, item.organization)
    item = locked(item)
    require_pending(item)
    errors: dict[str, str] = {}
    text = inputs.short_text(note, "note", "说明", 500, errors)
    why = missing_evidence(item)
    if why:
        errors["evidence"] = why
    if errors:
        raise ServiceValidationError(errors)
    now = timezone.now()
    if item.parent_id is None:
        item.submitted_at = now
        complete(actor, item, local_date(now), f"完成任务{('：' + text) if text else ''}")
        WorkEvent.objects.create(item=item, kind=EventKind.ACCEPTED, note=text, actor=actor.user)
        return item
    before = item.audit_fields()
    item.status = WorkStatus.SUBMITTED
    item.submitted_at = now
    save_item(actor, item, before, f"提交验收{('：' + text) if text else ''}")
    event = WorkEvent.objects.create(
        item=item, kind=EventKind.SUBMITTED, note=text, actor=actor.user
    )
    tell(
        item,
        sender_writers(item.parent.organization),
        NoticeKind.SUBMITTED,
        f"submitted:{item.pk}:{event.pk}",
        f"待验收：{item.organization.name}“{item.title}”",
        text,
    )
    return item
