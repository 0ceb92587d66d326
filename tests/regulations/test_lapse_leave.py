"""党章 第九条 with approved leave: "没有正当理由" makes leave the secretary's judgement (issue 12).

Six months without attendance is an error only when the months after the last meeting missed on
approved leave reach six; leave inside the months turns it into a warning naming the leaves."""

from __future__ import annotations

from datetime import date

import pytest

from dangjian.regulations.attendance import lapse_status
from dangjian.regulations.base import Severity
from dangjian.regulations.engine import national_pack
from dangjian.regulations.meetings import FindingStatus

WARN_AFTER = int(national_pack().params["lapse_warn_after_months"])
JOINED = date(2020, 1, 1)
LAST = date(2026, 1, 15)  # the last meeting attended
MONTHLY = [date(2026, m, 15) for m in range(2, 8)]  # 15 Feb … 15 Jul


@pytest.mark.parametrize(
    ("leaves", "today", "status", "severity", "unexcused"),
    [
        # No leave: the six-month error as before, the day after the sixth month ends.
        ([], date(2026, 7, 15), FindingStatus.AT_RISK, Severity.WARNING, 5),
        ([], date(2026, 7, 16), FindingStatus.VIOLATED, Severity.ERROR, 6),
        # On leave for every meeting: never an error, a warning for the secretary to judge.
        (MONTHLY[:5], date(2026, 7, 16), FindingStatus.AT_RISK, Severity.WARNING, 1),
        (MONTHLY, date(2026, 8, 16), FindingStatus.AT_RISK, Severity.WARNING, 1),
        # One leave in the middle breaks the unexcused run of six months.
        ([date(2026, 4, 15)], date(2026, 7, 16), FindingStatus.AT_RISK, Severity.WARNING, 3),
        # Six whole months without attendance and without leave after the last leave: an error.
        ([date(2026, 2, 15)], date(2026, 8, 15), FindingStatus.AT_RISK, Severity.WARNING, 5),
        ([date(2026, 2, 15)], date(2026, 8, 16), FindingStatus.VIOLATED, Severity.ERROR, 6),
        # Leave before the last attendance, or after today, does not count.
        ([date(2026, 1, 10)], date(2026, 7, 16), FindingStatus.VIOLATED, Severity.ERROR, 6),
        ([date(2026, 7, 20)], date(2026, 7, 16), FindingStatus.VIOLATED, Severity.ERROR, 6),
        # Leave on the day of the last attendance is not after it.
        ([LAST], date(2026, 7, 16), FindingStatus.VIOLATED, Severity.ERROR, 6),
    ],
)
def test_leave_turns_the_lapse_into_the_secretarys_judgement(
    leaves: list[date],
    today: date,
    status: FindingStatus,
    severity: Severity,
    unexcused: int,
) -> None:
    found = lapse_status(LAST, JOINED, today, warn_after_months=WARN_AFTER, leaves=leaves)

    assert found is not None
    assert (found.status, found.severity) == (status, severity)
    assert found.facts["months_without_leave"] == unexcused
    assert found.facts["leaves"] == sorted(d.isoformat() for d in leaves if LAST < d <= today)
    assert found.rule_id == "self_lapse_warning"
    assert found.citation == "《中国共产党章程》第九条"


def test_the_warning_names_the_leaves_and_leaves_the_judgement_to_the_branch() -> None:
    found = lapse_status(
        LAST,
        JOINED,
        date(2026, 7, 16),
        warn_after_months=WARN_AFTER,
        member_name="张三",
        leaves=MONTHLY[:5],
    )

    assert found is not None
    assert found.message == (
        "张三已连续6个月未参加党的组织生活（最近一次参加组织生活是2026年1月15日），"
        "其间经批准请假5次（2026年2月15日、2026年3月15日、2026年4月15日、2026年5月15日、"
        "2026年6月15日）；请假是否属于正当理由，由党支部研判（党章第九条：没有正当理由，"
        "连续六个月不参加党的组织生活，被认为是自行脱党），请及时了解情况、谈心谈话"
    )


def test_a_long_list_of_leaves_is_cut_and_counted() -> None:
    leaves = [date(2026, 2, d) for d in range(1, 9)]
    found = lapse_status(
        LAST, JOINED, date(2026, 7, 16), warn_after_months=WARN_AFTER, leaves=leaves
    )

    assert found is not None
    assert "其间经批准请假8次（2026年2月1日、" in found.message
    assert "2026年2月6日等）" in found.message and "2026年2月7日" not in found.message


def test_two_meetings_on_one_day_are_two_leaves_listed_once() -> None:
    day = date(2026, 3, 15)
    found = lapse_status(
        LAST, JOINED, date(2026, 7, 16), warn_after_months=WARN_AFTER, leaves=[day, day]
    )

    assert found is not None
    assert (found.facts["leave_count"], found.facts["leaves"]) == (2, ["2026-03-15"])
    assert "其间经批准请假2次（2026年3月15日）" in found.message


def test_no_leave_keeps_the_messages_unchanged() -> None:
    found = lapse_status(LAST, JOINED, date(2026, 7, 16), warn_after_months=WARN_AFTER)

    assert found is not None and "请假" not in found.message
    assert found.facts["leaves"] == []
