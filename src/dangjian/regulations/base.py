"""Rule registry: each encoded regulation with its citation, parameters and severity."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Final

__all__ = [
    "CONFIDENCE_LEVELS",
    "RULES",
    "Rule",
    "RuleViolation",
    "Severity",
    "register",
    "rule",
]

# Modules whose import registers rules; `rule()` loads them on demand so callers need not
# know which module owns which id.
_RULE_MODULES: Final = (
    "dangjian.regulations.membership",
    "dangjian.regulations.committee",
    "dangjian.regulations.meetings",
    "dangjian.regulations.attendance",
    "dangjian.regulations.engine",  # the national frequency rules, from packs/national.toml
    "dangjian.regulations.study",
    "dangjian.regulations.recruitment",
    "dangjian.regulations.dues",
    "dangjian.regulations.transfers",
    "dangjian.regulations.discipline",
    "dangjian.regulations.assessment",
)

CONFIDENCE_LEVELS: Final = frozenset({"H", "M", "L"})


class Severity(StrEnum):
    """How a violated rule is reported: errors block, warnings need a recorded reason."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Rule:
    """One regulation rule; `article` is set only when the article number is verified (H)."""

    id: str
    title: str
    article: str | None
    summary: str
    params: Mapping[str, object]
    severity: Severity
    confidence: str
    # The platform's own practice, not a rule of the regulation it refers to: shown as such.
    practice: bool = False

    def __post_init__(self) -> None:
        if self.confidence not in CONFIDENCE_LEVELS:
            raise ValueError(f"confidence must be one of H/M/L, got {self.confidence!r}")
        if not (self.title.startswith("《") and self.title.endswith("》")):
            raise ValueError(f"title must be a full 《…》 title, got {self.title!r}")
        # A frozen dataclass can still be mutated through a shared dict; freeze a copy.
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))

    @property
    def citation(self) -> str:
        """The text shown to users, e.g. 《中国共产党支部工作条例（试行）》第四条; a platform
        practice reads 平台做法（参照《…》）."""
        cited = f"{self.title}{self.article}" if self.article else self.title
        return f"平台做法（参照{cited}）" if self.practice else cited


RULES: dict[str, Rule] = {}


def register(new_rule: Rule) -> Rule:
    """Add a rule to the registry; ids are unique so citations cannot silently change."""
    existing = RULES.get(new_rule.id)
    if existing is not None and existing != new_rule:
        raise ValueError(f"rule id {new_rule.id!r} is already registered with other content")
    RULES[new_rule.id] = new_rule
    return new_rule


def _load_rule_modules() -> None:
    for module in _RULE_MODULES:
        importlib.import_module(module)


def rule(id: str) -> Rule:
    """Return the registered rule with this id (KeyError if there is none)."""
    found = RULES.get(id)
    if found is None:
        _load_rule_modules()
        found = RULES.get(id)
    if found is None:
        raise KeyError(f"unknown regulation rule id: {id!r}")
    return found


@dataclass(frozen=True)
class RuleViolation:
    """A finding: the rule, a Chinese message for users, and the facts that triggered it.

    `severity` defaults to the rule's own severity; a rule whose text has both a hard limit
    and a "一般" default (e.g. an expired vs. an expiring term) sets it per finding.
    """

    rule: Rule
    message: str
    facts: dict[str, object] = field(default_factory=dict)
    severity: Severity | None = None

    def __post_init__(self) -> None:
        if self.severity is None:
            object.__setattr__(self, "severity", self.rule.severity)

    @property
    def citation(self) -> str:
        """Shortcut for `rule.citation`, used when rendering a finding."""
        return self.rule.citation
