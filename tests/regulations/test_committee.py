"""Branch size, committee composition and term-of-office findings, boundary by boundary."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from dangjian.regulations.base import RuleViolation, Severity, rule
from dangjian.regulations.committee import (
    check_committee,
    check_term_extension,
    term_end_for,
    term_years,
)

TODAY = date(2024, 6, 1)


def ids(found: list[RuleViolation]) -> list[str]:
    return [v.rule.id for v in found]


@pytest.mark.parametrize(
    ("full", "size", "expected"),
    [
        # 3 full members are needed for a branch (第四条).
        (0, 1, ["branch_min_members"]),
        (2, 1, ["branch_min_members"]),
        (3, 1, []),
        (3, 2, []),
        # Below 7: secretary and optionally one deputy; more posts are an error (no 一般).
        (6, 1, []),
        (6, 2, []),
        (6, 3, ["no_committee"]),
        (2, 3, ["branch_min_members", "no_committee"]),
        # From 7: a committee of at least 3 is required.
        (7, 0, ["committee_threshold"]),
        (7, 2, ["committee_threshold"]),
        (7, 3, []),
        (10, 2, ["committee_threshold"]),
        (10, 3, []),
        (10, 5, []),
        (10, 6, []),
        (10, 7, []),
        (10, 8, ["committee_size"]),
        (6, 8, ["no_committee", "committee_size"]),
        # 50 is the default maximum.
        (50, 5, []),
        (51, 5, ["branch_max_members"]),
    ],
)
def test_branch_rules(full: int, size: int, expected: list[str]) -> None:
    found = check_committee("branch", full, size, None, TODAY)
    assert ids(found) == expected
    for violation in found:
        assert violation.facts
        assert violation.message
        assert violation.citation.startswith("《中国共产党支部工作条例（试行）》")


@pytest.mark.parametrize(
    ("full", "total", "expected"),
    [
        (40, 50, []),
        (40, 51, ["branch_max_members"]),
        (50, 50, []),
        (51, None, ["branch_max_members"]),
    ],
)
def test_branch_max_counts_all_members(full: int, total: int | None, expected: list[str]) -> None:
    assert ids(check_committee("branch", full, 5, None, TODAY, total_members=total)) == expected


@pytest.mark.parametrize(
    ("rule_id", "full", "size", "severity", "facts", "message"),
    [
        (
            "branch_min_members", 2, 1, Severity.ERROR,
            {"full_members": 2, "minimum": 3}, "党支部正式党员2人，不足3人",
        ),
        (
            "branch_max_members", 51, 5, Severity.WARNING,
            {"members": 51, "maximum": 50}, "党支部党员人数一般不超过50人，现有51人",
        ),
        (
            "committee_threshold", 7, 2, Severity.ERROR,
            {"full_members": 7, "committee_size": 2, "threshold": 7, "min_size": 3},
            "正式党员7人以上的党支部应当设立支部委员会",
        ),
        (
            "committee_size", 10, 8, Severity.WARNING,
            {"committee_size": 8, "max_size": 7}, "支部委员会由3至5人组成，一般不超过7人，现有8人",
        ),
        (
            "no_committee", 6, 3, Severity.ERROR,
            {"full_members": 6, "committee_size": 3, "threshold": 7, "max_posts": 2},
            "正式党员不足7人的党支部，设1名书记，必要时可以设1名副书记；现有正式党员6人",
        ),
    ],
)  # fmt: skip
def test_branch_violation_details(
    rule_id: str,
    full: int,
    size: int,
    severity: Severity,
    facts: dict[str, object],
    message: str,
) -> None:
    (violation,) = check_committee("branch", full, size, None, TODAY)
    assert violation.rule is rule(rule_id)
    assert violation.severity is severity
    assert violation.facts == facts
    assert violation.message.startswith(message)


@pytest.mark.parametrize(
    ("offset", "severity", "message"),
    [
        # An expired term is a warning: "一般为3年", and an approved extension may explain it.
        (-400, Severity.WARNING, "任期已于2023年4月28日届满，应及时换届"),
        (-1, Severity.WARNING, "任期已于2024年5月31日届满，应及时换届"),
        (0, Severity.WARNING, "任期将于2024年6月1日届满"),
        (1, Severity.WARNING, "任期将于2024年6月2日届满"),
        (90, Severity.WARNING, "任期将于2024年8月30日届满"),
        (91, None, None),
        (1000, None, None),
    ],
)
@pytest.mark.parametrize(
    "kind", ["branch", "general_branch", "organ_committee", "organ_discipline_committee"]
)
def test_term_expiry(
    kind: str, offset: int, severity: Severity | None, message: str | None
) -> None:
    term_end = TODAY + timedelta(days=offset)
    found = check_committee(kind, 10, 5, term_end, TODAY)
    if severity is None:
        assert found == []
        return
    (violation,) = found
    assert violation.rule.id == "committee_term"
    assert violation.citation == "《关于党的基层组织任期的意见》"
    assert violation.severity is severity
    assert violation.message.startswith(message)
    assert violation.facts["term_end"] == term_end.isoformat()
    assert violation.facts["days_left"] == offset


@pytest.mark.parametrize("kind", ["leading_group", "working_committee", "party_group"])
def test_appointed_bodies_have_no_term(kind: str) -> None:
    assert check_committee(kind, 10, 5, TODAY - timedelta(days=1), TODAY) == []


@pytest.mark.parametrize("kind", ["general_branch", "organ_committee"])
def test_member_rules_apply_to_branches_only(kind: str) -> None:
    assert check_committee(kind, 2, 9, None, TODAY) == []


def test_a_party_group_is_held_to_its_own_size_only() -> None:
    # 2 full members and 6 seats would break a branch's rules; a 党组 of 6 is in order.
    assert check_committee("leading_group", 2, 6, None, TODAY) == []


def test_no_term_end_means_no_term_finding() -> None:
    assert check_committee("branch", 10, 5, None, TODAY) == []


def test_findings_combine() -> None:
    found = check_committee("branch", 2, 3, TODAY - timedelta(days=1), TODAY)
    assert ids(found) == ["branch_min_members", "no_committee", "committee_term"]


@pytest.mark.parametrize(
    ("kind", "years"),
    [
        ("organ_committee", 5),
        ("organ_discipline_committee", 5),
        ("general_branch", 3),
        ("branch", 3),
        ("leading_group", None),
        ("working_committee", None),
        ("party_group", None),
    ],
)
def test_term_years(kind: str, years: int | None) -> None:
    assert term_years(kind) == years


@pytest.mark.parametrize(
    "call",
    [
        lambda: term_years("committee"),
        lambda: check_committee("Branch", 3, 1, None, TODAY),
        lambda: check_committee("branch", -1, 1, None, TODAY),
        lambda: check_committee("branch", 3, -1, None, TODAY),
        lambda: check_committee("branch", 5, 1, None, TODAY, total_members=4),
    ],
)
def test_bad_arguments(call: object) -> None:
    with pytest.raises(ValueError):
        call()  # type: ignore[operator]


@pytest.mark.parametrize(
    ("kind", "elected_on", "end"),
    [
        ("branch", date(2021, 6, 15), date(2024, 6, 15)),
        ("general_branch", date(2021, 6, 15), date(2024, 6, 15)),
        ("organ_committee", date(2020, 2, 29), date(2025, 2, 28)),
        ("organ_committee", date(2019, 11, 30), date(2024, 11, 30)),
        ("leading_group", date(2020, 1, 1), None),
    ],
)
def test_term_end_for(kind: str, elected_on: date, end: date | None) -> None:
    assert term_end_for(kind, elected_on) == end


@pytest.mark.parametrize(
    ("actual_end", "finding"),
    [
        (date(2025, 6, 14), None),
        (date(2025, 6, 15), None),  # one year late is the default maximum
        (date(2025, 6, 16), "延期"),
        (date(2023, 6, 15), None),
        (date(2023, 6, 14), "提前"),
        (date(2024, 6, 15), None),
    ],
)
def test_term_extension(actual_end: date, finding: str | None) -> None:
    found = check_term_extension(date(2024, 6, 15), actual_end)
    if finding is None:
        assert found == []
    else:
        (violation,) = found
        assert violation.rule.id == "committee_term"
        assert violation.severity is Severity.WARNING
        assert f"换届{finding}一般不超过1年" in violation.message


def test_term_rule_parameters() -> None:
    params = rule("committee_term").params
    assert dict(params["years"]) == {  # type: ignore[call-overload]
        "organ_committee": 5,
        "organ_discipline_committee": 5,
        "general_branch": 3,
        "branch": 3,
    }
    assert params["shift_max_months"] == 12
    assert params["warning_days"] == 90


# ---- terms checked by kind (issue 12) ----------------------------------------------------------


def _term(kind: str, started: date, typed: date | None, today: date) -> list[RuleViolation]:
    return check_committee(kind, 10, 5, typed, today, term_started_on=started)


@pytest.mark.parametrize(
    ("kind", "started", "scheduled"),
    [("branch", date(2021, 6, 2), date(2024, 6, 2)), ("organ_committee", date(2019, 6, 2), date(2024, 6, 2))],
)  # fmt: skip
@pytest.mark.parametrize(
    ("today", "expired"),
    [(date(2024, 6, 1), False), (date(2024, 6, 2), False), (date(2024, 6, 3), True)],
)
def test_the_term_ends_after_the_kinds_length_whatever_is_typed(
    kind: str, started: date, scheduled: date, today: date, expired: bool
) -> None:
    for typed in (None, scheduled):
        found = _term(kind, started, typed, today)
        (violation,) = found
        assert violation.severity is Severity.WARNING
        assert violation.facts["term_end"] == scheduled.isoformat()
        assert bool(violation.facts.get("expired")) is expired


@pytest.mark.parametrize(
    ("typed", "term_end", "messages"),
    [
        # Extended within one year: trusted, and the approval must be noted.
        (date(2025, 6, 2), date(2025, 6, 2), ["须报上级党组织批准"]),
        # Beyond one year: not trusted; judged against the scheduled end (expired).
        (date(2025, 6, 3), date(2024, 6, 2), ["换届延期一般不超过1年", "任期已于2024年6月2日届满"]),
        # The example: elected 2023-01-01 (a branch), typed as ending 2030-01-01.
    ],
)  # fmt: skip
def test_extensions(typed: date, term_end: date, messages: list[str]) -> None:
    found = _term("branch", date(2021, 6, 2), typed, date(2024, 12, 1))
    assert [v.rule.id for v in found] == ["committee_term"] * len(messages)
    for violation, text in zip(found, messages, strict=True):
        assert text in violation.message
        assert violation.severity is Severity.WARNING
    if "term_end" in found[-1].facts:
        assert found[-1].facts["term_end"] == term_end.isoformat()


def test_a_2023_term_typed_as_ending_in_2030_is_expired_in_2026() -> None:
    found = _term("branch", date(2023, 1, 1), date(2030, 1, 1), date(2026, 12, 4))
    assert any("换届延期一般不超过1年" in v.message for v in found)
    (expired,) = [v for v in found if v.facts.get("expired")]
    assert expired.facts["term_end"] == "2026-01-01"
    assert expired.severity is Severity.WARNING


@pytest.mark.parametrize(
    ("full", "size", "deputies", "officers", "expected"),
    [
        (6, 2, 1, 0, []),  # 书记 + 副书记
        (6, 1, 0, 0, []),
        (6, 2, 0, 1, ["no_committee"]),  # 书记 + 组织委员: not in the text
        (6, 2, 2, 0, ["no_committee"]),  # two 副书记
        (7, 3, 1, 1, []),  # from 7 a committee is expected
    ],
)
def test_below_seven_only_a_secretary_and_one_deputy(
    full: int, size: int, deputies: int, officers: int, expected: list[str]
) -> None:
    found = check_committee("branch", full, size, None, TODAY, deputies=deputies, officers=officers)
    assert ids(found) == expected
    for violation in found:
        assert violation.severity is Severity.ERROR
        assert violation.message.startswith(
            "正式党员不足7人的党支部，设1名书记，必要时可以设1名副书记；"
        )
