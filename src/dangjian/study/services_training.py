"""Writes for study hours and training; each checks, writes and records its audit event in one
transaction, and bad input raises one ServiceValidationError with Chinese messages per field.

Certificates and evidence go through `_store_upload` / `_remove_upload` only (study/files.py
today, core/uploads.py once it lands)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from dangjian.accounts.access import can_write_into, require_write
from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor, diff, record
from dangjian.core import inputs
from dangjian.core.clock import today
from dangjian.core.errors import ServiceValidationError
from dangjian.members.models import Member
from dangjian.orgs.history import refuse_dissolved
from dangjian.orgs.models import COMMITTEE_POSTS, Organization, OrgKind, Post, PostKind
from dangjian.regulations import study as rules
from dangjian.regulations.dates import add_months
from dangjian.study import files, hours
from dangjian.study import services_nominations as nominations
from dangjian.study.models import (
    CadreTrainingPlan,
    ExpectedPost,
    ExternalStatus,
    ExternalTraining,
    MeetingStudyHours,
    Participant,
    Training,
    TrainingKind,
)

PLANNING_KINDS = (OrgKind.ORGAN_COMMITTEE, OrgKind.WORKING_COMMITTEE)
MAX_NAMED = 500
# A secretary counts as new (新任) for this long after taking office when no pack sets the
# induction time limit.
NEW_SECRETARY_MONTHS = 12
POST_OF: dict[str, tuple[str, ...]] = {
    ExpectedPost.SECRETARY: (PostKind.SECRETARY,),
    ExpectedPost.NEW_SECRETARY: (PostKind.SECRETARY,),
    ExpectedPost.ORGANIZATION_OFFICER: (PostKind.ORGANIZATION_OFFICER,),
    ExpectedPost.PUBLICITY_OFFICER: (PostKind.PUBLICITY_OFFICER,),
    ExpectedPost.DISCIPLINE_OFFICER: (PostKind.DISCIPLINE_OFFICER,),
    ExpectedPost.COMMITTEE: tuple(COMMITTEE_POSTS),
}


# ---- uploads (the one place that touches the file store) -----------------------------------


def _store_upload(upload, field: str) -> tuple[str, str, str]:
    """Check and store an upload (PDF, DOCX or text). The caller writes its rows after this
    and calls `_remove_upload_now` if that fails, so a failed write leaves no file."""
    if upload is None:
        raise ServiceValidationError({field: "请上传证明材料（PDF、Word 或文本文件）"})
    try:
        checked = files.check(upload, getattr(upload, "name", ""), getattr(upload, "size", None))
    except ServiceValidationError as exc:
        message = next(iter(exc.errors.values()), "文件无法接收")
        raise ServiceValidationError({field: message}) from exc
    return files.store(checked), checked.original_name, checked.content_type


def _remove_upload_now(name: str) -> None:
    files.remove(name)


def _remove_upload(name: str) -> None:
    transaction.on_commit(lambda: files.remove(name))


def file_response(name: str, content_type: str, original: str):
    return files.response(name, content_type, original)


# ---- parsing --------------------------------------------------------------------------------


def _date(value: Any, field: str, label: str, errors: dict[str, str]) -> dt.date | None:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        day = value
    else:
        try:
            day = dt.date.fromisoformat(inputs.text(value))
        except ValueError:
            errors[field] = f"请填写{label}（格式如 2026-05-01）"
            return None
    latest = inputs.years_after(today(), inputs.PLAN_YEARS_AHEAD)
    ok = inputs.date_within(
        day, field, label, errors, earliest=inputs.EARLIEST_RECORD, latest=latest
    )
    return day if ok else None


def _hours(value: Any, errors: dict[str, str], field: str = "hours") -> Decimal | None:
    try:
        hours = Decimal(inputs.text(value))
    except InvalidOperation:
        errors[field] = "学时应为数字"
        return None
    if not hours.is_finite() or hours <= 0 or hours > 500 or (hours * 2) % 1:
        errors[field] = "学时应在0.5到500之间，且为0.5的整数倍"
        return None
    return hours


def _period(data: Mapping[str, Any], errors: dict[str, str]) -> tuple:
    starts = _date(data.get("starts_on"), "starts_on", "开始日期", errors)
    ends = _date(data.get("ends_on"), "ends_on", "结束日期", errors)
    if starts and ends and ends < starts:
        errors["ends_on"] = "结束日期不能早于开始日期"
    return starts, ends


# ---- a meeting's own hours ------------------------------------------------------------------


@transaction.atomic
def set_meeting_hours(actor: Actor, meeting, ends_at: dt.datetime | None) -> Decimal | None:
    """Record the meeting's end: its study hours then come from its start and end instead of
    the pack's default for its kind. None goes back to the default."""
    require_write(actor, meeting.organization, "您不能修改该会议")
    current = MeetingStudyHours.objects.filter(meeting=meeting).first()
    before = str(current.hours) if current else None
    if ends_at is None:
        if current:
            current.delete()
    else:
        try:
            hours = rules.hours_between(meeting.starts_at, ends_at)
        except ValueError as exc:
            raise ServiceValidationError({"ends_at": str(exc)}) from exc
        if hours <= 0:
            raise ServiceValidationError({"ends_at": "学习时间不足半小时"})
        MeetingStudyHours.objects.update_or_create(
            meeting=meeting, defaults={"ends_at": ends_at, "hours": hours, "set_by": actor.user}
        )
    after = None if ends_at is None else str(hours)
    if before != after:
        record(
            actor,
            AuditAction.UPDATE,
            object_type="meetings.meeting",
            object_id=str(meeting.pk),
            object_repr=str(meeting)[:200],
            changes={"study_hours": [before, after]},
            message="会议学时",
        )
    return None if ends_at is None else hours


# ---- trainings ------------------------------------------------------------------------------


def _training_fields(data: Mapping[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "title": inputs.short_text(data.get("title"), "title", "培训班名称", 200, errors),
        "organizer": inputs.short_text(data.get("organizer"), "organizer", "主办单位", 100, errors),
        "place": inputs.short_text(data.get("place"), "place", "地点", 200, errors),
    }
    for key, label in (("title", "培训班名称"), ("organizer", "主办单位")):
        if not out[key] and key not in errors:
            errors[key] = f"请填写{label}"
    kind = inputs.text(data.get("kind"))
    if kind not in TrainingKind.values:
        errors["kind"] = "请选择培训类别"
    out["kind"] = kind
    out["starts_on"], out["ends_on"] = _period(data, errors)
    out["hours"] = _hours(data.get("hours"), errors)
    capacity = inputs.text(data.get("capacity"))
    out["capacity"] = None
    if capacity:
        if not capacity.isdigit() or not 1 <= int(capacity) <= 10000:
            errors["capacity"] = "名额应为1到10000之间的整数"
        else:
            out["capacity"] = int(capacity)
    post = inputs.text(data.get("expected_post"))
    if post not in ExpectedPost.values:
        errors["expected_post"] = "参训对象的职务无效"
    out["expected_post"] = post
    return out


def _members_by_post(org: Organization, post: str, on: dt.date) -> set[int]:
    if not post:
        return set()
    posts = Post.objects.filter(
        organization__path__startswith=org.path, kind__in=POST_OF[post], started_on__lte=on
    ).filter(Q(ended_on__isnull=True) | Q(ended_on__gte=on))
    if post == ExpectedPost.NEW_SECRETARY:
        months = rules_in_force_months()
        since = _months_before(on, months)
        inducted = Participant.objects.filter(
            completed=True,
            training__kind=TrainingKind.INDUCTION,
            training__completed_at__isnull=False,
        ).values("member_id")
        posts = posts.filter(started_on__gte=since).exclude(member_id__in=inducted)
    return set(posts.values_list("member_id", flat=True))


def _months_before(day: dt.date, months: int) -> dt.date:
    return add_months(day, -months)


def rules_in_force_months() -> int:
    """How long a secretary counts as new: the local induction time limit, or 12 months."""
    return hours.params().induction_within_months or NEW_SECRETARY_MONTHS


def _named(org: Organization, value: Any, errors: dict[str, str]) -> set[int]:
    raw = value if isinstance(value, list | tuple) else inputs.text(value).replace(",", " ").split()
    try:
        ids = {int(v) for v in raw}
    except (TypeError, ValueError):
        errors["members"] = "参训人员无效"
        return set()
    if len(ids) > MAX_NAMED:
        errors["members"] = f"按姓名指定的人员不能超过{MAX_NAMED}人"
        return set()
    found = set(
        Member.objects.filter(pk__in=ids, organization__path__startswith=org.path).values_list(
            "pk", flat=True
        )
    )
    if found != ids:
        errors["members"] = "参训人员应为本组织范围内的党员"
    return found


@transaction.atomic
def plan_training(actor: Actor, org: Organization, data: Mapping[str, Any]) -> Training:
    """A 机关党委 or the 机关工委 plans a training; the expected people are resolved now, by
    post in its subtree (on the start date) and by name."""
    require_write(actor, org, "您不能为该组织安排培训")
    refuse_dissolved(org, "安排培训")
    if org.kind not in PLANNING_KINDS:
        raise ServiceValidationError({"organization": "培训班由机关党委或机关工委组织"})
    errors: dict[str, str] = {}
    fields = _training_fields(data, errors)
    named = _named(org, data.get("members"), errors)
    quota, due = nominations.read_nomination(data, fields["starts_on"], errors)
    if errors:
        raise ServiceValidationError(errors)
    expected = named | _members_by_post(org, fields["expected_post"], fields["starts_on"])
    if not expected and quota is None:
        raise ServiceValidationError(
            {"members": "没有符合条件的参训人员（或填写各支部推荐名额，由支部推荐）"}
        )
    if fields["capacity"] is not None and len(expected) > fields["capacity"]:
        raise ServiceValidationError(
            {"capacity": f"参训人员{len(expected)}人，超过名额{fields['capacity']}人"}
        )
    training = Training.objects.create(
        organization=org,
        created_by=actor.user,
        nomination_quota=quota,
        nominations_due=due,
        **fields,
    )
    Participant.objects.bulk_create(
        Participant(training=training, member_id=pk) for pk in sorted(expected)
    )
    changes = {k: [None, v] for k, v in training.audit_fields().items()}
    changes["participants"] = [None, len(expected)]
    record(actor, AuditAction.CREATE, training, changes=changes, message="安排培训班")
    if quota is not None:
        nominations.send_for_nominations(actor, training)
    return training


@transaction.atomic
def record_completion(
    actor: Actor, training: Training, not_completed: Mapping[int, str]
) -> Training:
    """Completion by exception: everyone completed except those listed (member id → reason)."""
    require_write(actor, training.organization, "您不能登记该培训班的结业情况")
    if training.ends_on > today():
        raise ServiceValidationError({"training": "培训班尚未结束，不能登记结业"})
    errors: dict[str, str] = {}
    seats = {p.member_id: p for p in training.participants.select_for_update()}
    for member_id, note in not_completed.items():
        if member_id not in seats:
            errors["not_completed"] = "未结业人员应为本培训班的参训人员"
        inputs.short_text(note, "not_completed", "未结业原因", 200, errors)
    if errors:
        raise ServiceValidationError(errors)
    changed = []
    for member_id, seat in seats.items():
        completed = member_id not in not_completed
        note = inputs.text(not_completed.get(member_id, ""))
        if seat.completed != completed or seat.note != note:
            seat.completed, seat.note = completed, note
            changed.append(seat)
    Participant.objects.bulk_update(changed, ["completed", "note"])
    before = training.completed_at
    training.completed_at = timezone.now()
    training.save(update_fields=["completed_at"])
    record(
        actor,
        AuditAction.UPDATE,
        training,
        changes={
            "completed": [before is not None, True],
            "not_completed": [None, sorted(not_completed)],
        },
        message="登记培训班结业",
    )
    return training


@transaction.atomic
def attach_certificate(actor: Actor, seat: Participant, upload) -> Participant:
    require_write(actor, seat.training.organization, "您不能上传该培训班的结业证书")
    name, original, content_type = _store_upload(upload, "certificate")
    old = seat.certificate
    seat.certificate, seat.certificate_name, seat.certificate_type = name, original, content_type
    try:
        with transaction.atomic():
            seat.save(update_fields=["certificate", "certificate_name", "certificate_type"])
    except Exception:
        _remove_upload_now(name)
        raise
    if old:
        _remove_upload(old)
    record(
        actor,
        AuditAction.UPDATE,
        seat.training,
        changes={"certificate": [seat.member_id, bool(old)]},
        message="上传结业证书",
    )
    return seat


# ---- external trainings ---------------------------------------------------------------------


def _may_record_for(actor: Actor, member: Member) -> None:
    if actor.user is None:
        return
    if getattr(actor.user, "member_id", None) == member.pk:
        return
    if not can_write_into(actor.user, member.organization):
        raise PermissionDenied("只能为本人或本支部党员登记外部培训")


@transaction.atomic
def record_external(
    actor: Actor, member: Member, data: Mapping[str, Any], upload
) -> ExternalTraining:
    """A training outside the platform, with evidence; its hours count once approved."""
    _may_record_for(actor, member)
    errors: dict[str, str] = {}
    title = inputs.short_text(data.get("title"), "title", "培训名称", 200, errors)
    provider = inputs.short_text(data.get("provider"), "provider", "举办机构", 100, errors)
    if not title and "title" not in errors:
        errors["title"] = "请填写培训名称"
    if not provider and "provider" not in errors:
        errors["provider"] = "请填写举办机构"
    starts, ends = _period(data, errors)
    if ends and ends > today():
        errors["ends_on"] = "培训结束后才能登记"
    hours = _hours(data.get("hours"), errors)
    if errors:
        raise ServiceValidationError(errors)
    name, original, content_type = _store_upload(upload, "evidence")
    try:
        with transaction.atomic():
            ext = _create_external(
                actor,
                member,
                data,
                title,
                provider,
                starts,
                ends,
                hours,
                (name, original, content_type),
            )
    except Exception:
        _remove_upload_now(name)
        raise
    return ext


def _create_external(actor, member, data, title, provider, starts, ends, hours, stored):
    name, original, content_type = stored
    ext = ExternalTraining.objects.create(
        member=member,
        title=title,
        provider=provider,
        concentrated=inputs.text(data.get("concentrated")).lower() in {"1", "true", "on", "yes"},
        starts_on=starts,
        ends_on=ends,
        hours=hours,
        evidence=name,
        evidence_name=original,
        evidence_type=content_type,
        recorded_by=actor.user,
    )
    changes = {k: [None, v] for k, v in ext.audit_fields().items()}
    record(actor, AuditAction.CREATE, ext, changes=changes, message="登记外部培训")
    return ext


@transaction.atomic
def decide_external(actor: Actor, ext: ExternalTraining, approve: bool, note: Any = "") -> None:
    """The branch approves (hours count) or declines an external training."""
    require_write(actor, ext.member.organization, "只有党员所在支部可以审核外部培训")
    if ext.status != ExternalStatus.PENDING:
        raise ServiceValidationError({"status": "该外部培训已审核"})
    errors: dict[str, str] = {}
    text = inputs.short_text(note, "note", "审核意见", 200, errors)
    if not approve and not text and "note" not in errors:
        errors["note"] = "不予认定时请填写理由"
    if errors:
        raise ServiceValidationError(errors)
    before = ext.audit_fields()
    ext.status = ExternalStatus.APPROVED if approve else ExternalStatus.REJECTED
    ext.decision_note, ext.decided_by, ext.decided_at = text, actor.user, timezone.now()
    ext.save(update_fields=["status", "decision_note", "decided_by", "decided_at"])
    record(
        actor,
        AuditAction.UPDATE,
        ext,
        changes=diff(before, ext.audit_fields()),
        message="认定外部培训" if approve else "不予认定外部培训",
    )


# ---- the yearly cadre training plan ---------------------------------------------------------


@transaction.atomic
def save_plan(
    actor: Actor, org: Organization, year: int, data: Mapping[str, Any]
) -> CadreTrainingPlan:
    require_write(actor, org, "您不能修改该组织的培训规划")
    if org.kind not in PLANNING_KINDS:
        raise ServiceValidationError({"organization": "党务干部培训规划由机关党委或机关工委制定"})
    errors: dict[str, str] = {}
    if not 2000 <= year <= today().year + inputs.PLAN_YEARS_AHEAD:
        errors["year"] = "年度无效"
    fields = {
        key: inputs.long_text(data.get(key), key, label, 4000, errors)
        for key, label in (
            ("secretaries", "支部书记培训安排"),
            ("committee_members", "支委培训安排"),
            ("staff", "专职党务干部培训安排"),
        )
    }
    if errors:
        raise ServiceValidationError(errors)
    plan = CadreTrainingPlan.objects.filter(organization=org, year=year).first()
    if plan is None:
        plan = CadreTrainingPlan.objects.create(
            organization=org, year=year, updated_by=actor.user, **fields
        )
        changes = {k: [None, v] for k, v in plan.audit_fields().items()}
        record(actor, AuditAction.CREATE, plan, changes=changes, message="制定党务干部培训规划")
        return plan
    before = plan.audit_fields()
    for key, value in fields.items():
        setattr(plan, key, value)
    plan.updated_by = actor.user
    plan.save()
    changes = diff(before, plan.audit_fields())
    if changes:
        record(actor, AuditAction.UPDATE, plan, changes=changes, message="修改党务干部培训规划")
    return plan
