"""Scores of a scheme's targets: every indicator's value, how it was computed, the records
behind it, its weight and its contribution; the party, business and combined scores and the
grade. Before the scheme is frozen the computed indicators are read live from the records;
from then on from their snapshots. No writes here (the freeze in `services` stores what
`compute_sources` returns). A fixed number of queries per indicator source, whatever the
number of targets.

Scores: a leaf's value is on 0–100 (computed: a share in percent; votes: the ballots' average
points; manual and imported: the score over the indicator's maximum, × 100). A group's value is
its children's values weighted; a part's (party, business) its top indicators' weighted; the
combined score is party × w + business × w (regulations/assessment.py). A computed indicator
with nothing to measure (no work item due, say) counts as full marks and says so; a manual,
vote or imported indicator not yet scored counts 0 and says so.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from dangjian.assessment.models import (
    ImportedScore,
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
from dangjian.core.clock import today
from dangjian.core.indicators import Explained, catalogue
from dangjian.regulations.assessment import (
    combined,
    grade_for,
    parse_grades,
    parse_vote_points,
    round2,
    vote_value,
)

HUNDRED = Decimal(100)


@dataclass
class Line:
    """One indicator for one target, as the explanation page and the report show it."""

    indicator: Indicator
    depth: int
    value: Decimal | None = None  # 0–100 (None: a group, or nothing scored)
    raw: str = ""  # the value as entered or measured (a share, a score, the ballots)
    method: str = ""
    inputs: list[dict[str, Any]] = field(default_factory=list)
    comment: str = ""
    effective_weight: Decimal = Decimal(0)  # share of the combined score, 0–1
    contribution: Decimal = Decimal(0)
    frozen: bool = False


@dataclass
class TargetResult:
    target: Target
    lines: list[Line]
    party: Decimal
    business: Decimal
    score: Decimal
    earned_grade: str
    grade: str
    vetoes: list[Veto]


def tree(
    scheme: Scheme, indicators: Iterable[Indicator] | None = None
) -> list[tuple[Indicator, int]]:
    """The indicators depth first (party, then business), with their depth."""
    items = list(indicators if indicators is not None else scheme.indicators.all())
    children: dict[int | None, list[Indicator]] = defaultdict(list)
    for item in items:
        children[item.parent_id].append(item)
    out: list[tuple[Indicator, int]] = []

    def walk(parent: int | None, depth: int) -> None:
        for item in sorted(children.get(parent, []), key=lambda i: (i.position, i.pk)):
            out.append((item, depth))
            walk(item.pk, depth + 1)

    roots = children.get(None, [])
    for part in (Part.PARTY, Part.BUSINESS):
        for item in sorted((r for r in roots if r.part == part), key=lambda i: (i.position, i.pk)):
            out.append((item, 0))
            walk(item.pk, 1)
    return out


def compute_sources(
    indicators: Iterable[Indicator], targets: list[Target], year: int, as_of: dt.date
) -> dict[int, dict[int, Explained]]:
    """Live values of the computed indicators: {indicator id: {target id: Explained}}. Each
    source is computed once for all targets, however many indicators use it."""
    sources = catalogue()
    orgs = [t.organization for t in targets]
    by_org = {t.organization_id: t.pk for t in targets}
    memo: dict[str, dict[int, Explained]] = {}
    out: dict[int, dict[int, Explained]] = {}
    for ind in indicators:
        if ind.source_kind != SourceKind.COMPUTED:
            continue
        if ind.source_key not in memo:
            source = sources.get(ind.source_key)
            found = source.compute(orgs, year, as_of) if source and orgs else {}
            memo[ind.source_key] = {by_org[k]: v for k, v in found.items() if k in by_org}
        out[ind.pk] = memo[ind.source_key]
    return out


def _effective_weights(scheme: Scheme, items: list[tuple[Indicator, int]]) -> dict[int, Decimal]:
    part_weight = {Part.PARTY: scheme.party_weight, Part.BUSINESS: scheme.business_weight}
    weights: dict[int, Decimal] = {}
    for ind, _ in items:  # parents come before their children
        base = (
            weights[ind.parent_id]
            if ind.parent_id is not None
            else Decimal(part_weight[Part(ind.part)]) / HUNDRED
        )
        weights[ind.pk] = base * ind.weight / HUNDRED
    return weights


# Above this many targets, rows are read for the whole scheme (no long list of ids: SQLite
# limits the parameters of one statement) and the others dropped.
MANY_TARGETS = 500


def _of_targets(model, scheme: Scheme, targets: list[Target], defer: tuple[str, ...] = ()) -> list:
    rows = model.objects.defer(*defer)
    if len(targets) > MANY_TARGETS:
        wanted = {t.pk for t in targets}
        return [r for r in rows.filter(target__scheme=scheme) if r.target_id in wanted]
    return list(rows.filter(target_id__in=[t.pk for t in targets]))


class _Entered:
    """Manual scores, tallies, imported scores and vetoes of some targets (four queries)."""

    def __init__(self, scheme: Scheme, targets: list[Target]) -> None:
        self.manual = {
            (m.target_id, m.indicator_id): m for m in _of_targets(ManualScore, scheme, targets)
        }
        self.tallies = {
            (t.target_id, t.indicator_id): t
            for t in _of_targets(ReportAppraisalTally, scheme, targets)
        }
        self.imported = {
            (i.target_id, i.indicator_id): i for i in _of_targets(ImportedScore, scheme, targets)
        }
        self.vetoes: dict[int, list[Veto]] = defaultdict(list)
        for v in sorted(_of_targets(Veto, scheme, targets), key=lambda v: v.pk):
            self.vetoes[v.target_id].append(v)


def _leaf(line: Line, target: Target, entered: _Entered, live, frozen, points) -> None:
    ind = line.indicator
    key = (target.pk, ind.pk)
    if ind.source_kind == SourceKind.COMPUTED:
        snap = frozen.get((target.pk, ind.source_key))
        if snap is not None:
            value, line.method, line.inputs, line.frozen = (
                snap.value,
                snap.method,
                [] if "inputs" in snap.get_deferred_fields() else snap.inputs,
                True,
            )
        else:
            explained = live.get(ind.pk, {}).get(target.pk)
            if explained is None:
                explained = Explained(None, "该数据来源暂无记录")
            value, line.method, line.inputs = explained.value, explained.method, explained.inputs
        if value is None:
            line.value, line.raw = HUNDRED, "无应办事项"
            line.method += "；无可计算的记录，按满分计"
        else:
            line.value, line.raw = round2(value), f"{round2(value)}%"
    elif ind.source_kind == SourceKind.MANUAL:
        manual = entered.manual.get(key)
        if manual is None:
            line.value, line.raw, line.method = Decimal(0), "未评分", "考核组尚未评分，暂按0分计"
        else:
            line.value = round2(manual.score * HUNDRED / ind.max_score)
            line.raw = f"{manual.score}/{ind.max_score}"
            line.method = "考核组评分"
            line.comment = manual.comment
            if manual.evidence:
                line.inputs = [{"label": manual.evidence, "link": "", "ok": None}]
    elif ind.source_kind == SourceKind.VOTES:
        tally = entered.tallies.get(key)
        value = vote_value(tally.counts, points) if tally is not None else None
        if tally is None or value is None:
            line.value, line.raw, line.method = Decimal(0), "未计票", "述职评议尚未计票，暂按0分计"
        else:
            counts = "、".join(f"{k}{v}票" for k, v in tally.counts.items())
            line.value, line.raw = value, counts
            line.method = (
                f"{tally.held_on:%Y-%m-%d}述职评议，到会{tally.attendees}人；按方案分值"
                + "、".join(f"{k}={v}" for k, v in points.items())
                + "取平均"
            )
    elif ind.source_kind == SourceKind.IMPORTED:
        imported = entered.imported.get(key)
        if imported is None:
            line.value, line.raw, line.method = Decimal(0), "未导入", "业务绩效尚未导入，暂按0分计"
        else:
            line.value = round2(imported.value * HUNDRED / ind.max_score)
            line.raw = f"{imported.value}/{ind.max_score}"
            line.method = f"业务绩效考核系统导入（{imported.source_name}）"


def results(
    scheme: Scheme, targets: list[Target], *, as_of: dt.date | None = None, inputs: bool = True
) -> list[TargetResult]:
    """Every target's lines and scores. Live before the freeze, from snapshots after.
    `inputs=False` leaves the records behind each value out (lists of many targets)."""
    items = tree(scheme)
    indicators = [ind for ind, _ in items]
    weights = _effective_weights(scheme, items)
    grades = parse_grades(scheme.grades)
    points = parse_vote_points(scheme.vote_points)
    frozen_scheme = scheme.status in (SchemeStatus.FROZEN, SchemeStatus.FINAL)
    frozen: dict[tuple[int, str], Snapshot] = {}
    live: dict[int, dict[int, Explained]] = {}
    if frozen_scheme:
        for snap in _of_targets(Snapshot, scheme, targets, () if inputs else ("inputs",)):
            frozen[(snap.target_id, snap.source_key)] = snap
    else:
        as_of = as_of or min(today(), dt.date(scheme.year, 12, 31))
        live = compute_sources(indicators, targets, scheme.year, as_of)
    entered = _Entered(scheme, targets)
    has_children = {ind.parent_id for ind in indicators}
    out = []
    for target in targets:
        lines = [Line(ind, depth, effective_weight=weights[ind.pk]) for ind, depth in items]
        by_id = {line.indicator.pk: line for line in lines}
        for line in lines:
            if line.indicator.pk not in has_children:
                _leaf(line, target, entered, live, frozen, points)
        for line in reversed(lines):  # children before parents
            ind = line.indicator
            if ind.pk in has_children:
                line.value = round2(
                    sum(
                        (c.value or 0) * c.indicator.weight / HUNDRED
                        for c in lines
                        if c.indicator.parent_id == ind.pk
                    )
                )
                line.raw = f"{line.value}"
                line.method = "下级指标按权重合成"
        part_scores = {Part.PARTY: Decimal(0), Part.BUSINESS: Decimal(0)}
        for line in lines:
            ind = line.indicator
            if ind.pk not in has_children:
                line.contribution = round2((line.value or 0) * line.effective_weight)
            if ind.parent_id is None:
                part_scores[Part(ind.part)] += (line.value or 0) * ind.weight / HUNDRED
        score = combined(
            part_scores[Part.PARTY],
            part_scores[Part.BUSINESS],
            scheme.party_weight,
            scheme.business_weight,
        )
        vetoes = entered.vetoes.get(target.pk, [])
        names = scheme.grade_names
        cap = max((v.cap for v in vetoes), key=names.index, default=None)
        del by_id
        out.append(
            TargetResult(
                target=target,
                lines=lines,
                party=round2(part_scores[Part.PARTY]),
                business=round2(part_scores[Part.BUSINESS]),
                score=score,
                earned_grade=grade_for(score, grades),
                grade=grade_for(score, grades, cap),
                vetoes=vetoes,
            )
        )
    return out
