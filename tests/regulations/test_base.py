"""Rule registry, citations and the no-Django guarantee."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

import dangjian.regulations as regulations_pkg
from dangjian.regulations import committee, membership  # noqa: F401 - registers the rules
from dangjian.regulations.base import RULES, Rule, RuleViolation, Severity, register, rule

PACKAGE_DIR = Path(regulations_pkg.__file__).parent


def make_rule(**overrides: object) -> Rule:
    fields: dict[str, object] = {
        "id": "test_rule",
        "title": "《中国共产党支部工作条例（试行）》",
        "article": "第四条",
        "summary": "测试",
        "params": {"n": 3},
        "severity": Severity.ERROR,
        "confidence": "H",
    }
    fields.update(overrides)
    return Rule(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("article", "expected"),
    [
        ("第四条", "《中国共产党支部工作条例（试行）》第四条"),
        (None, "《中国共产党支部工作条例（试行）》"),
    ],
)
def test_citation(article: str | None, expected: str) -> None:
    assert make_rule(article=article).citation == expected


@pytest.mark.parametrize(
    ("rule_id", "citation"),
    [
        ("branch_min_members", "《中国共产党支部工作条例（试行）》第四条"),
        ("branch_max_members", "《中国共产党支部工作条例（试行）》第四条"),
        ("committee_threshold", "《中国共产党支部工作条例（试行）》"),
        ("committee_size", "《中国共产党支部工作条例（试行）》"),
        ("no_committee", "《中国共产党支部工作条例（试行）》"),
        ("committee_term", "《关于党的基层组织任期的意见》"),
        ("min_age", "《中国共产党发展党员工作细则》第五条"),
        ("probation_length", "《中国共产党章程》第七条"),
        ("probation_extension", "《中国共产党发展党员工作细则》"),
        ("party_age", "《中国共产党章程》第七条"),
    ],
)
def test_registered_citations(rule_id: str, citation: str) -> None:
    assert rule(rule_id).citation == citation
    assert RULES[rule_id] is rule(rule_id)


@pytest.mark.parametrize(
    ("rule_id", "severity"),
    [
        ("branch_min_members", Severity.ERROR),
        ("branch_max_members", Severity.WARNING),
        ("committee_threshold", Severity.ERROR),
        ("committee_size", Severity.WARNING),
        ("no_committee", Severity.ERROR),  # the text has no "一般"
        ("committee_term", Severity.WARNING),  # "一般为3年", may be extended
        ("min_age", Severity.ERROR),
    ],
)
def test_registered_severities(rule_id: str, severity: Severity) -> None:
    assert rule(rule_id).severity is severity


def test_only_h_rules_show_an_article() -> None:
    for registered in RULES.values():
        if registered.article is not None:
            assert registered.confidence == "H", registered.id
        assert registered.summary


def test_unknown_rule() -> None:
    with pytest.raises(KeyError):
        rule("no_such_rule")


@pytest.mark.parametrize(
    "overrides",
    [
        {"confidence": "X"},
        {"confidence": "h"},
        {"title": "中国共产党支部工作条例"},
    ],
)
def test_rule_rejects_bad_metadata(overrides: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        make_rule(**overrides)


def test_rule_params_are_read_only() -> None:
    source = {"n": 3}
    made = make_rule(params=source)
    source["n"] = 4
    assert made.params["n"] == 3
    with pytest.raises(TypeError):
        made.params["n"] = 5  # type: ignore[index]


def test_register_is_idempotent_but_refuses_conflicts() -> None:
    first = make_rule(id="test_register_tmp")
    try:
        assert register(first) is first
        assert register(make_rule(id="test_register_tmp")) == first
        with pytest.raises(ValueError):
            register(make_rule(id="test_register_tmp", params={"n": 4}))
    finally:
        RULES.pop("test_register_tmp", None)


def test_violation_severity_defaults_to_rule() -> None:
    warning_rule = make_rule(severity=Severity.WARNING)
    assert RuleViolation(warning_rule, "消息").severity is Severity.WARNING
    overridden = RuleViolation(warning_rule, "消息", {"n": 1}, severity=Severity.ERROR)
    assert overridden.severity is Severity.ERROR
    assert overridden.citation == warning_rule.citation
    assert overridden.facts == {"n": 1}


def test_severity_values() -> None:
    assert Severity.ERROR == "error"
    assert Severity.WARNING == "warning"


def test_rule_loads_its_module_on_demand() -> None:
    src = str(PACKAGE_DIR.parent.parent)
    env = {**os.environ, "PYTHONPATH": src}
    code = (
        "from dangjian.regulations.base import rule;"
        "print(rule('committee_threshold').id, rule('min_age').citation)"
    )
    result = subprocess.run(  # noqa: S603 - fixed interpreter and code
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert result.stdout.strip() == "committee_threshold 《中国共产党发展党员工作细则》第五条"


@pytest.mark.parametrize("path", sorted(PACKAGE_DIR.glob("*.py")), ids=lambda p: p.name)
def test_modules_are_pure_python(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert ast.get_docstring(tree), f"{path.name} needs a module docstring"
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        else:
            continue
        assert not any(name.split(".")[0] == "django" for name in names), path.name
