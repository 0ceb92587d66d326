"""Rule packs: the national frequency rules as data, local overrides and additions, validated."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Final

from .attendance import LAPSE_MONTHS
from .base import CONFIDENCE_LEVELS, Severity, register, rule
from .dues import DuesPackError, DuesParams, dues_params, parse_dues_table
from .meetings import (
    MEETING_KINDS,
    ORG_KINDS,
    FrequencyRule,
    frequency_rule,
)
from .periods import PERIOD_KINDS
from .study import StudyPackError, StudyParams, parse_study_table, study_params

__all__ = [
    "PARAM_SPECS",
    "AppliedOverride",
    "PackError",
    "RuleOverride",
    "RulePack",
    "RuleSet",
    "bundled_pack",
    "effective_rules",
    "load_pack",
    "national_pack",
]

NATIONAL_PACK_ID: Final = "national"
_ID_PATTERN: Final = re.compile(r"^[a-z][a-z0-9_]*$")

_TOP_KEYS: Final = frozenset({"pack", "rules", "params", "study", "dues"})
_PACK_KEYS: Final = frozenset({"id", "title", "description"})
_DEFINITION_REQUIRED: Final = (
    "id",
    "kind",
    "title",
    "summary",
    "meeting_kinds",
    "org_kinds",
    "period",
    "minimum",
    "severity",
    "confidence",
)
_DEFINITION_OPTIONAL: Final = frozenset(
    {"article", "at_risk_days", "default_quarter", "requires_committee", "noun"}
)
_OVERRIDE_CHANGES: Final = frozenset(
    {"minimum", "period", "at_risk_days", "severity", "default_quarter", "enabled"}
)
_OVERRIDE_KEYS: Final = _OVERRIDE_CHANGES | {"id", "reason"}
_SEVERITIES: Final = frozenset(s.value for s in Severity)


@dataclass(frozen=True)
class _ParamSpec:
    label: str
    minimum: int
    maximum: int | None = None


# Numbers outside the frequency rules that a pack may set. The first two differ by place
# and have no national figure (regulations.md: local rules); the last two are the
# platform's own defaults for its early warnings.
PARAM_SPECS: Final[Mapping[str, _ParamSpec]] = MappingProxyType(
    {
        "publicity_working_days": _ParamSpec("发展党员公示期（工作日）", 1),
        "letter_validity_months": _ParamSpec("组织关系介绍信有效期（月）", 1),
        "absence_streak_threshold": _ParamSpec("连续无故缺席提醒次数", 1),
        "lapse_warn_after_months": _ParamSpec("未参加组织生活提前预警（月）", 1, LAPSE_MONTHS - 1),
        # Platform defaults for meetings (issue 12): check-in window and 补录 threshold.
        "checkin_open_minutes_before": _ParamSpec("会前多少分钟开放扫码签到", 0, 24 * 60),
        "backfill_after_days": _ParamSpec("会后多少天记录视为补录", 1, 366),
        # Platform default for assessment (issue 14): appeals within so many working days of
        # the results' publication (no national figure).
        "assessment_appeal_working_days": _ParamSpec("考核结果申诉期（工作日）", 1, 30),
    }
)


class PackError(ValueError):
    """A rule pack that cannot be loaded or applied; the message is for the administrator."""

    def __init__(
        self, source: str, message: str, *, rule_id: str | None = None, field: str | None = None
    ) -> None:
        where = f"规则包 {source}"
        if rule_id is not None:
            where += f" 规则 {rule_id}"
        if field is not None:
            where += f" 字段 {field}"
        super().__init__(f"{where}：{message}")
        self.source = source
        self.rule_id = rule_id
        self.field = field


@dataclass(frozen=True)
class RuleOverride:
    """A local change to an existing rule: only the listed fields, with the reason given."""

    rule_id: str
    changes: Mapping[str, object]
    reason: str


@dataclass(frozen=True)
class RulePack:
    """One loaded and validated pack; `name` is the file (or the name given for text)."""

    id: str
    title: str
    description: str
    name: str
    definitions: tuple[FrequencyRule, ...] = ()
    overrides: tuple[RuleOverride, ...] = ()
    params: Mapping[str, int] = field(default_factory=dict)
    # The `[study]` table (study hours, regulations/study.py), checked there.
    study: Mapping[str, object] = field(default_factory=dict)
    # The `[dues]` table (party dues, regulations/dues.py), checked there.
    dues: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class AppliedOverride:
    """What a pack changed, for the audit trail: before and after numbers and the reason."""

    pack_id: str
    rule_id: str
    before: Mapping[str, object]
    after: Mapping[str, object]
    reason: str


@dataclass(frozen=True)
class RuleSet:
    """The rules in force after applying local packs to the national one, in pack order."""

    rules: tuple[FrequencyRule, ...]
    disabled: Mapping[str, FrequencyRule]
    params: Mapping[str, int]
    param_sources: Mapping[str, str]
    applied: tuple[AppliedOverride, ...]
    pack_ids: tuple[str, ...]
    # The packs' own Chinese titles, in the same order, for pages (ids are for machines).
    pack_titles: tuple[str, ...] = ()
    study: StudyParams = StudyParams()
    dues: DuesParams = DuesParams()

    def frequency_rules_for(
        self, org_kind: str, *, has_committee: bool = True
    ) -> list[FrequencyRule]:
        """The enabled frequency rules binding an organization of `org_kind`."""
        return [r for r in self.rules if r.applies_to(org_kind, has_committee=has_committee)]

    def rule(self, rule_id: str) -> FrequencyRule:
        for candidate in self.rules:
            if candidate.id == rule_id:
                return candidate
        raise KeyError(f"no enabled frequency rule {rule_id!r}")

    def __contains__(self, rule_id: object) -> bool:
        return any(r.id == rule_id for r in self.rules)


def _state(rule: FrequencyRule, enabled: bool = True) -> dict[str, object]:
    state = {**dict(rule.rule.params), "severity": rule.severity.value, "enabled": enabled}
    state.setdefault("default_quarter", None)
    return state


class _Checker:
    """Type checks that raise a PackError naming the pack, the rule and the field."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, message: str, rule_id: str | None = None, field: str | None = None) -> PackError:
        return PackError(self.source, message, rule_id=rule_id, field=field)

    def keys(
        self, table: Mapping[str, object], allowed: frozenset[str], rule_id: str | None, what: str
    ) -> None:
        unknown = sorted(set(table) - allowed)
        if unknown:
            raise self.fail(
                f"{what}中有未知的键 {', '.join(unknown)}（允许的键：{', '.join(sorted(allowed))}）",
                rule_id,
            )

    def text(
        self, table: Mapping[str, object], key: str, rule_id: str | None, *, required: bool = True
    ) -> str | None:
        if key not in table:
            if required:
                raise self.fail("缺少必填字段", rule_id, key)
            return None
        value = table[key]
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"应为非空文本，实际为 {value!r}", rule_id, key)
        return value.strip()

    def identifier(self, table: Mapping[str, object], key: str, rule_id: str | None) -> str:
        value = self.text(table, key, rule_id)
        assert value is not None
        if not _ID_PATTERN.match(value):
            raise self.fail(
                f"编号只能由小写字母、数字和下划线组成且以字母开头，实际为 {value!r}", rule_id, key
            )
        return value

    def integer(
        self,
        table: Mapping[str, object],
        key: str,
        rule_id: str | None,
        minimum: int,
        maximum: int | None = None,
    ) -> int:
        value = table[key]
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(f"应为整数，实际为 {value!r}", rule_id, key)
        if value < minimum or (maximum is not None and value > maximum):
            bound = f"{minimum}至{maximum}之间" if maximum is not None else f"不小于{minimum}"
            raise self.fail(f"应为{bound}的整数，实际为 {value}", rule_id, key)
        return value

    def choice(
        self,
        table: Mapping[str, object],
        key: str,
        rule_id: str | None,
        choices: frozenset[str] | tuple[str, ...],
        what: str,
    ) -> str:
        value = table[key]
        if value not in choices:
            raise self.fail(
                f"未知的{what} {value!r}（可选：{', '.join(sorted(choices))}）", rule_id, key
            )
        return str(value)

    def kinds(
        self,
        table: Mapping[str, object],
        key: str,
        rule_id: str | None,
        choices: frozenset[str],
        what: str,
    ) -> frozenset[str]:
        value = table[key]
        if not isinstance(value, list) or not value:
            raise self.fail(f"应为非空列表，实际为 {value!r}", rule_id, key)
        unknown = [v for v in value if v not in choices]
        if unknown:
            raise self.fail(
                f"未知的{what} {', '.join(map(repr, unknown))}（可选：{', '.join(sorted(choices))}）",
                rule_id,
                key,
            )
        return frozenset(value)

    def boolean(self, table: Mapping[str, object], key: str, rule_id: str | None) -> bool:
        value = table[key]
        if not isinstance(value, bool):
            raise self.fail(f"应为 true 或 false，实际为 {value!r}", rule_id, key)
        return value


def _definition(
    check: _Checker, entry: Mapping[str, object], rule_id: str, pack_id: str
) -> FrequencyRule:
    check.keys(entry, frozenset(_DEFINITION_REQUIRED) | _DEFINITION_OPTIONAL, rule_id, "规则")
    for key in _DEFINITION_REQUIRED:
        if key not in entry:
            raise check.fail("缺少必填字段", rule_id, key)
    check.choice(entry, "kind", rule_id, frozenset({"frequency"}), "规则类型")
    title = check.text(entry, "title", rule_id)
    assert title is not None
    if not (title.startswith("《") and title.endswith("》")):
        raise check.fail(f"应为带书名号的完整标题，如《……》，实际为 {title!r}", rule_id, "title")
    summary = check.text(entry, "summary", rule_id)
    article = check.text(entry, "article", rule_id, required=False)
    confidence = check.choice(entry, "confidence", rule_id, CONFIDENCE_LEVELS, "可信度")
    if article is not None and confidence != "H":
        raise check.fail("只有可信度为 H（原文已核实）的规则才能注明条款", rule_id, "article")
    period = check.choice(entry, "period", rule_id, PERIOD_KINDS, "周期")
    default_quarter = None
    if "default_quarter" in entry:
        default_quarter = check.integer(entry, "default_quarter", rule_id, 1, 4)
        if period != "year":
            raise check.fail("只有按年计算的规则才能设置默认季度", rule_id, "default_quarter")
    meeting_kinds = check.kinds(entry, "meeting_kinds", rule_id, MEETING_KINDS, "会议类型")
    org_kinds = check.kinds(entry, "org_kinds", rule_id, ORG_KINDS, "组织类型")
    minimum = check.integer(entry, "minimum", rule_id, 1)
    severity = Severity(check.choice(entry, "severity", rule_id, _SEVERITIES, "严重程度"))
    at_risk_days = None
    if "at_risk_days" in entry:
        at_risk_days = check.integer(entry, "at_risk_days", rule_id, 0)
    requires_committee = False
    if "requires_committee" in entry:
        requires_committee = check.boolean(entry, "requires_committee", rule_id)
    try:
        return frequency_rule(
            id=rule_id,
            title=title,
            article=article,
            summary=summary or "",
            meeting_kinds=meeting_kinds,
            org_kinds=org_kinds,
            period=period,  # type: ignore[arg-type]
            minimum=minimum,
            severity=severity,
            confidence=confidence,
            default_quarter=default_quarter,
            at_risk_days=at_risk_days,
            requires_committee=requires_committee,
            noun=check.text(entry, "noun", rule_id, required=False) or "",
            source=pack_id,
        )
    except ValueError as exc:  # every field was checked above; this is a safety net
        raise check.fail(f"规则无效（{exc}）", rule_id) from exc


def _override(check: _Checker, entry: Mapping[str, object], rule_id: str) -> RuleOverride:
    check.keys(
        entry, _OVERRIDE_KEYS, rule_id, '覆盖国家规则的条目（新增规则须写 kind = "frequency"）'
    )
    reason = check.text(entry, "reason", rule_id)
    changes: dict[str, object] = {}
    for key in sorted(_OVERRIDE_CHANGES & set(entry)):
        if key == "minimum":
            changes[key] = check.integer(entry, key, rule_id, 1)
        elif key == "at_risk_days":
            changes[key] = check.integer(entry, key, rule_id, 0)
        elif key == "default_quarter":
            changes[key] = check.integer(entry, key, rule_id, 1, 4)
        elif key == "period":
            changes[key] = check.choice(entry, key, rule_id, PERIOD_KINDS, "周期")
        elif key == "severity":
            changes[key] = check.choice(entry, key, rule_id, _SEVERITIES, "严重程度")
        else:
            changes[key] = check.boolean(entry, key, rule_id)
    if not changes:
        raise check.fail(
            "没有修改任何字段（可修改：" + "、".join(sorted(_OVERRIDE_CHANGES)) + "）", rule_id
        )
    return RuleOverride(rule_id=rule_id, changes=MappingProxyType(changes), reason=reason or "")


def _params(check: _Checker, table: object) -> dict[str, int]:
    if not isinstance(table, dict):
        raise check.fail("[params] 应为表")
    check.keys(table, frozenset(PARAM_SPECS), None, "[params] ")
    params: dict[str, int] = {}
    for key, spec in PARAM_SPECS.items():
        if key in table:
            params[key] = check.integer(table, key, None, spec.minimum, spec.maximum)
    return params


def _parse(data: Mapping[str, object], name: str) -> RulePack:
    check = _Checker(name)
    check.keys(data, _TOP_KEYS, None, "文件顶层")
    header = data.get("pack")
    if not isinstance(header, dict):
        raise check.fail("缺少 [pack] 表（需要 id、title、description）")
    check.keys(header, _PACK_KEYS, None, "[pack] ")
    pack_id = check.identifier(header, "id", None)
    title = check.text(header, "title", None)
    description = check.text(header, "description", None, required=False) or ""
    entries = data.get("rules", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise check.fail("[[rules]] 应为表的数组")
    definitions: list[FrequencyRule] = []
    overrides: list[RuleOverride] = []
    seen: set[str] = set()
    for position, entry in enumerate(entries, start=1):
        if "id" not in entry:
            raise check.fail(f"第{position}条规则缺少必填字段", None, "id")
        rule_id = check.identifier(entry, "id", f"#{position}")
        if rule_id in seen:
            raise check.fail("规则编号重复", rule_id, "id")
        seen.add(rule_id)
        if "kind" in entry:
            definitions.append(_definition(check, entry, rule_id, pack_id))
        else:
            overrides.append(_override(check, entry, rule_id))
    params = _params(check, data.get("params", {}))
    study = data.get("study", {})
    if not isinstance(study, dict):
        raise check.fail("[study] 应为表")
    try:
        parse_study_table(study, name)
    except StudyPackError as exc:
        raise PackError(name, str(exc)) from exc
    dues = data.get("dues", {})
    if not isinstance(dues, dict):
        raise check.fail("[dues] 应为表")
    try:
        parse_dues_table(dues, name)
    except DuesPackError as exc:
        raise PackError(name, str(exc)) from exc
    return RulePack(
        id=pack_id,
        title=title or "",
        description=description,
        name=name,
        definitions=tuple(definitions),
        overrides=tuple(overrides),
        params=MappingProxyType(params),
        study=MappingProxyType(study),
        dues=MappingProxyType(dues),
    )


def load_pack(source: str | Path, *, name: str | None = None) -> RulePack:
    """Load and validate a pack from a file path, or from TOML text.

    A `Path`, or a string without a newline that does not start with "[", is a file path;
    any other string is the TOML itself (`name` then labels it in error messages).
    """
    if isinstance(source, Path) or ("\n" not in source and not source.lstrip().startswith("[")):
        path = Path(source)
        label = name or str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise PackError(label, f"无法读取文件（{exc.strerror or exc}）") from exc
    else:
        text, label = source, name or "<文本>"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PackError(label, f"不是有效的 TOML：{exc}") from exc
    return _parse(data, label)


def bundled_pack(name: str) -> RulePack:
    """A pack shipped in dangjian/regulations/packs/ (e.g. "national", "sample_local")."""
    resource = resources.files("dangjian.regulations").joinpath("packs", f"{name}.toml")
    return load_pack(resource.read_text(encoding="utf-8"), name=f"packs/{name}.toml")


# Parameters every rule set has, so readers need no default of their own: the national pack
# gives them (a local pack may change them).
NATIONAL_PARAMS: Final = frozenset({"absence_streak_threshold", "lapse_warn_after_months"})


@cache
def national_pack() -> RulePack:
    """The national pack: the one definition of the national meeting-frequency rules. Their
    Rules join the registry (citations, and no local pack may reuse their ids)."""
    pack = bundled_pack(NATIONAL_PACK_ID)
    if pack.id != NATIONAL_PACK_ID or pack.overrides:
        raise PackError(pack.name, "国家规则包的编号应为 national，且不能覆盖规则")
    missing = sorted(NATIONAL_PARAMS - set(pack.params))
    if missing:
        raise PackError(pack.name, f"国家规则包应给出参数：{'、'.join(missing)}")
    for definition in pack.definitions:
        register(definition.rule)
    return pack


def _registered(rule_id: str) -> bool:
    try:
        rule(rule_id)
    except KeyError:
        return False
    return True


def effective_rules(national: RulePack, *local_packs: RulePack) -> RuleSet:
    """Apply local packs in order to the national pack.

    A local override replaces the numbers of the rule in force (national, or added by an
    earlier local pack) and records its pack as the rule's `source`; `enabled = false`
    takes a rule out and a later `enabled = true` puts it back. A local pack cannot define
    a rule whose id is already taken. Later packs win for `[params]` too.
    """
    if national.overrides:
        raise PackError(national.name, "国家规则包不能覆盖规则")
    active: dict[str, FrequencyRule] = {r.id: r for r in national.definitions}
    # Rules keep the place where they were first defined, whatever is disabled and re-enabled.
    order: dict[str, int] = {rule_id: n for n, rule_id in enumerate(active)}
    disabled: dict[str, FrequencyRule] = {}
    params = dict(national.params)
    param_sources = dict.fromkeys(params, national.id)
    applied: list[AppliedOverride] = []
    pack_ids = [national.id]
    for pack in local_packs:
        if pack.id in pack_ids:
            raise PackError(pack.name, f"规则包编号 {pack.id} 重复")
        pack_ids.append(pack.id)
        for added in pack.definitions:
            if added.id in order or _registered(added.id):
                raise PackError(
                    pack.name,
                    "规则编号已被使用；要修改已有规则，请去掉 kind 并写明 reason",
                    rule_id=added.id,
                    field="id",
                )
            active[added.id] = added
            order[added.id] = len(order)
        for change in pack.overrides:
            enabled = change.rule_id in active
            current = active.get(change.rule_id) or disabled.get(change.rule_id)
            if current is None:
                raise PackError(pack.name, "要覆盖的规则不存在", rule_id=change.rule_id, field="id")
            numbers = {k: v for k, v in change.changes.items() if k != "enabled"}
            try:
                updated = current.overridden(numbers, source=pack.id) if numbers else current
            except ValueError as exc:
                raise PackError(
                    pack.name, f"覆盖后的规则无效（{exc}）", rule_id=change.rule_id
                ) from exc
            now_enabled = bool(change.changes.get("enabled", enabled))
            active.pop(change.rule_id, None)
            disabled.pop(change.rule_id, None)
            (active if now_enabled else disabled)[change.rule_id] = updated
            applied.append(
                AppliedOverride(
                    pack_id=pack.id,
                    rule_id=change.rule_id,
                    before=MappingProxyType(_state(current, enabled)),
                    after=MappingProxyType(_state(updated, now_enabled)),
                    reason=change.reason,
                )
            )
        params.update(pack.params)
        param_sources.update(dict.fromkeys(pack.params, pack.id))
    return RuleSet(
        rules=tuple(sorted(active.values(), key=lambda r: order[r.id])),
        disabled=MappingProxyType(disabled),
        params=MappingProxyType(params),
        param_sources=MappingProxyType(param_sources),
        applied=tuple(applied),
        pack_ids=tuple(pack_ids),
        pack_titles=tuple(p.title or p.id for p in (national, *local_packs)),
        study=study_params([(p.name, p.study) for p in (national, *local_packs)]),
        dues=_dues_params([(p.name, p.dues) for p in (national, *local_packs)]),
    )


def _dues_params(tables: list[tuple[str, Mapping[str, object]]]) -> DuesParams:
    try:
        return dues_params(tables)
    except DuesPackError as exc:
        raise PackError(tables[-1][0], str(exc)) from exc


# The national rules are registered as soon as the rules are: `base.rule` imports this module.
national_pack()
