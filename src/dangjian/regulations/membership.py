"""Membership dates: minimum age at admission, probation, confirmation and party age."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Final, Literal

from dangjian.regulations.periods import cn_date

from .base import Rule, Severity, register
from .dates import add_months
from .identity import age_on, eighteenth_birthday

__all__ = [
    "MIN_AGE",
    "MembershipError",
    "MemberStatus",
    "check_admission",
    "check_confirmation",
    "inferred_status",
    "member_status_for",
    "party_age_on",
    "probation_end",
]

CONSTITUTION: Final = "《中国共产党章程》"
RECRUITMENT_RULES: Final = "《中国共产党发展党员工作细则》"

MIN_AGE: Final = 18
PROBATION_YEARS: Final = 1
EXTENSION_MIN_MONTHS: Final = 6
EXTENSION_MAX_MONTHS: Final = 12

MemberStatus = Literal["full", "probationary"]

MIN_AGE_RULE: Final = register(
    Rule(
        id="min_age",
        title=RECRUITMENT_RULES,
        article="第五条",
        summary="年满十八岁方可申请入党",
        params={"min_age": MIN_AGE},
        severity=Severity.ERROR,
        confidence="H",
    )
)

PROBATION_LENGTH_RULE: Final = register(
    Rule(
        id="probation_length",
        title=CONSTITUTION,
        article="第七条",
        summary="预备期为一年，从支部大会通过其为预备党员之日算起",
        params={"years": PROBATION_YEARS},
        severity=Severity.ERROR,
        confidence="H",
    )
)

# The article (细则 第三十二条) is only M in the digest, so it is not shown.
PROBATION_EXTENSION_RULE: Final = register(
    Rule(
        id="probation_extension",
        title=RECRUITMENT_RULES,
        article=None,
        summary="可以延长一次预备期，延长时间不能少于半年，最长不超过一年",
        params={
            "min_months": EXTENSION_MIN_MONTHS,
            "max_months": EXTENSION_MAX_MONTHS,
            "max_times": 1,
        },
        severity=Severity.ERROR,
        confidence="M",
    )
)

PARTY_AGE_RULE: Final = register(
    Rule(
        id="party_age",
        title=CONSTITUTION,
        article="第七条",
        summary="党龄从预备期满转为正式党员之日算起",
        params={},
        severity=Severity.ERROR,
        confidence="H",
    )
)


class MembershipError(ValueError):
    """A membership date that breaks a rule; `field` names the offending form field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


# Pure, and asked once per member of a roster import (twice with the confirmation check):
# admission days repeat across tens of thousands of rows.
@lru_cache(maxsize=20_000)
def probation_end(admitted_on: date, extension_months: int = 0) -> date:
    """The day probation ends: one year after admission, plus a single 6–12 month extension.

    A period counted in years ends on the corresponding day; when there is none
    (admitted on 29 February) it ends on the last day of that month, 28 February.
    """
    if extension_months and not (EXTENSION_MIN_MONTHS <= extension_months <= EXTENSION_MAX_MONTHS):
        raise MembershipError(
            "extension_months",
            f"延长预备期不能少于半年，最长不超过一年（填写为{extension_months}个月）",
        )
    return add_months(admitted_on, PROBATION_YEARS * 12 + extension_months)


def check_admission(birth_date: date, admitted_on: date) -> None:
    """Raise MembershipError unless the member was at least 18 on the admission date."""
    turned_18 = eighteenth_birthday(birth_date)
    if admitted_on < turned_18:
        raise MembershipError(
            "admitted_on",
            f"入党时间不能早于年满18周岁之日（{cn_date(turned_18)}）",
        )


def check_confirmation(admitted_on: date, confirmed_on: date | None) -> None:
    """Raise MembershipError if 转正 is not after admission or falls before probation ends.

    Later dates are not errors here: an extended probation and the upper committee's
    approval window both legitimately push the date out.
    """
    if confirmed_on is None:
        return
    if confirmed_on <= admitted_on:
        raise MembershipError("confirmed_on", "转正时间应晚于入党时间")
    end = probation_end(admitted_on)
    if confirmed_on < end:
        raise MembershipError(
            "confirmed_on",
            f"转正时间不能早于预备期满之日（{cn_date(end)}），预备期为一年，"
            "从支部大会通过其为预备党员之日算起",
        )


def member_status_for(
    admitted_on: date, confirmed_on: date | None, *, on: date | None = None
) -> MemberStatus:
    """'full' once confirmed (as of `on`, if given), otherwise 'probationary'."""
    if confirmed_on is None:
        return "probationary"
    if on is not None and confirmed_on > on:
        return "probationary"
    return "full"


def inferred_status(
    admitted_on: date, confirmed_on: date | None, today: date
) -> MemberStatus | None:
    """The status a record without one must have, or None when the dates cannot tell.

    Confirmed → full. Not confirmed and still within probation, counting the longest extension
    the rules allow → probationary. Not confirmed and past even that → unknown (the record is
    missing its confirmation date, or the member is no longer probationary): ask.
    """
    if confirmed_on is not None:
        return "full"
    if today <= probation_end(admitted_on, EXTENSION_MAX_MONTHS):
        return "probationary"
    return None


def party_age_on(confirmed_on: date | None, on: date) -> int:
    """党龄 in full years on `on`; it counts from 转正, so a probationary member has 0."""
    if confirmed_on is None or confirmed_on > on:
        return 0
    return age_on(confirmed_on, on)
