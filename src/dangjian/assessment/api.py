"""Assessment endpoint under /api/v1/assessment: a target's explanation (every indicator's
value, how it was computed, the records behind it, comment, weight, contribution). Same
access as the page: the target's own organization and the assessing organization."""

from __future__ import annotations

from decimal import Decimal

from ninja import Router, Schema

from dangjian.assessment import queries, scoring

router = Router(tags=["考核评价"])


class InputOut(Schema):
    label: str
    link: str
    ok: bool | None


class LineOut(Schema):
    indicator_id: int
    parent_id: int | None
    title: str
    part: str
    source_kind: str
    weight: Decimal
    value: Decimal | None
    raw: str
    method: str
    comment: str
    contribution: Decimal
    frozen: bool
    inputs: list[InputOut]


class VetoOut(Schema):
    cap: str
    reason: str


class TargetOut(Schema):
    target_id: int
    scheme_id: int
    scheme_title: str
    year: int
    status: str
    organization_code: str
    organization_name: str
    party: Decimal
    business: Decimal
    score: Decimal
    grade: str
    vetoes: list[VetoOut]
    lines: list[LineOut]


@router.get(
    "/targets/{target_id}",
    response=TargetOut,
    summary="考核对象的得分说明：每项指标的数值、计算方法、依据记录、评分说明、权重和计入总分",
)
def assessment_target(request, target_id: int):
    target = queries.get_target_for_user(request.user, target_id)
    scheme = target.scheme
    result = scoring.results(scheme, [target])[0]
    return {
        "target_id": target.pk,
        "scheme_id": scheme.pk,
        "scheme_title": scheme.title,
        "year": scheme.year,
        "status": scheme.status,
        "organization_code": target.organization.code,
        "organization_name": target.organization.name,
        "party": result.party,
        "business": result.business,
        "score": result.score,
        "grade": result.grade,
        "vetoes": [{"cap": v.cap, "reason": v.reason} for v in result.vetoes],
        "lines": [
            {
                "indicator_id": line.indicator.pk,
                "parent_id": line.indicator.parent_id,
                "title": line.indicator.title,
                "part": line.indicator.part,
                "source_kind": line.indicator.source_kind,
                "weight": line.indicator.weight,
                "value": line.value,
                "raw": line.raw,
                "method": line.method,
                "comment": line.comment,
                "contribution": line.contribution,
                "frozen": line.frozen,
                "inputs": [
                    {"label": i.get("label", ""), "link": i.get("link", ""), "ok": i.get("ok")}
                    for i in line.inputs
                ],
            }
            for line in result.lines
        ],
    }
