"""Member development time rules at their edges (regulations.md §2), written from the digest.

Working days use the State Council's 2025 arrangement: Spring Festival off 28 Jan – 4 Feb with
make-up working days on Sunday 26 Jan and Saturday 8 Feb; National Day off 1–8 Oct with make-up
working days on Sunday 28 Sep and Saturday 11 Oct.
"""

from __future__ import annotations

from datetime import date

import pytest

from dangjian.regulations.base import Severity, rule
from dangjian.regulations.recruitment import (
    STAGES,
    STEPS,
    activist_review_due,
    admission_vote_violations,
    approval_deadlines,
    candidate_earliest,
    check_age,
    check_cultivators,
    check_sponsors,
    check_training,
    leaving_soon,
    party_age_start,
    publicity_end,
    talk_deadline,
)


def test_there_are_five_stages_and_twenty_five_steps_in_order() -> None:
    assert len(STAGES) == 5
    assert [s.number for s in STEPS] == list(range(1, 26))
    assert {s.stage for s in STEPS} == {code for code, _ in STAGES}


@pytest.mark.parametrize(
    ("rule_id", "citation", "confidence"),
    [
        ("talk_within_month", "《中国共产党发展党员工作细则》", "M"),
        ("cultivation_min", "《中国共产党发展党员工作细则》第十三条", "H"),
        ("political_review", "《中国共产党发展党员工作细则》第十六条", "H"),
        ("short_training", "《中国共产党发展党员工作细则》第十七条", "H"),
        ("pre_review", "《中国共产党发展党员工作细则》第十九条", "H"),
        ("admission_quorum", "《中国共产党发展党员工作细则》第二十条", "H"),
        ("approval_time", "《中国共产党发展党员工作细则》", "M"),
        ("sponsors", "《中国共产党发展党员工作细则》", "M"),
        ("publicity", "《中国共产党发展党员工作细则》", "L"),
    ],
)
def test_rules_cite_an_article_only_when_it_is_verified(
    rule_id: str, citation: str, confidence: str
) -> None:
    found = rule(rule_id)
    assert found.citation == citation
    assert found.confidence == confidence


def test_leaving_within_three_months_is_only_a_warning() -> None:
    assert rule("pre_review").severity is Severity.WARNING


@pytest.mark.parametrize(
    ("received", "deadline"),
    [
        (date(2025, 8, 30), date(2025, 9, 30)),  # a Tuesday: no move
        (date(2025, 9, 1), date(2025, 10, 9)),  # 1 Oct is National Day: next working day
        (date(2024, 1, 31), date(2024, 2, 29)),  # leap year month end
        (date(2025, 1, 31), date(2025, 2, 28)),  # no 31 Feb: the month's last day
        (date(2024, 12, 26), date(2025, 1, 26)),  # a Sunday, but a make-up working day
        (date(2024, 12, 28), date(2025, 2, 5)),  # 28 Jan in the Spring Festival holiday
    ],
)
def test_talk_is_due_within_one_month(received: date, deadline: date) -> None:
    assert talk_deadline(received) == deadline


@pytest.mark.parametrize(
    ("birth", "applied", "ok"),
    [
        (date(2008, 6, 15), date(2026, 6, 14), False),
        (date(2008, 6, 15), date(2026, 6, 15), True),
        (date(2008, 2, 29), date(2026, 2, 28), False),
        (date(2008, 2, 29), date(2026, 3, 1), True),
    ],
)
def test_applicant_must_be_eighteen(birth: date, applied: date, ok: bool) -> None:
    found = check_age(birth, applied)
    assert (found is None) is ok
    if found is not None:
        assert found.rule.id == "min_age"
        assert "未满18周岁" in found.message


@pytest.mark.parametrize(
    ("last", "due"),
    [
        (date(2025, 3, 15), date(2025, 9, 15)),
        (date(2025, 8, 31), date(2026, 2, 28)),
        (date(2023, 8, 31), date(2024, 2, 29)),
    ],
)
def test_activist_is_reviewed_every_six_months(last: date, due: date) -> None:
    assert activist_review_due(last) == due


@pytest.mark.parametrize(
    ("activist_on", "day", "allowed"),
    [
        (date(2025, 3, 10), date(2026, 3, 9), False),
        (date(2025, 3, 10), date(2026, 3, 10), True),  # met on the anniversary itself
        (date(2025, 3, 10), date(2026, 3, 11), True),
        (date(2024, 2, 29), date(2025, 2, 27), False),
        (date(2024, 2, 29), date(2025, 2, 28), True),
    ],
)
def test_one_year_from_activist_to_candidate(activist_on: date, day: date, allowed: bool) -> None:
    assert (day >= candidate_earliest(activist_on)) is allowed


@pytest.mark.parametrize(
    ("days", "hours", "ok"),
    [(2, 23, False), (2, 24, True), (3, 0, True), (0, 24, True), (0, 23, False)],
)
def test_short_training_three_days_or_24_hours(days: int, hours: int, ok: bool) -> None:
    assert (check_training(days, hours) is None) is ok


@pytest.mark.parametrize(
    ("statuses", "ok"),
    [
        ([], False),
        (["full"], True),
        (["full", "full"], True),
        (["full", "full", "full"], False),
        (["full", "probationary"], False),
    ],
)
def test_one_or_two_full_member_cultivators(statuses: list[str], ok: bool) -> None:
    assert (check_cultivators(statuses) is None) is ok


@pytest.mark.parametrize(
    ("statuses", "on_probation", "message"),
    [
        (["full", "full"], [False, False], None),
        (["full"], [False], "入党介绍人应为两名"),
        (["full", "probationary"], [False, False], "预备党员不能作入党介绍人"),
        (["full", "full"], [False, True], "留党察看"),
    ],
)
def test_two_full_member_sponsors(
    statuses: list[str], on_probation: list[bool], message: str | None
) -> None:
    found = check_sponsors(statuses, on_probation)
    if message is None:
        assert found is None
    else:
        assert found is not None and message in found.message


@pytest.mark.parametrize(
    ("should", "present", "yes", "candidates", "passes"),
    [
        (10, 5, 5, 1, False),  # not more than half present
        (10, 6, 5, 1, False),  # 5 of 10 who should attend is not more than half
        (10, 6, 6, 1, True),
        (9, 5, 5, 1, True),
        (10, 10, 10, 2, False),  # two candidates in one vote
    ],
)
def test_branch_vote_on_each_candidate(
    should: int, present: int, yes: int, candidates: int, passes: bool
) -> None:
    assert (not admission_vote_violations(should, present, yes, candidates)) is passes


@pytest.mark.parametrize(
    ("voted", "normal", "longest"),
    [
        (date(2025, 6, 16), date(2025, 9, 16), date(2025, 12, 16)),
        (date(2025, 7, 1), date(2025, 10, 9), date(2026, 1, 4)),
        (date(2024, 11, 30), date(2025, 2, 28), date(2025, 5, 30)),
    ],
)
def test_approval_within_three_months_at_most_six(voted: date, normal: date, longest: date) -> None:
    assert approval_deadlines(voted) == (normal, longest)


@pytest.mark.parametrize(
    ("leaves", "flagged"),
    [(None, False), (date(2025, 6, 30), True), (date(2025, 7, 1), False), (date(2025, 4, 1), True)],
)
def test_leaving_within_three_months_of_admission(leaves: date | None, flagged: bool) -> None:
    assert (leaving_soon(leaves, date(2025, 3, 31)) is not None) is flagged


@pytest.mark.parametrize(
    ("admitted", "extension", "start"),
    [
        (date(2025, 5, 20), 0, date(2026, 5, 20)),
        (date(2024, 2, 29), 0, date(2025, 2, 28)),
        (date(2024, 2, 29), 6, date(2025, 8, 29)),
        (date(2025, 5, 20), 12, date(2027, 5, 20)),
    ],
)
def test_party_age_counts_from_the_end_of_probation(
    admitted: date, extension: int, start: date
) -> None:
    assert party_age_start(admitted, extension) == start


@pytest.mark.parametrize("months", [5, 13])
def test_extension_outside_six_to_twelve_months_is_refused(months: int) -> None:
    with pytest.raises(ValueError, match="延长预备期"):
        party_age_start(date(2025, 5, 20), months)


@pytest.mark.parametrize(
    ("start", "days", "end"),
    [
        (date(2025, 3, 3), 5, date(2025, 3, 7)),  # Monday to Friday
        (date(2025, 3, 7), 5, date(2025, 3, 13)),  # over a weekend
        (date(2025, 1, 24), 5, date(2025, 2, 6)),  # Sunday 26 Jan works; 28 Jan–4 Feb off
        (date(2025, 9, 26), 5, date(2025, 10, 9)),  # Sunday 28 Sep works; 1–8 Oct off
        (date(2025, 10, 1), 1, date(2025, 10, 9)),  # starts on a holiday
        (date(2025, 10, 9), 3, date(2025, 10, 11)),  # Saturday 11 Oct is a make-up day
    ],
)
def test_publicity_counts_working_days(start: date, days: int, end: date) -> None:
    assert publicity_end(start, days) == end


def test_publicity_needs_at_least_one_day() -> None:
    with pytest.raises(ValueError):
        publicity_end(date(2025, 3, 3), 0)
