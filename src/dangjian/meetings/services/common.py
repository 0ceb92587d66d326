"""What the meetings' services share: reading a form's values, and the scope check."""

from __future__ import annotations

import datetime as dt
from typing import Any

from dangjian.accounts.access import require_write
from dangjian.audit.services import Actor
from dangjian.core import inputs
from dangjian.core.clock import today
from dangjian.core.errors import ServiceValidationError
from dangjian.meetings.models import (
    MeetingKind,
)
from dangjian.meetings.queries import (
    MEETING_ORG_KINDS,
)
from dangjian.members.access import visible_members
from dangjian.members.models import Member
from dangjian.orgs.models import Organization
from dangjian.regulations.periods import TZ

TEXT_LIMIT = 20_000
SERIES_MONTHS = 12


def _long(value: Any, field: str, label: str, errors: dict[str, str]) -> str:
    return inputs.long_text(value, field, label, TEXT_LIMIT, errors)


def _kind(value: Any, org: Organization, errors: dict[str, str]) -> str:
    raw = inputs.text(value)
    by_label = {label: code for code, label in MeetingKind.choices}
    kind = by_label.get(raw, raw)
    if not kind:
        errors["kind"] = "请选择会议类型"
    elif kind not in MeetingKind.values:
        errors["kind"] = f"会议类型不正确，可选：{'、'.join(MeetingKind.labels)}"
    elif kind not in MEETING_ORG_KINDS.get(org.kind, ()):
        errors["kind"] = f"{org.get_kind_display()}不能组织“{MeetingKind(kind).label}”"
    return kind


def _aware(value: Any, field: str, errors: dict[str, str]) -> dt.datetime | None:
    """A datetime in Asia/Shanghai; naive values are read as Asia/Shanghai wall-clock time."""
    if value in (None, ""):
        errors[field] = "请填写会议时间"
        return None
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            errors[field] = "会议时间格式不正确，应为 YYYY-MM-DD HH:MM"
            return None
    if not isinstance(value, dt.datetime):
        errors[field] = "会议时间格式不正确，应为 YYYY-MM-DD HH:MM"
        return None
    latest = inputs.years_after(today(), inputs.PLAN_YEARS_AHEAD)
    if not inputs.date_within(
        value, field, "会议时间", errors, earliest=inputs.EARLIEST_RECORD, latest=latest
    ):
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        value = value.replace(tzinfo=TZ)
    return value.replace(second=0, microsecond=0)


def _member(actor: Actor, value: Any, field: str, label: str, errors: dict[str, str]):
    """A member the actor may see, by id (or the Member itself); None when left empty."""
    if value in (None, ""):
        return None
    pk = value.pk if isinstance(value, Member) else value
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        errors[field] = f"{label}不正确"
        return None
    qs = visible_members(actor.user) if actor.user is not None else Member.objects.all()
    found = qs.filter(pk=pk).first()
    if found is None:
        errors[field] = f"{label}不存在或不在您的管理范围内"
    return found


def _check_org(actor: Actor, org: Organization) -> None:
    if org.kind not in MEETING_ORG_KINDS:
        raise ServiceValidationError(
            {"organization": "会议只能由党支部、党小组、机关党委或党组组织"}
        )
    require_write(actor, org)
