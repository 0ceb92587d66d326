"""Reading the inbox: a user's notices, and what waits for their action (the badge)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case, IntegerField, QuerySet, Value, When

from dangjian.notices.models import Notice
from dangjian.notices.registry import todo_providers


def notices_for(user, *, unread_only: bool = False, unread_first: bool = False) -> QuerySet:
    """The user's own notices, newest first (unread ones first when asked)."""
    qs = Notice.objects.filter(recipient=user)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    if unread_first:
        unread = When(read_at__isnull=True, then=Value(0))
        qs = qs.order_by(
            Case(unread, default=Value(1), output_field=IntegerField()), "-created_at", "-pk"
        )
    return qs


def unread_count(user) -> int:
    return Notice.objects.filter(recipient=user, read_at__isnull=True).count()


@dataclass(frozen=True)
class ActionCounts:
    """What waits for the user's action now, derived from the records (not from notices): one
    count per to-do provider, by its key (`counts["items"]`, also in templates), and the unread
    notices."""

    todo: dict[str, int]
    unread: int

    @property
    def actions(self) -> int:
        return sum(self.todo.values())

    @property
    def badge(self) -> int:
        return self.actions + self.unread

    def __getitem__(self, key: str) -> int:
        return self.todo[key]

    def as_dict(self) -> dict[str, int]:
        return {**self.todo, "unread": self.unread, "actions": self.actions, "badge": self.badge}


def action_counts(user) -> ActionCounts:
    """Every app's to-do count for the user, and the unread notices: the badge."""
    unread = unread_count(user)
    return ActionCounts({p.key: p.count(user) for p in todo_providers()}, unread)
