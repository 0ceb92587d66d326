"""Sending work down: a plan item of the sender's with one child per receiver, and a receiver
splitting its item further down. The receivers are told (`telling.notify_received`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from dangjian.accounts.access import require_write
from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor, diff, record, record_many
from dangjian.core import inputs
from dangjian.core.clock import today
from dangjian.core.errors import ServiceValidationError
from dangjian.duties.models import PENDING, EventKind, EvidenceKind, WorkEvent, WorkItem, WorkStatus
from dangjian.duties.services.common import pending_event, read_choice, read_date
from dangjian.duties.services.telling import notify_received
from dangjian.meetings.models import MeetingKind
from dangjian.orgs.history import dissolved_since, existing
from dangjian.orgs.models import Organization, OrgKind, PostKind
from dangjian.regulations import workdays
from dangjian.regulations.periods import cn_date

MAX_TARGETS = 10_000

# What a sender (or a splitting receiver) fills in for an item: pages and the API read these.
ITEM_FIELDS = (
    "title",
    "description",
    "deadline",
    "working_days",
    "responsible_post",
    "evidence_kind",
    "evidence_meeting_kind",
    "evidence_note",
    "plan_year",
)


@dataclass
class ItemData:
    title: str = ""
    description: str = ""
    deadline: dt.date | None = None
    responsible_post: str = ""
    evidence_kind: str = EvidenceKind.NONE
    evidence_meeting_kind: str = ""
    evidence_note: str = ""
    plan_year: int | None = None
    warnings: list[str] = field(default_factory=list)


def item_data(data: Mapping[str, Any], *, latest: dt.date | None = None) -> ItemData:
    errors: dict[str, str] = {}
    out = ItemData()
    out.title = inputs.short_text(data.get("title"), "title", "事项", 200, errors)
    if not out.title and "title" not in errors:
        errors["title"] = "请填写事项"
    out.description = inputs.long_text(data.get("description"), "description", "要求", 5000, errors)
    working_days = inputs.text(data.get("working_days"))
    if working_days and not data.get("deadline"):
        try:
            n = int(working_days)
            if not 1 <= n <= 250:
                raise ValueError
            out.deadline = workdays.add_workdays(today(), n)
        except ValueError:
            errors["working_days"] = "工作日数应为1到250之间的整数"
    else:
        out.deadline = read_date(data.get("deadline"), "deadline", "截止日期", errors)
    if out.deadline is not None and "deadline" not in errors:
        if out.deadline < today():
            errors["deadline"] = "截止日期不能早于今天"
        elif out.deadline > inputs.years_after(today(), inputs.PLAN_YEARS_AHEAD):
            inputs.date_within(
                out.deadline,
                "deadline",
                "截止日期",
                errors,
                earliest=today(),
                latest=inputs.years_after(today(), inputs.PLAN_YEARS_AHEAD),
            )
        elif latest is not None and out.deadline > latest:
            errors["deadline"] = f"截止日期不能晚于上级任务的截止日期（{latest:%Y-%m-%d}）"
        elif not workdays.is_workday(out.deadline):
            out.warnings.append(
                f"截止日期 {out.deadline:%Y年%-m月%-d日} 是{workdays.holiday_name(out.deadline)}，"
                "提醒将在此前的工作日发出"
            )
    out.responsible_post = read_choice(
        data.get("responsible_post"), PostKind, "responsible_post", "责任岗位", errors
    )
    out.evidence_kind = (
        read_choice(data.get("evidence_kind"), EvidenceKind, "evidence_kind", "完成佐证", errors)
        or EvidenceKind.NONE
    )
    out.evidence_meeting_kind = read_choice(
        data.get("evidence_meeting_kind"), MeetingKind, "evidence_meeting_kind", "会议类型", errors
    )
    if out.evidence_meeting_kind and out.evidence_kind != EvidenceKind.MEETING:
        out.evidence_meeting_kind = ""
    out.evidence_note = inputs.short_text(
        data.get("evidence_note"), "evidence_note", "佐证说明", 200, errors
    )
    year = inputs.text(data.get("plan_year"))
    if year:
        try:
            out.plan_year = int(year)
            if not 2000 <= out.plan_year <= 2100:
                raise ValueError
        except ValueError:
            errors["plan_year"] = "年度应为四位年份"
    elif out.deadline is not None:
        out.plan_year = out.deadline.year
    if errors:
        raise ServiceValidationError(errors)
    return out


def resolve_targets(
    actor: Actor, within: Organization, targets: Any, all_branches: bool
) -> list[Organization]:
    """Receivers strictly below `within`: the codes (or organizations) given, or every branch.
    A dissolved organization receives nothing: left out of "every branch", refused by name."""
    below = Organization.objects.filter(path__startswith=within.path, depth__gt=within.depth)
    if all_branches:
        found = list(below.filter(existing(), kind=OrgKind.BRANCH).order_by("path"))
        if not found:
            raise ServiceValidationError({"targets": f"{within.name}下没有党支部"})
        return found
    if isinstance(targets, str):
        targets = targets.replace("，", ",").replace("\n", ",").split(",")
    wanted: list[str] = []
    for t in targets or []:
        code = t.code if isinstance(t, Organization) else inputs.text(t).upper()
        if code and code not in wanted:
            wanted.append(code)
    if not wanted:
        raise ServiceValidationError({"targets": "请选择接收任务的组织"})
    if len(wanted) > MAX_TARGETS:
        raise ServiceValidationError({"targets": f"一次最多下发给{MAX_TARGETS}个组织"})
    by_code = {o.code: o for o in below.filter(code__in=wanted)}
    missing = [c for c in wanted if c not in by_code]
    if missing:
        raise ServiceValidationError(
            {"targets": f"以下组织不存在或不在{within.name}之下：{'、'.join(missing[:10])}"}
        )
    standing = set(below.filter(existing(), code__in=wanted).values_list("code", flat=True))
    gone = [by_code[c] for c in wanted if c not in standing]
    if gone:
        names = "、".join(
            f"{o.name}已于{cn_date(dissolved_since(o) or today())}撤销" for o in gone[:5]
        )
        raise ServiceValidationError({"targets": f"{names}，不能再接收任务"})
    return [by_code[c] for c in wanted]


def make_children(
    actor: Actor, parent: WorkItem, receivers: list[Organization], info: ItemData, kind: str
) -> list[WorkItem]:
    children = [
        WorkItem(
            organization=org,
            parent=parent,
            root_id=parent.root_id or parent.pk,
            title=info.title,
            description=info.description,
            plan_year=info.plan_year,
            deadline=info.deadline,
            responsible_post=info.responsible_post,
            evidence_kind=info.evidence_kind,
            evidence_meeting_kind=info.evidence_meeting_kind,
            evidence_note=info.evidence_note,
            created_by=actor.user,
        )
        for org in receivers
    ]
    WorkItem.objects.bulk_create(children)
    if any(c.pk is None for c in children):  # engines without RETURNING (MariaDB < 10.5)
        children = list(
            WorkItem.objects.filter(parent=parent, title=info.title).order_by("-pk")[
                : len(children)
            ]
        )[::-1]
    note = f"由{parent.organization.name}{'分解' if kind == EventKind.SPLIT else '下发'}"
    WorkEvent.objects.bulk_create(
        [WorkEvent(item=c, kind=kind, note=note, actor=actor.user) for c in children]
    )
    record_many(actor, [pending_event(c, AuditAction.CREATE) for c in children])
    notify_received(children, parent.organization)
    return children


@dataclass
class SendResult:
    item: WorkItem
    children: list[WorkItem]
    warnings: list[str]


@transaction.atomic
def send_down(
    actor: Actor,
    sender: Organization,
    data: Mapping[str, Any],
    *,
    targets: Any = None,
    all_branches: bool = False,
    within: Organization | None = None,
) -> SendResult:
    """A plan item of `sender`, sent to the chosen organizations or to every branch below.

    `within` (default: the sender) narrows "every branch" to one subtree of the sender's.
    """
    require_write(actor, sender, "您不能以该组织的名义下发任务")
    if sender.kind in (OrgKind.BRANCH, OrgKind.PARTY_GROUP):
        raise ServiceValidationError(
            {"organization": "党支部、党小组不能下发任务，可以分解收到的任务"}
        )
    info = item_data(data)
    area = within or sender
    if not area.path.startswith(sender.path):
        raise ServiceValidationError({"within": f"{area.name}不在{sender.name}之下"})
    receivers = resolve_targets(actor, area, targets, all_branches)
    if area.pk != sender.pk:
        receivers = [r for r in receivers if r.pk != sender.pk]
    root = WorkItem.objects.create(
        organization=sender,
        title=info.title,
        description=info.description,
        plan_year=info.plan_year,
        deadline=info.deadline,
        responsible_post="",
        evidence_kind=EvidenceKind.NONE,
        created_by=actor.user,
    )
    root.root = root
    root.save(update_fields=["root"])
    record(actor, AuditAction.CREATE, root, changes=diff(None, root.audit_fields()))
    WorkEvent.objects.create(
        item=root, kind=EventKind.SENT, note=f"下发给{len(receivers)}个组织", actor=actor.user
    )
    children = make_children(actor, root, receivers, info, EventKind.SENT)
    return SendResult(root, children, info.warnings)


@transaction.atomic
def split(
    actor: Actor,
    item: WorkItem,
    data: Mapping[str, Any],
    *,
    targets: Any = None,
    all_branches: bool = False,
) -> SendResult:
    """The receiver sends its item further down (党总支 → 党支部, 党支部 → 党小组)."""
    require_write(actor, item.organization)
    item = WorkItem.objects.select_for_update().select_related("organization").get(pk=item.pk)
    if item.status not in PENDING:
        raise ServiceValidationError({"status": f"任务{item.get_status_display()}，不能再分解"})
    merged = {
        "title": item.title,
        "description": item.description,
        "responsible_post": item.responsible_post,
        "evidence_kind": item.evidence_kind,
        "evidence_meeting_kind": item.evidence_meeting_kind,
        "evidence_note": item.evidence_note,
        "plan_year": item.plan_year,
        "deadline": item.deadline,
        **{k: v for k, v in data.items() if v not in (None, "")},
    }
    if inputs.text(data.get("working_days")) and not data.get("deadline"):
        merged.pop("deadline")
    if item.deadline < today():
        # Splitting an overdue item: its children need a deadline from today on, so the
        # parent's (past) one is neither the default nor the limit. The parent stays overdue.
        if not data.get("deadline") and not inputs.text(data.get("working_days")):
            raise ServiceValidationError({"deadline": "该任务已逾期，分解时请重新确定截止日期"})
        info = item_data(merged)
    else:
        info = item_data(merged, latest=item.deadline)
    receivers = resolve_targets(actor, item.organization, targets, all_branches)
    taken = set(
        item.children.exclude(status=WorkStatus.WITHDRAWN).values_list("organization_id", flat=True)
    )
    again = [r.name for r in receivers if r.pk in taken]
    if again:
        raise ServiceValidationError({"targets": f"已分解给：{'、'.join(again[:10])}"})
    children = make_children(actor, item, receivers, info, EventKind.SPLIT)
    WorkEvent.objects.create(
        item=item, kind=EventKind.SPLIT, note=f"分解给{len(children)}个组织", actor=actor.user
    )
    return SendResult(item, children, info.warnings)
