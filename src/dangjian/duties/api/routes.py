"""Work items in the REST API: /api/v1/work-items.

The same access rules as the pages: an item outside the user's read scope is a 404, a write the
user may not make is a 403 (the services decide who may review), and invalid input is a 422
with one Chinese message per field. Every write goes through `duties.services`, which audits.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from ninja import Query, Router
from ninja.responses import Status

from dangjian.accounts.access import Action, get_org_for_user, require_scope
from dangjian.audit.services import Actor
from dangjian.core.clock import today
from dangjian.core.errors import ServiceValidationError
from dangjian.core.pagination import page_of
from dangjian.duties import services
from dangjian.duties.api.schemas import (
    EvidenceIn,
    ItemFieldsIn,
    NoteIn,
    ProgressIn,
    ReturnIn,
    SendOut,
    WorkItemCreateIn,
    WorkItemDetailOut,
    WorkItemPage,
    WorkItemQuery,
    local,
)
from dangjian.duties.models import Evidence, WorkEvent, WorkItem, WorkStatus
from dangjian.duties.queries import (
    ItemFilter,
    TreeRow,
    get_item_for_user,
    item_actions,
    item_list,
    item_tree,
)
from dangjian.orgs.models import Organization

work_items_router = Router(tags=["工作任务"])

LIST_STATES = ("open", "overdue", "submitted", "done", "review")


def _item_data(payload: ItemFieldsIn) -> dict[str, Any]:
    return {key: getattr(payload, key) for key in services.ITEM_FIELDS}


def _name(user) -> str:
    return user.display_name if user is not None else "系统"


def _event(e: WorkEvent) -> dict:
    return {
        "kind": e.kind,
        "kind_label": e.get_kind_display(),
        "note": e.note,
        "progress": e.progress,
        "actor": _name(e.actor),
        "at": local(e.at),
    }


def _evidence(e: Evidence) -> dict:
    return {
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
        "added_at": local(e.added_at),
    }


def _ancestor(a: WorkItem) -> dict:
    return {
        "id": a.pk,
        "organization_code": a.organization.code,
        "organization_name": a.organization.name,
        "title": a.title,
        "deadline": a.deadline,
    }


def _tree_row(r: TreeRow) -> dict:
    return {
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


def _detail(request, item: WorkItem) -> WorkItem:
    """The item with its timeline, evidence, ancestors and the subtree the user may read."""
    user = request.user
    item = WorkItem.objects.select_related("organization", "parent__organization").get(pk=item.pk)
    ancestors, rows = item_tree(user, item, today())
    events = WorkEvent.objects.filter(item=item).select_related("actor").order_by("at", "pk")
    evidence = (
        Evidence.objects.filter(item=item)
        .select_related("meeting", "added_by")
        .order_by("added_at", "pk")
    )
    actions = item_actions(user, item)
    pending = item.status in (WorkStatus.OPEN, WorkStatus.RETURNED)
    item.detail_out = {
        "can_work": actions.work,
        "can_review": actions.review,
        "missing": services.missing_evidence(item) if pending else "",
        "events": [_event(e) for e in events],
        "evidence": [_evidence(e) for e in evidence],
        "ancestors": [_ancestor(a) for a in ancestors],
        "subtree": [_tree_row(r) for r in rows],
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


@work_items_router.get(
    "",
    response=WorkItemPage,
    url_name="list_work_items",
    summary="工作任务列表（可按组织、状态、年度筛选；review：待我验收）",
)
def list_work_items(request, filters: Query[WorkItemQuery]):
    require_scope(request.user, Action.READ, "您没有查看工作任务的权限")
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
    qs = item_list(request.user, ItemFilter(org=org, state=state, year=filters.year), today())
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
