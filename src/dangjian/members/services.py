"""Every write to members: validation, one transaction, one audit event."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from dangjian.accounts.access import Action, can_write_into, member_allows, scope_for
from dangjian.audit.models import AuditAction, AuditEvent
from dangjian.audit.services import Actor, diff, record
from dangjian.core import clock, inputs
from dangjian.core.errors import ServiceValidationError
from dangjian.core.pinyin import pinyin_keys
from dangjian.crypto import KeyRing, default_keyring
from dangjian.members import spells
from dangjian.members.access import visible_members
from dangjian.members.models import (
    DatePrecision,
    Education,
    Gender,
    Member,
    MemberCategory,
    MembershipSpell,
    MemberStatus,
    SpellEvent,
)
from dangjian.orgs import history as org_history
from dangjian.orgs.models import Organization, OrgKind
from dangjian.regulations.identity import (
    IdentityError,
    mask_id_number,
    normalize_employee_number,
    normalize_phone,
    parse_id_number,
)
from dangjian.regulations.membership import (
    MembershipError,
    check_admission,
    check_confirmation,
    probation_end,
)

FIELD_LABELS = {
    "name": "姓名",
    "id_number": "身份证号",
    "phone": "手机号",
    "organization": "所在支部",
    "party_group": "党小组",
    "status": "党员状态",
    "category": "人员类别",
    "admitted_on": "入党时间",
    "confirmed_on": "转正时间",
    "ethnicity": "民族",
    "education": "学历",
    "job_title": "工作岗位",
    "employee_number": "工号",
}


def _as_date(value: Any, field: str, errors: dict[str, str]) -> tuple[dt.date | None, str]:
    """A date and its precision ("day" or "month"); month-only values come from old rosters."""
    if value in (None, ""):
        return None, DatePrecision.DAY
    if hasattr(value, "precision") and hasattr(value, "value"):  # a roster PartialDate
        return value.value, value.precision
    if isinstance(value, dt.datetime):
        return value.date(), DatePrecision.DAY
    if isinstance(value, dt.date):
        return value, DatePrecision.DAY
    text = str(value).strip()
    try:
        if len(text) == 7:  # YYYY-MM
            return dt.date.fromisoformat(text + "-01"), DatePrecision.MONTH
        return dt.date.fromisoformat(text), DatePrecision.DAY
    except ValueError:
        errors[field] = f"{FIELD_LABELS[field]}格式不正确，应为 YYYY-MM-DD，如 2020-07-01"
        return None, DatePrecision.DAY


def _latest(value: dt.date, precision: str) -> dt.date:
    """The latest day a month-precision date may stand for."""
    if precision != DatePrecision.MONTH:
        return value
    return dt.date(value.year, value.month, calendar.monthrange(value.year, value.month)[1])


_CHOICE_CACHE: dict[type, tuple[dict[str, str], frozenset[str], str]] = {}


def _choice_maps(choices) -> tuple[dict[str, str], frozenset[str], str]:
    # Django computes .choices/.values on every access; imports validate tens of thousands of rows.
    if choices not in _CHOICE_CACHE:
        _CHOICE_CACHE[choices] = (
            {label: code for code, label in choices.choices},
            frozenset(choices.values),
            "、".join(str(label) for label in choices.labels),
        )
    return _CHOICE_CACHE[choices]


def _choice(value: Any, choices, field: str, errors: dict[str, str], *, required: bool) -> str:
    value = (value or "").strip() if isinstance(value, str) else value
    if not value:
        if required:
            errors[field] = f"请选择{FIELD_LABELS[field]}"
        return ""
    # Accept the Chinese label as well as the code, so API clients and spreadsheets both work.
    by_label, codes, labels = _choice_maps(choices)
    if value in by_label:
        return by_label[value]
    if value not in codes:
        errors[field] = f"{FIELD_LABELS[field]}的取值不正确，可选：{labels}"
        return ""
    return value


def _clean_identity(data, instance, check_duplicates, today, clean, errors, warnings):
    """The ID number (unique unless it is the instance's own) and the phone."""
    id_info = None
    try:
        raw_id = data.get("id_number")
        id_info = parse_id_number(
            raw_id if isinstance(raw_id, (int, float)) else str(raw_id or ""), today=today
        )
        warnings.extend(id_info.warnings)
        if check_duplicates:
            index = default_keyring().blind_index(id_info.value)
            duplicate = Member.objects.filter(id_number_index=index)
            if instance is not None:
                duplicate = duplicate.exclude(pk=instance.pk)
            if duplicate.exists():
                errors["id_number"] = "该身份证号已登记（同一人不能重复录入）"
        clean["id_number"] = id_info.value
    except IdentityError as exc:
        errors["id_number"] = exc.message

    raw_phone = data.get("phone")
    clean["phone"] = ""
    if raw_phone not in (None, "") and str(raw_phone).strip():
        try:
            clean["phone"] = normalize_phone(
                raw_phone if isinstance(raw_phone, (int, float)) else str(raw_phone)
            )
        except IdentityError as exc:
            errors["phone"] = exc.message

    return id_info


def _clean_dates(data, id_info, today, clean, errors) -> dt.date | None:
    """Admission and confirmation: real dates, not in the future, in the order and at the ages
    the regulations say, and agreeing with the status."""
    admitted_on, admitted_precision = _as_date(data.get("admitted_on"), "admitted_on", errors)
    confirmed_on, confirmed_precision = _as_date(data.get("confirmed_on"), "confirmed_on", errors)
    if admitted_on is None and "admitted_on" not in errors:
        errors["admitted_on"] = "请填写入党时间"
    if admitted_on and admitted_on > today:
        errors["admitted_on"] = "入党时间不能晚于今天"
    if admitted_on and id_info is not None and "admitted_on" not in errors:
        try:
            check_admission(id_info.birth_date, _latest(admitted_on, admitted_precision))
        except MembershipError as exc:
            errors[exc.field] = exc.message
    if confirmed_on and admitted_on and "confirmed_on" not in errors:
        try:
            check_confirmation(admitted_on, _latest(confirmed_on, confirmed_precision))
        except MembershipError as exc:
            errors[exc.field] = exc.message
    if confirmed_on and confirmed_on > today and "confirmed_on" not in errors:
        errors["confirmed_on"] = "转正时间不能晚于今天"
    if clean["status"] == MemberStatus.FULL and not confirmed_on and "confirmed_on" not in errors:
        errors["confirmed_on"] = "正式党员请填写转正时间"
    if (
        clean["status"] == MemberStatus.PROBATIONARY
        and confirmed_on
        and "confirmed_on" not in errors
    ):
        errors["confirmed_on"] = "预备党员不应有转正时间；已转正的请将党员状态改为正式党员"
    clean["admitted_on"] = admitted_on
    clean["admitted_on_precision"] = admitted_precision
    clean["confirmed_on"] = confirmed_on
    clean["confirmed_on_precision"] = confirmed_precision if confirmed_on else DatePrecision.DAY

    return admitted_on


def validate_member_data(
    data: dict[str, Any],
    *,
    instance: Member | None = None,
    check_duplicates: bool = True,
    today: dt.date | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """Check every field and return (clean values, warnings); raise with all field errors."""
    errors: dict[str, str] = {}
    warnings: list[str] = []
    clean: dict[str, Any] = {}
    today = today or clock.today()

    name = inputs.short_text(data.get("name"), "name", "姓名", 50, errors)
    if not name and "name" not in errors:
        errors["name"] = "请填写姓名"
    clean["name"] = name

    id_info = _clean_identity(data, instance, check_duplicates, today, clean, errors, warnings)

    clean["status"] = _choice(data.get("status"), MemberStatus, "status", errors, required=True)
    clean["category"] = (
        _choice(data.get("category"), MemberCategory, "category", errors, required=False)
        or MemberCategory.EMPLOYED
    )
    clean["education"] = _choice(
        data.get("education"), Education, "education", errors, required=False
    )
    clean["ethnicity"] = str(data.get("ethnicity") or "汉族").strip()[:20]
    clean["job_title"] = str(data.get("job_title") or "").strip()[:100]
    # Optional and only where the caller collects it: a form or API call without the field
    # leaves the stored number alone.
    if "employee_number" in data:
        try:
            clean["employee_number"] = normalize_employee_number(data["employee_number"])
        except IdentityError as exc:
            errors["employee_number"] = exc.message

    admitted_on = _clean_dates(data, id_info, today, clean, errors)

    if errors:
        raise ServiceValidationError(errors, warnings=warnings)
    assert id_info is not None and admitted_on is not None
    clean["birth_date"] = id_info.birth_date
    clean["gender"] = Gender.MALE if id_info.gender == "male" else Gender.FEMALE
    clean["probation_ends_on"] = probation_end(admitted_on)
    return clean, warnings


# Fields that validate_member_data returns under their model names.
CLEAN_FIELDS = (
    "name",
    "gender",
    "birth_date",
    "ethnicity",
    "education",
    "status",
    "category",
    "admitted_on",
    "confirmed_on",
    "admitted_on_precision",
    "confirmed_on_precision",
    "probation_ends_on",
    "job_title",
)


def apply_clean(
    member: Member,
    clean: dict[str, Any],
    only: dict | None = None,
    *,
    indexes: tuple[str, str] | None = None,
    keyring: KeyRing | None = None,
) -> None:
    """Copy validated values onto a member: all of them, or only the `only` fields of an update.

    The ID number is encrypted for a new member or a full apply; an import never changes the ID
    number of a member it matched by that very number. `indexes` are the blind indexes of the
    clean ID number and phone when the caller computed them already (the import matches by them).
    `keyring`: the default one, when the caller asked for it already (the import, once a chunk).
    """
    keyring = keyring or default_keyring()
    id_index, phone_index = indexes or (None, None)
    for key in CLEAN_FIELDS if only is None else [k for k in CLEAN_FIELDS if k in only]:
        setattr(member, key, clean[key])
    if only is not None and "admitted_on" in only:
        member.probation_ends_on = clean["probation_ends_on"]
    if only is None or "name" in only:
        member.name_pinyin, member.name_initials = pinyin_keys(clean["name"])
    if only is None or member.pk is None:
        member.id_number_encrypted = keyring.encrypt(clean["id_number"])
        member.id_number_index = id_index or keyring.blind_index(clean["id_number"])
    if only is None or "phone" in only:
        member.phone_encrypted = keyring.encrypt(clean["phone"])
        member.phone_index = (
            keyring.blind_index(clean["phone"]) if phone_index is None else phone_index
        )
        member.remember_plaintext(clean["id_number"], clean["phone"])
    if "employee_number" in clean:
        number = clean["employee_number"]
        member.employee_number_encrypted = keyring.encrypt(number) if number else ""
        member.employee_number_index = keyring.blind_index(number) if number else ""


def employee_number_warning(member: Member) -> list[str]:
    """Another current member of the branch with the same 工号: the payroll import could not
    tell them apart (it refuses such rows), so the person saving hears of it now."""
    if not member.employee_number_index:
        return []
    others = (
        Member.objects.current()
        .filter(
            organization_id=member.organization_id,
            employee_number_index=member.employee_number_index,
        )
        .exclude(pk=member.pk)
    )
    if others.exists():
        return ["本支部另有党员登记了相同的工号，导入工资表时这些行将无法按工号匹配，请核对"]
    return []


def refuse_dissolved(org: Organization, field: str = "organization") -> None:
    """A dissolved branch or party group takes no member: registered, moved, restored or put in."""
    org_history.refuse_dissolved(org, "接收党员", field)


def _check_target(actor: Actor, org: Organization | None, party_group: Organization | None) -> None:
    if org is None:
        raise ServiceValidationError({"organization": "请填写党员所在的党支部（组织编码）"})
    if org.kind != OrgKind.BRANCH:
        raise ServiceValidationError({"organization": "党员的组织关系只能落在党支部"})
    refuse_dissolved(org)
    if actor.user is not None and not can_write_into(actor.user, org):
        raise ServiceValidationError({"organization": "目标组织不在您的管理范围内"})
    if party_group is not None and (
        party_group.kind != OrgKind.PARTY_GROUP or not party_group.path.startswith(org.path)
    ):
        raise ServiceValidationError({"party_group": "党小组必须属于所在支部"})
    if party_group is not None:
        refuse_dissolved(party_group, "party_group")


@transaction.atomic
def create_member(
    actor: Actor,
    organization: Organization,
    data: dict[str, Any],
    party_group: Organization | None = None,
    *,
    transferred_in_on: dt.date | None = None,
) -> tuple[Member, list[str]]:
    """A new member; their history starts at admission in `organization`, or, for a member whose
    organization relationship is transferred in from outside the platform, on that day."""
    _check_target(actor, organization, party_group)
    clean, warnings = validate_member_data(data)
    today = clock.today()
    if transferred_in_on is not None and not (clean["admitted_on"] <= transferred_in_on <= today):
        raise ServiceValidationError({"transferred_in_on": "转入日期应在入党时间之后、今天之前"})
    member = Member(organization=organization, party_group=party_group)
    apply_clean(member, clean)
    if transferred_in_on is not None:
        member.org_since = transferred_in_on
    member.save()
    MembershipSpell.objects.bulk_create(
        spells.first_spells(member, transferred_in_on, SpellEvent.TRANSFERRED_IN)
    )
    record(actor, AuditAction.CREATE, member, changes=diff(None, member.audit_fields()))
    return member, warnings + employee_number_warning(member)


@transaction.atomic
def update_member(actor: Actor, member: Member, data: dict[str, Any]) -> tuple[Member, list[str]]:
    if actor.user is not None and not member_allows(actor.user, member, Action.WRITE):
        raise PermissionDenied("您对该党员没有修改权限")
    member = Member.objects.select_for_update().get(pk=member.pk)
    before = member.audit_fields()
    old_plain = {"id_number": member.id_number, "phone": member.phone}
    old_employee_number = member.employee_number_index
    clean, warnings = validate_member_data(data, instance=member)
    apply_clean(member, clean)
    changes = diff(before, member.audit_fields())
    # Masks hide the middle digits, so a changed ID number or phone can look unchanged in the
    # masked diff: decide on the plaintext, and record the (masked) field all the same.
    for key in ("id_number", "phone"):
        if old_plain[key] != clean[key] and key not in changes:
            changes[key] = [before[key], member.audit_fields()[key]]
    # The 工号 is recorded as 已登记/已更改, never its value.
    if old_employee_number != member.employee_number_index and "employee_number" not in changes:
        changes["employee_number"] = [before.get("employee_number"), "已更改"]

    # Re-encrypting gives a new ciphertext even for the same value; only real changes are saved.
    if changes:
        member.save()
        if HISTORY_FIELDS & set(changes):
            # A corrected date or status: the statuses of the whole history follow it.
            spells.replace(
                {
                    member.pk: spells.resplit(
                        spells.current_spells(member), member.admitted_on, member.confirmed_on
                    )
                }
            )
        record(actor, AuditAction.UPDATE, member, changes=changes)
        if "employee_number" in changes:
            warnings = warnings + employee_number_warning(member)
    return member, warnings


# Fields whose change rewrites the statuses in the member's history.
HISTORY_FIELDS = {"status", "admitted_on", "confirmed_on"}


@transaction.atomic
def move_member(
    actor: Actor,
    member: Member,
    organization: Organization,
    party_group: Organization | None = None,
    *,
    reason: str = "",
    on: dt.date | None = None,
    event: str = SpellEvent.MOVED,
    receiving: bool = False,
) -> Member:
    """Move a member to another branch (or party group) from `on` (today unless a move decided
    earlier is recorded late; never before the member's last change).

    `event` names the cut in the history (调动, or 组织关系转入 for a transfer). `receiving`: the
    receiving side of a transfer the sending side approved (`transfers.services.receive`), who
    writes into the new branch but not the old one; the target is still checked."""
    if (
        actor.user is not None
        and not receiving
        and not member_allows(actor.user, member, Action.WRITE)
    ):
        raise PermissionDenied("您对该党员没有调动权限")
    _check_target(actor, organization, party_group)
    member = Member.objects.select_for_update().get(pk=member.pk)
    before = member.audit_fields()
    if member.left_on is not None:
        raise ServiceValidationError({"organization": "该党员已离开，不能调动；请先恢复党籍"})
    moved = member.organization_id != organization.pk
    member.organization = organization
    member.party_group = party_group
    day = on or clock.today()
    if moved:
        history = spells.current_spells(member)
        if day > clock.today() or (history and day < history[-1].started_on):
            raise ServiceValidationError(
                {"on": "调动日期不能晚于今天，也不能早于该党员上一次变动的日期"}
            )
        member.org_since = day
        spells.replace(
            {
                member.pk: spells.cut(
                    history,
                    day,
                    event,
                    organization_id=organization.pk,
                )
            }
        )
    member.save(update_fields=["organization", "party_group", "org_since", "updated_at"])
    changes = diff(before, member.audit_fields())
    record(actor, AuditAction.MOVE, member, changes=changes, message=reason[:500])
    return member


REVEALABLE = {"id_number": "身份证号", "phone": "手机号", "employee_number": "工号"}


@transaction.atomic
def reveal(actor: Actor, member: Member, field: str) -> str:
    """The unmasked value of a sensitive field; every reveal is an audit event."""
    if field not in REVEALABLE:
        raise ServiceValidationError({"field": "不支持查看该字段"})
    if actor.user is None or not member_allows(actor.user, member, Action.REVEAL):
        raise PermissionDenied("您没有查看明文的权限")
    value = getattr(member, field)
    record(actor, AuditAction.REVEAL, member, message=f"查看{REVEALABLE[field]}明文")
    return value


# ---- finding a member by ID number: a reveal ------------------------------------------------

ID_SEARCH = "members.id_search"  # the audit object type of every search by ID number


class RateLimited(ServiceValidationError):
    """Too many searches by ID number; `retry_at` says when the next one is allowed."""

    def __init__(self, message: str, retry_at: dt.datetime):
        super().__init__({"id_number": message})
        self.retry_at = retry_at


def may_find_by_id_number(user) -> bool:
    """Searching by a whole ID number tells whether it is registered: for revealers only."""
    return bool(scope_for(user).paths.get(Action.REVEAL))


def _check_id_search_rate(user, now: dt.datetime) -> None:
    limit, window = settings.ID_SEARCH_LIMIT, dt.timedelta(minutes=settings.ID_SEARCH_MINUTES)
    recent = list(
        AuditEvent.objects.filter(actor=user, object_type=ID_SEARCH, at__gt=now - window)
        .order_by("-at")
        .values_list("at", flat=True)[:limit]
    )
    if len(recent) >= limit:
        retry_at = recent[-1] + window
        raise RateLimited(
            f"按身份证号查找过于频繁（每 {settings.ID_SEARCH_MINUTES} 分钟最多 {limit} 次），"
            f"请于 {timezone.localtime(retry_at):%H:%M} 后再试",
            retry_at,
        )


def find_by_id_number(actor: Actor, id_number: str, reason: str) -> list[Member]:
    """The members with this ID number that the actor may reveal (at most one).

    It answers whether a number is registered, so it counts as a reveal: only for roles that
    may reveal, with a reason, limited per user, and audited whether or not anyone is found;
    the audit message holds the number's masked form, never the number.
    """
    user = actor.user
    if user is None or not may_find_by_id_number(user):
        raise PermissionDenied("您没有按身份证号查找的权限（可按姓名或拼音查找）")
    errors: dict[str, str] = {}
    reason = " ".join((reason or "").split())
    if not reason:
        errors["reason"] = "请填写查询事由（将记入审计日志）"
    elif len(reason) > 200:
        errors["reason"] = "查询事由不能超过200个字"
    try:
        value = parse_id_number(str(id_number or "")).value
    except IdentityError as exc:
        errors["id_number"] = exc.message
    if errors:
        raise ServiceValidationError(errors)
    with transaction.atomic():
        _check_id_search_rate(user, timezone.now())
        found = list(
            visible_members(user, Action.REVEAL)
            .filter(id_number_index=default_keyring().blind_index(value))
            .select_related("organization", "party_group")
        )
        record(
            actor,
            AuditAction.REVEAL,
            object_type=ID_SEARCH,
            object_id=str(found[0].pk) if found else "",
            object_repr=found[0].name if found else "按身份证号查找",
            message=f"按身份证号查找（{mask_id_number(value)}），事由：{reason}；"
            + (f"找到 {found[0].name}" if found else "未找到"),
        )
    return found


# ---- exports ---------------------------------------------------------------------------------


EXPORT_REASON_MAX = 200


def export_queryset(user, flt, *, unmasked: bool = False):
    """The members an export would hold; refuses a user without the export (or, unmasked, the
    reveal) permission."""
    from dangjian.members.queries import member_list

    scope = scope_for(user)
    if not scope.paths.get(Action.EXPORT):
        raise PermissionDenied("您没有导出权限")
    if unmasked and not scope.paths.get(Action.REVEAL):
        raise PermissionDenied("您没有导出明文的权限")
    return member_list(user, flt, Action.REVEAL if unmasked else Action.EXPORT)


def export_members(
    actor: Actor, flt, *, unmasked: bool = False, reason: str = ""
) -> tuple[bytes, int]:
    """The filtered member list as an .xlsx roster, and its audit event (an export; unmasked,
    a bulk reveal). Masked by default; unmasked needs the reveal permission and a reason, which
    the audit event keeps (with any ID or mobile number in it masked)."""
    from dangjian.core.logredact import redact
    from dangjian.members.exports import members_xlsx

    qs = export_queryset(actor.user, flt, unmasked=unmasked)
    reason = " ".join((reason or "").split())
    if unmasked and not reason:
        raise ServiceValidationError({"reason": "请填写导出明文的事由（记入审计日志）"})
    if len(reason) > EXPORT_REASON_MAX:
        raise ServiceValidationError({"reason": f"事由不能超过{EXPORT_REASON_MAX}个字"})
    with transaction.atomic():
        content, count = members_xlsx(qs, unmasked=unmasked, title="花名册")
        because = f"；事由：{redact(reason)}" if unmasked else ""
        record(
            actor,
            AuditAction.EXPORT,
            object_type="members.member",
            object_repr="党员名单",
            message=f"导出党员名单 {count} 人（{'明文' if unmasked else '脱敏'}；"
            f"条件：{flt.describe()}{because}）",
        )
    return content, count
