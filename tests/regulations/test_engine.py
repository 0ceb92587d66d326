"""Rule packs: the national pack, local overrides and additions, and validation on load."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from dangjian.regulations.base import Severity, rule
from dangjian.regulations.engine import (
    PackError,
    RulePack,
    bundled_pack,
    effective_rules,
    load_pack,
    national_pack,
)
from dangjian.regulations.meetings import (
    FindingStatus,
    evaluate_frequency,
)

HEADER = '[pack]\nid = "local"\ntitle = "测试地方规则"\ndescription = "测试"\n'


def local(body: str, *, pack_id: str = "local") -> RulePack:
    header = HEADER.replace('"local"', f'"{pack_id}"')
    return load_pack(header + body, name=f"{pack_id}.toml")


def test_national_pack_defines_the_national_rules_once() -> None:
    pack = national_pack()
    assert pack.id == "national"
    assert [r.id for r in pack.definitions] == [
        "general_meeting_freq",
        "committee_meeting_freq",
        "group_meeting_freq",
        "theme_party_day",
        "org_life_meeting",
        "democratic_review",
        "party_lecture_leader",
        "dlm_freq",
        "heart_talk",
    ]
    # Their Rules are the registry's (citations), from the pack alone.
    assert all(rule(r.id) is r.rule for r in pack.definitions)
    assert all(r.source == "national" for r in pack.definitions)
    assert pack.overrides == ()
    assert dict(pack.params) == {
        "absence_streak_threshold": 3,
        "lapse_warn_after_months": 4,
        "checkin_open_minutes_before": 30,
        "backfill_after_days": 7,
        "assessment_appeal_working_days": 5,
    }
    assert national_pack() is pack


def test_national_rules_alone() -> None:
    rules = effective_rules(national_pack())
    assert [r.id for r in rules.rules] == [r.id for r in national_pack().definitions]
    assert rules.pack_ids == ("national",)
    assert "publicity_working_days" not in rules.params
    assert rules.applied == ()


def test_sample_local_pack_adds_a_quarterly_lecture_and_the_local_numbers() -> None:
    sample = bundled_pack("sample_local")
    rules = effective_rules(national_pack(), sample)
    lecture = rules.rule("party_lecture_branch_quarterly")
    assert lecture.source == "sample_local"
    assert (lecture.period, lecture.minimum, lecture.meeting_kinds) == (
        "quarter",
        1,
        frozenset({"party_lecture"}),
    )
    assert lecture.citation == "《示范市直属机关党建工作实施细则（示例）》"
    assert lecture.rule.confidence == "L"
    assert lecture.severity is Severity.ERROR
    assert lecture in rules.frequency_rules_for("branch")
    assert lecture not in rules.frequency_rules_for("organ_committee")
    assert dict(rules.params) == {
        "absence_streak_threshold": 3,
        "lapse_warn_after_months": 4,
        "publicity_working_days": 5,
        "letter_validity_months": 3,
        "checkin_open_minutes_before": 30,
        "backfill_after_days": 7,
        "assessment_appeal_working_days": 5,
    }
    assert rules.param_sources["publicity_working_days"] == "sample_local"
    assert rules.param_sources["absence_streak_threshold"] == "national"
    # The national rules are untouched by an addition.
    assert rules.rule("general_meeting_freq") is national_pack().definitions[0]

    statuses = [
        f.status
        for f in evaluate_frequency(lecture, [date(2026, 2, 1)], year=2026, today=date(2026, 7, 1))
    ]
    assert statuses == [
        FindingStatus.OK,
        FindingStatus.VIOLATED,
        FindingStatus.PENDING,
        FindingStatus.PENDING,
    ]


def test_bundled_packs_are_readable_as_package_data() -> None:
    packs = Path(__file__).parents[2] / "src" / "dangjian" / "regulations" / "packs"
    assert sorted(p.name for p in packs.glob("*.toml")) == ["national.toml", "sample_local.toml"]
    assert load_pack(packs / "sample_local.toml") == load_pack(
        str(packs / "sample_local.toml"), name=str(packs / "sample_local.toml")
    )
    pyproject = (Path(__file__).parents[2] / "pyproject.toml").read_text(encoding="utf-8")
    assert '"regulations/packs/*"' in pyproject


@pytest.mark.parametrize(
    ("org_kind", "has_committee", "rule_ids"),
    [
        (
            "branch",
            True,
            [
                "general_meeting_freq",
                "committee_meeting_freq",
                "theme_party_day",
                "org_life_meeting",
                "democratic_review",
                "heart_talk",
                "party_lecture_branch_quarterly",
            ],
        ),
        (
            "branch",
            False,
            [
                "general_meeting_freq",
                "theme_party_day",
                "org_life_meeting",
                "democratic_review",
                "heart_talk",
                "party_lecture_branch_quarterly",
            ],
        ),
        ("party_group", True, ["group_meeting_freq"]),
        ("leading_group", True, ["party_lecture_leader", "dlm_freq"]),
        ("organ_discipline_committee", True, []),
    ],
)
def test_frequency_rules_for(org_kind: str, has_committee: bool, rule_ids: list[str]) -> None:
    rules = effective_rules(national_pack(), bundled_pack("sample_local"))
    found = rules.frequency_rules_for(org_kind, has_committee=has_committee)
    assert [r.id for r in found] == rule_ids


def test_frequency_rules_for_refuses_unknown_kinds() -> None:
    with pytest.raises(ValueError):
        effective_rules(national_pack()).frequency_rules_for("club")


TWICE_A_QUARTER = """
[[rules]]
id = "general_meeting_freq"
minimum = 2
reason = "本市要求党员大会每季度召开2次"
"""


def test_local_pack_overrides_the_general_meeting_minimum() -> None:
    rules = effective_rules(national_pack(), local(TWICE_A_QUARTER))
    general = rules.rule("general_meeting_freq")
    assert (general.minimum, general.source, general.period) == (2, "local", "quarter")
    assert general.rule.params["minimum"] == 2
    assert general.citation == "《中国共产党支部工作条例（试行）》第十一条"
    # The registered national rule keeps its own numbers.
    assert rule("general_meeting_freq").params["minimum"] == 1
    assert national_pack().definitions[0].minimum == 1

    held = [date(2026, 1, 10), date(2026, 4, 10), date(2026, 5, 10)]
    found = evaluate_frequency(general, held, year=2026, today=date(2026, 7, 1))
    assert [(f.status, f.held, f.required) for f in found[:2]] == [
        (FindingStatus.VIOLATED, 1, 2),
        (FindingStatus.OK, 2, 2),
    ]
    assert found[0].facts["source"] == "local"
    assert found[0].message.startswith("2026年第1季度支部党员大会应不少于2次，实际1次")
    national = evaluate_frequency(
        national_pack().definitions[0], held, year=2026, today=date(2026, 7, 1)
    )
    assert national[0].status is FindingStatus.OK

    (applied,) = rules.applied
    assert (applied.pack_id, applied.rule_id) == ("local", "general_meeting_freq")
    assert applied.reason == "本市要求党员大会每季度召开2次"
    assert applied.before["minimum"] == 1
    assert applied.after["minimum"] == 2
    assert applied.after["enabled"] is True


def test_local_pack_disables_a_rule() -> None:
    pack = local(
        '[[rules]]\nid = "theme_party_day"\nenabled = false\nreason = "本市以其他形式开展"\n'
    )
    rules = effective_rules(national_pack(), pack)
    assert "theme_party_day" not in rules
    assert "theme_party_day" in rules.disabled
    assert "theme_party_day" not in [r.id for r in rules.frequency_rules_for("branch")]
    with pytest.raises(KeyError):
        rules.rule("theme_party_day")
    (applied,) = rules.applied
    assert (applied.before["enabled"], applied.after["enabled"]) == (True, False)

    enable = local(
        '[[rules]]\nid = "theme_party_day"\nenabled = true\nreason = "恢复"\n',
        pack_id="later",
    )
    again = effective_rules(national_pack(), pack, enable)
    assert "theme_party_day" in again
    # It keeps its place among the branch rules.
    assert [r.id for r in again.frequency_rules_for("branch")] == [
        r.id for r in national_pack().definitions if r.applies_to("branch")
    ]


def test_override_changes_severity_and_at_risk_days() -> None:
    pack = local(
        """
[[rules]]
id = "general_meeting_freq"
severity = "error"
at_risk_days = 10
reason = "本市从严"
"""
    )
    general = effective_rules(national_pack(), pack).rule("general_meeting_freq")
    assert general.severity is Severity.ERROR
    assert general.at_risk_days == 10
    found = evaluate_frequency(general, [], year=2026, today=date(2026, 3, 20))
    assert found[0].status is FindingStatus.PENDING
    found = evaluate_frequency(general, [], year=2026, today=date(2026, 3, 21))
    assert found[0].status is FindingStatus.AT_RISK
    found = evaluate_frequency(general, [], year=2026, today=date(2026, 4, 1))
    assert found[0].severity is Severity.ERROR
    assert found[0].message == "2026年第1季度支部党员大会应不少于1次，实际0次"


def test_override_of_the_period_takes_the_new_default_warning() -> None:
    pack = local('[[rules]]\nid = "theme_party_day"\nperiod = "quarter"\nreason = "按季度"\n')
    theme = effective_rules(national_pack(), pack).rule("theme_party_day")
    assert (theme.period, theme.at_risk_days) == ("quarter", 30)
    assert len(evaluate_frequency(theme, [], year=2026, today=date(2026, 1, 1))) == 4


def test_override_of_the_default_quarter_moves_the_at_risk_date() -> None:
    pack = local('[[rules]]\nid = "org_life_meeting"\ndefault_quarter = 3\nreason = "三季度"\n')
    org_life = effective_rules(national_pack(), pack).rule("org_life_meeting")
    statuses = [
        evaluate_frequency(org_life, [], year=2026, today=today)[0].status
        for today in (date(2026, 6, 30), date(2026, 7, 1))
    ]
    assert statuses == [FindingStatus.PENDING, FindingStatus.AT_RISK]


def test_later_local_packs_win() -> None:
    first = local(TWICE_A_QUARTER + "[params]\npublicity_working_days = 5\n", pack_id="city")
    second = local(
        '[[rules]]\nid = "general_meeting_freq"\nminimum = 3\nreason = "区里更严"\n'
        "[params]\npublicity_working_days = 7\n",
        pack_id="district",
    )
    rules = effective_rules(national_pack(), first, second)
    general = rules.rule("general_meeting_freq")
    assert (general.minimum, general.source) == (3, "district")
    assert rules.params["publicity_working_days"] == 7
    assert rules.param_sources["publicity_working_days"] == "district"
    assert [a.pack_id for a in rules.applied] == ["city", "district"]
    assert rules.applied[1].before["minimum"] == 2


def test_a_local_pack_may_override_a_rule_added_by_an_earlier_one() -> None:
    change = local(
        '[[rules]]\nid = "party_lecture_branch_quarterly"\nminimum = 2\nreason = "试点"\n'
    )
    rules = effective_rules(national_pack(), bundled_pack("sample_local"), change)
    lecture = rules.rule("party_lecture_branch_quarterly")
    assert (lecture.minimum, lecture.source) == (2, "local")


def test_load_pack_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "city.toml"
    path.write_text(HEADER + TWICE_A_QUARTER, encoding="utf-8")
    for source in (path, str(path)):
        pack = load_pack(source)
        assert (pack.id, pack.name) == ("local", str(path))
        assert pack.overrides[0].changes == {"minimum": 2}


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.toml"
    with pytest.raises(PackError, match=f"规则包 {missing}：无法读取文件"):
        load_pack(missing)


def test_error_names_the_file_the_rule_and_the_field() -> None:
    with pytest.raises(PackError) as caught:
        local('[[rules]]\nid = "general_meeting_freq"\nminimum = 0\nreason = "测试"\n')
    assert str(caught.value) == (
        "规则包 local.toml 规则 general_meeting_freq 字段 minimum：应为不小于1的整数，实际为 0"
    )
    assert (caught.value.source, caught.value.rule_id, caught.value.field) == (
        "local.toml",
        "general_meeting_freq",
        "minimum",
    )


NEW_RULE = """
[[rules]]
id = "new_rule"
kind = "frequency"
title = "《测试细则》"
summary = "测试"
meeting_kinds = ["party_lecture"]
org_kinds = ["branch"]
period = "quarter"
minimum = 1
severity = "error"
confidence = "L"
"""


def new_rule(**changes: str | None) -> str:
    """NEW_RULE with lines replaced (value given) or removed (None) or added."""
    lines = NEW_RULE.strip().splitlines()
    for key, value in changes.items():
        lines = [line for line in lines if not line.startswith(f"{key} =")]
        if value is not None:
            lines.append(f"{key} = {value}")
    return "\n".join(lines) + "\n"


def test_new_rule_template_is_valid() -> None:
    (added,) = local(new_rule()).definitions
    assert (added.id, added.source, added.citation) == ("new_rule", "local", "《测试细则》")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("this is = = not toml", "规则包 local.toml：不是有效的 TOML"),
        (
            '[[rules]]\nid = "general_meeting_freq"\nminimun = 2\nreason = "拼写错误"\n',
            "规则包 local.toml 规则 general_meeting_freq：覆盖国家规则的条目"
            '（新增规则须写 kind = "frequency"）中有未知的键 minimun',
        ),
        (
            '[[rules]]\nid = "general_meeting_freq"\nminimum = 2\n',
            "规则包 local.toml 规则 general_meeting_freq 字段 reason：缺少必填字段",
        ),
        (
            '[[rules]]\nid = "general_meeting_freq"\nminimum = 2\nreason = "  "\n',
            "规则包 local.toml 规则 general_meeting_freq 字段 reason：应为非空文本",
        ),
        (
            '[[rules]]\nid = "general_meeting_freq"\nminimum = "2"\nreason = "测试"\n',
            "规则包 local.toml 规则 general_meeting_freq 字段 minimum：应为整数，实际为 '2'",
        ),
        (
            '[[rules]]\nid = "general_meeting_freq"\nminimum = 1.5\nreason = "测试"\n',
            "字段 minimum：应为整数",
        ),
        (
            '[[rules]]\nid = "general_meeting_freq"\nminimum = true\nreason = "测试"\n',
            "字段 minimum：应为整数",
        ),
        (
            '[[rules]]\nid = "general_meeting_freq"\nperiod = "week"\nreason = "测试"\n',
            "规则 general_meeting_freq 字段 period：未知的周期 'week'（可选：month, quarter, year）",
        ),
        (
            '[[rules]]\nid = "general_meeting_freq"\nseverity = "fatal"\nreason = "测试"\n',
            "字段 severity：未知的严重程度 'fatal'（可选：error, warning）",
        ),
        (
            '[[rules]]\nid = "general_meeting_freq"\nat_risk_days = -1\nreason = "测试"\n',
            "字段 at_risk_days：应为不小于0的整数，实际为 -1",
        ),
        (
            '[[rules]]\nid = "org_life_meeting"\ndefault_quarter = 5\nreason = "测试"\n',
            "字段 default_quarter：应为1至4之间的整数，实际为 5",
        ),
        (
            '[[rules]]\nid = "theme_party_day"\nenabled = "no"\nreason = "测试"\n',
            "字段 enabled：应为 true 或 false",
        ),
        (
            '[[rules]]\nid = "general_meeting_freq"\nreason = "什么也没改"\n',
            "规则包 local.toml 规则 general_meeting_freq：没有修改任何字段",
        ),
        (
            '[[rules]]\nid = "general_meeting_freq"\nminimum = 2\nreason = "a"\n'
            '[[rules]]\nid = "general_meeting_freq"\nminimum = 3\nreason = "b"\n',
            "规则包 local.toml 规则 general_meeting_freq 字段 id：规则编号重复",
        ),
        (
            '[[rules]]\nminimum = 2\nreason = "a"\n',
            "规则包 local.toml 字段 id：第1条规则缺少必填字段",
        ),
        (
            '[[rules]]\nid = "General-Meeting"\nminimum = 2\nreason = "a"\n',
            "规则包 local.toml 规则 #1 字段 id：编号只能由小写字母、数字和下划线组成",
        ),
        (new_rule(kind='"checklist"'), "规则 new_rule 字段 kind：未知的规则类型 'checklist'"),
        (
            new_rule(meeting_kinds='["party_lecture", "tea_party"]'),
            "规则包 local.toml 规则 new_rule 字段 meeting_kinds：未知的会议类型 'tea_party'",
        ),
        (new_rule(meeting_kinds="[]"), "字段 meeting_kinds：应为非空列表"),
        (new_rule(org_kinds='["club"]'), "字段 org_kinds：未知的组织类型 'club'"),
        (new_rule(period='"week"'), "规则 new_rule 字段 period：未知的周期 'week'"),
        (new_rule(minimum="0"), "规则 new_rule 字段 minimum：应为不小于1的整数，实际为 0"),
        (new_rule(summary=None), "规则包 local.toml 规则 new_rule 字段 summary：缺少必填字段"),
        (new_rule(confidence='"X"'), "字段 confidence：未知的可信度 'X'（可选：H, L, M）"),
        (
            new_rule(title='"示范市实施细则"'),
            "字段 title：应为带书名号的完整标题，如《……》，实际为 '示范市实施细则'",
        ),
        (
            new_rule(article='"第三条"'),
            "规则 new_rule 字段 article：只有可信度为 H（原文已核实）的规则才能注明条款",
        ),
        (
            new_rule(default_quarter="4"),
            "规则 new_rule 字段 default_quarter：只有按年计算的规则才能设置默认季度",
        ),
        (new_rule(enabled="false"), "规则 new_rule：规则中有未知的键 enabled"),
        (new_rule(reason='"多余"'), "规则 new_rule：规则中有未知的键 reason"),
        ("[params]\nfoo = 1\n", "规则包 local.toml：[params] 中有未知的键 foo"),
        (
            "[params]\npublicity_working_days = 0\n",
            "规则包 local.toml 字段 publicity_working_days：应为不小于1的整数，实际为 0",
        ),
        (
            "[params]\nlapse_warn_after_months = 6\n",
            "字段 lapse_warn_after_months：应为1至5之间的整数，实际为 6",
        ),
        ("[params]\nletter_validity_months = 3.5\n", "字段 letter_validity_months：应为整数"),
    ],
)
def test_invalid_packs_are_rejected(body: str, message: str) -> None:
    with pytest.raises(PackError) as caught:
        local(body)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[params]\npublicity_working_days = 5\n", "规则包 bad.toml：缺少 [pack] 表"),
        (
            'extra = 1\n[pack]\nid = "bad"\ntitle = "x"\n',
            "规则包 bad.toml：文件顶层中有未知的键 extra",
        ),
        ('[pack]\nid = "bad"\ntitle = "x"\nowner = "y"\n', "[pack] 中有未知的键 owner"),
        ('[pack]\nid = "bad"\n', "规则包 bad.toml 字段 title：缺少必填字段"),
        ('[pack]\nid = "Bad Pack"\ntitle = "x"\n', "规则包 bad.toml 字段 id：编号只能由"),
    ],
)
def test_invalid_pack_headers_are_rejected(text: str, message: str) -> None:
    with pytest.raises(PackError) as caught:
        load_pack(text, name="bad.toml")
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("body", "pack_id", "message"),
    [
        (
            '[[rules]]\nid = "no_such_rule"\nminimum = 2\nreason = "测试"\n',
            "local",
            "规则包 local.toml 规则 no_such_rule 字段 id：要覆盖的规则不存在",
        ),
        (
            new_rule().replace('"new_rule"', '"general_meeting_freq"'),
            "local",
            "规则包 local.toml 规则 general_meeting_freq 字段 id：规则编号已被使用",
        ),
        (
            # An id taken by a rule registered in code (not a frequency rule) is refused too.
            new_rule().replace('"new_rule"', '"committee_term"'),
            "local",
            "规则 committee_term 字段 id：规则编号已被使用",
        ),
        (
            '[[rules]]\nid = "general_meeting_freq"\ndefault_quarter = 4\nreason = "测试"\n',
            "local",
            "规则包 local.toml 规则 general_meeting_freq：覆盖后的规则无效",
        ),
        (TWICE_A_QUARTER, "national", "规则包 national.toml：规则包编号 national 重复"),
    ],
)
def test_packs_that_do_not_fit_the_national_rules_are_rejected(
    body: str, pack_id: str, message: str
) -> None:
    pack = local(body, pack_id=pack_id)
    with pytest.raises(PackError) as caught:
        effective_rules(national_pack(), pack)
    assert message in str(caught.value)


def test_a_base_pack_cannot_override() -> None:
    with pytest.raises(PackError, match="国家规则包不能覆盖规则"):
        effective_rules(local(TWICE_A_QUARTER))


def test_two_local_packs_cannot_add_the_same_rule() -> None:
    with pytest.raises(PackError, match="规则 new_rule 字段 id：规则编号已被使用"):
        effective_rules(
            national_pack(), local(new_rule(), pack_id="one"), local(new_rule(), pack_id="two")
        )
