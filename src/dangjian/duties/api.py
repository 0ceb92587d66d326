"""Work items and the inbox in the REST API: /api/v1/work-items, /api/v1/inbox.

The same access rules as the pages: an item outside the user's read scope is a 404, a write the
user may not make is a 403 (the services decide who may review), and invalid input is a 422
with one Chinese message per field. Every write goes through `duties.services`, which audits.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, Value, When
from django.http import Http404
from django.utils import timezone
from ninja import Query, Router, Schema
from ninja.responses import Status

from dangjian.accounts.access import Action, get_org_for_user, scope_for
from dangjian.audit.services import Actor
from dangjian.core.errors import ServiceValidationError
from dangjian.core.pagination import page_of
from dangjian.duties import services
from dangjian.duties.models import Evidence, Notice, WorkEvent, WorkItem, WorkStatus
from dangjian.duties.queries import (
    STATE_LABELS,
    ItemFilter,
    action_counts,
    can_review,
    can_work,
    get_item_for_user,
    item_list,
    item_tree,
    state_of,
)
from dangjian.orgs.models import Organization
from dangjian.regulations.periods import TZ

work_items_router = Router(tags=["工作任务"])
inbox_router = Router(tags=["消息"])

LIST_STATES = ("open", "overdue", "submitted", "done", "review")


def _local(value: dt.datetime | None) -> dt.datetime | None:
    return timezone.localtime(value, TZ) if value is not None else None


# ---- output --------------------------------------------------------------------------------


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
        return state_of(obj.status, obj.deadline, services.today())

    @staticmethod
    def resolve_state_label(obj) -> str:
        return STATE_LABELS[state_of(obj.status, obj.deadline, services.today())]

    @staticmethod
    def resolve_submitted_at(obj) -> dt.datetime | None:
        return _local(obj.submitted_at)

    @staticmethod
    def resolve_created_at(obj) -> dt.datetime:
        return _local(obj.created_at)


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


class NoticeOut(Schema):
    id: int
    kind: str
    kind_label: str
    title: str
    body: str
    item_id: int | None
    link: str
    created_at: dt.datetime
    read_at: dt.datetime | None
    read: bool

    @staticmethod
    def resolve_kind_label(obj) -> str:
        return obj.get_kind_display()

    @staticmethod
    def resolve_created_at(obj) -> dt.datetime:
        return _local(obj.created_at)

    @staticmethod
    def resolve_read_at(obj) -> dt.datetime | None:
        return _local(obj.read_at)

    @staticmethod
    def resolve_read(obj) -> bool:
        return obj.read_at is not None


class ActionCountsOut(Schema):
    items: int  # received items still to do
    review: int  # submitted items waiting for the user's acceptance
    leave: int  # leave requests waiting for the user's decision
    unread: int  # unread notices
    actions: int
    badge: int


class InboxOut(Schema):
    count: int
    page: int
    page_size: int
    items: list[NoticeOut]
    counts: ActionCountsOut


class ReadOut(Schema):
    marked: int
    unread: int


# ---- input ---------------------------------------------------------------------------------


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


class InboxQuery(Schema):
    unread: bool = False
    page: int = 1


# ---- helpers -------------------------------------------------------------------------------


def _item_data(payload: ItemFieldsIn) -> dict[str, Any]:
    return {key: getattr(payload, key) for key in services.ITEM_FIELDS}


def _name(user) -> str:
    return user.display_name if user is not None else "系统"


def _detail(request, item: WorkItem) -> WorkItem:
    """The item with its timeline, evidence, ancestors and the subtree the user may read."""
    user = request.user
    item = WorkItem.objects.select_related("organization", "parent__organization").get(pk=item.pk)
    ancestors, rows = item_tree(user, item, services.today())
    events = WorkEvent.objects.filter(item=item).select_related("actor").order_by("at", "pk")
    evidence = (
        Evidence.objects.filter(item=item)
        .select_related("meeting", "added_by")
        .order_by("added_at", "pk")
    )
    pending = item.status in (WorkStatus.OPEN, WorkStatus.RETURNED)
    item.detail_out = {
        "can_work": pending and can_work(user, item),
        "can_review": item.status == WorkStatus.SUBMITTED and can_review(user, item),
        "missing": services.missing_evidence(item) if pending else "",
        "events": [
            {
                "kind": e.kind,
                "kind_label": e.get_kind_display(),
                "note": e.note,
                "progress": e.progress,
                "actor": _name(e.actor),
                "at": _local(e.at),
            }
            for e in events
        ],
        "evidence": [
            {
                "id": e.pk,
                "kind": e.kind,
                "kind_label": e.get_kind_display(),
                "meeting_id": e.meeting_id,
                "meeting_topic": e.meeting.topic if e.meeting_id else None,
                "meeting_kind_label": e.meeting.get_kind_display() if e.meeting_id else None,
                "meeting_held_on": e.meeting.held_on if e.meeting_id else None,
                "original_name": e.original_name,
                "size": e.size,
                "figure": None if e.figure is None else str(e.figure),
                "note": e.note,
                "added_by": _name(e.added_by),
                "added_at": _local(e.added_at),
            }
            for e in evidence
        ],
        "ancestors": [
            {
                "id": a.pk,
                "organization_code": a.organization.code,
                "organization_name": a.organization.name,
                "title": a.title,
                "deadline": a.deadline,
            }
            for a in ancestors
        ],
        "subtree": [
            {
                "id": r.item.pk,
                "parent_id": r.item.parent_id,
                "depth": r.depth,
                "organization_code": r.item.organization.code,
                "organization_name": r.item.organization.name,
                "title": r.item.title,
                "status": r.item.status,
                "state": r.state,
                "state_label": r.state_label,
                "progress": r.item.progress,
                "deadline": r.item.deadline,
                "completed_on": r.item.completed_on,
            }
            for r in rows
        ],
    }
    return item


def _sent(result: services.SendResult) -> dict:
    item = WorkItem.objects.select_related("organization", "parent__organization").get(
        pk=result.item.pk
    )
    return {
        "item": item,
        "children": [c.pk for c in result.children],
        "warnings": result.warnings,
    }


# ---- work items ----------------------------------------------------------------------------


@work_items_router.get(
    "",
    response=WorkItemPage,
    url_name="list_work_items",
    summary="工作任务列表（可按组织、状态、年度筛选；review：待我验收）",
)
def list_work_items(request, filters: Query[WorkItemQuery]):
    if not scope_for(request.user).paths.get(Action.READ):
        raise PermissionDenied("您没有查看工作任务的权限")
    org = (
        get_org_for_user(request.user, filters.org.strip().upper(), field_name="code")
        if filters.org
        else None
    )
    state = (filters.state or "").strip()
    if state and state not in LIST_STATES:
        raise ServiceValidationError({"state": f"状态不正确，可选：{'、'.join(LIST_STATES)}"})
    if filters.year is not None and not 2000 <= filters.year <= 2100:
        raise ServiceValidationError({"year": "年度应在2000至2100之间"})
    qs = item_list(
        request.user, ItemFilter(org=org, state=state, year=filters.year), services.today()
    )
    return page_of(qs, filters.page, settings.NINJA_PAGINATION_PER_PAGE)


@work_items_router.post(
    "",
    response={201: SendOut},
    url_name="create_work_item",
    summary="下发工作任务：本组织的计划事项，发给所选组织或下属全部党支部",
)
def create_work_item(request, payload: WorkItemCreateIn):
    """`targets` lists the receivers' codes; `all_branches: true` sends to every branch below
    the sender (or below `within`). A deadline on a holiday is accepted with a warning."""
    sender = get_org_for_user(
        request.user, payload.organization.strip().upper(), Action.WRITE, field_name="code"
    )
    within = None
    if payload.within and payload.within.strip():
        code = payload.within.strip().upper()
        # Only organizations under the sender (all of them readable by whoever may send).
        within = Organization.objects.filter(code=code, path__startswith=sender.path).first()
        if within is None:
            raise ServiceValidationError({"within": f"{code} 不存在或不在{sender.name}之下"})
    result = services.send_down(
        Actor.from_request(request),
        sender,
        _item_data(payload),
        targets=payload.targets,
        all_branches=payload.all_branches,
        within=within,
    )
    return Status(201, _sent(result))


@work_items_router.get(
    "/{item_id}",
    response=WorkItemDetailOut,
    url_name="get_work_item",
    summary="工作任务详情（含办理记录、佐证、来源和可查看的分解情况）",
)
def get_work_item(request, item_id: int):
    return _detail(request, get_item_for_user(request.user, item_id))


@work_items_router.post(
    "/{item_id}/split",
    response={201: SendOut},
    url_name="split_work_item",
    summary="分解任务：将收到的任务继续下发给下级组织（截止日期不晚于本任务）",
)
def split_work_item(request, item_id: int, payload: ItemFieldsIn):
    """Fields left out keep the item's own values (title, requirement, deadline, evidence)."""
    item = get_item_for_user(request.user, item_id, Action.WRITE)
    result = services.split(
        Actor.from_request(request),
        item,
        _item_data(payload),
        targets=payload.targets,
        all_branches=payload.all_branches,
    )
    return Status(201, _sent(result))


@work_items_router.post(
    "/{item_id}/progress",
    response=WorkItemDetailOut,
    url_name="work_item_progress",
    summary="报告进展（进度0–99%，100%由验收决定）",
)
def report_progress(request, item_id: int, payload: ProgressIn):
    item = get_item_for_user(request.user, item_id, Action.WRITE)
    services.report_progress(Actor.from_request(request), item, payload.progress, payload.note)
    return _detail(request, item)


@work_items_router.post(
    "/{item_id}/evidence",
    response={201: WorkItemDetailOut},
    url_name="work_item_evidence",
    summary="添加佐证：关联已召开的会议记录，或填报数据",
)
def add_evidence(request, item_id: int, payload: EvidenceIn):
    """`{"meeting": <id>, "note": …}` links a held meeting of the organization (or below);
    `{"figure": 12, "note": "参训人数"}` reports a figure. Files (文件材料) are uploaded on the
    item's page, not through the API."""
    item = get_item_for_user(request.user, item_id, Action.WRITE)
    actor = Actor.from_request(request)
    has_figure = payload.figure is not None and str(payload.figure).strip() != ""
    if payload.meeting is not None and has_figure:
        raise ServiceValidationError({"__all__": "一次只能添加一种佐证：会议记录或数据"})
    if payload.meeting is not None:
        services.link_meeting(actor, item, payload.meeting, payload.note)
    elif has_figure:
        services.add_figure(actor, item, payload.figure, payload.note)
    else:
        raise ServiceValidationError(
            {"meeting": "请选择会议记录或填写数据（文件材料请在任务页面上传）"}
        )
    return Status(201, _detail(request, item))


@work_items_router.post(
    "/{item_id}/submit",
    response=WorkItemDetailOut,
    url_name="submit_work_item",
    summary="提交验收（计划事项在下发的任务全部验收后直接完成）",
)
def submit_work_item(request, item_id: int, payload: NoteIn):
    item = get_item_for_user(request.user, item_id, Action.WRITE)
    services.submit(Actor.from_request(request), item, payload.note)
    return _detail(request, item)


@work_items_router.post(
    "/{item_id}/accept",
    response=WorkItemDetailOut,
    url_name="accept_work_item",
    summary="验收通过（下发任务的组织）",
)
def accept_work_item(request, item_id: int, payload: NoteIn):
    # Reading is enough to get here: whether the user may review is the sender's write scope,
    # which the service checks (403 otherwise).
    item = get_item_for_user(request.user, item_id)
    services.accept(Actor.from_request(request), item, payload.note)
    return _detail(request, item)


@work_items_router.post(
    "/{item_id}/return",
    response=WorkItemDetailOut,
    url_name="return_work_item",
    summary="退回任务（须填写退回原因）",
)
def return_work_item(request, item_id: int, payload: ReturnIn):
    item = get_item_for_user(request.user, item_id)
    services.return_item(Actor.from_request(request), item, payload.reason)
    return _detail(request, item)


@work_items_router.post(
    "/{item_id}/withdraw",
    response=WorkItemDetailOut,
    url_name="withdraw_work_item",
    summary="撤回任务（下发任务的组织；连同未完成的下级任务，须填写撤回原因）",
)
def withdraw_work_item(request, item_id: int, payload: ReturnIn):
    # Reading is enough to get here: the service checks the sender's write scope (403).
    item = get_item_for_user(request.user, item_id)
    services.withdraw(Actor.from_request(request), item, payload.reason)
    return _detail(request, item)


# ---- the inbox -----------------------------------------------------------------------------


def _unread(user) -> int:
    return Notice.objects.filter(recipient=user, read_at__isnull=True).count()


@inbox_router.get(
    "",
    response=InboxOut,
    url_name="inbox",
    summary="我的消息（未读在前；unread=true 只看未读）和待办数量",
)
def inbox(request, filters: Query[InboxQuery]):
    qs = Notice.objects.filter(recipient=request.user)
    if filters.unread:
        qs = qs.filter(read_at__isnull=True)
    qs = qs.order_by(
        Case(
            When(read_at__isnull=True, then=Value(0)), default=Value(1), output_field=IntegerField()
        ),
        "-created_at",
        "-pk",
    )
    counts = action_counts(request.user, services.today())
    page = page_of(qs, filters.page, settings.NINJA_PAGINATION_PER_PAGE)
    page["counts"] = {
        "items": counts.items,
        "review": counts.review,
        "leave": counts.leave,
        "unread": counts.unread,
        "actions": counts.actions,
        "badge": counts.badge,
    }
    return page


@inbox_router.post(
    "/{notice_id}/read",
    response=ReadOut,
    url_name="read_notice",
    summary="标记一条消息为已读",
)
def read_notice(request, notice_id: int):
    if not Notice.objects.filter(pk=notice_id, recipient=request.user).exists():
        raise Http404("消息不存在")
    marked = services.mark_read(request.user, [notice_id])
    return {"marked": marked, "unread": _unread(request.user)}


@inbox_router.post(
    "/read-all",
    response=ReadOut,
    url_name="read_all_notices",
    summary="全部标记为已读",
)
def read_all_notices(request):
    marked = services.mark_read(request.user)
    return {"marked": marked, "unread": _unread(request.user)}
