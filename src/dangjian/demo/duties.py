"""Demo work items (synthetic): each department's 机关党委 has sent four items of its annual work
plan to its branches, in every state a user meets: done on time, done late, overdue (so 督办
and the escalation notices have something to show), waiting for acceptance, open with a
reminder due. Written directly (it is history), then `tick` delivers the notices."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor, record
from dangjian.core.jobs import tick
from dangjian.demo.organ import DEPARTMENTS
from dangjian.duties.models import (
    EventKind,
    Evidence,
    EvidenceKind,
    WorkEvent,
    WorkItem,
    WorkStatus,
)
from dangjian.duties.services import notify_received
from dangjian.meetings.models import Meeting, MeetingKind, MeetingStatus
from dangjian.orgs.models import Organization, OrgKind, PostKind
from dangjian.regulations.periods import TZ

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(10, 0), tzinfo=TZ)


def ensure_work_items(
    *, today: dt.date, seed: int = 20261125, out: Callable[[str], None] = print
) -> bool:
    if WorkItem.objects.exists():
        return False
    rng = random.Random(seed)
    with transaction.atomic():
        count = _build(today, rng)
        record(
            Actor.system("demo"),
            AuditAction.CREATE,
            object_type="duties.workitem",
            object_repr="演示数据",
            message=f"生成演示工作任务：{count} 项（合成数据）",
        )
    tick(now=timezone.now())
    out(f"已生成演示工作任务：{count} 项（含已完成、逾期、待验收和临近截止的任务）。")
    return True


def _plan(today: dt.date) -> list[dict]:
    year = today.year
    return [
        {
            "title": f"开展{year}年“七一”主题党日活动",
            "deadline": min(dt.date(year, 7, 10), today - dt.timedelta(days=30)),
            "evidence_kind": EvidenceKind.MEETING,
            "evidence_meeting_kind": MeetingKind.THEME_DAY,
            "responsible_post": PostKind.SECRETARY,
            "outcome": "done",
        },
        {
            "title": "报送党支部书记抓党建工作述职报告",
            "deadline": today - dt.timedelta(days=12),
            "evidence_kind": EvidenceKind.DOCUMENT,
            "responsible_post": PostKind.SECRETARY,
            "outcome": "mixed",
        },
        {
            "title": "组织党员完成年度集中学习培训",
            "deadline": today + dt.timedelta(days=3),
            "evidence_kind": EvidenceKind.FIGURE,
            "evidence_note": "参训人数",
            "responsible_post": PostKind.ORGANIZATION_OFFICER,
            "outcome": "open",
        },
        {
            "title": f"召开{year}年度组织生活会，开展民主评议党员",
            "deadline": max(dt.date(year, 12, 31), today + dt.timedelta(days=20)),
            "evidence_kind": EvidenceKind.MEETING,
            "evidence_meeting_kind": MeetingKind.ORG_LIFE_MEETING,
            "responsible_post": PostKind.SECRETARY,
            "outcome": "open",
        },
    ]


def _build(today: dt.date, rng: random.Random) -> int:
    count = 0
    # Only the demo organ's committees (the province-scale departments are left without items).
    committees = Organization.objects.filter(
        kind=OrgKind.ORGAN_COMMITTEE, code__in=[f"{prefix}-JGDW" for _, prefix, _ in DEPARTMENTS]
    ).order_by("path")
    for committee in committees:
        branches = list(
            Organization.objects.filter(
                path__startswith=committee.path, kind=OrgKind.BRANCH
            ).order_by("path")
        )
        for spec in _plan(today):
            count += 1 + _send(committee, branches, spec, today, rng)
    return count


def _send(committee: Organization, branches, spec: dict, today: dt.date, rng) -> int:
    """One item of the plan, sent to every branch; returns the number of branch items."""
    fields = {k: spec.get(k, "") for k in ("title", "evidence_note")}
    root = WorkItem.objects.create(
        organization=committee, plan_year=spec["deadline"].year, deadline=spec["deadline"], **fields
    )
    root.root = root
    WorkItem.objects.filter(pk=root.pk).update(root=root)
    WorkEvent.objects.create(item=root, kind=EventKind.SENT, note=f"下发给{len(branches)}个组织")
    pending: list[WorkItem] = []
    for index, branch in enumerate(branches):
        item = WorkItem.objects.create(
            organization=branch,
            parent=root,
            root=root,
            plan_year=spec["deadline"].year,
            deadline=spec["deadline"],
            responsible_post=spec["responsible_post"],
            evidence_kind=spec["evidence_kind"],
            evidence_meeting_kind=spec.get("evidence_meeting_kind", ""),
            **fields,
        )
        WorkEvent.objects.create(item=item, kind=EventKind.SENT, note=f"由{committee.name}下发")
        _play(item, spec, _state_for(spec["outcome"], index, len(branches)), today, rng)
        if item.status != WorkStatus.ACCEPTED:
            pending.append(item)
    notify_received(pending, committee)
    if not pending:
        last = max(WorkItem.objects.filter(parent=root).values_list("completed_on", flat=True))
        WorkItem.objects.filter(pk=root.pk).update(
            status=WorkStatus.ACCEPTED, progress=100, completed_on=last
        )
    return len(branches)


def _play(item: WorkItem, spec: dict, state: str, today: dt.date, rng) -> None:
    """Bring a branch's item to `state` (done, late, submitted, overdue or open), as history."""
    day = today
    if state == "done":
        day = spec["deadline"] - dt.timedelta(days=rng.randint(1, 10))
    elif state == "late":
        day = spec["deadline"] + dt.timedelta(days=rng.randint(2, 6))
    day = min(day, today)
    if state in ("done", "late", "submitted") and not _evidence(item, spec, day, rng):
        state = "open"
    if state == "done" or state == "late":
        item.status = WorkStatus.ACCEPTED
        item.progress = 100
        item.submitted_at = _at(day)
        item.completed_on = day
        WorkEvent.objects.create(item=item, kind=EventKind.SUBMITTED)
        WorkEvent.objects.create(item=item, kind=EventKind.ACCEPTED, note="材料齐全")
    elif state == "submitted":
        item.status = WorkStatus.SUBMITTED
        item.progress = 90
        item.submitted_at = _at(today)
        WorkEvent.objects.create(item=item, kind=EventKind.SUBMITTED)
    else:
        item.progress = rng.choice([0, 20, 50])
        if item.progress:
            WorkEvent.objects.create(
                item=item, kind=EventKind.PROGRESS, note="正在组织", progress=item.progress
            )
    item.save()


def _state_for(outcome: str, index: int, total: int) -> str:
    if outcome == "done":
        return "done"
    if outcome == "mixed":
        # The last branch is overdue, the one before it finished late, the rest on time.
        if index == total - 1:
            return "overdue"
        if index == total - 2:
            return "late"
        return "done"
    # Open items: the second branch has already submitted for acceptance.
    return "submitted" if index == 1 else "open"


def _evidence(item: WorkItem, spec: dict, by: dt.date, rng: random.Random) -> bool:
    """Evidence the branch had by `by` (the day it submitted); False when it had none."""
    kind = spec["evidence_kind"]
    if kind == EvidenceKind.MEETING:
        meeting = (
            Meeting.objects.filter(
                organization=item.organization,
                kind=spec["evidence_meeting_kind"],
                status=MeetingStatus.HELD,
                held_on__gte=dt.date(item.plan_year, 1, 1),
                held_on__lte=by,
            )
            .order_by("-held_on")
            .first()
        )
        if meeting is None:
            return False
        Evidence.objects.create(item=item, kind=kind, meeting=meeting)
    elif kind == EvidenceKind.DOCUMENT:
        evidence = Evidence(
            item=item,
            kind=kind,
            original_name=f"{item.organization.name}述职报告.pdf",
            content_type="application/pdf",
            size=len(PDF),
        )
        evidence.file.save(f"demo-{item.pk}.pdf", ContentFile(PDF), save=False)
        evidence.save()
    elif kind == EvidenceKind.FIGURE:
        Evidence.objects.create(item=item, kind=kind, figure=rng.randint(8, 20), note="参训人数")
    WorkEvent.objects.create(item=item, kind=EventKind.EVIDENCE, note="添加佐证材料")
    return True
