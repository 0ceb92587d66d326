"""Editing indicators in place while the scheme is a draft or published but not yet frozen:
an indicator's text, its maximum, the source of a computed one, its weight; or several weights
at once (`reweigh`), which is how the weights of a published scheme change, since each level
must still sum to 100. Refused once frozen or final. Each edit is one transaction with its audit
event (the fields before and after); a refused edit writes nothing."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from django.db import transaction
from django.db.models import Max

from dangjian.assessment.models import (
    ImportedScore,
    Indicator,
    ManualScore,
    Scheme,
    SchemeStatus,
    SourceKind,
)
from dangjian.assessment.services import (
    FINAL_MESSAGE,
    FROZEN_MESSAGE,
    HUNDRED,
    _decimal,
    _text_errors,
    require_manager,
    weight_errors,
)
from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor, diff, record
from dangjian.core.errors import ServiceValidationError
from dangjian.core.indicators import catalogue
from dangjian.regulations.assessment import forbidden_reason

PUBLISHED_WEIGHTS = "方案已发布，同一层级的权重之和须保持100"


def _editable(actor: Actor, scheme: Scheme) -> Scheme:
    require_manager(actor, scheme.organization)
    scheme = Scheme.objects.select_for_update().get(pk=scheme.pk)
    if scheme.status == SchemeStatus.FINAL:
        raise ServiceValidationError(FINAL_MESSAGE)
    if scheme.status == SchemeStatus.FROZEN:
        raise ServiceValidationError(FROZEN_MESSAGE)
    return scheme


def _weight(raw: object, field: str, errors: dict[str, str]) -> Decimal | None:
    value = _decimal(raw, field, "权重", errors)
    if value is not None and not Decimal(0) < value <= HUNDRED:
        errors[field] = "权重应大于0且不超过100"
    if value is not None and field not in errors:
        if value != value.quantize(Decimal("0.01")):
            errors[field] = "权重最多保留两位小数"
        return value.quantize(Decimal("0.01"))
    return value


def _check_levels(scheme: Scheme) -> None:
    """After the change: a published scheme's levels still sum to exactly 100 (as publishing
    required); a draft's do not exceed 100. Raising rolls the change back."""
    if scheme.status == SchemeStatus.PUBLISHED:
        problems = weight_errors(scheme)
        if problems:
            raise ServiceValidationError(
                {
                    "weight": f"{PUBLISHED_WEIGHTS}：{'；'.join(problems)}（请同时调整同级指标的权重）"
                }
            )
        return
    totals: dict[tuple[str, int | None], Decimal] = {}
    for ind in scheme.indicators.all():
        key = (ind.part, ind.parent_id)
        totals[key] = totals.get(key, Decimal(0)) + ind.weight
    over = max(totals.values(), default=Decimal(0))
    if over > HUNDRED:
        raise ServiceValidationError(
            {"weight": f"同一层级的权重之和不能超过100，修改后为{over.normalize():f}"}
        )


def _scored_above(indicator: Indicator, top: Decimal) -> Decimal | None:
    """The highest score already entered for `indicator` when it is above `top`."""
    if indicator.source_kind == SourceKind.MANUAL:
        rows = ManualScore.objects.filter(indicator=indicator).aggregate(m=Max("score"))
    elif indicator.source_kind == SourceKind.IMPORTED:
        rows = ImportedScore.objects.filter(indicator=indicator).aggregate(m=Max("value"))
    else:
        return None
    highest = rows["m"]
    return highest if highest is not None and highest > top else None


@transaction.atomic
def edit_indicator(
    actor: Actor,
    indicator: Indicator,
    *,
    title: str,
    description: str = "",
    weight: object,
    max_score: object = "100",
    source_key: str = "",
) -> Indicator:
    """Change an indicator of a draft or published (not frozen) scheme in place. Its kind and
    place in the tree stay (remove and add again while a draft for those)."""
    scheme = _editable(actor, indicator.scheme)
    indicator = Indicator.objects.select_for_update().get(pk=indicator.pk, scheme=scheme)
    errors: dict[str, str] = {}
    title = (title or "").strip()
    description = (description or "").strip()
    source_key = (source_key or "").strip() if indicator.source_kind == SourceKind.COMPUTED else ""
    _text_errors(title, description, errors)
    refused = forbidden_reason(source_key, title)
    if refused is not None:
        errors["source_key" if forbidden_reason(source_key) else "title"] = refused
    elif indicator.source_kind == SourceKind.COMPUTED and source_key not in catalogue():
        errors["source_key"] = "请从数据来源目录中选择计算方式"
    value = _weight(weight, "weight", errors)
    top = _decimal(max_score, "max_score", "满分", errors)
    if top is not None and not Decimal(0) < top <= Decimal(1000):
        errors["max_score"] = "满分应大于0且不超过1000"
    elif top is not None and (highest := _scored_above(indicator, top)) is not None:
        errors["max_score"] = (
            f"已有得分{Decimal(highest).normalize():f}高于新的满分{top.normalize():f}，"
            "请先修改这些得分"
        )
    if errors:
        raise ServiceValidationError(errors)
    assert value is not None and top is not None
    top = top.quantize(Decimal("0.01"))
    before = indicator.audit_fields()
    indicator.title, indicator.description = title, description
    indicator.weight, indicator.max_score, indicator.source_key = value, top, source_key
    indicator.save(update_fields=["title", "description", "weight", "max_score", "source_key"])
    _check_levels(scheme)
    changes = diff(before, indicator.audit_fields())
    if changes:
        record(
            actor,
            AuditAction.UPDATE,
            indicator,
            changes=changes,
            message=f"修改考核指标（方案{scheme.get_status_display()}）",
            object_repr=f"考核指标：{title}"[:200],
        )
    return indicator


@transaction.atomic
def reweigh(actor: Actor, scheme: Scheme, weights: Mapping[object, object]) -> int:
    """Set several indicators' weights at once ({indicator id: weight}); each level must still
    sum to 100 on a published scheme (at most 100 on a draft). Returns the weights changed."""
    scheme = _editable(actor, scheme)
    items = {str(i.pk): i for i in Indicator.objects.select_for_update().filter(scheme=scheme)}
    errors: dict[str, str] = {}
    new: dict[str, Decimal] = {}
    for key, raw in weights.items():
        ind = items.get(str(key))
        if ind is None:
            errors["weights"] = "指标不属于本方案"
            continue
        value = _weight(raw, f"weight_{ind.pk}", errors)
        if value is not None and f"weight_{ind.pk}" not in errors:
            new[str(key)] = value
        elif f"weight_{ind.pk}" in errors:
            errors[f"weight_{ind.pk}"] = f"“{ind.title}”的{errors[f'weight_{ind.pk}']}"
    if errors:
        raise ServiceValidationError(errors)
    changed = [items[k] for k, v in new.items() if items[k].weight != v]
    before = {ind.pk: ind.weight for ind in changed}
    for ind in changed:
        ind.weight = new[str(ind.pk)]
    Indicator.objects.bulk_update(changed, ["weight"])
    _check_levels(scheme)
    if changed:
        record(
            actor,
            AuditAction.UPDATE,
            scheme,
            changes={f"weight:{ind.title}"[:60]: [before[ind.pk], ind.weight] for ind in changed},
            message=f"调整考核指标权重（{len(changed)}项，方案{scheme.get_status_display()}）",
            object_repr=f"{scheme.year}年{scheme.title}"[:200],
        )
    return len(changed)
