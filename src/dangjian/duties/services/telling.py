"""Who is told about a work item, and the notices about it (through `dangjian.notices`).

Who acts for an organization is `accounts.acting`'s rule, shared with the badge; this module adds
what is particular to work items: each item's responsible post, and 督办 (the level above and
the 纪检 roles covering the item).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from dangjian.accounts.acting import responsible_for, responsible_users, supervisors_covering
from dangjian.duties.inbox import NoticeKind, item_link
from dangjian.duties.models import WorkItem
from dangjian.notices.services import Message, notify_many
from dangjian.orgs.models import Organization


def receivers_of(items: Sequence[WorkItem]) -> dict[int, set[int]]:
    """Who must act on each item (by item id), each with its own responsible post."""
    found = responsible_for([(i.organization, i.responsible_post) for i in items])
    return {i.pk: found[(i.organization_id, i.responsible_post)] for i in items}


def receivers_of_one(item: WorkItem) -> set[int]:
    return receivers_of([item])[item.pk]


def sender_writers(org: Organization) -> set[int]:
    """Who acts for the organization that sent an item (they accept it)."""
    return responsible_users([org]).get(org.pk, set())


def supervisors_for(items: Sequence[WorkItem]) -> dict[int, set[int]]:
    """For each item (by id): the level above (who acts for the sending organization) and the
    纪检 roles covering the item's organization (督办). Three queries for any number of items."""
    senders = {i.parent.organization_id: i.parent.organization for i in items if i.parent_id}
    above = responsible_users(list(senders.values()))
    covering = supervisors_covering(i.organization.path for i in items)
    out: dict[int, set[int]] = {}
    for item in items:
        users = set(above.get(item.parent.organization_id, set())) if item.parent_id else set()
        out[item.pk] = users | covering[item.organization.path]
    return out


def supervisors_of(item: WorkItem) -> set[int]:
    return supervisors_for([item])[item.pk]


def about(
    item: WorkItem, user_ids: Iterable[int], kind: NoticeKind, key: str, title: str, body: str = ""
) -> Message:
    """A notice about `item`, linked to its page."""
    return Message(
        frozenset(user_ids), key, kind, title, body, link=item_link(item.pk), subject=item
    )


def tell(
    item: WorkItem, user_ids: Iterable[int], kind: NoticeKind, key: str, title: str, body: str = ""
) -> int:
    return notify_many([about(item, user_ids, kind, key, title, body)])


def notify_received(items: Sequence[WorkItem], sender: Organization) -> None:
    """Tell the receivers of newly sent items (constant queries for any number of items)."""
    receivers = receivers_of(items)
    notify_many(
        about(
            item,
            receivers[item.pk],
            NoticeKind.RECEIVED,
            f"received:{item.pk}",
            # Named by the receiving organization: whoever acts for several branches gets one
            # notice per branch and must tell them apart (issue 18).
            f"收到任务：{item.title}（{item.organization.name}）",
            f"{sender.name}下发，截止 {item.deadline:%Y-%m-%d}",
        )
        for item in items
    )
