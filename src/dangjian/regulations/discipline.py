"""Party discipline (审查 and 党纪处分) and the member's standing it affects, with the rules the
regulations digest gives (regulations.md §2 `sponsors`, §4 `lost_contact` and `abroad`).

- A member under 留党察看 cannot sponsor an applicant (§2 sponsors, M: title only).
- Lost contact six months or more → 停止党籍; two years after that, still out of contact →
  除名; abroad more than five years → 停止党籍, as a rule (一般) (§4, 第二十四条, H).
- A duration trigger ("失去联系6个月以上") fires the day after the anniversary (the digest's
  "How to use"): lost contact on 31 August, the finding shows from 1 March (29 February's
  day after in a leap year).
- The 留党察看 period (one or two years) is in the 纪律处分条例, which the digest does not
  quote: cited by its title alone (L). Whether a member under 留党察看 keeps a vote is not in the
  digest either, so votes are left as they are (docs/regulations.md notes it).
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from .base import Rule, Severity, register
from .dates import add_months
from .study import EDUCATION_RULES

__all__ = [
    "ABROAD_RULE",
    "ABROAD_YEARS",
    "DISCIPLINE_RULES",
    "LOST_CONTACT_MONTHS",
    "LOST_CONTACT_RULE",
    "PROBATION_MONTHS_CHOICES",
    "PROBATION_RULE",
    "REMOVAL_AFTER_YEARS",
    "REVIEW_RULE",
    "abroad_due",
    "lost_contact_due",
    "probation_ends",
    "removal_due",
]

DISCIPLINE_RULES: Final = "《中国共产党纪律处分条例》"

# 留党察看 lasts one or two years (纪律处分条例; not quoted by the digest: title only, L).
PROBATION_MONTHS_CHOICES: Final = (12, 24)
PROBATION_RULE: Final = register(
    Rule(
        "discipline_probation",
        DISCIPLINE_RULES,
        None,
        "留党察看分为留党察看一年、留党察看二年；受留党察看处分的党员不能作入党介绍人",
        {"months": PROBATION_MONTHS_CHOICES},
        Severity.ERROR,
        "L",
    )
)
# A member under disciplinary review (审查/立案) is not transferred until it ends: the issue's
# rule, which the digest does not quote; platform practice.
REVIEW_RULE: Final = register(
    Rule(
        "discipline_review_transfer",
        EDUCATION_RULES,
        None,
        "党员在接受纪律审查期间，不办理组织关系转接",
        {},
        Severity.ERROR,
        "L",
        practice=True,
    )
)

# "失去联系6个月以上…予以停止党籍…停止党籍2年后确实无法取得联系的…予以除名" (§4, H).
LOST_CONTACT_MONTHS: Final = 6
REMOVAL_AFTER_YEARS: Final = 2
LOST_CONTACT_RULE: Final = register(
    Rule(
        "lost_contact",
        EDUCATION_RULES,
        "第二十四条",
        "与党组织失去联系6个月以上的党员，予以停止党籍；停止党籍2年后确实无法取得联系的，"
        "按照自行脱党予以除名",
        {"months": LOST_CONTACT_MONTHS, "removal_after_years": REMOVAL_AFTER_YEARS},
        Severity.WARNING,
        "H",
    )
)
# "出国学习研究超过5年仍未返回…一般予以停止党籍" (§4, H): 一般, so a warning.
ABROAD_YEARS: Final = 5
ABROAD_RULE: Final = register(
    Rule(
        "abroad",
        EDUCATION_RULES,
        "第二十四条",
        "出国（境）学习研究超过5年仍未返回的，一般予以停止党籍",
        {"years": ABROAD_YEARS},
        Severity.WARNING,
        "H",
    )
)


def probation_ends(started_on: dt.date, months: int) -> dt.date:
    """The last day of 留党察看: the corresponding day `months` later (民法典 第二百零一条)."""
    return add_months(started_on, months)


def lost_contact_due(since: dt.date) -> dt.date:
    """The first day a member out of contact since `since` is proposed for 停止党籍: the day
    after six months have passed."""
    return add_months(since, LOST_CONTACT_MONTHS) + dt.timedelta(days=1)


def removal_due(suspended_on: dt.date) -> dt.date:
    """The first day a member suspended on `suspended_on`, still out of contact, is proposed
    for 除名: the day after two years have passed."""
    return add_months(suspended_on, 12 * REMOVAL_AFTER_YEARS) + dt.timedelta(days=1)


def abroad_due(since: dt.date) -> dt.date:
    """The first day a member abroad since `since` has been abroad more than five years."""
    return add_months(since, 12 * ABROAD_YEARS) + dt.timedelta(days=1)
