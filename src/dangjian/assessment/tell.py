"""The notices each step of a scheme sends to its targets (issue 14: "each step ... the targets
know"): who acts for each target organization (`accounts.acting`, the same rule the rest of the
platform uses) is told once per step, idempotently (the key names the scheme, step and target).

Counts and grades are not put in a notice: the notice links to the target's explanation page,
which checks who may see it.
"""

from __future__ import annotations

from django.db import models
from django.urls import reverse

from dangjian.accounts.acting import responsible_users
from dangjian.accounts.models import User
from dangjian.assessment.models import Scheme, Target
from dangjian.notices.services import Message, notify_many


class NoticeKind(models.TextChoices):
    """What each step tells the targets (registered with the inbox in `assessment.inbox`)."""

    PUBLISHED = "assess_pub", "考核方案已发布"
    RESULTS = "assess_result", "考核结果已公布"
    APPEAL = "assess_appeal", "考核申诉已处理"
    FINAL = "assess_final", "考核结果已定档"


def tell_targets(
    scheme: Scheme,
    kind: NoticeKind,
    title: str,
    body: str = "",
    targets: list[Target] | None = None,
) -> int:
    """One notice per target: to whoever acts for the target organization, or to the assessed
    post holder in person (述职评议); returns the notices delivered."""
    if targets is None:
        targets = list(scheme.targets.select_related("organization"))
    if not targets:
        return 0
    who = responsible_users([t.organization for t in targets if t.member_id is None])
    people = dict(
        User.objects.filter(
            member_id__in=[t.member_id for t in targets if t.member_id is not None],
            is_active=True,
        ).values_list("member_id", "pk")
    )
    messages = [
        Message(
            frozenset(
                who.get(t.organization_id, ())
                if t.member_id is None
                else [people[t.member_id]]
                if t.member_id in people
                else ()
            ),
            key=f"assessment:{scheme.pk}:{kind.value}:{t.pk}",
            kind=kind.value,
            title=title,
            body=body,
            link=reverse("assessment:target", args=[t.pk]),
            subject=t,
        )
        for t in targets
    ]
    return notify_many(messages)
