"""Arrears reminders: from the fourth unpaid month the member and the branch's secretary and
committee are told (early warning); at six months (党章第九条) the branch's secretary and
committee are told that the branch must act. Idempotent: one notice per member, state and month
(the notices' keys), so `tick` twice sends once. The member is named only to the branch.
"""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from dangjian.accounts.models import Role, RoleAssignment
from dangjian.dues.arrears import streaks
from dangjian.dues.inbox import NoticeKind
from dangjian.meetings.packs import rules_in_force
from dangjian.members.models import Member
from dangjian.notices.services import Message, notify_many
from dangjian.regulations.dues import LapseState, lapse_state


def _managers() -> dict[int, set[int]]:
    """Branch id → user ids of its secretary and committee."""
    out: dict[int, set[int]] = {}
    for org_id, user_id in RoleAssignment.objects.filter(
        role__in=(Role.BRANCH_SECRETARY, Role.BRANCH_COMMITTEE), organization__isnull=False
    ).values_list("organization_id", "user_id"):
        out.setdefault(org_id, set()).add(user_id)
    return out


def run(today: dt.date) -> dict[str, int]:
    params = rules_in_force(sync=False).dues
    members = list(Member.objects.current().select_related("user"))
    counts = {"dues_warnings": 0, "dues_lapses": 0}
    managers = _managers()
    messages: list[Message] = []
    month = f"{today:%Y-%m}"
    by_id = {m.pk: m for m in members}
    for member_id, unpaid in streaks(members, today, among=Member.objects.current()).items():
        state = lapse_state(unpaid, params)
        if state is None:
            continue
        member = by_id[member_id]
        branch_users = managers.get(member.organization_id, set())
        link = reverse("dues:ledger", args=[member.organization_id])
        if state is LapseState.WARNING:
            counts["dues_warnings"] += 1
            messages.append(
                Message(
                    frozenset(branch_users),
                    key=f"dues:warn:{member_id}:{month}",
                    kind=NoticeKind.ARREARS,
                    title=f"{member.name}已连续{unpaid}个月未交纳党费",
                    body="请及时了解情况、提醒交纳（党章第九条：连续六个月不交纳党费视为自行脱党）",
                    link=link,
                )
            )
            own = getattr(member, "user", None)
            if own is not None:
                messages.append(
                    Message(
                        frozenset({own.pk}),
                        key=f"dues:warn-own:{member_id}:{month}",
                        kind=NoticeKind.ARREARS,
                        title=f"您已连续{unpaid}个月未交纳党费",
                        body="请尽快交纳。补交一般不超过6个月。",
                        link=reverse("dues:mine"),
                    )
                )
        else:
            counts["dues_lapses"] += 1
            messages.append(
                Message(
                    frozenset(branch_users),
                    key=f"dues:lapse:{member_id}:{month}",
                    kind=NoticeKind.LAPSE,
                    title=f"{member.name}已连续{unpaid}个月未交纳党费",
                    body="党章第九条：没有正当理由连续六个月不交纳党费的，支部大会应当决定除名，"
                    "并报上级党组织批准。请核实有无正当理由。",
                    link=link,
                )
            )
    notify_many(messages)
    return counts
