"""The shapes of /api/v1/work-items: what goes out (items, their timeline, evidence, tree) and
what comes in (the fields of an item, progress, evidence, notes)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from ninja import Schema

from dangjian.core.clock import today
from dangjian.duties.queries import STATE_LABELS, state_of
from dangjian.regulations.periods import TZ


def local(value: dt.datetime | None) -> dt.datetime | None:
    return timezone.localtime(value, TZ) if value is not None else None


class WorkItemOut(Schema):
    id: int
    organization_id: int
    organization_code: str
    organization_name: str
    parent_id: int | None
    root_id: int | None
    sender_code: str | None
    sender_name: str | None
    title: str
    description: str
    plan_year: int | None
    deadline: dt.date
    responsible_post: str
    responsible_post_label: str
    evidence_kind: str
    evidence_kind_label: str
    evidence_meeting_kind: str
    evidence_note: str
    status: str
    status_label: str
    state: str  # open / overdue / submitted / done, as of today (Asia/Shanghai)
    state_label: str
    progress: int
    submitted_at: dt.datetime | None
    completed_on: dt.date | None
    overdue_since: dt.date | None
    created_at: dt.datetime

    @staticmethod
    def resolve_organization_code(obj) -> str:
        return obj.organization.code

    @staticmethod
    def resolve_organization_name(obj) -> str:
        return obj.organization.name

    @staticmethod
    def resolve_sender_code(obj) -> str | None:
        return obj.parent.organization.code if obj.parent_id else None

    @staticmethod
    def resolve_sender_name(obj) -> str | None:
        return obj.parent.organization.name if obj.parent_id else None

    @staticmethod
    def resolve_responsible_post_label(obj) -> str:
        return obj.get_responsible_post_display() if obj.responsible_post else ""

    @staticmethod
    def resolve_evidence_kind_label(obj) -> str:
        return obj.get_evidence_kind_display()

    @staticmethod
    def resolve_status_label(obj) -> str:
        return obj.get_status_display()

    @staticmethod
    def resolve_state(obj) -> str:
        return state_of(obj.status, obj.deadline, today())

    @staticmethod
    def resolve_state_label(obj) -> str:
        return STATE_LABELS[state_of(obj.status, obj.deadline, today())]

    @staticmethod
    def resolve_submitted_at(obj) -> dt.datetime | None:
        return local(obj.submitted_at)

    @staticmethod
    def resolve_created_at(obj) -> dt.datetime:
        return local(obj.created_at)


class EventOut(Schema):
    kind: str
    kind_label: str
    note: str
    progress: int | None
    actor: str
    at: dt.datetime


class EvidenceOut(Schema):
    id: int
    kind: str
    kind_label: str
    meeting_id: int | None
    meeting_topic: str | None
    meeting_kind_label: str | None
    meeting_held_on: dt.date | None
    original_name: str
    size: int
    figure: str | None
    note: str
    added_by: str
    added_at: dt.datetime


class AncestorOut(Schema):
    """Where the item came from: the sender's items (their details may be outside the scope)."""

    id: int
    organization_code: str
    organization_name: str
    title: str
    deadline: dt.date


class TreeRowOut(Schema):
    id: int
    parent_id: int | None
    depth: int
    organization_code: str
    organization_name: str
    title: str
    status: str
    state: str
    state_label: str
    progress: int
    deadline: dt.date
    completed_on: dt.date | None


class WorkItemDetailOut(WorkItemOut):
    can_work: bool  # may report progress, add evidence, split, submit
    can_review: bool  # may accept or return (the sending organization)
    missing: str  # why it cannot be submitted yet ('' when it can, or when it is not pending)
    events: list[EventOut]
    evidence: list[EvidenceOut]
    ancestors: list[AncestorOut]
    subtree: list[TreeRowOut]

    # Filled in by `_detail`, which knows who is asking.
    @staticmethod
    def resolve_can_work(obj) -> bool:
        return obj.detail_out["can_work"]

    @staticmethod
    def resolve_can_review(obj) -> bool:
        return obj.detail_out["can_review"]

    @staticmethod
    def resolve_missing(obj) -> str:
        return obj.detail_out["missing"]

    @staticmethod
    def resolve_events(obj) -> list[dict]:
        return obj.detail_out["events"]

    @staticmethod
    def resolve_evidence(obj) -> list[dict]:
        return obj.detail_out["evidence"]

    @staticmethod
    def resolve_ancestors(obj) -> list[dict]:
        return obj.detail_out["ancestors"]

    @staticmethod
    def resolve_subtree(obj) -> list[dict]:
        return obj.detail_out["subtree"]


class WorkItemPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[WorkItemOut]


class SendOut(Schema):
    item: WorkItemOut
    children: list[int]
    warnings: list[str]


class WorkItemQuery(Schema):
    org: str | None = None
    state: str | None = None
    year: int | None = None
    page: int = 1


class ItemFieldsIn(Schema):
    title: str | None = None
    description: str | None = None
    deadline: str | None = None  # "2026-12-31"
    working_days: int | None = None  # instead of a deadline: that many working days from today
    responsible_post: str | None = None
    evidence_kind: str | None = None  # none / meeting / document / figure
    evidence_meeting_kind: str | None = None
    evidence_note: str | None = None
    plan_year: int | None = None
    targets: list[str] | str | None = None  # organization codes
    all_branches: bool = False


class WorkItemCreateIn(ItemFieldsIn):
    organization: str  # the sender's code
    within: str | None = None  # with all_branches: only the branches under this organization


class ProgressIn(Schema):
    progress: int | None = None
    note: str | None = None


class EvidenceIn(Schema):
    meeting: int | None = None
    figure: str | int | float | None = None
    note: str | None = None


class NoteIn(Schema):
    note: str | None = None


class ReturnIn(Schema):
    reason: str | None = None
