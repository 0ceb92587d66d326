"""Meeting frequency, quorum, absence-streak and 自行脱党 rules, boundary by boundary."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dangjian.regulations.attendance import (
    AbsenceStreak,
    absence_streaks,
    absence_violation,
    lapse_status,
)
from dangjian.regulations.base import Severity, rule
from dangjian.regulations.engine import bundled_pack, national_pack
from dangjian.regulations.meetings import (
    FindingStatus,
    FrequencyRule,
    PeriodFinding,
    check_quorum,
    evaluate_frequency,
    frequency_rule,
    quorum_violation,
    vote_passes,
)
from dangjian.regulations.periods import TZ, local_date, periods_in_year

OK = FindingStatus.OK
AT_RISK = FindingStatus.AT_RISK
VIOLATED = FindingStatus.VIOLATED
PENDING = FindingStatus.PENDING

NATIONAL = {r.id: r for r in national_pack().definitions}
SAMPLE_LOCAL = {r.id: r for r in bundled_pack("sample_local").definitions}
ALL_RULES = {**NATIONAL, **SAMPLE_LOCAL}

# The platform's warning numbers, read from the national pack (their only home).
STREAK = int(national_pack().params["absence_streak_threshold"])
WARN_AFTER = int(national_pack().params["lapse_warn_after_months"])

MONTH_RULES = ["committee_meeting_freq", "group_meeting_freq", "theme_party_day"]
QUARTER_RULES = ["general_meeting_freq", "party_lecture_branch_quarterly"]
YEAR_RULES = ["party_lecture_leader", "heart_talk"]
Q4_RULES = ["org_life_meeting", "democratic_review", "dlm_freq"]


def finding_for(
    rule_id: str, held: list[date], today: date, key: str, *, year: int | None = None
) -> PeriodFinding:
    found = evaluate_frequency(ALL_RULES[rule_id], held, year=year or int(key[:4]), today=today)
    (match,) = [f for f in found if f.period.key == key]
    return match


def test_every_rule_kind_is_covered_by_a_boundary_table() -> None:
    assert sorted(MONTH_RULES + QUARTER_RULES + YEAR_RULES + Q4_RULES) == sorted(ALL_RULES)


# February 2026 (28 days, ends on the 28th) with 14 days' warning.
@pytest.mark.parametrize(
    ("today", "held", "status"),
    [
        (date(2026, 1, 31), [], PENDING),
        (date(2026, 2, 1), [], PENDING),
        (date(2026, 2, 13), [], PENDING),
        (date(2026, 2, 14), [], AT_RISK),
        (date(2026, 2, 27), [], AT_RISK),
        (date(2026, 2, 28), [], AT_RISK),
        (date(2026, 3, 1), [], VIOLATED),
        (date(2027, 6, 1), [], VIOLATED),
        (date(2026, 2, 1), [date(2026, 2, 1)], OK),
        (date(2026, 2, 28), [date(2026, 2, 28)], OK),
        (date(2026, 3, 1), [date(2026, 2, 28)], OK),
        # A meeting on the first day of the next month does not rescue February.
        (date(2026, 3, 1), [date(2026, 3, 1)], VIOLATED),
        (date(2026, 3, 1), [date(2026, 1, 31)], VIOLATED),
    ],
)
@pytest.mark.parametrize("rule_id", MONTH_RULES)
def test_monthly_rules_in_february(
    rule_id: str, today: date, held: list[date], status: FindingStatus
) -> None:
    assert finding_for(rule_id, held, today, "2026-02").status is status


# Leap February 2028 ends on the 29th: at risk from the 15th.
@pytest.mark.parametrize(
    ("today", "held", "status"),
    [
        (date(2028, 2, 14), [], PENDING),
        (date(2028, 2, 15), [], AT_RISK),
        (date(2028, 2, 28), [], AT_RISK),
        (date(2028, 2, 29), [], AT_RISK),
        (date(2028, 3, 1), [], VIOLATED),
        (date(2028, 3, 1), [date(2028, 2, 29)], OK),
    ],
)
@pytest.mark.parametrize("rule_id", MONTH_RULES)
def test_monthly_rules_in_a_leap_february(
    rule_id: str, today: date, held: list[date], status: FindingStatus
) -> None:
    assert finding_for(rule_id, held, today, "2028-02").status is status


# Q1 2026 ends on 31 March with 30 days' warning: at risk from 1 March.
@pytest.mark.parametrize(
    ("today", "held", "status"),
    [
        (date(2025, 12, 31), [], PENDING),
        (date(2026, 1, 1), [], PENDING),
        (date(2026, 2, 28), [], PENDING),
        (date(2026, 3, 1), [], AT_RISK),
        (date(2026, 3, 30), [], AT_RISK),
        (date(2026, 3, 31), [], AT_RISK),
        (date(2026, 4, 1), [], VIOLATED),
        (date(2026, 3, 31), [date(2026, 3, 31)], OK),
        (date(2026, 4, 1), [date(2026, 1, 1)], OK),
        (date(2026, 4, 1), [date(2026, 4, 1)], VIOLATED),
        (date(2026, 4, 1), [date(2025, 12, 31)], VIOLATED),
    ],
)
@pytest.mark.parametrize("rule_id", QUARTER_RULES)
def test_quarterly_rules_in_the_first_quarter(
    rule_id: str, today: date, held: list[date], status: FindingStatus
) -> None:
    assert finding_for(rule_id, held, today, "2026-Q1", year=2026).status is status


# A leap-year Q1 is one day longer, so 1 March is 30 days before its end as well.
@pytest.mark.parametrize(
    ("today", "status"),
    [(date(2028, 2, 29), PENDING), (date(2028, 3, 1), AT_RISK), (date(2028, 4, 1), VIOLATED)],
)
@pytest.mark.parametrize("rule_id", QUARTER_RULES)
def test_quarterly_rules_in_a_leap_year(rule_id: str, today: date, status: FindingStatus) -> None:
    assert finding_for(rule_id, [], today, "2028-Q1").status is status


# A yearly rule without a default quarter: 60 days' warning, from 1 November.
@pytest.mark.parametrize(
    ("today", "held", "status"),
    [
        (date(2026, 1, 1), [], PENDING),
        (date(2026, 10, 1), [], PENDING),
        (date(2026, 10, 31), [], PENDING),
        (date(2026, 11, 1), [], AT_RISK),
        (date(2026, 12, 31), [], AT_RISK),
        (date(2027, 1, 1), [], VIOLATED),
        (date(2027, 1, 1), [date(2026, 12, 31)], OK),
        (date(2027, 1, 1), [date(2027, 1, 1)], VIOLATED),
    ],
)
@pytest.mark.parametrize("rule_id", YEAR_RULES)
def test_yearly_rules(rule_id: str, today: date, held: list[date], status: FindingStatus) -> None:
    assert finding_for(rule_id, held, today, "2026").status is status


# "一般安排在第四季度": at risk from 1 October; a meeting in any quarter satisfies the year.
@pytest.mark.parametrize(
    ("today", "held", "status"),
    [
        (date(2026, 1, 1), [], PENDING),
        (date(2026, 9, 30), [], PENDING),
        (date(2026, 10, 1), [], AT_RISK),
        (date(2026, 11, 1), [], AT_RISK),
        (date(2026, 12, 31), [], AT_RISK),
        (date(2027, 1, 1), [], VIOLATED),
        (date(2026, 3, 15), [date(2026, 3, 15)], OK),
        (date(2026, 10, 1), [date(2026, 3, 15)], OK),
        (date(2027, 1, 1), [date(2026, 3, 15)], OK),
        (date(2027, 1, 1), [date(2026, 12, 31)], OK),
        (date(2027, 1, 1), [date(2025, 12, 31), date(2027, 1, 1)], VIOLATED),
    ],
)
@pytest.mark.parametrize("rule_id", Q4_RULES)
def test_yearly_rules_with_a_fourth_quarter_default(
    rule_id: str, today: date, held: list[date], status: FindingStatus
) -> None:
    assert finding_for(rule_id, held, today, "2026").status is status


@pytest.mark.parametrize(
    ("moment", "quarter_with_meeting"),
    [
        # 23:59 Beijing on 31 March is 15:59 UTC: it counts for Q1.
        (datetime(2026, 3, 31, 15, 59, tzinfo=UTC), "2026-Q1"),
        (datetime(2026, 3, 31, 23, 59, tzinfo=TZ), "2026-Q1"),
        # 00:30 Beijing on 1 April is 16:30 UTC on 31 March: it counts for Q2.
        (datetime(2026, 3, 31, 16, 30, tzinfo=UTC), "2026-Q2"),
        (datetime(2026, 4, 1, 0, 30, tzinfo=TZ), "2026-Q2"),
    ],
)
def test_meeting_time_counts_in_its_beijing_quarter(
    moment: datetime, quarter_with_meeting: str
) -> None:
    found = evaluate_frequency(
        NATIONAL["general_meeting_freq"], [local_date(moment)], year=2026, today=date(2026, 4, 2)
    )
    by_key = {f.period.key: f for f in found}
    other = "2026-Q2" if quarter_with_meeting == "2026-Q1" else "2026-Q1"
    assert by_key[quarter_with_meeting].status is OK
    assert by_key[quarter_with_meeting].held == 1
    assert by_key[other].held == 0
    assert by_key["2026-Q1"].status is (OK if quarter_with_meeting == "2026-Q1" else VIOLATED)


def test_meeting_datetimes_are_refused_unconverted() -> None:
    with pytest.raises(TypeError, match="local_date"):
        evaluate_frequency(
            NATIONAL["general_meeting_freq"],
            [datetime(2026, 3, 31, 16, 30, tzinfo=UTC)],
            year=2026,
            today=date(2026, 4, 2),
        )


def test_one_finding_per_period_of_the_year() -> None:
    for frequency in ALL_RULES.values():
        found = evaluate_frequency(frequency, [], year=2026, today=date(2026, 6, 15))
        assert [f.period for f in found] == periods_in_year(2026, frequency.period)
        assert {f.rule_id for f in found} == {frequency.id}
        assert {f.citation for f in found} == {frequency.citation}


def test_meetings_outside_the_year_or_after_today_are_not_counted() -> None:
    held = [date(2025, 12, 31), date(2026, 2, 10), date(2026, 2, 20), date(2027, 1, 1)]
    found = evaluate_frequency(
        NATIONAL["theme_party_day"], held, year=2026, today=date(2026, 2, 15)
    )
    february = found[1]
    assert february.held == 1
    assert february.facts["dates"] == ["2026-02-10"]
    assert found[0].status is VIOLATED
    assert sum(f.held for f in found) == 1


def test_a_met_rule_is_ok_before_the_period_ends() -> None:
    finding = finding_for("general_meeting_freq", [date(2026, 1, 5)], date(2026, 1, 5), "2026-Q1")
    assert finding.status is OK
    assert finding.severity is None
    assert finding.message == "2026年第1季度支部党员大会1次，符合不少于1次的要求"


@pytest.mark.parametrize(
    ("rule_id", "severity", "message"),
    [
        (
            "general_meeting_freq",
            Severity.WARNING,
            "2026年第1季度支部党员大会应不少于1次，实际0次；如有正当理由，请注明理由",
        ),
        (
            "committee_meeting_freq",
            Severity.WARNING,
            "2026年1月支部委员会会议应不少于1次，实际0次；如有正当理由，请注明理由",
        ),
        (
            "group_meeting_freq",
            Severity.WARNING,
            "2026年1月党小组会应不少于1次，实际0次；如有正当理由，请注明理由",
        ),
        ("theme_party_day", Severity.ERROR, "2026年1月主题党日应不少于1次，实际0次"),
        ("org_life_meeting", Severity.ERROR, "2026年组织生活会应不少于1次，实际0次"),
        (
            "democratic_review",
            Severity.WARNING,
            "2026年民主评议党员应不少于1次，实际0次；如有正当理由，请注明理由",
        ),
        (
            "party_lecture_leader",
            Severity.ERROR,
            "2026年党委（党组）书记讲党课应不少于1次，实际0次",
        ),
        (
            "dlm_freq",
            Severity.WARNING,
            "2026年民主生活会应不少于1次，实际0次；如有正当理由，请注明理由",
        ),
        ("party_lecture_branch_quarterly", Severity.ERROR, "2026年第1季度党课应不少于1次，实际0次"),
    ],
)
def test_violation_severity_and_message(rule_id: str, severity: Severity, message: str) -> None:
    first = evaluate_frequency(ALL_RULES[rule_id], [], year=2026, today=date(2027, 1, 1))[0]
    assert first.status is VIOLATED
    assert first.severity is severity
    assert first.message == message
    assert (first.held, first.required) == (0, 1)


def test_at_risk_is_a_warning_with_the_days_left() -> None:
    finding = finding_for("general_meeting_freq", [], date(2026, 3, 31), "2026-Q1")
    assert finding.status is AT_RISK
    assert finding.severity is Severity.WARNING
    assert finding.message == "2026年第1季度今天结束，支部党员大会应不少于1次，目前0次"
    assert finding.facts["days_left"] == 0

    finding = finding_for("org_life_meeting", [], date(2026, 10, 1), "2026")
    assert finding.severity is Severity.WARNING
    assert finding.message == (
        "2026年还剩91天结束，组织生活会应不少于1次，目前0次（一般安排在第4季度）"
    )


def test_pending_says_nothing_alarming() -> None:
    current = finding_for("general_meeting_freq", [], date(2026, 1, 10), "2026-Q1")
    assert (current.severity, current.message) == (
        None,
        "2026年第1季度支部党员大会目前0次，距期末还有80天",
    )
    future = finding_for("general_meeting_freq", [], date(2026, 1, 10), "2026-Q3")
    assert (future.severity, future.message) == (None, "2026年第3季度尚未开始")


def test_facts_name_the_meetings_counted() -> None:
    held = [date(2026, 2, 20), date(2026, 1, 5), date(2026, 5, 1)]
    finding = finding_for("general_meeting_freq", held, date(2026, 7, 1), "2026-Q1")
    assert finding.facts == {
        "period": "2026-Q1",
        "start": "2026-01-01",
        "end": "2026-03-31",
        "dates": ["2026-01-05", "2026-02-20"],
        "held": 2,
        "required": 1,
        "at_risk_days": 30,
        "source": "national",
    }
    assert finding.held == 2


def test_a_custom_minimum_counts_every_meeting() -> None:
    twice = frequency_rule(
        id="test_twice_a_quarter",
        title="《测试规则》",
        article=None,
        summary="每季度2次",
        meeting_kinds={"general_meeting"},
        org_kinds={"branch"},
        period="quarter",
        minimum=2,
        severity=Severity.ERROR,
        confidence="L",
    )
    statuses = [
        f.status
        for f in evaluate_frequency(
            twice,
            [date(2026, 1, 5), date(2026, 4, 5), date(2026, 4, 6)],
            year=2026,
            today=date(2026, 7, 1),
        )
    ]
    assert statuses == [VIOLATED, OK, PENDING, PENDING]


@pytest.mark.parametrize(
    ("rule_id", "citation", "severity"),
    [
        ("general_meeting_freq", "《中国共产党支部工作条例（试行）》第十一条", Severity.WARNING),
        ("committee_meeting_freq", "《中国共产党支部工作条例（试行）》第十二条", Severity.WARNING),
        ("group_meeting_freq", "《中国共产党支部工作条例（试行）》第十三条", Severity.WARNING),
        ("theme_party_day", "《中国共产党支部工作条例（试行）》", Severity.ERROR),
        ("org_life_meeting", "《中国共产党支部工作条例（试行）》", Severity.ERROR),
        ("democratic_review", "《中国共产党支部工作条例（试行）》", Severity.WARNING),
        ("party_lecture_leader", "《中国共产党支部工作条例（试行）》", Severity.ERROR),
        ("dlm_freq", "《县以上党和国家机关党员领导干部民主生活会若干规定》", Severity.WARNING),
        # Issue 12's missing rules: wording H, article ≈/L/? → the title alone; 党组 size is H.
        ("heart_talk", "《中国共产党支部工作条例（试行）》", Severity.WARNING),
        ("dlm_quorum", "《县以上党和国家机关党员领导干部民主生活会若干规定》", Severity.ERROR),
        ("committee_deputies", "《中国共产党支部工作条例（试行）》", Severity.ERROR),
        ("dangzu_size", "《中国共产党党组工作条例（试行）》第七条", Severity.WARNING),
        ("general_meeting_quorum", "《中国共产党支部工作条例（试行）》第十一条", Severity.ERROR),
        ("committee_meeting_quorum", "《中国共产党支部工作条例（试行）》第十二条", Severity.ERROR),
        # A platform practice, labelled as such (issue 12).
        ("absence_streak", "平台做法（参照《中国共产党党员教育管理工作条例》）", Severity.WARNING),
        ("self_lapse_warning", "《中国共产党章程》第九条", Severity.ERROR),
    ],
)
def test_registered_meeting_rules(rule_id: str, citation: str, severity: Severity) -> None:
    registered = rule(rule_id)
    assert registered.citation == citation
    assert registered.severity is severity
    if rule_id in NATIONAL:
        assert NATIONAL[rule_id].rule is registered


@pytest.mark.parametrize(
    ("rule_id", "period", "minimum", "default_quarter", "at_risk_days"),
    [
        ("general_meeting_freq", "quarter", 1, None, 30),
        ("committee_meeting_freq", "month", 1, None, 14),
        ("group_meeting_freq", "month", 1, None, 14),
        ("theme_party_day", "month", 1, None, 14),
        ("org_life_meeting", "year", 1, 4, 60),
        ("democratic_review", "year", 1, 4, 60),
        ("party_lecture_leader", "year", 1, None, 60),
        ("dlm_freq", "year", 1, 4, 60),
        ("heart_talk", "year", 1, None, 60),
    ],
)
def test_national_numbers(
    rule_id: str, period: str, minimum: int, default_quarter: int | None, at_risk_days: int
) -> None:
    frequency = NATIONAL[rule_id]
    assert (frequency.period, frequency.minimum) == (period, minimum)
    assert (frequency.default_quarter, frequency.at_risk_days) == (default_quarter, at_risk_days)
    assert frequency.rule.params["minimum"] == minimum
    assert frequency.rule.params["period"] == period


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
            ],
        ),
        ("party_group", True, ["group_meeting_freq"]),
        ("organ_committee", True, ["party_lecture_leader"]),
        ("leading_group", True, ["party_lecture_leader", "dlm_freq"]),
        ("general_branch", True, []),
        ("working_committee", True, []),
    ],
)
def test_which_rules_bind_which_organizations(
    org_kind: str, has_committee: bool, rule_ids: list[str]
) -> None:
    bound = [r.id for r in NATIONAL.values() if r.applies_to(org_kind, has_committee=has_committee)]
    assert bound == rule_ids


def test_applies_to_refuses_unknown_kinds() -> None:
    with pytest.raises(ValueError):
        NATIONAL["theme_party_day"].applies_to("club")


@pytest.mark.parametrize(
    "overrides",
    [
        {"minimum": 0},
        {"period": "week"},
        {"meeting_kinds": {"tea_party"}},
        {"meeting_kinds": set()},
        {"org_kinds": {"club"}},
        {"default_quarter": 4},
        {"period": "year", "default_quarter": 5},
        {"at_risk_days": -1},
    ],
)
def test_frequency_rule_validates_itself(overrides: dict[str, object]) -> None:
    fields: dict[str, object] = {
        "id": "test_bad",
        "title": "《测试规则》",
        "article": None,
        "summary": "测试",
        "meeting_kinds": {"general_meeting"},
        "org_kinds": {"branch"},
        "period": "quarter",
        "minimum": 1,
        "severity": Severity.ERROR,
        "confidence": "L",
        **overrides,
    }
    with pytest.raises(ValueError):
        frequency_rule(**fields)  # type: ignore[arg-type]


def test_frequency_rule_params_must_match_its_numbers() -> None:
    with pytest.raises(ValueError, match="params"):
        FrequencyRule(
            rule=NATIONAL["general_meeting_freq"].rule,
            meeting_kinds=frozenset({"general_meeting"}),
            org_kinds=frozenset({"branch"}),
            period="quarter",
            minimum=2,
        )


# --- quorums and votes ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("voting_members", "present", "quorum"),
    [
        (10, 5, False),
        (10, 6, True),
        (10, 10, True),
        (9, 4, False),
        (9, 5, True),
        (3, 1, False),
        (3, 2, True),
        (2, 1, False),
        (2, 2, True),
        (1, 0, False),
        (1, 1, True),
        (0, 0, False),
    ],
)
def test_quorum_needs_more_than_half(voting_members: int, present: int, quorum: bool) -> None:
    assert check_quorum(voting_members, present) is quorum


@pytest.mark.parametrize(
    ("should_attend", "yes", "passes"),
    [
        (10, 5, False),
        (10, 6, True),
        (9, 4, False),
        (9, 5, True),
        (7, 3, False),
        (7, 4, True),
        (1, 1, True),
        (0, 0, False),
    ],
)
def test_vote_needs_more_than_half_of_those_who_should_attend(
    should_attend: int, yes: int, passes: bool
) -> None:
    assert vote_passes(should_attend, yes) is passes


def test_vote_counts_against_should_attend_not_present() -> None:
    # 10 voting members, 6 present: a quorum; 5 of the 6 say yes, yet that is not
    # more than half of the 10 who should attend.
    assert check_quorum(10, 6)
    assert not vote_passes(10, 5)
    assert vote_passes(10, 6)


@pytest.mark.parametrize(
    ("call", "args"),
    [
        (check_quorum, (10, 11)),
        (check_quorum, (-1, 0)),
        (check_quorum, (5, -1)),
        (vote_passes, (10, 11)),
        (vote_passes, (-2, -1)),
    ],
)
def test_impossible_counts_are_refused(call: object, args: tuple[int, int]) -> None:
    with pytest.raises(ValueError):
        call(*args)  # type: ignore[operator]


@pytest.mark.parametrize(
    ("kind", "members", "present", "message"),
    [
        ("general_meeting", 10, 5, "支部党员大会应到有表决权的党员10人，实到5人，未超过半数，不能进行表决"),
        ("committee_meeting", 5, 2, "支部委员会会议应到委员5人，实到2人，未超过半数，不能进行"),
        ("general_meeting", 10, 6, None),
        ("committee_meeting", 5, 3, None),
    ],
)  # fmt: skip
def test_quorum_violation(kind: str, members: int, present: int, message: str | None) -> None:
    found = quorum_violation(kind, members, present)
    if message is None:
        assert found is None
        return
    assert found is not None
    assert found.message == message
    assert found.rule.id == f"{kind}_quorum"
    assert found.severity is Severity.ERROR
    assert found.facts == {"voting_members": members, "present_voting": present}


def test_quorum_violation_only_for_deciding_meetings() -> None:
    with pytest.raises(ValueError):
        quorum_violation("party_lecture", 10, 1)


# --- absence streaks ---------------------------------------------------------------------

D = [date(2026, 1, 5) + timedelta(days=14 * n) for n in range(8)]


@pytest.mark.parametrize(
    ("statuses", "threshold", "expected"),
    [
        (["absent", "absent", "absent"], 3, (3, 0, 2)),
        (["absent", "absent"], 3, None),
        (["absent", "absent"], 2, (2, 0, 1)),
        (["absent", "absent", "absent", "present"], 3, None),
        (["absent", "absent", "absent", "checked_in"], 3, None),
        (["absent", "absent", "present", "absent", "absent", "absent"], 3, (3, 3, 5)),
        (["present", "absent", "absent", "absent", "absent"], 3, (4, 1, 4)),
        # Leave neither counts nor breaks the run.
        (["absent", "on_leave", "absent", "absent"], 3, (3, 0, 3)),
        (["absent", "absent", "on_leave"], 3, None),
        (["absent", "absent", "on_leave"], 2, (2, 0, 1)),
        (["on_leave", "on_leave", "on_leave"], 1, None),
        (["checked_in", "on_leave", "absent"], 1, (1, 2, 2)),
        ([], 1, None),
    ],
)
def test_absence_streaks(
    statuses: list[str], threshold: int, expected: tuple[int, int, int] | None
) -> None:
    records = [("m1", D[n], status) for n, status in enumerate(statuses)]
    found = absence_streaks(records, threshold)
    if expected is None:
        assert found == {}
        return
    count, since, last = expected
    assert found == {"m1": AbsenceStreak(count=count, since=D[since], last=D[last])}


def test_absence_streaks_sort_by_date_and_separate_members() -> None:
    records = [
        (2, D[3], "absent"),
        (1, D[2], "absent"),
        (2, D[1], "present"),
        (1, D[0], "absent"),
        (2, D[2], "absent"),
        (1, D[1], "absent"),
        (3, D[0], "absent"),
    ]
    assert absence_streaks(records, 2) == {
        1: AbsenceStreak(3, D[0], D[2]),
        2: AbsenceStreak(2, D[2], D[3]),
    }
    assert absence_streaks(records, STREAK) == {1: AbsenceStreak(3, D[0], D[2])}


@pytest.mark.parametrize(
    ("records", "threshold"),
    [([("m1", D[0], "late")], 3), ([("m1", D[0], "absent")], 0)],
)
def test_absence_streaks_refuse_bad_input(
    records: list[tuple[str, date, str]], threshold: int
) -> None:
    with pytest.raises(ValueError):
        absence_streaks(records, threshold)


def test_absence_violation_names_the_member_for_the_secretary() -> None:
    found = absence_violation(AbsenceStreak(3, date(2026, 1, 5), date(2026, 3, 2)), "张三")
    assert found.rule.id == "absence_streak"
    assert found.severity is Severity.WARNING
    assert found.message == (
        "张三自2026年1月5日起连续3次无故缺席组织生活（最近一次：2026年3月2日），"
        "请及时了解情况、谈心谈话"
    )
    assert found.citation == "平台做法（参照《中国共产党党员教育管理工作条例》）"


# --- 党章 第九条: six months without organizational life -------------------------------------

JOINED = date(2020, 1, 1)


@pytest.mark.parametrize(
    ("last", "today", "status", "months"),
    [
        (date(2026, 1, 15), date(2026, 1, 15), None, None),
        (date(2026, 1, 15), date(2026, 5, 15), None, None),
        (date(2026, 1, 15), date(2026, 5, 16), AT_RISK, 4),
        (date(2026, 1, 15), date(2026, 6, 16), AT_RISK, 5),
        (date(2026, 1, 15), date(2026, 7, 15), AT_RISK, 5),
        (date(2026, 1, 15), date(2026, 7, 16), VIOLATED, 6),
        (date(2026, 1, 15), date(2027, 1, 1), VIOLATED, 11),
        # Month ends: six months from 31 August end on 28 February (29 in a leap year).
        (date(2026, 8, 31), date(2027, 2, 28), AT_RISK, 5),
        (date(2026, 8, 31), date(2027, 3, 1), VIOLATED, 6),
        (date(2027, 8, 31), date(2028, 2, 28), AT_RISK, 5),
        (date(2027, 8, 31), date(2028, 2, 29), AT_RISK, 5),
        (date(2027, 8, 31), date(2028, 3, 1), VIOLATED, 6),
        (date(2027, 10, 31), date(2028, 2, 29), None, None),
        (date(2027, 10, 29), date(2028, 2, 29), None, None),
        (date(2027, 10, 28), date(2028, 2, 29), AT_RISK, 4),
    ],
)
def test_lapse_boundaries(
    last: date, today: date, status: FindingStatus | None, months: int | None
) -> None:
    found = lapse_status(last, JOINED, today, warn_after_months=WARN_AFTER)
    if status is None:
        assert found is None
        return
    assert found is not None
    assert found.status is status
    assert found.facts["months_without"] == months
    assert found.severity is (Severity.ERROR if status is VIOLATED else Severity.WARNING)
    assert found.rule_id == "self_lapse_warning"
    assert found.citation == "《中国共产党章程》第九条"
    assert found.period.key == f"{today.year}-{today.month:02d}"


def test_lapse_messages_name_the_member() -> None:
    warning = lapse_status(
        date(2026, 1, 15),
        JOINED,
        date(2026, 5, 16),
        warn_after_months=WARN_AFTER,
        member_name="张三",
    )
    assert warning is not None
    assert warning.message == (
        "张三已连续4个月未参加党的组织生活（最近一次参加组织生活是2026年1月15日）；"
        "如到2026年7月15日仍未参加，按照党章第九条将被认为是自行脱党，请及时了解情况、谈心谈话"
    )
    assert warning.facts["warn_from"] == "2026-05-16"
    assert warning.facts["lapse_from"] == "2026-07-16"
    error = lapse_status(
        date(2026, 1, 15),
        JOINED,
        date(2026, 7, 16),
        warn_after_months=WARN_AFTER,
        member_name="张三",
    )
    assert error is not None
    assert error.message == (
        "张三已连续6个月未参加党的组织生活（最近一次参加组织生活是2026年1月15日）；"
        "没有正当理由的，按照党章第九条被认为是自行脱党，应由支部大会决定除名并报上级党组织批准"
    )


@pytest.mark.parametrize(
    ("last", "since", "today", "status", "counted_from"),
    [
        # Transferred in on 1 March: the months before do not count.
        (date(2025, 1, 1), date(2026, 3, 1), date(2026, 7, 1), None, None),
        (date(2025, 1, 1), date(2026, 3, 1), date(2026, 7, 2), AT_RISK, "2026-03-01"),
        (None, date(2026, 3, 1), date(2026, 9, 2), VIOLATED, "2026-03-01"),
        (None, date(2026, 3, 1), date(2026, 9, 1), AT_RISK, "2026-03-01"),
        (date(2026, 4, 1), date(2026, 3, 1), date(2026, 9, 2), AT_RISK, "2026-04-01"),
        (None, date(2026, 3, 1), date(2026, 2, 1), None, None),
    ],
)
def test_lapse_counts_from_the_later_of_attendance_and_joining(
    last: date | None,
    since: date,
    today: date,
    status: FindingStatus | None,
    counted_from: str | None,
) -> None:
    found = lapse_status(last, since, today, warn_after_months=WARN_AFTER)
    if status is None:
        assert found is None
        return
    assert found is not None
    assert found.status is status
    assert found.facts["counted_from"] == counted_from


def test_lapse_message_for_a_member_who_never_attended_here() -> None:
    found = lapse_status(
        None, date(2026, 3, 1), date(2026, 7, 2), warn_after_months=WARN_AFTER, member_name="李四"
    )
    assert found is not None
    assert found.message.startswith(
        "李四已连续4个月未参加党的组织生活（自2026年3月1日编入本组织以来未参加组织生活）"
    )


@pytest.mark.parametrize(
    ("warn", "today", "status"),
    [
        (2, date(2026, 3, 15), None),
        (2, date(2026, 3, 16), AT_RISK),
        (5, date(2026, 6, 15), None),
        (5, date(2026, 6, 16), AT_RISK),
    ],
)
def test_lapse_warning_month_is_a_parameter(
    warn: int, today: date, status: FindingStatus | None
) -> None:
    found = lapse_status(date(2026, 1, 15), JOINED, today, warn_after_months=warn)
    assert (found.status if found else None) is status


@pytest.mark.parametrize(("warn", "lapse"), [(0, 6), (6, 6), (7, 6)])
def test_lapse_parameters_are_checked(warn: int, lapse: int) -> None:
    with pytest.raises(ValueError):
        lapse_status(None, JOINED, date(2026, 1, 1), warn_after_months=warn, lapse_months=lapse)


# --- recomputation ------------------------------------------------------------------------

YEAR = 2026
any_day = st.dates(min_value=date(YEAR - 2, 1, 1), max_value=date(YEAR + 2, 12, 31))


@given(data=st.data(), rule_id=st.sampled_from(sorted(ALL_RULES)))
def test_past_periods_are_stable_over_recomputation(data: st.DataObject, rule_id: str) -> None:
    frequency = ALL_RULES[rule_id]
    period = data.draw(st.sampled_from(periods_in_year(YEAR, frequency.period)))
    inside = data.draw(st.lists(st.dates(min_value=period.start, max_value=period.end), max_size=4))
    outside = data.draw(st.lists(any_day.filter(lambda d: not period.contains(d)), max_size=8))
    after_end = st.dates(min_value=period.end + timedelta(days=1), max_value=date(YEAR + 5, 1, 1))
    first_today, second_today = data.draw(after_end), data.draw(after_end)

    def finding(held: list[date], today: date) -> PeriodFinding:
        found = evaluate_frequency(frequency, held, year=YEAR, today=today)
        (match,) = [f for f in found if f.period == period]
        return match

    first = finding(inside, first_today)
    assert first == finding(inside + outside, second_today)
    assert first == finding(list(reversed(outside + inside)), first_today)
    assert first.held == len(inside)
    assert first.status is (OK if len(inside) >= frequency.minimum else VIOLATED)
