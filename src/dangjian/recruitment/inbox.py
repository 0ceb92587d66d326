"""What member development puts in the inbox: its reminder kinds, and the files whose next step
is the user's to do and has a time limit that is near or passed."""

from __future__ import annotations

from django.db import models

from dangjian.accounts.access import Action, scope_for
from dangjian.core.clock import today
from dangjian.notices.registry import TodoProvider, TodoRow, register_kinds, register_todo


class NoticeKind(models.TextChoices):
    DUE = "recruit_due", "发展党员到期提醒"
    LATE = "recruit_late", "发展党员已超期"


def _items(user):
    """The user's own steps: a branch's steps to those whose role is bound at the branch, the
    upper committee's steps to those who write for an organization above it."""
    from dangjian.recruitment import deadlines, queries
    from dangjian.regulations.recruitment import BRANCH, STEPS

    writes = scope_for(user).paths.get(Action.WRITE, [])
    files = deadlines.open_files(
        queries.files_for(user, Action.WRITE).select_related("organization")
    )[:500]
    mine = []
    for item in deadlines.waiting(files, today()):
        path = item.applicant.organization.path
        at_branch = any(p.startswith(path) for p in writes)
        above = any(path.startswith(p) and p != path for p in writes)
        if at_branch if STEPS[item.row.number - 1].level == BRANCH else above:
            mine.append(item)
    return mine


def _count(user) -> int:
    return len(_items(user))


def _rows(user, limit: int) -> list[TodoRow]:
    return [
        TodoRow(
            link=item.link,
            tag="发展党员",
            title=f"{item.applicant.name}：{item.row.label}",
            due=f"{item.row.due_on.month}月{item.row.due_on.day}日前" if item.row.due_on else "",
            late=item.overdue,
            detail=item.applicant.organization.name,
            record=item.applicant,
        )
        for item in _items(user)[:limit]
    ]


register_kinds(NoticeKind)
register_todo(TodoProvider("recruitment", "发展党员待办", count=_count, rows=_rows, order=60))
