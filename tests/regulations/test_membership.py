"""Admission age, probation end, confirmation date and status/party-age derivation."""

from __future__ import annotations

from datetime import date

import pytest

from dangjian.regulations.base import rule
from dangjian.regulations.membership import (
    MembershipError,
    check_admission,
    check_confirmation,
    member_status_for,
    party_age_on,
    probation_end,
)


@pytest.mark.parametrize(
    ("birth", "admitted_on", "turns_18"),
    [
        (date(2000, 6, 15), date(2018, 6, 14), "2018年6月15日"),
        (date(2000, 6, 15), date(2010, 1, 1), "2018年6月15日"),
        (date(2000, 2, 29), date(2018, 2, 28), "2018年3月1日"),
        (date(1999, 12, 31), date(2017, 12, 30), "2017年12月31日"),
    ],
)
def test_admission_before_18_is_refused(birth: date, admitted_on: date, turns_18: str) -> None:
    with pytest.raises(MembershipError) as caught:
        check_admission(birth, admitted_on)
    assert caught.value.field == "admitted_on"
    assert caught.value.message == f"入党时间不能早于年满18周岁之日（{turns_18}）"
    assert str(caught.value) == caught.value.message
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("birth", "admitted_on"),
    [
        (date(2000, 6, 15), date(2018, 6, 15)),
        (date(2000, 6, 15), date(2018, 6, 16)),
        (date(2000, 2, 29), date(2018, 3, 1)),
        (date(1950, 1, 1), date(2024, 7, 1)),
    ],
)
def test_admission_from_18_is_accepted(birth: date, admitted_on: date) -> None:
    assert check_admission(birth, admitted_on) is None


@pytest.mark.parametrize(
    ("admitted_on", "extension", "end"),
    [
        (date(2023, 7, 1), 0, date(2024, 7, 1)),
        (date(2024, 2, 29), 0, date(2025, 2, 28)),
        (date(2023, 2, 28), 0, date(2024, 2, 28)),
        (date(2023, 3, 1), 0, date(2024, 3, 1)),
        (date(2023, 12, 31), 0, date(2024, 12, 31)),
        (date(2023, 7, 1), 6, date(2025, 1, 1)),
        (date(2023, 7, 1), 7, date(2025, 2, 1)),
        (date(2023, 7, 1), 12, date(2025, 7, 1)),
        (date(2023, 8, 31), 6, date(2025, 2, 28)),
        (date(2022, 8, 31), 6, date(2024, 2, 29)),
    ],
)
def test_probation_end(admitted_on: date, extension: int, end: date) -> None:
    assert probation_end(admitted_on, extension) == end


@pytest.mark.parametrize("extension", [-6, -1, 1, 5, 13, 18, 24])
def test_probation_extension_bounds(extension: int) -> None:
    with pytest.raises(MembershipError) as caught:
        probation_end(date(2023, 7, 1), extension)
    assert caught.value.field == "extension_months"
    assert "不能少于半年" in caught.value.message


def test_probation_end_default_is_one_year() -> None:
    assert probation_end(date(2023, 7, 1)) == date(2024, 7, 1)


ADMITTED = date(2023, 7, 1)


@pytest.mark.parametrize(
    ("confirmed_on", "message"),
    [
        (date(2023, 6, 30), "转正时间应晚于入党时间"),
        (date(2023, 7, 1), "转正时间应晚于入党时间"),
        (date(2023, 7, 2), "转正时间不能早于预备期满之日（2024年7月1日）"),
        (date(2024, 6, 30), "转正时间不能早于预备期满之日（2024年7月1日）"),
    ],
)
def test_confirmation_too_early(confirmed_on: date, message: str) -> None:
    with pytest.raises(MembershipError) as caught:
        check_confirmation(ADMITTED, confirmed_on)
    assert caught.value.field == "confirmed_on"
    assert caught.value.message.startswith(message)


@pytest.mark.parametrize(
    "confirmed_on",
    [
        None,
        date(2024, 7, 1),  # the day probation ends
        date(2024, 7, 2),
        date(2025, 1, 1),  # after a 6-month extension
        date(2025, 7, 1),  # after a 12-month extension
        date(2026, 1, 1),  # late approval is not this check's business
    ],
)
def test_confirmation_accepted(confirmed_on: date | None) -> None:
    assert check_confirmation(ADMITTED, confirmed_on) is None


@pytest.mark.parametrize(
    ("confirmed_on", "ok"),
    [(date(2025, 2, 27), False), (date(2025, 2, 28), True), (date(2025, 3, 1), True)],
)
def test_confirmation_after_leap_day_admission(confirmed_on: date, ok: bool) -> None:
    if ok:
        check_confirmation(date(2024, 2, 29), confirmed_on)
    else:
        with pytest.raises(MembershipError):
            check_confirmation(date(2024, 2, 29), confirmed_on)


@pytest.mark.parametrize(
    ("confirmed_on", "on", "status"),
    [
        (None, None, "probationary"),
        (None, date(2030, 1, 1), "probationary"),
        (date(2024, 7, 1), None, "full"),
        (date(2024, 7, 1), date(2024, 6, 30), "probationary"),
        (date(2024, 7, 1), date(2024, 7, 1), "full"),
        (date(2024, 7, 1), date(2024, 7, 2), "full"),
    ],
)
def test_member_status_for(confirmed_on: date | None, on: date | None, status: str) -> None:
    assert member_status_for(ADMITTED, confirmed_on, on=on) == status


@pytest.mark.parametrize(
    ("confirmed_on", "on", "years"),
    [
        (None, date(2030, 1, 1), 0),
        (date(2000, 7, 1), date(2000, 6, 30), 0),
        (date(2000, 7, 1), date(2000, 7, 1), 0),
        (date(2000, 7, 1), date(2010, 6, 30), 9),
        (date(2000, 7, 1), date(2010, 7, 1), 10),
    ],
)
def test_party_age_counts_from_confirmation(
    confirmed_on: date | None, on: date, years: int
) -> None:
    assert party_age_on(confirmed_on, on) == years


def test_rule_parameters() -> None:
    assert rule("min_age").params["min_age"] == 18
    assert rule("probation_length").params["years"] == 1
    extension = rule("probation_extension").params
    assert (extension["min_months"], extension["max_months"], extension["max_times"]) == (6, 12, 1)
