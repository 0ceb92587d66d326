"""述职评议 on phones (手机评议, issue 14: "cast anonymously on phones during the sitting").

The assessing committee opens a sitting for a votes indicator; each member of its subtree
present opens the sitting's page on a phone and rates every target 好/较好/一般/差 once; the
committee closes it, and each target's tally (`ReportAppraisalTally`, the same record a paper
count gives) is written from the counters, with the voters as the attendees.

Anonymity is structural: a voter row says who voted (one ballot each), counters say how many
chose what, and nothing links the two (no ballot rows, no times on counters; the audit event of
a vote names the voter and the sitting, never a choice).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from dangjian.assessment.models import (
    Indicator,
    Scheme,
    SchemeStatus,
    Sitting,
    SittingCount,
    SittingVoter,
    SourceKind,
)
from dangjian.assessment.services import FINAL_MESSAGE, record_tally, require_manager
from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor, record
from dangjian.core.clock import today
from dangjian.core.errors import ServiceValidationError
from dangjian.members.models import Member
from dangjian.regulations.assessment import VOTE_CHOICES

# One page of radio buttons per voter: a sitting rates at most this many targets.
MAX_SITTING_TARGETS = 60


def may_vote(user, sitting: Sitting) -> bool:
    """A member of the assessing organization's subtree, with an account linked to them."""
    member_id = getattr(user, "member_id", None)
    if member_id is None:
        return False
    path = sitting.scheme.organization.path
    return (
        Member.objects.current().filter(pk=member_id, organization__path__startswith=path).exists()
    )


@transaction.atomic
def open_sitting(actor: Actor, scheme: Scheme, indicator: Indicator, held_on: dt.date) -> Sitting:
    scheme = Scheme.objects.select_for_update().select_related("organization").get(pk=scheme.pk)
    require_manager(actor, scheme.organization)
    if scheme.status == SchemeStatus.FINAL:
        raise ServiceValidationError(FINAL_MESSAGE)
    if scheme.status == SchemeStatus.DRAFT:
        raise ServiceValidationError("考核方案发布后才能组织评议")
    if indicator.scheme_id != scheme.pk or indicator.source_kind != SourceKind.VOTES:
        raise ServiceValidationError({"indicator": "请选择本方案中的述职评议指标"})
    if held_on != today():
        raise ServiceValidationError({"held_on": "手机评议在评议会当天进行，评议日期应为今天"})
    if Sitting.objects.filter(scheme=scheme, closed_at__isnull=True).exists():
        raise ServiceValidationError("本方案已有进行中的手机评议，请先结束")
    targets = list(scheme.targets.order_by("organization__path"))
    if len(targets) > MAX_SITTING_TARGETS:
        raise ServiceValidationError(
            f"手机评议一次最多评{MAX_SITTING_TARGETS}个考核对象（本方案{len(targets)}个），"
            "请按纸质票计票后录入"
        )
    sitting = Sitting.objects.create(
        scheme=scheme, indicator=indicator, held_on=held_on, opened_by=actor.user
    )
    SittingCount.objects.bulk_create(
        SittingCount(sitting=sitting, target=t, choice=c) for t in targets for c in VOTE_CHOICES
    )
    record(
        actor,
        AuditAction.CREATE,
        sitting,
        changes={"indicator": [None, indicator.pk], "targets": [None, len(targets)]},
        message="开始手机述职评议",
        object_repr=f"{scheme.year}年{scheme.title}：{indicator.title}"[:200],
    )
    return sitting


@transaction.atomic
def cast(actor: Actor, sitting: Sitting, choices: Mapping[int, str]) -> None:
    """One ballot: a choice for every target of the sitting, all or nothing."""
    sitting = (
        Sitting.objects.select_for_update()
        .select_related("scheme__organization")
        .get(pk=sitting.pk)
    )
    if actor.user is None or not may_vote(actor.user, sitting):
        raise PermissionDenied("只有本单位党员可以参加评议")
    if sitting.closed_at is not None:
        raise ServiceValidationError("评议已结束")
    if SittingVoter.objects.filter(sitting=sitting, user=actor.user).exists():
        raise ServiceValidationError("您已投过票，每人只能投一次")
    targets = set(SittingCount.objects.filter(sitting=sitting).values_list("target_id", flat=True))
    if set(choices) != targets:
        raise ServiceValidationError({"ballot": f"请对全部{len(targets)}个考核对象作出评价"})
    if any(c not in VOTE_CHOICES for c in choices.values()):
        raise ServiceValidationError({"ballot": f"评价只能是{'、'.join(VOTE_CHOICES)}"})
    voter = SittingVoter.objects.create(sitting=sitting, user=actor.user)
    for target_id, choice in choices.items():
        SittingCount.objects.filter(sitting=sitting, target_id=target_id, choice=choice).update(
            n=F("n") + 1
        )
    record(actor, AuditAction.CREATE, voter, message="参加手机述职评议（不记录所投内容）")


@transaction.atomic
def close_sitting(actor: Actor, sitting: Sitting) -> int:
    """Write each target's tally from the counters; returns the number of voters."""
    sitting = (
        Sitting.objects.select_for_update()
        .select_related("scheme__organization", "indicator")
        .get(pk=sitting.pk)
    )
    require_manager(actor, sitting.scheme.organization)
    if sitting.closed_at is not None:
        raise ServiceValidationError("评议已结束")
    voters = sitting.voters.count()
    if voters == 0:
        raise ServiceValidationError("还没有人投票，不能结束评议")
    by_target: dict[int, dict[str, int]] = {}
    for target_id, choice, n in SittingCount.objects.filter(sitting=sitting).values_list(
        "target_id", "choice", "n"
    ):
        by_target.setdefault(target_id, {})[choice] = n
    for target in sitting.scheme.targets.filter(pk__in=list(by_target)).select_related(
        "organization"
    ):
        record_tally(
            actor,
            target,
            sitting.indicator,
            attendees=voters,
            counts=by_target[target.pk],
            held_on=sitting.held_on,
        )
    sitting.closed_at = timezone.now()
    sitting.save(update_fields=["closed_at"])
    record(
        actor,
        AuditAction.UPDATE,
        sitting,
        changes={"closed": [False, True], "voters": [None, voters]},
        message=f"结束手机述职评议（{voters}人投票）",
    )
    return voters
