"""Every write of the responsibility system: sending work down, splitting, progress, evidence,
review, duty-list edits, the inbox, and `tick` (reminders, overdue, escalation, email).

Each function checks the actor's scope, validates everything first (one Chinese message per
field), then writes in one transaction with its audit events; a refused write leaves nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from dangjian.accounts.access import Action, scope_for
from dangjian.accounts.models import Role, RoleAssignment, User
from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor, PendingEvent, diff, jsonable, record, record_many
from dangjian.core import inputs
from dangjian.core.clock import today
from dangjian.core.errors import ServiceValidationError
from dangjian.duties.models import (
    PENDING,
    DutyItem,
    EventKind,
    Evidence,
    EvidenceKind,
    Notice,
    NoticeKind,
    Responsibility,
    WorkEvent,
    WorkItem,
    WorkStatus,
)
from dangjian.meetings.models import Meeting, MeetingKind, MeetingStatus
from dangjian.meetings.services import check_attachments
from dangjian.orgs.models import Organization, OrgKind, Post, PostKind
from dangjian.regulations import workdays
from dangjian.regulations.periods import local_date

# Roles whose holders act for an organization (receive its work, accept what it sent).
WRITER_ROLES = (Role.ORGAN_COMMITTEE, Role.BRANCH_SECRETARY, Role.BRANCH_COMMITTEE)
MAX_TARGETS = 10_000


def _date(value: Any, key: str, label: str, errors: dict[str, str]) -> dt.date | None:
    if value in (None, ""):
        errors[key] = f"请填写{label}"
        return None
    if isinstance(value, dt.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            return value.date()
        return local_date(value)
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(inputs.text(value))
    except ValueError:
        errors[key] = f"{label}格式不正确，应为 YYYY-MM-DD"
        return None


def _choice(value: Any, choices, key: str, label: str, errors: dict[str, str]) -> str:
    raw = inputs.text(value)
    if not raw:
        return ""
    by_label = {lab: code for code, lab in choices.choices}
    code = by_label.get(raw, raw)
    if code not in choices.values:
        errors[key] = f"{label}不正确，可选：{'、'.join(choices.labels)}"
    return code


# ---- who acts for an organization ----------------------------------------------------------


def _writers_of(org_ids: Iterable[int]) -> dict[int, set[int]]:
    """User ids holding a writer role bound to each organization (one query)."""
    out: dict[int, set[int]] = {}
    rows = RoleAssignment.objects.filter(
        organization_id__in=list(org_ids), role__in=WRITER_ROLES, user__is_active=True
    ).values_list("organization_id", "user_id")
    for org_id, user_id in rows:
        out.setdefault(org_id, set()).add(user_id)
    return out


def _post_holders(org_ids: Iterable[int], post_kinds: set[str]) -> dict[tuple[int, str], set[int]]:
    """User ids of the members holding each (organization, post) now and able to act there (a
    writer role covering it), so nobody is told about work they cannot open. Two queries."""
    out: dict[tuple[int, str], set[int]] = {}
    if not post_kinds:
        return out
    rows = list(
        Post.objects.filter(
            organization_id__in=list(org_ids),
            kind__in=post_kinds,
            ended_on__isnull=True,
            member__user__isnull=False,
            member__user__is_active=True,
        ).values_list("organization_id", "organization__path", "kind", "member__user__id")
    )
    if not rows:
        return out
    writes: dict[int, list[str]] = {}
    for user_id, path in RoleAssignment.objects.filter(
        user_id__in={r[3] for r in rows}, role__in=WRITER_ROLES, organization__isnull=False
    ).values_list("user_id", "organization__path"):
        writes.setdefault(user_id, []).append(path)
    for org_id, path, kind, user_id in rows:
        if any(path.startswith(p) for p in writes.get(user_id, ())):
            out.setdefault((org_id, kind), set()).add(user_id)
    return out


def responsible_for(pairs: Iterable[tuple[Organization, str]]) -> dict[tuple[int, str], set[int]]:
    """For each (organization, responsible post): who must act on work addressed there
    (constant queries for any number of pairs).

    The holder of the post (when one is named and the holder has an account that may act there)
    plus everyone with a writer role bound to the organization. An organization nobody acts for
    (a party group, a branch without accounts) falls back to its nearest ancestor that has one.
    """
    pairs = list(pairs)
    orgs = {org.pk: org for org, _ in pairs}
    ancestors: dict[int, list[str]] = {}
    paths: set[str] = set()
    for org in orgs.values():
        chain = [org.path[:i] for i in range(len(org.path), 0, -org.steplen)]
        ancestors[org.pk] = chain
        paths.update(chain)
    ids_by_path = dict(Organization.objects.filter(path__in=paths).values_list("path", "pk"))
    writers = _writers_of(ids_by_path.values())
    holders = _post_holders(list(orgs), {post for _, post in pairs if post})
    fallback: dict[int, set[int]] = {}
    for org in orgs.values():
        fallback[org.pk] = set()
        for path in ancestors[org.pk]:
            found = writers.get(ids_by_path.get(path), set())
            if found:
                fallback[org.pk] = found
                break
    return {
        (org.pk, post): fallback[org.pk] | holders.get((org.pk, post), set()) for org, post in pairs
    }


def responsible_users(
    orgs: Sequence[Organization], post_kinds: Mapping[int, str] | None = None
) -> dict[int, set[int]]:
    """`responsible_for` by organization, with at most one post per organization."""
    post_kinds = post_kinds or {}
    found = responsible_for([(o, post_kinds.get(o.pk, "")) for o in orgs])
    return {o.pk: found[(o.pk, post_kinds.get(o.pk, ""))] for o in orgs}


def receivers_of(items: Sequence[WorkItem]) -> dict[int, set[int]]:
    """Who must act on each item (by item id), each with its own responsible post."""
    found = responsible_for([(i.organization, i.responsible_post) for i in items])
    return {i.pk: found[(i.organization_id, i.responsible_post)] for i in items}


def supervisors_for(items: Sequence[WorkItem]) -> dict[int, set[int]]:
    """For each item (by id): the level above (who acts for the sending organization) and the
    纪检 roles covering the item's organization (督办). Three queries for any number of items."""
    senders = {i.parent.organization_id: i.parent.organization for i in items if i.parent_id}
    above = responsible_users(list(senders.values()))
    discipline = list(
        RoleAssignment.objects.filter(
            role=Role.DISCIPLINE, user__is_active=True, organization__isnull=False
        ).values_list("organization__path", "user_id")
    )
    out: dict[int, set[int]] = {}
    for item in items:
        users = set(above.get(item.parent.organization_id, set())) if item.parent_id else set()
        path = item.organization.path
        users |= {uid for covering, uid in discipline if path.startswith(covering)}
        out[item.pk] = users
    return out


def supervisors_of(item: WorkItem) -> set[int]:
    return supervisors_for([item])[item.pk]


# ---- the inbox -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Message:
    """One notice to deliver to several users; `key` makes it idempotent per user."""

    user_ids: frozenset[int]
    key: str
    kind: str
    item: WorkItem | None
    title: str
    body: str = ""
    link: str = ""


def notify_many(messages: Iterable[Message]) -> int:
    """Deliver the messages, skipping (user, key) pairs already delivered. Two queries per 500
    keys and one insert per 500 notices, whatever the number of messages."""
    messages = [m for m in messages if m.user_ids]
    if not messages:
        return 0
    keys = sorted({m.key[:100] for m in messages})
    existing: set[tuple[int, str]] = set()
    for start in range(0, len(keys), 500):
        existing |= set(
            Notice.objects.filter(key__in=keys[start : start + 500]).values_list(
                "recipient_id", "key"
            )
        )
    fresh = []
    for m in messages:
        for uid in sorted(m.user_ids):
            if (uid, m.key[:100]) in existing:
                continue
            existing.add((uid, m.key[:100]))
            fresh.append(
                Notice(
                    recipient_id=uid,
                    key=m.key[:100],
                    kind=m.kind,
                    item=m.item,
                    link=m.link[:200],
                    title=m.title[:200],
                    body=m.body[:500],
                )
            )
    Notice.objects.bulk_create(fresh, ignore_conflicts=True, batch_size=500)
    return len(fresh)


def notify(
    user_ids: Iterable[int],
    *,
    key: str,
    kind: str,
    item: WorkItem | None,
    title: str,
    body: str = "",
    link: str = "",
) -> int:
    """One notice per user for `key`; a key already delivered to a user is skipped."""
    return notify_many([Message(frozenset(user_ids), key, kind, item, title, body, link)])


def mark_read(user, notice_ids: Iterable[int] | None = None) -> int:
    qs = Notice.objects.filter(recipient=user, read_at__isnull=True)
    if notice_ids is not None:
        qs = qs.filter(pk__in=list(notice_ids))
    return qs.update(read_at=timezone.now())


# ---- sending work down ---------------------------------------------------------------------


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


def _item_data(data: Mapping[str, Any], *, latest: dt.date | None = None) -> ItemData:
    errors: dict[str, str] = {}
    out = ItemData()
    out.title = inputs.short_text(data.get("title"), "title", "事项", 200, errors)
    if not out.title and "title" not in errors:
        errors["title"] = "请填写事项"
    out.description = inputs.text(data.get("description")).replace("\r\n", "\n")
    if len(out.description) > 5000:
        errors["description"] = "要求不能超过5000个字"
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
        out.deadline = _date(data.get("deadline"), "deadline", "截止日期", errors)
    if out.deadline is not None and "deadline" not in errors:
        if out.deadline < today():
            errors["deadline"] = "截止日期不能早于今天"
        elif latest is not None and out.deadline > latest:
            errors["deadline"] = f"截止日期不能晚于上级任务的截止日期（{latest:%Y-%m-%d}）"
        elif not workdays.is_workday(out.deadline):
            out.warnings.append(
                f"截止日期 {out.deadline:%Y年%-m月%-d日} 是{workdays.holiday_name(out.deadline)}，"
                "提醒将在此前的工作日发出"
            )
    out.responsible_post = _choice(
        data.get("responsible_post"), PostKind, "responsible_post", "责任岗位", errors
    )
    out.evidence_kind = (
        _choice(data.get("evidence_kind"), EvidenceKind, "evidence_kind", "完成佐证", errors)
        or EvidenceKind.NONE
    )
    out.evidence_meeting_kind = _choice(
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


def _resolve_targets(
    actor: Actor, within: Organization, targets: Any, all_branches: bool
) -> list[Organization]:
    """Receivers strictly below `within`: the codes (or organizations) given, or every branch."""
    below = Organization.objects.filter(path__startswith=within.path, depth__gt=within.depth)
    if all_branches:
        found = list(below.filter(kind=OrgKind.BRANCH).order_by("path"))
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
    return [by_code[c] for c in wanted]


def _pending_for(
    item: WorkItem, action: str, before: dict | None = None, message: str = ""
) -> PendingEvent:
    """The audit event of one item in a batch (`record_many`): created, or changed from
    `before` (its `audit_fields()` ahead of the change)."""
    return PendingEvent(
        action=action,
        object_type=WorkItem._meta.label_lower,
        object_id=str(item.pk),
        object_repr=f"{item.organization.name}：{item.title}"[:200],
        changes=diff(before, item.audit_fields()),
        message=message[:500],
    )


def _make_children(
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
    record_many(actor, [_pending_for(c, AuditAction.CREATE) for c in children])
    notify_received(children, parent.organization)
    return children


def notify_received(items: Sequence[WorkItem], sender: Organization) -> None:
    """Tell the receivers of newly sent items (constant queries for any number of items)."""
    receivers = receivers_of(items)
    notify_many(
        Message(
            frozenset(receivers[item.pk]),
            f"received:{item.pk}",
            NoticeKind.RECEIVED,
            item,
            f"收到任务：{item.title}",
            f"{sender.name}下发，截止 {item.deadline:%Y-%m-%d}",
        )
        for item in items
    )


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
    inputs.require_write(actor, sender, "您不能以该组织的名义下发任务")
    if sender.kind in (OrgKind.BRANCH, OrgKind.PARTY_GROUP):
        raise ServiceValidationError(
            {"organization": "党支部、党小组不能下发任务，可以分解收到的任务"}
        )
    info = _item_data(data)
    area = within or sender
    if not area.path.startswith(sender.path):
        raise ServiceValidationError({"within": f"{area.name}不在{sender.name}之下"})
    receivers = _resolve_targets(actor, area, targets, all_branches)
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
    children = _make_children(actor, root, receivers, info, EventKind.SENT)
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
    inputs.require_write(actor, item.organization)
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
        info = _item_data(merged)
    else:
        info = _item_data(merged, latest=item.deadline)
    receivers = _resolve_targets(actor, item.organization, targets, all_branches)
    taken = set(
        item.children.exclude(status=WorkStatus.WITHDRAWN).values_list("organization_id", flat=True)
    )
    again = [r.name for r in receivers if r.pk in taken]
    if again:
        raise ServiceValidationError({"targets": f"已分解给：{'、'.join(again[:10])}"})
    children = _make_children(actor, item, receivers, info, EventKind.SPLIT)
    WorkEvent.objects.create(
        item=item, kind=EventKind.SPLIT, note=f"分解给{len(children)}个组织", actor=actor.user
    )
    return SendResult(item, children, info.warnings)


# ---- progress, evidence, submission --------------------------------------------------------


def _locked(item: WorkItem) -> WorkItem:
    """Lock the row, then read it with its organizations (PostgreSQL refuses FOR UPDATE on the
    nullable side of the parent join, and MariaDB has no FOR UPDATE OF)."""
    list(WorkItem.objects.select_for_update().filter(pk=item.pk).values_list("pk", flat=True))
    return WorkItem.objects.select_related("organization", "parent__organization").get(pk=item.pk)


def _require_pending(item: WorkItem) -> None:
    if item.status not in PENDING:
        raise ServiceValidationError({"status": f"任务{item.get_status_display()}，不能再修改进展"})


def _update(actor: Actor, item: WorkItem, before: dict, message: str) -> None:
    item.save()
    record(
        actor,
        AuditAction.UPDATE,
        item,
        changes=diff(before, item.audit_fields()),
        message=message[:500],
    )


@transaction.atomic
def report_progress(actor: Actor, item: WorkItem, progress: Any, note: Any = "") -> WorkItem:
    inputs.require_write(actor, item.organization)
    item = _locked(item)
    _require_pending(item)
    errors: dict[str, str] = {}
    try:
        value = int(inputs.text(progress) or item.progress)
        if not 0 <= value <= 100:
            raise ValueError
    except ValueError:
        errors["progress"] = "进度应为0到100之间的整数"
        value = item.progress
    text = inputs.short_text(note, "note", "进展说明", 500, errors)
    if not text and value == item.progress and "progress" not in errors:
        errors["note"] = "请填写进展说明或修改进度"
    if errors:
        raise ServiceValidationError(errors)
    before = item.audit_fields()
    item.progress = min(value, 99)  # 100% is reached by acceptance, not by a number
    WorkEvent.objects.create(
        item=item, kind=EventKind.PROGRESS, note=text, progress=item.progress, actor=actor.user
    )
    _update(actor, item, before, f"任务进展：{text}")
    return item


def earliest_evidence(item: WorkItem) -> dt.date:
    """A meeting shows this item's work if held in its plan year or after it was sent (an item
    sent in December for next January may be done in December)."""
    sent = local_date(item.created_at) if item.created_at else today()
    if item.plan_year:
        return min(dt.date(item.plan_year, 1, 1), sent)
    return sent


def linkable_meetings(item: WorkItem):
    """Held meetings of the item's organization and below that could show the work done."""
    qs = Meeting.objects.filter(
        organization__path__startswith=item.organization.path, status=MeetingStatus.HELD
    )
    if item.evidence_meeting_kind:
        qs = qs.filter(kind=item.evidence_meeting_kind)
    return (
        qs.filter(held_on__gte=earliest_evidence(item))
        .select_related("organization")
        .order_by("-held_on", "-pk")
    )


@transaction.atomic
def link_meeting(actor: Actor, item: WorkItem, meeting_id: Any, note: Any = "") -> Evidence:
    """Link a meeting record already in the platform: nothing is uploaded again."""
    inputs.require_write(actor, item.organization)
    item = _locked(item)
    _require_pending(item)
    errors: dict[str, str] = {}
    meeting = None
    with contextlib.suppress(ValueError):
        meeting = (
            Meeting.objects.select_related("organization")
            .filter(
                pk=int(inputs.text(meeting_id)),
                organization__path__startswith=item.organization.path,
            )
            .first()
        )
    if meeting is None:
        errors["meeting"] = "请选择本组织已召开的会议"
    elif meeting.status != MeetingStatus.HELD:
        errors["meeting"] = "只能关联已召开（已记录）的会议"
    elif item.evidence_meeting_kind and meeting.kind != item.evidence_meeting_kind:
        errors["meeting"] = f"该任务需要“{MeetingKind(item.evidence_meeting_kind).label}”的会议记录"
    elif meeting.held_on < earliest_evidence(item):
        errors["meeting"] = f"只能关联{earliest_evidence(item):%Y年%-m月%-d日}以后召开的会议"
    elif item.evidence.filter(meeting=meeting).exists():
        errors["meeting"] = "该会议记录已关联"
    text = inputs.short_text(note, "note", "说明", 500, errors)
    if errors:
        raise ServiceValidationError(errors)
    evidence = Evidence.objects.create(
        item=item, kind=EvidenceKind.MEETING, meeting=meeting, note=text, added_by=actor.user
    )
    record(actor, AuditAction.CREATE, evidence, changes=diff(None, evidence.audit_fields()))
    WorkEvent.objects.create(
        item=item,
        kind=EventKind.EVIDENCE,
        note=f"关联会议记录：{meeting.held_on:%Y-%m-%d} {meeting.get_kind_display()}“{meeting.topic}”",
        actor=actor.user,
    )
    return evidence


def add_document(actor: Actor, item: WorkItem, uploads: Sequence[Any], note: Any = "") -> int:
    """Files checked by content and size (the meeting attachments' rules)."""
    inputs.require_write(actor, item.organization)
    files = check_attachments(uploads)
    if not files:
        raise ServiceValidationError({"file": "请选择要上传的文件"})
    errors: dict[str, str] = {}
    text = inputs.short_text(note, "note", "说明", 500, errors)
    if errors:
        raise ServiceValidationError(errors)
    storage = Evidence._meta.get_field("file").storage
    stored: list[str] = []
    try:
        with transaction.atomic():
            locked = _locked(item)
            _require_pending(locked)
            for f in files:
                evidence = Evidence(
                    item=locked,
                    kind=EvidenceKind.DOCUMENT,
                    original_name=f.original_name,
                    content_type=f.content_type,
                    size=f.size,
                    note=text,
                    added_by=actor.user,
                )
                evidence.file.save(f"{uuid.uuid4().hex}{f.extension}", f.upload, save=False)
                stored.append(evidence.file.name)
                evidence.save()
                record(
                    actor, AuditAction.CREATE, evidence, changes=diff(None, evidence.audit_fields())
                )
                WorkEvent.objects.create(
                    item=locked,
                    kind=EventKind.EVIDENCE,
                    note=f"上传材料：{f.original_name}",
                    actor=actor.user,
                )
    except BaseException:
        for name in stored:
            storage.delete(name)
        raise
    return len(files)


@transaction.atomic
def add_figure(actor: Actor, item: WorkItem, figure: Any, note: Any = "") -> Evidence:
    inputs.require_write(actor, item.organization)
    item = _locked(item)
    _require_pending(item)
    errors: dict[str, str] = {}
    value = None
    try:
        value = Decimal(inputs.text(figure).replace(",", "").replace("，", ""))
        if not value.is_finite() or abs(value) >= Decimal("1e12"):
            raise InvalidOperation
        value = value.quantize(Decimal("0.01"))
        if abs(value) >= Decimal("1e12"):  # 999999999999.999 rounds past the column
            raise InvalidOperation
    except InvalidOperation:
        errors["figure"] = "请填写数字"
    text = inputs.short_text(note, "note", "说明", 500, errors)
    if not text and "note" not in errors:
        errors["note"] = "请说明这个数据是什么（如：参训人数）"
    if errors:
        raise ServiceValidationError(errors)
    evidence = Evidence.objects.create(
        item=item, kind=EvidenceKind.FIGURE, figure=value, note=text, added_by=actor.user
    )
    record(actor, AuditAction.CREATE, evidence, changes=diff(None, evidence.audit_fields()))
    WorkEvent.objects.create(
        item=item, kind=EventKind.EVIDENCE, note=f"填报数据：{text} {value}", actor=actor.user
    )
    return evidence


def missing_evidence(item: WorkItem) -> str:
    """Why the item cannot be submitted yet ('' when it can)."""
    children = list(
        item.children.exclude(status=WorkStatus.WITHDRAWN).values_list("status", flat=True)
    )
    if children and any(s != WorkStatus.ACCEPTED for s in children):
        done = sum(1 for s in children if s == WorkStatus.ACCEPTED)
        return f"分解的任务尚未全部完成（{done}/{len(children)}）"
    kinds = set(item.evidence.values_list("kind", flat=True))
    if item.evidence_kind == EvidenceKind.MEETING and EvidenceKind.MEETING not in kinds:
        label = (
            MeetingKind(item.evidence_meeting_kind).label if item.evidence_meeting_kind else "会议"
        )
        return f"请先关联“{label}”的会议记录"
    if item.evidence_kind == EvidenceKind.DOCUMENT and EvidenceKind.DOCUMENT not in kinds:
        return "请先上传文件材料"
    if item.evidence_kind == EvidenceKind.FIGURE and EvidenceKind.FIGURE not in kinds:
        return "请先填报数据"
    return ""


def _complete(actor: Actor, item: WorkItem, day: dt.date, message: str) -> None:
    before = item.audit_fields()
    item.status = WorkStatus.ACCEPTED
    item.progress = 100
    item.completed_on = day
    _update(actor, item, before, message)


def _finish_parent_plan(actor: Actor, item: WorkItem) -> None:
    """A plan item (the sender's own top item) is done when every item it sent is accepted."""
    parent = item.parent
    if parent is None or parent.parent_id is not None or parent.status == WorkStatus.ACCEPTED:
        return
    live = parent.children.exclude(status=WorkStatus.WITHDRAWN)
    if not live.exists() or live.exclude(status=WorkStatus.ACCEPTED).exists():
        return
    parent = _locked(parent)
    last = max(live.values_list("completed_on", flat=True))
    _complete(actor, parent, last, "下发的任务已全部验收，计划事项完成")
    WorkEvent.objects.create(
        item=parent, kind=EventKind.ACCEPTED, note="下发的任务已全部验收", actor=actor.user
    )


@transaction.atomic
def submit(actor: Actor, item: WorkItem, note: Any = "") -> WorkItem:
    """The receiver says it is done; the sender is asked to accept. A plan item completes."""
    inputs.require_write(actor, item.organization)
    item = _locked(item)
    _require_pending(item)
    errors: dict[str, str] = {}
    text = inputs.short_text(note, "note", "说明", 500, errors)
    why = missing_evidence(item)
    if why:
        errors["evidence"] = why
    if errors:
        raise ServiceValidationError(errors)
    now = timezone.now()
    if item.parent_id is None:
        item.submitted_at = now
        _complete(actor, item, local_date(now), f"完成任务{('：' + text) if text else ''}")
        WorkEvent.objects.create(item=item, kind=EventKind.ACCEPTED, note=text, actor=actor.user)
        return item
    before = item.audit_fields()
    item.status = WorkStatus.SUBMITTED
    item.submitted_at = now
    _update(actor, item, before, f"提交验收{('：' + text) if text else ''}")
    event = WorkEvent.objects.create(
        item=item, kind=EventKind.SUBMITTED, note=text, actor=actor.user
    )
    sender = item.parent.organization
    notify(
        responsible_users([sender]).get(sender.pk, set()),
        key=f"submitted:{item.pk}:{event.pk}",
        kind=NoticeKind.SUBMITTED,
        item=item,
        title=f"待验收：{item.organization.name}“{item.title}”",
        body=text,
    )
    return item


def _require_reviewer(actor: Actor, item: WorkItem) -> None:
    if item.parent_id is None:
        inputs.require_write(actor, item.organization, "只有下发任务的组织可以验收")
        raise ServiceValidationError({"status": "计划事项由下发的任务完成情况决定，无需验收"})
    inputs.require_write(actor, item.parent.organization, "只有下发任务的组织可以验收")


@transaction.atomic
def accept(actor: Actor, item: WorkItem, note: Any = "") -> WorkItem:
    item = _locked(item)
    _require_reviewer(actor, item)
    if item.status != WorkStatus.SUBMITTED:
        raise ServiceValidationError({"status": f"任务{item.get_status_display()}，不能验收"})
    errors: dict[str, str] = {}
    text = inputs.short_text(note, "note", "验收意见", 500, errors)
    if errors:
        raise ServiceValidationError(errors)
    # Done on the day it was submitted: the sender's reading time is not the receiver's delay.
    _complete(
        actor, item, local_date(item.submitted_at), f"验收通过{('：' + text) if text else ''}"
    )
    WorkEvent.objects.create(item=item, kind=EventKind.ACCEPTED, note=text, actor=actor.user)
    notify(
        responsible_users([item.organization], {item.organization_id: item.responsible_post}).get(
            item.organization_id, set()
        ),
        key=f"accepted:{item.pk}",
        kind=NoticeKind.ACCEPTED,
        item=item,
        title=f"已验收：{item.title}",
        body=text,
    )
    _finish_parent_plan(actor, item)
    return item


@transaction.atomic
def return_item(actor: Actor, item: WorkItem, reason: Any) -> WorkItem:
    item = _locked(item)
    _require_reviewer(actor, item)
    if item.status != WorkStatus.SUBMITTED:
        raise ServiceValidationError({"status": f"任务{item.get_status_display()}，不能退回"})
    errors: dict[str, str] = {}
    text = inputs.short_text(reason, "reason", "退回原因", 500, errors)
    if not text and "reason" not in errors:
        errors["reason"] = "请填写退回原因"
    if errors:
        raise ServiceValidationError(errors)
    before = item.audit_fields()
    item.status = WorkStatus.RETURNED
    item.submitted_at = None
    _update(actor, item, before, f"退回：{text}")
    event = WorkEvent.objects.create(
        item=item, kind=EventKind.RETURNED, note=text, actor=actor.user
    )
    notify(
        responsible_users([item.organization], {item.organization_id: item.responsible_post}).get(
            item.organization_id, set()
        ),
        key=f"returned:{item.pk}:{event.pk}",
        kind=NoticeKind.RETURNED,
        item=item,
        title=f"任务被退回：{item.title}",
        body=f"退回原因：{text}",
    )
    return item


@transaction.atomic
def withdraw(actor: Actor, item: WorkItem, reason: Any) -> int:
    """The sender takes back an item sent by mistake (or no longer needed), with everything
    split from it that is not done yet. Done work stays done. Returns the items withdrawn.

    A plan item is withdrawn by its own organization; a received item by the organization that
    sent it. The receivers are told, nothing is deleted, and the statistics stop counting it.
    """
    item = _locked(item)
    sender = item.parent.organization if item.parent_id else item.organization
    inputs.require_write(actor, sender, "只有下发任务的组织可以撤回")
    errors: dict[str, str] = {}
    text = inputs.short_text(reason, "reason", "撤回原因", 500, errors)
    if not text and "reason" not in errors:
        errors["reason"] = "请填写撤回原因"
    if item.status in (WorkStatus.ACCEPTED, WorkStatus.WITHDRAWN):
        errors["status"] = f"任务{item.get_status_display()}，不能撤回"
    if errors:
        raise ServiceValidationError(errors)
    tree = {
        i.pk: i
        for i in WorkItem.objects.filter(root_id=item.root_id or item.pk).select_related(
            "organization"
        )
    }
    below: dict[int | None, list[WorkItem]] = {}
    for i in tree.values():
        below.setdefault(i.parent_id, []).append(i)
    todo, stack = [], [item]
    while stack:
        node = stack.pop()
        if node.status not in (WorkStatus.ACCEPTED, WorkStatus.WITHDRAWN):
            todo.append(node)
        stack.extend(below.get(node.pk, []))
    ids = [i.pk for i in todo]
    list(WorkItem.objects.select_for_update().filter(pk__in=ids).values_list("pk", flat=True))
    pending = []
    for node in todo:
        before = node.audit_fields()
        node.status = WorkStatus.WITHDRAWN
        pending.append(_pending_for(node, AuditAction.UPDATE, before, f"撤回：{text}"))
    WorkItem.objects.filter(pk__in=ids).update(
        status=WorkStatus.WITHDRAWN, updated_at=timezone.now()
    )
    record_many(actor, pending)
    WorkEvent.objects.bulk_create(
        [
            WorkEvent(item=node, kind=EventKind.WITHDRAWN, note=text, actor=actor.user)
            for node in todo
        ]
    )
    received = [n for n in todo if n.parent_id]
    receivers = receivers_of(received)
    notify_many(
        Message(
            frozenset(receivers[n.pk]),
            f"withdrawn:{n.pk}",
            NoticeKind.WITHDRAWN,
            n,
            f"任务已撤回：{n.title}",
            f"撤回原因：{text}",
        )
        for n in received
    )
    if item.parent_id:
        _finish_parent_plan(actor, item)
    return len(todo)


# ---- duty lists ----------------------------------------------------------------------------

DUTY_OWNER_KINDS = (OrgKind.WORKING_COMMITTEE, OrgKind.LEADING_GROUP, OrgKind.ORGAN_COMMITTEE)


def _require_duty_editor(actor: Actor, owner: Organization) -> None:
    if owner.kind not in DUTY_OWNER_KINDS:
        raise PermissionDenied("责任清单由机关党委（或机关工委）制定")
    if actor.user is not None:
        scope = scope_for(actor.user)
        if Role.ORGAN_COMMITTEE not in scope.roles or not scope.covers(owner.path, Action.WRITE):
            raise PermissionDenied("只有机关党委可以修改责任清单")


@transaction.atomic
def save_duty(
    actor: Actor, owner: Organization, data: Mapping[str, Any], *, key: str = ""
) -> DutyItem:
    """Add a duty for `owner`'s subtree, or (with the key of a shipped or inherited duty) edit it
    there. The edit lives on `owner`; other subtrees keep theirs."""
    from dangjian.duties.queries import effective_duties

    _require_duty_editor(actor, owner)
    errors: dict[str, str] = {}
    base = None
    if key:
        base = next(
            (d for d in effective_duties(owner, include_retired=True) if d.key == key), None
        )
        if base is None:
            raise ServiceValidationError({"key": "该职责不存在"})
    org_kind = _choice(
        data.get("org_kind", base.org_kind if base else ""), OrgKind, "org_kind", "适用组织", errors
    )
    if not org_kind and "org_kind" not in errors:
        errors["org_kind"] = "请选择适用组织"
    post_kind = _choice(
        data.get("post_kind", base.post_kind if base else ""), PostKind, "post_kind", "职务", errors
    )
    if not post_kind and "post_kind" not in errors:
        errors["post_kind"] = "请选择职务"
    responsibility = _choice(
        data.get("responsibility", base.responsibility if base else ""),
        Responsibility,
        "responsibility",
        "责任类型",
        errors,
    )
    title = inputs.short_text(
        data.get("title", base.title if base else ""), "title", "职责", 200, errors
    )
    if not title and "title" not in errors:
        errors["title"] = "请填写职责"
    text = inputs.text(data.get("text", base.text if base else ""))
    if len(text) > 2000:
        errors["text"] = "内容不能超过2000个字"
    source = inputs.short_text(
        data.get("source", base.source if base else ""), "source", "依据", 200, errors
    )
    raw_kinds = data.get("meeting_kinds", base.meeting_kinds if base else [])
    if isinstance(raw_kinds, str):
        raw_kinds = [k for k in raw_kinds.replace("，", ",").split(",") if k.strip()]
    kinds = []
    for raw in raw_kinds or []:
        code = _choice(raw, MeetingKind, "meeting_kinds", "关联会议类型", errors)
        if code and code not in kinds:
            kinds.append(code)
    active = data.get("active", base.active if base else True)
    active = active not in (False, "0", "false", "off", "")
    if errors:
        raise ServiceValidationError(errors)
    existing = DutyItem.objects.filter(owner=owner, key=key).first() if key else None
    before = existing.audit_fields() if existing else None
    duty = existing or DutyItem(owner=owner, key=key or f"local-{uuid.uuid4().hex[:12]}")
    duty.org_kind = org_kind
    duty.post_kind = post_kind
    duty.responsibility = responsibility
    duty.title = title
    duty.text = text
    duty.source = source
    duty.meeting_kinds = kinds
    duty.order = base.order if base else 500
    duty.active = active
    duty.updated_by = actor.user
    duty.save()
    record(
        actor,
        AuditAction.UPDATE if existing else AuditAction.CREATE,
        duty,
        changes=diff(before, duty.audit_fields()),
        message=f"责任清单（{owner.name}）"[:500],
    )
    return duty


# ---- tick: reminders, overdue, escalation, email, retention --------------------------------


@dataclass
class TickResult:
    reminders: int = 0
    overdue_marked: int = 0
    escalations: int = 0
    emails: int = 0
    import_files_removed: int = 0
    series_meetings: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(jsonable(self.__dict__))


def reminder_due(deadline: dt.date, days: int) -> dt.date:
    """When the `days`-before reminder goes out: that day, or the working day before it."""
    return workdays.workday_on_or_before(deadline - dt.timedelta(days=days))


def _due_reminder(item: WorkItem, on: dt.date, days_list: Sequence[int]) -> int | None:
    """The reminder to send now: the nearest one already due (earlier ones are not repeated)."""
    due = [d for d in days_list if reminder_due(item.deadline, d) <= on]
    return min(due) if due else None


def tick(*, now: dt.datetime | None = None, out=None) -> TickResult:
    """Everything time-driven, safe to run as often as cron likes: running it twice sends
    nothing twice (every notice has a unique key per recipient, and marks are set once)."""
    now = now or timezone.now()
    on = local_date(now)
    result = TickResult()
    actor = Actor.system("tick")
    days_list = list(settings.DUTY_REMINDER_DAYS)
    pending = list(
        WorkItem.objects.filter(status__in=PENDING, parent__isnull=False)
        # Reminders move back over holidays (Spring Festival: up to 9 days), hence the margin.
        .filter(deadline__lte=on + dt.timedelta(days=max(days_list or [0]) + 15))
        .select_related("organization", "parent__organization")
        .order_by("pk")
    )
    upcoming = [i for i in pending if i.deadline >= on]
    # Items marked overdue earlier were told then (marks and notices share a transaction).
    late = [i for i in pending if i.deadline < on and i.overdue_since is None]
    if upcoming and days_list:
        receivers = receivers_of(upcoming)
        reminders = []
        for item in upcoming:
            days = _due_reminder(item, on, days_list)
            if days is None:
                continue
            left = (item.deadline - on).days
            reminders.append(
                Message(
                    frozenset(receivers[item.pk]),
                    f"reminder:{item.pk}:{days}",
                    NoticeKind.REMINDER,
                    item,
                    f"到期提醒：{item.title}",
                    f"截止 {item.deadline:%Y-%m-%d}，"
                    + ("今天到期" if left == 0 else f"还有 {left} 天"),
                )
            )
        result.reminders = notify_many(reminders)
    for start in range(0, len(late), TICK_BATCH):
        marked, escalations = _mark_overdue(actor, late[start : start + TICK_BATCH])
        result.overdue_marked += marked
        result.escalations += escalations
    result.series_meetings = _extend_series(on)
    if settings.EMAIL_ENABLED:
        result.emails = send_emails()
    result.import_files_removed = _remove_old_import_files(now)
    return result


# A fixed monthly plan (主题党日) is kept planned this far ahead; `tick` tops it up.
SERIES_HORIZON = dt.timedelta(days=62)


def _extend_series(on: dt.date) -> int:
    """Plan the next months of every active series whose last planned meeting is near (one
    query when nothing is due; `extend_series` skips months that already have a meeting)."""
    from django.db.models import Max

    from dangjian.meetings.models import MeetingSeries
    from dangjian.meetings.services import extend_series
    from dangjian.regulations.periods import TZ

    horizon = dt.datetime.combine(on + SERIES_HORIZON, dt.time.min, tzinfo=TZ)
    due = (
        MeetingSeries.objects.filter(active=True)
        .annotate(last=Max("meetings__starts_at"))
        .filter(Q(last__isnull=True) | Q(last__lt=horizon))
        .select_related("organization")
    )
    created = 0
    for series in due:
        made = extend_series(Actor.system("tick"), series, on=on)
        created += len(made)
        if made:
            notify(
                responsible_users([series.organization]).get(series.organization_id, set()),
                key=f"series:{series.pk}:{made[-1].pk}",
                kind=NoticeKind.SERIES,
                item=None,
                title=f"已续排{series.organization.name}{series.get_kind_display()}：{len(made)}次",
                body=f"每月{series.day_of_month}日，排至{local_date(made[-1].starts_at):%Y年%-m月}",
            )
    return created


# Overdue items are marked in batches: one transaction, one audit append, one notice insert.
TICK_BATCH = 500


@transaction.atomic
def _mark_overdue(actor: Actor, items: list[WorkItem]) -> tuple[int, int]:
    """Mark the items overdue (audited, in their timelines), tell their receivers, and send
    the 督办 notices to the level above and 纪检. Returns (marked, escalation notices)."""
    still = set(
        WorkItem.objects.select_for_update()
        .filter(pk__in=[i.pk for i in items], overdue_since__isnull=True, status__in=PENDING)
        .values_list("pk", flat=True)
    )
    marked = [i for i in items if i.pk in still]  # others: another tick was first
    if not marked:
        return 0, 0
    events = []
    by_day: dict[dt.date, list[int]] = {}
    for item in marked:
        before = item.audit_fields()
        item.overdue_since = item.deadline + dt.timedelta(days=1)
        by_day.setdefault(item.overdue_since, []).append(item.pk)
        events.append(_pending_for(item, AuditAction.UPDATE, before, "任务逾期"))
    now = timezone.now()
    for day, ids in by_day.items():
        WorkItem.objects.filter(pk__in=ids).update(overdue_since=day, updated_at=now)
    record_many(actor, events)
    WorkEvent.objects.bulk_create(
        [
            WorkEvent(item=i, kind=EventKind.OVERDUE, note=f"截止 {i.deadline:%Y-%m-%d} 未完成")
            for i in marked
        ]
    )
    receivers = receivers_of(marked)
    above = supervisors_for(marked)
    notify_many(
        Message(
            frozenset(receivers[i.pk]),
            f"overdue:{i.pk}",
            NoticeKind.OVERDUE,
            i,
            f"任务已逾期：{i.title}",
            f"截止 {i.deadline:%Y-%m-%d}",
        )
        for i in marked
    )
    escalations = notify_many(
        Message(
            frozenset(above[i.pk] - receivers[i.pk]),
            f"escalation:{i.pk}",
            NoticeKind.ESCALATION,
            i,
            f"督办：{i.organization.name}“{i.title}”已逾期",
            f"截止 {i.deadline:%Y-%m-%d}，{i.parent.organization.name}下发",
        )
        for i in marked
    )
    return len(marked), escalations


def send_emails(limit: int = 500) -> int:
    """Email each unsent notice to a recipient with an address; each is claimed once."""
    sent = 0
    notices = list(
        Notice.objects.filter(emailed_at__isnull=True, read_at__isnull=True)
        .exclude(recipient__email="")
        .select_related("recipient")
        .order_by("pk")[:limit]
    )
    for notice in notices:
        claimed = Notice.objects.filter(pk=notice.pk, emailed_at__isnull=True).update(
            emailed_at=timezone.now()
        )
        if not claimed:
            continue
        try:
            send_mail(
                f"【机关党建】{notice.title}",
                f"{notice.title}\n{notice.body}\n\n请登录机关党建工作管理平台查看。",
                None,
                [notice.recipient.email],
            )
            sent += 1
        except OSError:
            # The mail server is down: give the notice back, the next tick tries again.
            Notice.objects.filter(pk=notice.pk).update(emailed_at=None)
            break
    return sent


def _remove_old_import_files(now: dt.datetime) -> int:
    from dangjian.members.roster.jobs import remove_old_files

    return remove_old_files(now)


def users_by_id(ids: Iterable[int]) -> dict[int, User]:
    return User.objects.in_bulk(list(ids))
