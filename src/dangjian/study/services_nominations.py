"""Trainings sent down for nominations (推荐参训, issue 13: "sends them down as work items when
branches must nominate people").

The 机关党委 planning a training gives a quota per branch and a last day; every branch of its
subtree receives a work item (through `duties`, so reminders, overdue marks and 督办 follow the
responsibility system's own rules). A branch's secretary or committee names its people on the
training's page, which is the work itself: the nomination submits the branch's item for the
planner's acceptance, with the count in its note (names stay on the training's page, which
checks who may see them). Entered once, where it happens.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.urls import reverse

from dangjian.accounts.access import Action, require_write, scope_for
from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor, PendingEvent, record_many
from dangjian.core import inputs
from dangjian.core.clock import today
from dangjian.core.errors import ServiceValidationError
from dangjian.duties.models import PENDING, WorkItem
from dangjian.duties.services import sending, work
from dangjian.members.models import Member
from dangjian.orgs.history import existing
from dangjian.orgs.models import Organization, OrgKind
from dangjian.study.training_models import Participant, Training

MAX_QUOTA = 50


def read_nomination(data: Mapping[str, Any], starts_on: dt.date | None, errors: dict[str, str]):
    """The optional quota and last day of a training's form: (quota, due) or (None, None)."""
    raw = inputs.text(data.get("nomination_quota"))
    if not raw:
        return None, None
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_QUOTA:
        errors["nomination_quota"] = f"各支部推荐名额应为1到{MAX_QUOTA}之间的整数"
        return None, None
    due = inputs.text(data.get("nominations_due"))
    try:
        day = dt.date.fromisoformat(due)
    except ValueError:
        errors["nominations_due"] = "请填写推荐截止日期（如2026-12-10）"
        return None, None
    if day < today():
        errors["nominations_due"] = "推荐截止日期不能早于今天"
    elif starts_on is not None and day >= starts_on:
        errors["nominations_due"] = "推荐截止日期应早于培训班开始日期"
    return int(raw), day


def send_for_nominations(actor: Actor, training: Training) -> int:
    """One work item per branch of the training's subtree (called inside `plan_training`'s
    transaction); returns how many branches were asked."""
    link = reverse("study_hours:training_detail", args=[training.pk])
    result = sending.send_down(
        actor,
        training.organization,
        {
            "title": f"推荐参训：{training.title}"[:200],
            "description": (
                f"请于{training.nominations_due:%Y-%m-%d}前推荐本支部参加“{training.title}”的人员，"
                f"每个支部不超过{training.nomination_quota}人"
                f"（培训{training.starts_on:%Y-%m-%d}至{training.ends_on:%Y-%m-%d}，"
                f"{training.hours}学时）。在培训班页面勾选推荐人员即完成本任务：{link}"
            ),
            "deadline": training.nominations_due.isoformat() if training.nominations_due else "",
        },
        all_branches=True,
    )
    training.nomination_item = result.item
    training.save(update_fields=["nomination_item"])
    return len(result.children)


def _ancestor_paths(paths: Iterable[str], steplen: int) -> set[str]:
    return {p[:i] for p in paths for i in range(steplen, len(p) + 1, steplen)}


def open_to_branches_q(write_paths: Iterable[str]) -> Q:
    """Trainings asking for nominations from a branch the user writes for (the branch's writers
    see the training's page to nominate)."""
    steplen = Organization.steplen
    ancestors = _ancestor_paths(write_paths, steplen)
    if not ancestors:
        return Q(pk__in=[])
    return Q(nomination_quota__isnull=False, organization__path__in=sorted(ancestors))


def nominating_branches(user, training: Training) -> list[Organization]:
    """The branches of the training's subtree for which `user` may nominate."""
    if training.nomination_quota is None:
        return []
    where = scope_for(user).org_q(Action.WRITE)
    return list(
        Organization.objects.filter(
            where, existing(), path__startswith=training.organization.path, kind=OrgKind.BRANCH
        ).order_by("path")
    )


@transaction.atomic
def nominate(
    actor: Actor, training: Training, branch: Organization, member_ids: Iterable[Any]
) -> int:
    """`branch` names some of its members; its work item goes to the planner for acceptance.
    Returns how many were added. All or nothing."""
    require_write(actor, branch, "您不能以该支部的名义推荐参训人员")
    training = Training.objects.select_for_update().get(pk=training.pk)
    if training.nomination_quota is None:
        raise ServiceValidationError({"training": "该培训班不需要支部推荐人员"})
    if branch.kind != OrgKind.BRANCH or not branch.path.startswith(training.organization.path):
        raise ServiceValidationError({"branch": "只有本培训班范围内的党支部可以推荐人员"})
    if training.nominations_due is not None and today() > training.nominations_due:
        raise ServiceValidationError(
            {"members": f"推荐已于{training.nominations_due:%Y-%m-%d}截止"}
        )
    try:
        ids = {int(v) for v in member_ids}
    except (TypeError, ValueError):
        raise ServiceValidationError({"members": "推荐人员无效"}) from None
    if not ids:
        raise ServiceValidationError({"members": "请勾选推荐参训的人员"})
    # Current members only: one who has left keeps their last branch on the record.
    found = set(
        Member.objects.current()
        .filter(pk__in=ids, organization=branch)
        .values_list("pk", flat=True)
    )
    if found != ids:
        raise ServiceValidationError({"members": "推荐人员应为本支部党员"})
    seated = set(training.participants.values_list("member_id", flat=True))
    fresh = sorted(ids - seated)
    if not fresh:
        raise ServiceValidationError({"members": "所选人员已在参训名单中"})
    from_branch = training.participants.filter(member__organization=branch).count()
    if from_branch + len(fresh) > training.nomination_quota:
        raise ServiceValidationError(
            {
                "members": f"每个支部不超过{training.nomination_quota}人，"
                f"本支部已有{from_branch}人，最多还可推荐"
                f"{max(training.nomination_quota - from_branch, 0)}人"
            }
        )
    if training.capacity is not None and len(seated) + len(fresh) > training.capacity:
        raise ServiceValidationError(
            {"members": f"培训班名额{training.capacity}人，还剩{training.capacity - len(seated)}人"}
        )
    # One row each (at most the quota): every engine gives back the ids the audit names.
    seats = [Participant.objects.create(training=training, member_id=pk) for pk in fresh]
    record_many(
        actor,
        [
            PendingEvent.of(
                AuditAction.CREATE,
                seat,
                {"training": [None, training.pk], "member": [None, seat.member_id]},
                "推荐参训人员",
                object_repr=f"{training.title}：{branch.name}推荐",
            )
            for seat in seats
        ],
    )
    root = training.nomination_item_id
    item = None
    if root is not None:
        item = (
            WorkItem.objects.filter(root_id=root, organization=branch, status__in=PENDING)
            .exclude(pk=root)
            .first()
        )
    if item is not None:
        work.submit(actor, item, note=f"已推荐{from_branch + len(fresh)}人参训")
    return len(fresh)
