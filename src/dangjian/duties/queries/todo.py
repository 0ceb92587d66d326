"""What waits for a user's action in the responsibility system (the inbox's 待办 and the
badge): received items to move, and submitted items to accept. Who acts for which organization
is `accounts.acting`'s rule, the same one that decides who is told."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from dangjian.accounts.acting import acting_area, held_posts
from dangjian.duties.models import PENDING, WorkItem, WorkStatus


def _held_posts_q(user) -> Q:
    """Items addressed to a post the user holds now (and may act in)."""
    q = Q(pk__in=[])
    for org_id, kind in held_posts(user):
        q |= Q(organization_id=org_id, responsible_post=kind)
    return q


def todo_items(user) -> QuerySet[WorkItem]:
    """Received items the user must move: their organizations' (see `acting_area`) and those
    addressed to a post they hold."""
    return WorkItem.objects.filter(
        acting_area(user, "organization__") | _held_posts_q(user),
        status__in=PENDING,
        parent__isnull=False,
    )


def review_items(user) -> QuerySet[WorkItem]:
    """Submitted items sent by the organizations the user acts for."""
    return WorkItem.objects.filter(
        acting_area(user, "parent__organization__"), status=WorkStatus.SUBMITTED
    )
