"""The inbox in the REST API: /api/v1/inbox (the user's own notices and what waits for them)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.http import Http404
from django.utils import timezone
from ninja import Query, Router, Schema

from dangjian.core.pagination import page_of
from dangjian.notices import queries, services
from dangjian.notices.models import Notice
from dangjian.regulations.periods import TZ

inbox_router = Router(tags=["消息"])

# Clients written when notices belonged to work items read `item_id`: it stays, for notices
# about a work item (the subject type `duties.workitem`), beside the generic `link`.
WORK_ITEM_SUBJECT = "duties.workitem"


def _local(value: dt.datetime | None) -> dt.datetime | None:
    return timezone.localtime(value, TZ) if value is not None else None


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
        return obj.kind_label

    @staticmethod
    def resolve_item_id(obj) -> int | None:
        return obj.subject_id if obj.subject_type == WORK_ITEM_SUBJECT else None

    @staticmethod
    def resolve_created_at(obj) -> dt.datetime:
        return _local(obj.created_at)

    @staticmethod
    def resolve_read_at(obj) -> dt.datetime | None:
        return _local(obj.read_at)

    @staticmethod
    def resolve_read(obj) -> bool:
        return obj.read_at is not None


class InboxOut(Schema):
    count: int
    page: int
    page_size: int
    items: list[NoticeOut]
    # One count per app's to-do provider (items: received work items to do; review: submitted
    # items waiting for the user's acceptance; leave: leave requests to decide), then unread
    # notices, actions (the to-dos together) and badge (actions + unread).
    counts: dict[str, int]


class ReadOut(Schema):
    marked: int
    unread: int


class InboxQuery(Schema):
    unread: bool = False
    page: int = 1


@inbox_router.get(
    "",
    response=InboxOut,
    url_name="inbox",
    summary="我的消息（未读在前；unread=true 只看未读）和待办数量",
)
def inbox(request, filters: Query[InboxQuery]):
    qs = queries.notices_for(request.user, unread_only=filters.unread, unread_first=True)
    counts = queries.action_counts(request.user)
    page = page_of(qs, filters.page, settings.NINJA_PAGINATION_PER_PAGE)
    page["counts"] = counts.as_dict()
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
    return {"marked": marked, "unread": queries.unread_count(request.user)}


@inbox_router.post(
    "/read-all",
    response=ReadOut,
    url_name="read_all_notices",
    summary="全部标记为已读",
)
def read_all_notices(request):
    marked = services.mark_read(request.user)
    return {"marked": marked, "unread": queries.unread_count(request.user)}
