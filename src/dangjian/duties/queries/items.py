"""Work items as a user may see them: fetching one for the user, what the user may do with it
(`ItemActions`), its tree, and the lists (by state, overdue, the review queue)."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from dangjian.accounts.access import Action, scope_for
from dangjian.duties.models import PENDING, WorkItem, WorkStatus
from dangjian.orgs.models import Organization


def state_of(status: str, deadline: dt.date, today: dt.date) -> str:
    """open / submitted / done / overdue (pending past its deadline) / withdrawn."""
    if status == WorkStatus.ACCEPTED:
        return "done"
    if status == WorkStatus.WITHDRAWN:
        return "withdrawn"
    if status == WorkStatus.SUBMITTED:
        return "submitted"
    return "overdue" if deadline < today else "open"


STATE_LABELS = {
    "open": "办理中",
    "submitted": "待验收",
    "done": "已完成",
    "overdue": "已逾期",
    "withdrawn": "已撤回",
}


def visible_items(user, action: Action = Action.READ) -> QuerySet[WorkItem]:
    scope = scope_for(user)
    return WorkItem.objects.filter(scope.org_q(action, prefix="organization__"))


def get_item_for_user(user, pk, action: Action = Action.READ) -> WorkItem:
    """404 outside the read scope, 403 when the action is denied (the access module's rule)."""
    try:
        item = WorkItem.objects.select_related("organization", "parent__organization").get(pk=pk)
    except (WorkItem.DoesNotExist, ValueError):
        raise Http404("任务不存在") from None
    scope = scope_for(user)
    if not scope.covers(item.organization.path, Action.READ):
        raise Http404("任务不存在")
    if action != Action.READ and not scope.covers(item.organization.path, action):
        raise PermissionDenied("您对该任务没有此操作权限")
    return item


def can_review(user, item: WorkItem) -> bool:
    return item.parent_id is not None and scope_for(user).covers(
        item.parent.organization.path, Action.WRITE
    )


def can_work(user, item: WorkItem) -> bool:
    return scope_for(user).covers(item.organization.path, Action.WRITE)


@dataclass(frozen=True)
class ItemActions:
    """What the user may do with a work item now: its state and the user's scope together. The
    one answer the item's page, its template and the API all use."""

    work: bool  # report progress, add evidence, submit: the receiver, while it is pending
    split: bool  # send it further down: work, and there are organizations below
    review: bool  # accept or return: the sending organization, once it is submitted
    withdraw: bool  # take it back: the sender (its own organization for a plan item)


def item_actions(user, item: WorkItem) -> ItemActions:
    """One query at most (whether anything lies below the item's organization)."""
    pending = item.status in PENDING
    works = can_work(user, item)
    reviews = can_review(user, item)
    org = item.organization
    return ItemActions(
        work=works and pending,
        split=works
        and pending
        and Organization.objects.filter(path__startswith=org.path, depth__gt=org.depth).exists(),
        review=reviews and item.status == WorkStatus.SUBMITTED,
        withdraw=item.status not in (WorkStatus.ACCEPTED, WorkStatus.WITHDRAWN)
        and (reviews if item.parent_id else works),
    )


@dataclass
class TreeRow:
    item: WorkItem
    depth: int
    state: str
    readable: bool

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]


def item_tree(user, item: WorkItem, today: dt.date) -> tuple[list[WorkItem], list[TreeRow]]:
    """The item's ancestors (what it came from) and its subtree as far as the user may read.

    One query for the whole tree; a branch never sees its sibling branches' items.
    """
    scope = scope_for(user)
    everything = {
        i.pk: i
        for i in WorkItem.objects.filter(root_id=item.root_id).select_related("organization")
    }
    everything.setdefault(item.pk, item)
    ancestors = []
    cursor = everything.get(item.parent_id)
    while cursor is not None:
        ancestors.append(cursor)
        cursor = everything.get(cursor.parent_id)
    ancestors.reverse()
    children: dict[int | None, list[WorkItem]] = defaultdict(list)
    for i in everything.values():
        children[i.parent_id].append(i)
    rows: list[TreeRow] = []

    def walk(node: WorkItem, depth: int) -> None:
        for child in sorted(children.get(node.pk, []), key=lambda c: c.organization.path):
            if scope.covers(child.organization.path, Action.READ):
                rows.append(
                    TreeRow(child, depth, state_of(child.status, child.deadline, today), True)
                )
                walk(child, depth + 1)

    walk(everything[item.pk], 1)
    return ancestors, rows


def tree_summary(rows: Sequence[TreeRow]) -> Counter:
    return Counter(r.state for r in rows)


def overdue_items(user, today: dt.date, org: Organization | None = None) -> list[WorkItem]:
    """Received items past their deadline and not done, in the user's scope (督办)."""
    qs = visible_items(user).filter(status__in=PENDING, parent__isnull=False, deadline__lt=today)
    if org is not None:
        qs = qs.filter(organization__path__startswith=org.path)
    items = list(
        qs.select_related("organization", "parent__organization").order_by("deadline", "pk")
    )
    for item in items:
        item.days_overdue = (today - item.deadline).days
    return items


@dataclass
class ItemFilter:
    org: Organization | None = None
    state: str = ""  # open / submitted / done / overdue / review (waiting for my acceptance)
    year: int | None = None


def item_list(user, flt: ItemFilter, today: dt.date) -> QuerySet[WorkItem]:
    scope = scope_for(user)
    if flt.state == "review":
        qs = WorkItem.objects.filter(
            scope.org_q(Action.WRITE, prefix="parent__organization__"),
            status=WorkStatus.SUBMITTED,
        )
    else:
        qs = visible_items(user)
    if flt.org is not None:
        qs = qs.filter(
            Q(organization__path__startswith=flt.org.path)
            | Q(parent__organization__path__startswith=flt.org.path)
        )
    if flt.year:
        qs = qs.filter(plan_year=flt.year)
    if flt.state == "open":
        qs = qs.filter(status__in=PENDING, deadline__gte=today)
    elif flt.state == "overdue":
        qs = qs.filter(status__in=PENDING, deadline__lt=today)
    elif flt.state == "submitted":
        qs = qs.filter(status=WorkStatus.SUBMITTED)
    elif flt.state == "done":
        qs = qs.filter(status=WorkStatus.ACCEPTED)
    return qs.select_related("organization", "parent__organization").order_by(
        "status", "deadline", "pk"
    )
