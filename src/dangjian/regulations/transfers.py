"""Organization-relationship transfers (组织关系转接): the rules the regulations digest gives
(regulations.md §4 第二十五条 and §6), each with its citation and confidence.

Only 第二十五条 of the 党员教育管理工作条例 is verified (H): the sending organization stays
responsible for a member transferred out and not yet received, and nobody may refuse a transfer
without a reason. The letter's validity and the report-in rule are practice (§6: "no single
national figure verified"): the validity is a local pack parameter (`letter_validity_months`),
and without one the platform uses the longest period the digest names, three months.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from .base import Rule, RuleViolation, Severity, register
from .dates import add_months
from .study import EDUCATION_RULES

__all__ = [
    "DEFAULT_LETTER_VALIDITY_MONTHS",
    "EXPIRY_WARNING_DAYS",
    "LETTER_VALIDITY_RULE",
    "LIMBO_RULE",
    "REPORT_IN_RULE",
    "MOBILE_RULE",
    "check_report_in",
    "should_transfer",
    "letter_valid_until",
    "letter_state",
]

# "介绍信有效期…最长不超过3个月" (regulations.md §6, letter_validity, L/M).
DEFAULT_LETTER_VALIDITY_MONTHS: Final = 3
# Platform practice: a letter expiring within a week is shown at risk and reminded.
EXPIRY_WARNING_DAYS: Final = 7

LIMBO_RULE: Final = register(
    Rule(
        "transfer_limbo",
        EDUCATION_RULES,
        "第二十五条",
        "对组织关系转出但尚未被接收的党员，原所在党组织仍然负有管理责任；不得无故拒转拒接",
        {},
        Severity.ERROR,
        "H",
    )
)
LETTER_VALIDITY_RULE: Final = register(
    Rule(
        "transfer_letter_validity",
        EDUCATION_RULES,
        None,
        "组织关系介绍信有效期由本地规则包规定，未规定的按最长3个月计；有效期内未被接收的须跟进",
        {"default_months": DEFAULT_LETTER_VALIDITY_MONTHS, "warning_days": EXPIRY_WARNING_DAYS},
        Severity.ERROR,
        "L",
        practice=True,
    )
)
REPORT_IN_RULE: Final = register(
    Rule(
        "transfer_report_in",
        EDUCATION_RULES,
        None,
        "党员应在介绍信有效期内到转入单位党组织报到；逾期报到的，须有原党支部出具的证明",
        {},
        Severity.ERROR,
        "M",
        practice=True,
    )
)


# "≥6 months at a fixed place → formal transfer" (regulations.md §6, flow_card, M): the source is
# the 流动党员活动证 rules, not a regulation the digest names by title, so it is shown as platform
# practice referring to the 教育管理条例.
MOBILE_TRANSFER_MONTHS: Final = 6
MOBILE_RULE: Final = register(
    Rule(
        "mobile_member",
        EDUCATION_RULES,
        None,
        "外出不满6个月或无固定地点的党员持流动党员活动证参加流入地党组织活动；"
        "在固定地点6个月以上的，应转移组织关系",
        {"transfer_after_months": MOBILE_TRANSFER_MONTHS},
        Severity.WARNING,
        "M",
        practice=True,
    )
)


def should_transfer(since: dt.date, fixed_place: bool, today: dt.date) -> bool:
    """A member away at a fixed place for six months or more (the day six months on counts)
    should transfer their organization relationship instead of keeping a 流动党员 record."""
    return fixed_place and today >= add_months(since, MOBILE_TRANSFER_MONTHS)


def letter_valid_until(issued_on: dt.date, months: int | None) -> dt.date:
    """The last day the letter is valid, counted as 《民法典》第二百零一条 counts periods: from
    the day after issue to the corresponding day `months` later (issued 10 March for 3 months:
    valid until 10 June; from 30 November: until 28 February, or 29 in a leap year)."""
    return add_months(issued_on, months or DEFAULT_LETTER_VALIDITY_MONTHS)


def letter_state(valid_until: dt.date, today: dt.date) -> str:
    """'expired' after the last valid day, 'expiring' within the warning days, else 'valid'."""
    if today > valid_until:
        return "expired"
    if (valid_until - today).days < EXPIRY_WARNING_DAYS:
        return "expiring"
    return "valid"


def check_report_in(
    valid_until: dt.date, reported_on: dt.date, late_note: str
) -> RuleViolation | None:
    """Reporting after the letter's last day needs the sending branch's note (证明)."""
    if reported_on <= valid_until or late_note.strip():
        return None
    return RuleViolation(
        REPORT_IN_RULE,
        f"介绍信有效期至{valid_until.year}年{valid_until.month}月{valid_until.day}日，"
        "逾期报到须填写原党支部出具的证明",
    )
