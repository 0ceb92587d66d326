"""Every write on assessment: a scheme and its indicators, publishing, freezing, manual scores,
述职评议 tallies, vetoes, finalizing. Each checks the actor, validates everything (Chinese
messages naming the field), then writes in one transaction with its audit event; nothing is
half-written on bad input. Audit messages carry no score of a person (there are none: targets
are organizations) and no personal data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from dangjian.accounts.access import Action, scope_for
from dangjian.assessment import tell
from dangjian.assessment.models import (
    Indicator,
    ManualScore,
    Part,
    ReportAppraisalTally,
    Scheme,
    SchemeStatus,
    Snapshot,
    SourceKind,
    Target,
    Veto,
)
from dangjian.assessment.scoring import compute_sources
from dangjian.assessment.targets import targets_of
from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor, diff, record
from dangjian.core.bulk import insert_rows
from dangjian.core.clock import today
from dangjian.core.errors import ServiceValidationError
from dangjian.core.indicators import catalogue
from dangjian.orgs.history import refuse_dissolved
from dangjian.orgs.models import Organization, OrgKind
from dangjian.regulations.assessment import (
    DEFAULT_VOTE_POINTS,
    VOTE_CHOICES,
    forbidden_reason,
    parse_grades,
    parse_vote_points,
)

HUNDRED = Decimal(100)
SNAPSHOT_COLUMNS = ("target_id", "source_key", "value", "method", "inputs", "frozen_at")
FROZEN_MESSAGE = "考核方案已冻结，指标和计算结果不能再修改"
FINAL_MESSAGE = "考核结果已定档，不能再修改"


# Organizations that assess the ones below them (机关工委, 党组, 机关党委, 党总支).
ASSESSING_KINDS = frozenset(
    {
        OrgKind.WORKING_COMMITTEE,
        OrgKind.LEADING_GROUP,
        OrgKind.ORGAN_COMMITTEE,
        OrgKind.GENERAL_BRANCH,
    }
)


def can_manage(user, org: Organization) -> bool:
    """The assessing committee: write access over an organization that assesses others."""
    return (
        user is not None
        and org.kind in ASSESSING_KINDS
        and scope_for(user).covers(org.path, Action.WRITE)
    )


def require_manager(actor: Actor, org: Organization) -> None:
    if not can_manage(actor.user, org):
        raise PermissionDenied("只有考核单位（上级党组织）的党务工作人员可以管理考核")


def _decimal(raw: object, field: str, label: str, errors: dict[str, str]) -> Decimal | None:
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        errors[field] = f"{label}应为数字"
        return None
    if not value.is_finite():
        errors[field] = f"{label}应为数字"
        return None
    return value


def parse_grade_text(text: str) -> list[list[object]]:
    """“好:90, 较好:80, 一般:60, 差:0” (one per line or comma) as [[name, minimum], ...]."""
    out: list[list[object]] = []
    for part in text.replace("，", ",").replace("\n", ",").split(","):
        part = part.strip()
        if not part:
            continue
        name, _, minimum = part.replace("：", ":").partition(":")
        out.append([name.strip(), minimum.strip()])
    return out


def _part_weights(
    party_weight: object, business_weight: object, errors: dict[str, str]
) -> list[int]:
    weights = []
    for field, raw, label in (
        ("party_weight", party_weight, "党建工作权重"),
        ("business_weight", business_weight, "业务绩效权重"),
    ):
        value = _decimal(raw, field, label, errors)
        if value is not None and (value != value.to_integral() or not 0 <= value <= 100):
            errors[field] = f"{label}应为0至100的整数"
        weights.append(int(value) if value is not None and field not in errors else 0)
    if "party_weight" not in errors and "business_weight" not in errors and sum(weights) != 100:
        errors["business_weight"] = (
            f"党建工作权重与业务绩效权重之和应为100，现为{weights[0]}+{weights[1]}={sum(weights)}"
        )
    return weights


def _sibling_room(
    scheme: Scheme, parent: Indicator | None, part: str, value: Decimal
) -> str | None:
    siblings = Indicator.objects.filter(scheme=scheme, parent=parent)
    if parent is None:
        siblings = siblings.filter(part=part)
    used = siblings.aggregate(total=Sum("weight"))["total"] or Decimal(0)
    if used + value > HUNDRED:
        return f"同一层级的权重之和不能超过100：已有{used}，最多还能设{HUNDRED - used}"
    return None


# ---- schemes ----------------------------------------------------------------------------------


@transaction.atomic
def create_scheme(
    actor: Actor,
    org: Organization,
    *,
    year: int,
    title: str,
    target_kind: str,
    party_weight: object,
    business_weight: object,
    grades: list[list[object]],
    vote_points: Mapping[str, object] | None = None,
    target_post: str = "",
) -> Scheme:
    """A draft scheme with its targets: the organizations of `target_kind` in `org`'s subtree,
    or, with `target_post` (述职评议), the holders of that post in them today."""
    require_manager(actor, org)
    refuse_dissolved(org, "制定考核方案")
    errors: dict[str, str] = {}
    title = (title or "").strip()
    if not title:
        errors["title"] = "请填写方案名称"
    elif len(title) > 100:
        errors["title"] = "方案名称不超过100个字"
    if not 2000 <= int(year or 0) <= 2100:
        errors["year"] = "年度应为四位数字"
        year = today().year  # for the targets' check below; the scheme is refused anyway
    weights = _part_weights(party_weight, business_weight, errors)
    try:
        parsed = parse_grades(grades)
    except ValueError as exc:
        errors["grades"] = str(exc)
        parsed = []
    try:
        points = parse_vote_points(vote_points or DEFAULT_VOTE_POINTS)
    except ValueError as exc:
        errors["vote_points"] = str(exc)
        points = {}
    targets, holders = targets_of(org, target_kind, (target_post or "").strip(), errors, int(year))
    if errors:
        raise ServiceValidationError(errors)
    scheme = Scheme.objects.create(
        organization=org,
        year=int(year),
        title=title,
        target_kind=target_kind,
        target_post=(target_post or "").strip(),
        party_weight=weights[0],
        business_weight=weights[1],
        grades=[[g.name, str(g.minimum)] for g in parsed],
        vote_points={k: str(v) for k, v in points.items()},
        created_by=actor.user,
    )
    Target.objects.bulk_create(
        [Target(scheme=scheme, organization=o, member_id=holders.get(o.pk)) for o in targets]
    )
    record(
        actor,
        AuditAction.CREATE,
        scheme,
        changes={**diff(None, scheme.audit_fields()), "targets": [None, len(targets)]},
        message=f"新建考核方案（考核对象{len(targets)}个）",
        object_repr=f"{scheme.year}年{title}"[:200],
    )
    return scheme


def _require_draft(scheme: Scheme) -> None:
    if scheme.status == SchemeStatus.FINAL:
        raise ServiceValidationError(FINAL_MESSAGE)
    if scheme.status == SchemeStatus.FROZEN:
        raise ServiceValidationError(FROZEN_MESSAGE)
    if scheme.status != SchemeStatus.DRAFT:
        raise ServiceValidationError("考核方案已发布，指标和权重不能再修改")


def _text_errors(title: str, description: str, errors: dict[str, str]) -> None:
    if not title:
        errors["title"] = "请填写指标名称"
    elif len(title) > 100:
        errors["title"] = "指标名称不超过100个字"
    if len(description) > 500:
        errors["description"] = "说明不超过500个字"


@transaction.atomic
def add_indicator(
    actor: Actor,
    scheme: Scheme,
    *,
    title: str,
    part: str,
    weight: object,
    source_kind: str,
    source_key: str = "",
    description: str = "",
    max_score: object = "100",
    parent: Indicator | None = None,
) -> Indicator:
    """An indicator of a draft scheme. Refused: a source built on app activity (with the
    citation), an unknown source, a parent that is not a group of the same scheme and part,
    a weight that would take its level over 100."""
    require_manager(actor, scheme.organization)
    scheme = Scheme.objects.select_for_update().get(pk=scheme.pk)
    _require_draft(scheme)
    errors: dict[str, str] = {}
    title = (title or "").strip()
    description = (description or "").strip()
    source_key = (source_key or "").strip()
    _text_errors(title, description, errors)
    if parent is not None:
        if parent.scheme_id != scheme.pk:
            errors["parent"] = "上级指标不属于本方案"
        elif parent.source_kind != SourceKind.GROUP:
            errors["parent"] = f"上级指标“{parent.title}”不是分组，不能再设下级指标"
        else:
            part = parent.part
    if part not in Part.values:
        errors["part"] = "请选择党建工作或业务绩效"
    if source_kind not in SourceKind.values:
        errors["source_kind"] = "请选择评分方式"
    refused = forbidden_reason(source_key, title)
    if refused is not None:
        errors["source_key" if source_key else "title"] = refused
    elif source_kind == SourceKind.COMPUTED and source_key not in catalogue():
        errors["source_key"] = "请从数据来源目录中选择计算方式"
    if source_kind != SourceKind.COMPUTED:
        source_key = ""
    if source_kind == SourceKind.IMPORTED and part == Part.PARTY:
        errors["source_kind"] = "导入的业务绩效只能用于业务绩效类指标"
    value = _decimal(weight, "weight", "权重", errors)
    if value is not None and not Decimal(0) < value <= HUNDRED:
        errors["weight"] = "权重应大于0且不超过100"
    top = _decimal(max_score, "max_score", "满分", errors)
    if top is not None and not Decimal(0) < top <= Decimal(1000):
        errors["max_score"] = "满分应大于0且不超过1000"
    if not errors and value is not None:
        room = _sibling_room(scheme, parent, part, value)
        if room is not None:
            errors["weight"] = room
    if errors:
        raise ServiceValidationError(errors)
    assert value is not None and top is not None
    indicator = Indicator.objects.create(
        scheme=scheme,
        parent=parent,
        part=part,
        title=title,
        description=description,
        weight=value,
        max_score=top,
        source_kind=source_kind,
        source_key=source_key,
        position=Indicator.objects.filter(scheme=scheme, parent=parent).count(),
    )
    record(
        actor,
        AuditAction.CREATE,
        indicator,
        changes=diff(None, indicator.audit_fields()),
        message="新增考核指标",
        object_repr=f"考核指标：{title}"[:200],
    )
    return indicator


@transaction.atomic
def remove_indicator(actor: Actor, indicator: Indicator) -> None:
    scheme = indicator.scheme
    require_manager(actor, scheme.organization)
    _require_draft(Scheme.objects.select_for_update().get(pk=scheme.pk))
    before = indicator.audit_fields()
    record(
        actor,
        AuditAction.DELETE,
        indicator,
        changes=diff(before, None),
        message="删除考核指标（含下级指标）",
        object_repr=f"考核指标：{indicator.title}"[:200],
    )
    indicator.delete()


def weight_errors(scheme: Scheme) -> list[str]:
    """Each level's weights must sum to 100; a group needs children; a part with weight needs
    indicators."""
    items = list(scheme.indicators.all())
    problems: list[str] = []
    levels: dict[tuple[str, int | None], list[Indicator]] = {}
    for ind in items:
        levels.setdefault((ind.part, ind.parent_id), []).append(ind)
    names = {ind.pk: ind.title for ind in items}
    for part, weight in (
        (Part.PARTY, scheme.party_weight),
        (Part.BUSINESS, scheme.business_weight),
    ):
        if weight and (part, None) not in levels:
            problems.append(f"{part.label}权重为{weight}，但还没有{part.label}指标")
    for (level_part, parent), siblings in levels.items():
        total = sum((s.weight for s in siblings), Decimal(0))
        if total != HUNDRED:
            where = (
                f"“{names[parent]}”的下级指标" if parent else f"{Part(level_part).label}的一级指标"
            )
            problems.append(f"{where}权重之和应为100，现为{total.normalize():f}")
    for ind in items:
        if ind.source_kind == SourceKind.GROUP and (ind.part, ind.pk) not in levels:
            problems.append(f"分组“{ind.title}”还没有下级指标")
    return problems


@transaction.atomic
def publish(actor: Actor, scheme: Scheme) -> Scheme:
    """Publish a draft: the targets see their indicators and live values from now on."""
    require_manager(actor, scheme.organization)
    scheme = Scheme.objects.select_for_update().get(pk=scheme.pk)
    _require_draft(scheme)
    problems = weight_errors(scheme)
    if problems:
        raise ServiceValidationError({"weights": "；".join(problems)})
    scheme.status = SchemeStatus.PUBLISHED
    scheme.published_at = timezone.now()
    scheme.save(update_fields=["status", "published_at"])
    record(
        actor,
        AuditAction.UPDATE,
        scheme,
        changes={"status": [SchemeStatus.DRAFT, SchemeStatus.PUBLISHED]},
        message="发布考核方案",
        object_repr=f"{scheme.year}年{scheme.title}"[:200],
    )
    tell.tell_targets(
        scheme,
        tell.NoticeKind.PUBLISHED,
        f"{scheme.organization.name}发布了{scheme.year}年{scheme.title}"[:200],
        "可以查看考核指标和各项指标的当前数值。",
    )
    return scheme


@transaction.atomic
def freeze(actor: Actor, scheme: Scheme, *, as_of: dt.date | None = None) -> int:
    """Compute every computed indicator for every target and keep a snapshot of the value and
    the inputs behind it; from now on the scheme reads the snapshots. Returns the snapshots."""
    require_manager(actor, scheme.organization)
    scheme = Scheme.objects.select_for_update().get(pk=scheme.pk)
    if scheme.status != SchemeStatus.PUBLISHED:
        raise ServiceValidationError(
            FROZEN_MESSAGE if scheme.status != SchemeStatus.DRAFT else "请先发布考核方案"
        )
    as_of = as_of or min(today(), dt.date(scheme.year, 12, 31))
    targets = list(scheme.targets.select_related("organization").order_by("pk"))
    indicators = list(scheme.indicators.filter(source_kind=SourceKind.COMPUTED))
    live = compute_sources(indicators, targets, scheme.year, as_of)
    snaps: list[tuple] = []
    frozen_at = timezone.now()
    # One snapshot per source and target: indicators sharing a source share its value. Plain
    # rows in one statement (core.bulk): no model instance or field compilation per row.
    for key, ind in {ind.source_key: ind for ind in indicators}.items():
        values = live.get(ind.pk, {})
        for target in targets:
            explained = values.get(target.pk)
            if explained is None:
                snaps.append((target.pk, key, None, "该数据来源暂无记录", [], frozen_at))
                continue
            snaps.append(
                (
                    target.pk,
                    key,
                    explained.value,
                    explained.method[:300],
                    explained.inputs,
                    frozen_at,
                )
            )
    insert_rows(Snapshot, SNAPSHOT_COLUMNS, snaps, copy=True)
    scheme.status = SchemeStatus.FROZEN
    scheme.frozen_at = frozen_at
    scheme.save(update_fields=["status", "frozen_at"])
    record(
        actor,
        AuditAction.UPDATE,
        scheme,
        changes={
            "status": [SchemeStatus.PUBLISHED, SchemeStatus.FROZEN],
            "as_of": [None, as_of.isoformat()],
            "snapshots": [None, len(snaps)],
        },
        message=f"冻结考核数据（{len(indicators)}项计算指标，{len(targets)}个考核对象）",
        object_repr=f"{scheme.year}年{scheme.title}"[:200],
    )
    return len(snaps)


# ---- scores entered by the assessing group ---------------------------------------------------


def _scorable(actor: Actor, target: Target, indicator: Indicator, kind: str) -> Scheme:
    scheme = Scheme.objects.select_for_update().get(pk=target.scheme_id)
    require_manager(actor, scheme.organization)
    if scheme.status == SchemeStatus.FINAL:
        raise ServiceValidationError(FINAL_MESSAGE)
    if scheme.status == SchemeStatus.DRAFT:
        raise ServiceValidationError("考核方案发布后才能评分")
    if indicator.scheme_id != scheme.pk or indicator.source_kind != kind:
        raise ServiceValidationError({"indicator": "该指标不是本方案中这种评分方式的指标"})
    return scheme


@transaction.atomic
def score_manual(
    actor: Actor,
    target: Target,
    indicator: Indicator,
    *,
    score: object,
    comment: str,
    evidence: str = "",
) -> ManualScore:
    """The assessing group's score of a manual indicator, with a required comment."""
    _scorable(actor, target, indicator, SourceKind.MANUAL)
    errors: dict[str, str] = {}
    value = _decimal(score, "score", "得分", errors)
    if value is not None and not Decimal(0) <= value <= indicator.max_score:
        errors["score"] = f"得分应在0至{indicator.max_score}之间"
    comment = (comment or "").strip()
    if not comment:
        errors["comment"] = "请填写评分说明（为什么给这个分）"
    elif len(comment) > 500:
        errors["comment"] = "评分说明不超过500个字"
    if len((evidence or "").strip()) > 200:
        errors["evidence"] = "佐证记录不超过200个字"
    if errors:
        raise ServiceValidationError(errors)
    assert value is not None
    existing = ManualScore.objects.filter(target=target, indicator=indicator).first()
    before = {"score": existing.score, "comment": existing.comment} if existing else None
    row, created = ManualScore.objects.update_or_create(
        target=target,
        indicator=indicator,
        defaults={
            "score": value,
            "comment": comment,
            "evidence": (evidence or "").strip(),
            "assessor": actor.user,
        },
    )
    record(
        actor,
        AuditAction.CREATE if created else AuditAction.UPDATE,
        row,
        changes=diff(before, {"score": row.score, "comment": row.comment}),
        message=f"考核评分：{target.organization.name}",
        object_repr=f"考核评分：{indicator.title}"[:200],
    )
    return row


@transaction.atomic
def record_tally(
    actor: Actor,
    target: Target,
    indicator: Indicator,
    *,
    attendees: object,
    counts: Mapping[str, object],
    held_on: dt.date,
) -> ReportAppraisalTally:
    """述职评议 ballots as counted on paper: no count (nor their sum) above the sitting's
    attendees."""
    _scorable(actor, target, indicator, SourceKind.VOTES)
    errors: dict[str, str] = {}
    numbers: dict[str, int] = {}
    for key, raw in (("attendees", attendees), *((c, counts.get(c, 0)) for c in VOTE_CHOICES)):
        label = "到会人数" if key == "attendees" else f"“{key}”票数"
        try:
            numbers[key] = int(str(raw if raw not in (None, "") else 0).strip())
        except ValueError:
            errors[key] = f"{label}应为整数"
            continue
        if numbers[key] < 0:
            errors[key] = f"{label}不能为负数"
    if not errors:
        ballots = sum(numbers[c] for c in VOTE_CHOICES)
        if numbers["attendees"] <= 0:
            errors["attendees"] = "请填写评议会议的到会人数"
        elif ballots > numbers["attendees"]:
            errors["votes"] = f"票数合计{ballots}张，超过到会人数{numbers['attendees']}人"
        elif ballots == 0:
            errors["votes"] = "请填写各档票数"
    if held_on > today():
        errors["held_on"] = "评议日期不能晚于今天"
    if errors:
        raise ServiceValidationError(errors)
    row, created = ReportAppraisalTally.objects.update_or_create(
        target=target,
        indicator=indicator,
        defaults={
            "attendees": numbers["attendees"],
            "good": numbers["好"],
            "fairly_good": numbers["较好"],
            "average": numbers["一般"],
            "poor": numbers["差"],
            "held_on": held_on,
            "recorded_by": actor.user,
        },
    )
    record(
        actor,
        AuditAction.CREATE if created else AuditAction.UPDATE,
        row,
        changes={"attendees": [None, row.attendees], "counts": [None, row.counts]},
        message=f"述职评议计票：{target.organization.name}",
        object_repr=f"述职评议计票：{indicator.title}"[:200],
    )
    return row


@transaction.atomic
def record_veto(actor: Actor, target: Target, *, cap: str, reason: str) -> Veto:
    """一票否决: the target's grade is at most `cap`, for the reason recorded."""
    scheme = Scheme.objects.select_for_update().get(pk=target.scheme_id)
    require_manager(actor, scheme.organization)
    if scheme.status == SchemeStatus.FINAL:
        raise ServiceValidationError(FINAL_MESSAGE)
    errors: dict[str, str] = {}
    if cap not in scheme.grade_names:
        errors["cap"] = "请选择否决后的最高等次"
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = "请填写一票否决的事由"
    elif len(reason) > 500:
        errors["reason"] = "事由不超过500个字"
    if errors:
        raise ServiceValidationError(errors)
    veto = Veto.objects.create(target=target, cap=cap, reason=reason, recorded_by=actor.user)
    record(
        actor,
        AuditAction.CREATE,
        veto,
        changes={"target": [None, target.pk], "cap": [None, cap], "reason": [None, reason]},
        message=f"一票否决：{target.organization.name}",
    )
    return veto
