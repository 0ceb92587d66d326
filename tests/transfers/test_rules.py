"""The transfer time rules on their boundaries (plain Python, no database)."""

from __future__ import annotations

import datetime as dt

import pytest

from dangjian.regulations import transfers as rules
from dangjian.regulations.base import rule

D = dt.date


@pytest.mark.parametrize(
    ("issued", "months", "last_day"),
    [
        (D(2026, 3, 10), 3, D(2026, 6, 10)),  # the corresponding day
        (D(2026, 11, 30), 3, D(2027, 2, 28)),  # no 30 February: the month's last day
        (D(2027, 11, 30), 3, D(2028, 2, 29)),  # a leap year
        (D(2024, 2, 29), 12, D(2025, 2, 28)),  # from 29 February
        (D(2026, 12, 31), 1, D(2027, 1, 31)),  # across the year's end
        (D(2026, 8, 20), None, D(2026, 11, 20)),  # no local pack: the digest's 3 months
    ],
)
def test_the_letter_is_valid_to_the_corresponding_day(issued, months, last_day) -> None:
    assert rules.letter_valid_until(issued, months) == last_day


@pytest.mark.parametrize(
    ("today", "state"),
    [
        (D(2026, 11, 13), "valid"),  # 7 days before the last day
        (D(2026, 11, 14), "expiring"),  # 6 days before
        (D(2026, 11, 20), "expiring"),  # the last valid day itself
        (D(2026, 11, 21), "expired"),  # the day after
    ],
)
def test_the_letters_state_on_its_boundaries(today, state) -> None:
    assert rules.letter_state(D(2026, 11, 20), today) == state


def test_reporting_late_needs_the_sending_branchs_note() -> None:
    last = D(2026, 2, 28)
    assert rules.check_report_in(last, D(2026, 2, 28), "") is None
    late = rules.check_report_in(last, D(2026, 3, 1), " ")
    assert late is not None and late.rule.id == "transfer_report_in"
    assert "2026年2月28日" in late.message
    assert rules.check_report_in(last, D(2026, 3, 1), "支部证明：因公出差") is None


def test_the_rules_cite_their_source_and_say_what_is_practice() -> None:
    assert rule("transfer_limbo").citation == "《中国共产党党员教育管理工作条例》第二十五条"
    assert rule("transfer_limbo").confidence == "H"
    for rule_id in ("transfer_letter_validity", "transfer_report_in"):
        found = rule(rule_id)
        assert found.practice and found.article is None
        assert found.citation.startswith("平台做法")
