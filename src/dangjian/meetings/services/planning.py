"""Planning: one meeting, its cancellation, and monthly series (topped up by a job)."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from dangjian.accounts.access import require_write
from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor, PendingEvent, diff, record, record_many
from dangjian.core import inputs
from dangjian.core.clock import today
from dangjian.core.errors import ServiceValidationError
from dangjian.meetings.models import (
    ExpectedAttendee,
    Meeting,
    MeetingKind,
    MeetingSeries,
    MeetingStatus,
)
from dangjian.meetings.queries import (
    default_attendees,
)
from dangjian.meetings.services.common import (
    SERIES_MONTHS,
    _aware,
    _check_org,
    _kind,
    _member,
)
from dangjian.members.access import visible_members
from dangjian.members.models import Member
from dangjian.orgs.history import dissolved_since, refuse_dissolved
from dangjian.orgs.models import Organization
from dangjian.regulations.dates import add_months
from dangjian.regulations.periods import TZ, cn_date, local_date

MAX_ATTENDEES = 10_000


def _attendees(
    actor: Actor, organization: Organization, kind: str, value: Any, errors: dict[str, str]
) -> list[int] | None:
    """The planner's list of expected attendees (member ids), or None for the default list.

    Each member must be one the actor may see (the organization's own members, or members
    invited from elsewhere in the actor's scope), or one the default list expects anyway. A list
    equal to the default is the default: nothing is stored, so the plan keeps following the
    organization (a member who joins before the day is expected).
    """
    if value is None:
        return None
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        errors["attendees"] = "应到人员应为党员编号的列表"
        return None
    ids: set[int] = set()
    bad: list[str] = []
    for item in value:
        pk = item.pk if isinstance(item, Member) else item
        if isinstance(pk, bool) or (isinstance(pk, float) and not pk.is_integer()):
            bad.append(str(pk))
            continue
        try:
            ids.add(int(pk))
        except (TypeError, ValueError):
            bad.append(str(pk))
    if bad:
        errors["attendees"] = f"应到人员的党员编号不正确：{'、'.join(bad[:10])}"
        return None
    if not ids:
        errors["attendees"] = "请至少选择一名应到人员"
        return None
    if len(ids) > MAX_ATTENDEES:
        errors["attendees"] = f"应到人员不能超过{MAX_ATTENDEES}人"
        return None
    if "kind" in errors:
        return None
    default = default_attendees(organization, kind)
    if actor.user is None:
        allowed = Member.objects.all()
    else:
        allowed = Member.objects.filter(
            Q(pk__in=default.values("pk")) | Q(pk__in=visible_members(actor.user).values("pk"))
        )
    found: set[int] = set()
    ordered = sorted(ids)
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        found.update(allowed.filter(pk__in=chunk).values_list("pk", flat=True))
    missing = [str(pk) for pk in ordered if pk not in found]
    if missing:
        more = f"等{len(missing)}人" if len(missing) > 10 else ""
        errors["attendees"] = (
            f"编号为 {'、'.join(missing[:10])}{more} 的党员不存在或不在您的管理范围内"
        )
        return None
    if ids == set(default.values_list("pk", flat=True)):
        return None
    return ordered


DUPLICATE_FIELD = "confirm_duplicate"


def _refuse_unconfirmed_duplicate(
    organization: Organization, kind: str, starts_at: dt.datetime
) -> None:
    """A second meeting of the same kind for the same organization on the same day (China time)
    is planned only when the planner confirms it (`confirm_duplicate`): usually a double click or
    a meeting planned twice by two people."""
    day = local_date(starts_at)
    opens = dt.datetime.combine(day, dt.time(0, 0), tzinfo=TZ)
    same = (
        Meeting.objects.filter(
            organization=organization,
            kind=kind,
            starts_at__gte=opens,
            starts_at__lt=opens + dt.timedelta(days=1),
        )
        .exclude(status=MeetingStatus.CANCELLED)
        .order_by("starts_at")
        .first()
    )
    if same is None:
        return
    local = same.starts_at.astimezone(TZ)
    raise ServiceValidationError(
        {
            DUPLICATE_FIELD: (
                f"{organization.name}在{cn_date(day)}已安排了{same.get_kind_display()}"
                f"（{local:%H:%M}，{same.topic}），确认要再安排一次吗？确认后请再次提交"
            )
        }
    )


@transaction.atomic
def plan_meeting(actor: Actor, organization: Organization, data: Mapping[str, Any]) -> Meeting:
    """A planned meeting: kind, starts_at, topic; optional place, host (member id), invited, and
    attendees (member ids: who is expected, when not the organization's default list).
    `confirm_duplicate` (True) is needed when a person (not the system) plans a meeting of a
    kind the organization already has on that day."""
    _check_org(actor, organization)
    errors: dict[str, str] = {}
    kind = _kind(data.get("kind"), organization, errors)
    starts_at = _aware(data.get("starts_at"), "starts_at", errors)
    topic = inputs.short_text(data.get("topic"), "topic", "会议主题", 200, errors)
    if not topic and "topic" not in errors:
        errors["topic"] = "请填写会议主题"
    place = inputs.short_text(data.get("place"), "place", "地点", 200, errors)
    invited = inputs.short_text(data.get("invited"), "invited", "列席、邀请人员", 500, errors)
    host = _member(actor, data.get("host"), "host", "主持人", errors)
    attendees = _attendees(actor, organization, kind, data.get("attendees"), errors)
    gone = dissolved_since(organization)
    if gone is not None and starts_at is not None and local_date(starts_at) >= gone:
        errors["starts_at"] = f"{organization.name}已于{cn_date(gone)}撤销，会议时间应早于撤销日期"
    if errors:
        raise ServiceValidationError(errors)
    assert kind is not None and starts_at is not None
    if actor.user is not None and data.get("confirm_duplicate") is not True:
        _refuse_unconfirmed_duplicate(organization, kind, starts_at)
    meeting = Meeting.objects.create(
        organization=organization,
        kind=kind,
        topic=topic,
        starts_at=starts_at,
        place=place,
        host=host,
        invited=invited,
        created_by=actor.user,
    )
    fields = meeting.audit_fields()
    message = ""
    if attendees is not None:
        ExpectedAttendee.objects.bulk_create(
            (ExpectedAttendee(meeting=meeting, member_id=pk) for pk in attendees), batch_size=500
        )
        fields["attendees"] = attendees
        message = f"应到人员按所选名单：{len(attendees)}人"
    record(actor, AuditAction.CREATE, meeting, changes=diff(None, fields), message=message)
    return meeting


@transaction.atomic
def cancel_meeting(actor: Actor, meeting: Meeting, reason: str = "") -> Meeting:
    require_write(actor, meeting.organization)
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if meeting.status != MeetingStatus.PLANNED:
        raise ServiceValidationError({"status": "只有计划中的会议可以取消"})
    before = meeting.audit_fields()
    meeting.status = MeetingStatus.CANCELLED
    meeting.save(update_fields=["status", "updated_at"])
    record(
        actor,
        AuditAction.UPDATE,
        meeting,
        changes=diff(before, meeting.audit_fields()),
        message=f"取消会议{('：' + reason.strip()) if reason.strip() else ''}"[:500],
    )
    return meeting


@transaction.atomic
def close_for_dissolution(
    sender, *, organization: Organization, on: dt.date, actor: Actor, **kwargs
) -> int:
    """An organization dissolved from `on` (orgs.signals.organization_dissolved): its meetings
    planned on or after that day are cancelled and its fixed plans stopped, each audited, so
    none turns into an overdue record nobody can keep. The dissolution was the 机关党委's
    decision, checked by the structure service; this is its consequence. Meetings held stay."""
    start = dt.datetime.combine(on, dt.time.min, tzinfo=TZ)
    meetings = list(
        Meeting.objects.select_for_update()
        .filter(organization=organization, status=MeetingStatus.PLANNED, starts_at__gte=start)
        .order_by("starts_at", "pk")
    )
    series = list(
        MeetingSeries.objects.select_for_update().filter(organization=organization, active=True)
    )
    events = []
    why = f"组织撤销（自{cn_date(on)}起）"
    for meeting in meetings:
        before = meeting.audit_fields()
        meeting.status = MeetingStatus.CANCELLED
        events.append(
            PendingEvent.of(
                AuditAction.UPDATE,
                meeting,
                diff(before, meeting.audit_fields()),
                f"取消会议：{why}",
            )
        )
    for plan in series:
        plan.active = False
        events.append(
            PendingEvent.of(
                AuditAction.UPDATE, plan, {"active": [True, False]}, f"停用固定计划：{why}"
            )
        )
    Meeting.objects.filter(pk__in=[m.pk for m in meetings]).update(
        status=MeetingStatus.CANCELLED, updated_at=timezone.now()
    )
    MeetingSeries.objects.filter(pk__in=[p.pk for p in series]).update(active=False)
    record_many(actor, events)
    return len(meetings)


def _series_date(year: int, month: int, day: int) -> dt.date:
    """The series' day in a month, or the month's last day when it is shorter (31 → 30 April)."""
    return dt.date(year, month, min(day, calendar.monthrange(year, month)[1]))


@transaction.atomic
def plan_series(
    actor: Actor,
    organization: Organization,
    data: Mapping[str, Any],
    *,
    on: dt.date | None = None,
) -> tuple[MeetingSeries, list[Meeting]]:
    """A fixed day each month (主题党日 by default), with its meetings for the next 12 months."""
    _check_org(actor, organization)
    refuse_dissolved(organization, "制定固定计划")
    errors: dict[str, str] = {}
    kind = _kind(data.get("kind") or MeetingKind.THEME_DAY, organization, errors)
    try:
        day = int(data.get("day_of_month") or 0)
    except (TypeError, ValueError):
        day = 0
    if not 1 <= day <= 31:
        errors["day_of_month"] = "每月几日应为1至31之间的整数"
    start_time = data.get("start_time")
    if isinstance(start_time, str) and start_time.strip():
        try:
            start_time = dt.time.fromisoformat(start_time.strip())
        except ValueError:
            start_time = None
            errors["start_time"] = "开始时间格式不正确，应为 HH:MM"
    if not isinstance(start_time, dt.time) and "start_time" not in errors:
        errors["start_time"] = "请填写开始时间"
    topic = inputs.short_text(data.get("topic"), "topic", "主题", 200, errors)
    place = inputs.short_text(data.get("place"), "place", "地点", 200, errors)
    if (
        not errors
        and MeetingSeries.objects.filter(organization=organization, kind=kind, active=True).exists()
    ):
        errors["kind"] = f"{organization.name}已有“{MeetingKind(kind).label}”的固定计划"
    if errors:
        raise ServiceValidationError(errors)
    series = MeetingSeries.objects.create(
        organization=organization,
        kind=kind,
        topic=topic,
        day_of_month=day,
        start_time=start_time.replace(second=0, microsecond=0),
        place=place,
    )
    record(
        actor,
        AuditAction.CREATE,
        series,
        changes=diff(
            None,
            {
                "organization": organization.pk,
                "kind": kind,
                "topic": topic,
                "day_of_month": day,
                "start_time": series.start_time.isoformat(),
                "place": place,
            },
        ),
    )
    return series, extend_series(actor, series, on=on)


@transaction.atomic
def extend_series(
    actor: Actor, series: MeetingSeries, *, on: dt.date | None = None
) -> list[Meeting]:
    """Plan the series' meetings for the next 12 months; months that already have one of the
    series' meetings (planned, held or cancelled) are left alone, so running it again is safe."""
    require_write(actor, series.organization)
    series = MeetingSeries.objects.select_for_update().get(pk=series.pk)
    if not series.active:
        raise ServiceValidationError({"series": "该固定计划已停用"})
    if dissolved_since(series.organization) is not None:
        return []  # a dissolved organization holds no more meetings (the tick asks every time)
    on = on or today()
    first = _series_date(on.year, on.month, series.day_of_month)
    start_month = dt.date(on.year, on.month, 1)
    if first < on:
        start_month = add_months(start_month, 1)
    months = [add_months(start_month, i) for i in range(SERIES_MONTHS)]
    taken = {
        (d.year, d.month)
        for d in (local_date(s) for s in series.meetings.values_list("starts_at", flat=True))
    }
    created: list[Meeting] = []
    label = MeetingKind(series.kind).label
    for month in months:
        if (month.year, month.month) in taken:
            continue
        day = _series_date(month.year, month.month, series.day_of_month)
        created.append(
            Meeting.objects.create(
                organization=series.organization,
                kind=series.kind,
                # A topic that only repeats the kind ("主题党日") would read "主题党日：主题党日".
                topic=(series.topic if series.topic not in ("", label) else "")
                or f"{month.year}年{month.month}月{label}",
                starts_at=dt.datetime.combine(day, series.start_time, tzinfo=TZ),
                place=series.place,
                series=series,
                created_by=actor.user,
            )
        )
    record_many(
        actor,
        [
            PendingEvent.of(
                AuditAction.CREATE,
                m,
                diff(None, m.audit_fields()),
                f"按固定计划生成（每月{series.day_of_month}日）",
            )
            for m in created
        ],
    )
    return created
