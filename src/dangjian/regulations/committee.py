"""Branch size and committee composition rules, and committee terms of office (换届)."""

from __future__ import annotations

from datetime import date, timedelta
from types import MappingProxyType
from typing import Final

from dangjian.regulations.periods import cn_date

from .base import Rule, RuleViolation, Severity, register
from .dates import add_months

__all__ = [
    "KINDS",
    "TERM_WARNING_DAYS",
    "check_committee",
    "check_term_extension",
    "effective_term_end",
    "term_end_for",
    "term_years",
]

BRANCH_REGULATIONS: Final = "《中国共产党支部工作条例（试行）》"
TERM_OPINION: Final = "《关于党的基层组织任期的意见》"
PARTY_GROUP_REGULATIONS: Final = "《中国共产党党组工作条例（试行）》"
ORGAN_REGULATIONS: Final = "《中国共产党党和国家机关基层组织工作条例》"

BRANCH_MIN_FULL_MEMBERS: Final = 3
BRANCH_MAX_MEMBERS: Final = 50
COMMITTEE_THRESHOLD: Final = 7
COMMITTEE_MIN_SIZE: Final = 3
COMMITTEE_NORMAL_MAX_SIZE: Final = 5
COMMITTEE_MAX_SIZE: Final = 7
# Below the threshold a branch has a secretary and, if needed, one deputy: two posts.
NO_COMMITTEE_MAX_POSTS: Final = 2
# A committee has at most one 副书记 (the digest's committee_size: 书记, 组织, 宣传, 纪检 + at most
# 1 副书记).
COMMITTEE_MAX_DEPUTIES: Final = 1
# 党组成员一般设3至7人 (党组工作条例（试行）2015 第七条; 省部级以上 一般不超过9人).
PARTY_GROUP_MIN_SIZE: Final = 3
PARTY_GROUP_MAX_SIZE: Final = 7
PARTY_GROUP_MINISTERIAL_MAX_SIZE: Final = 9
# 机关党员100人以上 → 机关党委; 50人以上、100人以下 → 总支 (以上/以下 include the boundary, so 100
# suits both). Counted over the organization's subtree, probationary members included.
ORGAN_COMMITTEE_MIN_MEMBERS: Final = 100
GENERAL_BRANCH_MIN_MEMBERS: Final = 50
GENERAL_BRANCH_MAX_MEMBERS: Final = 100
TERM_WARNING_DAYS: Final = 90
TERM_SHIFT_MAX_MONTHS: Final = 12

# Elected bodies and their term in years; appointed bodies (党组, 机关工委) and 党小组
# have no term of office. The 机关纪委 is elected together with its 机关党委.
_TERM_YEARS: Final[dict[str, int | None]] = {
    "working_committee": None,
    "leading_group": None,
    "organ_committee": 5,
    "organ_discipline_committee": 5,
    "general_branch": 3,
    "branch": 3,
    "party_group": None,
}
KINDS: Final = frozenset(_TERM_YEARS)

BRANCH_MIN_MEMBERS_RULE: Final = register(
    Rule(
        id="branch_min_members",
        title=BRANCH_REGULATIONS,
        article="第四条",
        summary="凡是有正式党员3人以上的，都应当成立党支部",
        params={"min_full_members": BRANCH_MIN_FULL_MEMBERS},
        severity=Severity.ERROR,
        confidence="H",
    )
)

BRANCH_MAX_MEMBERS_RULE: Final = register(
    Rule(
        id="branch_max_members",
        title=BRANCH_REGULATIONS,
        article="第四条",
        summary="党支部党员人数一般不超过50人",
        params={"max_members": BRANCH_MAX_MEMBERS},
        severity=Severity.WARNING,
        confidence="H",
    )
)

# The three committee rules below have verified wording but an inferred article (≈),
# so they are cited by title only.
COMMITTEE_THRESHOLD_RULE: Final = register(
    Rule(
        id="committee_threshold",
        title=BRANCH_REGULATIONS,
        article=None,
        summary="有正式党员7人以上的党支部，应当设立党支部委员会",
        params={"min_full_members": COMMITTEE_THRESHOLD, "min_size": COMMITTEE_MIN_SIZE},
        severity=Severity.ERROR,
        confidence="H",
    )
)

COMMITTEE_SIZE_RULE: Final = register(
    Rule(
        id="committee_size",
        title=BRANCH_REGULATIONS,
        article=None,
        summary="党支部委员会由3至5人组成，一般不超过7人",
        params={
            "min_size": COMMITTEE_MIN_SIZE,
            "normal_max_size": COMMITTEE_NORMAL_MAX_SIZE,
            "max_size": COMMITTEE_MAX_SIZE,
        },
        severity=Severity.WARNING,
        confidence="H",
    )
)

NO_COMMITTEE_RULE: Final = register(
    Rule(
        id="no_committee",
        title=BRANCH_REGULATIONS,
        article=None,
        summary="正式党员不足7人的党支部，设1名书记，必要时可以设1名副书记",
        params={"below_full_members": COMMITTEE_THRESHOLD, "max_posts": NO_COMMITTEE_MAX_POSTS},
        # The text has no "一般": more than a secretary and one deputy is an error.
        severity=Severity.ERROR,
        confidence="H",
    )
)

# The digest gives "at most 1 副书记" with the committee's composition (H wording, ≈ article):
# the title alone. No "一般": an error.
COMMITTEE_DEPUTIES_RULE: Final = register(
    Rule(
        id="committee_deputies",
        title=BRANCH_REGULATIONS,
        article=None,
        summary="党支部委员会设书记和组织委员、宣传委员、纪检委员等，副书记至多设1名",
        params={"max_deputies": COMMITTEE_MAX_DEPUTIES},
        severity=Severity.ERROR,
        confidence="H",
    )
)

# 党组 size: the 2015 text, article H (the 2019 revision's number was not checked).
PARTY_GROUP_SIZE_RULE: Final = register(
    Rule(
        id="dangzu_size",
        title=PARTY_GROUP_REGULATIONS,
        article="第七条",
        summary="党组成员一般设3至7人，省部级以上单位党组成员一般不超过9人",
        params={
            "min_size": PARTY_GROUP_MIN_SIZE,
            "max_size": PARTY_GROUP_MAX_SIZE,
            "ministerial_max_size": PARTY_GROUP_MINISTERIAL_MAX_SIZE,
        },
        severity=Severity.WARNING,
        confidence="H",
    )
)

# The 机关 thresholds: wording M, article unknown → the title alone; warnings (issue 12: a
# department may have reasons, e.g. a 机关党委 approved with fewer members).
ORGAN_COMMITTEE_SIZE_RULE: Final = register(
    Rule(
        id="organ_committee",
        title=ORGAN_REGULATIONS,
        article=None,
        summary="机关党员100人以上的，设立党的基层委员会",
        params={"min_members": ORGAN_COMMITTEE_MIN_MEMBERS},
        severity=Severity.WARNING,
        confidence="M",
    )
)

ORGAN_GENERAL_BRANCH_SIZE_RULE: Final = register(
    Rule(
        id="organ_general_branch",
        title=ORGAN_REGULATIONS,
        article=None,
        summary="机关党员50人以上、100人以下的，设立党的总支部委员会",
        params={
            "min_members": GENERAL_BRANCH_MIN_MEMBERS,
            "max_members": GENERAL_BRANCH_MAX_MEMBERS,
        },
        severity=Severity.WARNING,
        confidence="M",
    )
)

COMMITTEE_TERM_RULE: Final = register(
    Rule(
        id="committee_term",
        title=TERM_OPINION,
        article=None,
        summary="基层委员会每届任期一般为5年，总支部委员会、支部委员会一般为3年；"
        "延长或者提前期限一般不超过1年",
        params={
            "years": MappingProxyType({k: y for k, y in _TERM_YEARS.items() if y}),
            "shift_max_months": TERM_SHIFT_MAX_MONTHS,
            "warning_days": TERM_WARNING_DAYS,
        },
        # "一般为3年" and the term may be extended: an expired term is a warning a secretary
        # can explain (the upper level's approval of the extension), never a hard error.
        severity=Severity.WARNING,
        confidence="H",
    )
)


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown organization kind: {kind!r}")


def term_years(kind: str) -> int | None:
    """Term of office in years for an elected body, or None for appointed/untermed kinds."""
    _check_kind(kind)
    return _TERM_YEARS[kind]


def term_end_for(kind: str, elected_on: date) -> date | None:
    """The scheduled end of a term that began on `elected_on` (None if the kind has no term)."""
    years = term_years(kind)
    if years is None:
        return None
    return add_months(elected_on, years * 12)


def check_term_extension(scheduled_end: date, actual_end: date) -> list[RuleViolation]:
    """Warn when a re-election is moved more than one year (一般不超过1年) either way."""
    latest = add_months(scheduled_end, TERM_SHIFT_MAX_MONTHS)
    earliest = add_months(scheduled_end, -TERM_SHIFT_MAX_MONTHS)
    if earliest <= actual_end <= latest:
        return []
    moved = "延期" if actual_end > scheduled_end else "提前"
    return [
        RuleViolation(
            rule=COMMITTEE_TERM_RULE,
            message=(
                f"换届{moved}一般不超过1年：原定{cn_date(scheduled_end)}届满，"
                f"现为{cn_date(actual_end)}，请注明理由并报上级党组织批准"
            ),
            facts={
                "scheduled_end": scheduled_end.isoformat(),
                "actual_end": actual_end.isoformat(),
                "shift_days": (actual_end - scheduled_end).days,
                "shift_max_months": TERM_SHIFT_MAX_MONTHS,
            },
            severity=Severity.WARNING,
        )
    ]


def _no_committee(
    full_members: int, committee_size: int, deputies: int, officers: int
) -> RuleViolation:
    """正式党员不足7人: a secretary and, if needed, one deputy, nothing else. Two deputies, or a
    组织委员 beside the secretary, break the text as much as a third seat does."""
    extra = {"deputies": deputies} if deputies > 1 else {}
    if officers:
        extra["officers"] = officers
    seats = "".join(
        f"、{label}{n}人"
        for label, n in (("副书记", deputies if deputies > 1 else 0), ("其他委员", officers))
        if n
    )
    return RuleViolation(
        rule=NO_COMMITTEE_RULE,
        message=(
            f"正式党员不足{COMMITTEE_THRESHOLD}人的党支部，设1名书记，"
            "必要时可以设1名副书记；"
            f"现有正式党员{full_members}人、支部委员{committee_size}人{seats}"
        ),
        facts={
            "full_members": full_members,
            "committee_size": committee_size,
            "threshold": COMMITTEE_THRESHOLD,
            "max_posts": NO_COMMITTEE_MAX_POSTS,
            **extra,
        },
    )


def _check_branch(
    full_members: int,
    total_members: int,
    committee_size: int,
    deputies: int = 0,
    officers: int = 0,
) -> list[RuleViolation]:
    found: list[RuleViolation] = []
    if full_members < BRANCH_MIN_FULL_MEMBERS:
        found.append(
            RuleViolation(
                rule=BRANCH_MIN_MEMBERS_RULE,
                message=(
                    f"党支部正式党员{full_members}人，不足{BRANCH_MIN_FULL_MEMBERS}人；"
                    f"正式党员{BRANCH_MIN_FULL_MEMBERS}人以上的才成立党支部，"
                    "不足的可与邻近单位联合成立党支部"
                ),
                facts={"full_members": full_members, "minimum": BRANCH_MIN_FULL_MEMBERS},
            )
        )
    if total_members > BRANCH_MAX_MEMBERS:
        found.append(
            RuleViolation(
                rule=BRANCH_MAX_MEMBERS_RULE,
                message=(
                    f"党支部党员人数一般不超过{BRANCH_MAX_MEMBERS}人，现有{total_members}人，"
                    "可考虑分设党支部；如确需保留，请注明理由"
                ),
                facts={"members": total_members, "maximum": BRANCH_MAX_MEMBERS},
            )
        )
    if full_members >= COMMITTEE_THRESHOLD and deputies > COMMITTEE_MAX_DEPUTIES:
        found.append(
            RuleViolation(
                rule=COMMITTEE_DEPUTIES_RULE,
                message=(
                    f"党支部委员会副书记至多设{COMMITTEE_MAX_DEPUTIES}名，现有副书记{deputies}名"
                ),
                facts={"deputies": deputies, "max_deputies": COMMITTEE_MAX_DEPUTIES},
            )
        )
    if full_members >= COMMITTEE_THRESHOLD:
        # A "committee" of one or two is just a secretary and deputy, i.e. no committee;
        # report it once, as the missing committee, rather than also as too small.
        if committee_size < COMMITTEE_MIN_SIZE:
            found.append(
                RuleViolation(
                    rule=COMMITTEE_THRESHOLD_RULE,
                    message=(
                        f"正式党员{COMMITTEE_THRESHOLD}人以上的党支部应当设立支部委员会"
                        f"（由{COMMITTEE_MIN_SIZE}至{COMMITTEE_NORMAL_MAX_SIZE}人组成），"
                        f"现有正式党员{full_members}人、支部委员{committee_size}人"
                    ),
                    facts={
                        "full_members": full_members,
                        "committee_size": committee_size,
                        "threshold": COMMITTEE_THRESHOLD,
                        "min_size": COMMITTEE_MIN_SIZE,
                    },
                )
            )
    elif committee_size > NO_COMMITTEE_MAX_POSTS or deputies > 1 or officers > 0:
        found.append(_no_committee(full_members, committee_size, deputies, officers))
    if committee_size > COMMITTEE_MAX_SIZE:
        found.append(
            RuleViolation(
                rule=COMMITTEE_SIZE_RULE,
                message=(
                    f"支部委员会由{COMMITTEE_MIN_SIZE}至{COMMITTEE_NORMAL_MAX_SIZE}人组成，"
                    f"一般不超过{COMMITTEE_MAX_SIZE}人，现有{committee_size}人；"
                    "如确需超出，请注明理由"
                ),
                facts={"committee_size": committee_size, "max_size": COMMITTEE_MAX_SIZE},
            )
        )
    return found


def _check_party_group(size: int) -> list[RuleViolation]:
    """党组成员一般设3至7人: a warning outside 3–7 (a ministry's 党组 may have up to 9, which the
    platform cannot tell: the secretary explains it). No member on record: nothing to judge."""
    if size == 0 or PARTY_GROUP_MIN_SIZE <= size <= PARTY_GROUP_MAX_SIZE:
        return []
    return [
        RuleViolation(
            rule=PARTY_GROUP_SIZE_RULE,
            message=(
                f"党组成员一般设{PARTY_GROUP_MIN_SIZE}至{PARTY_GROUP_MAX_SIZE}人"
                f"（省部级以上单位一般不超过{PARTY_GROUP_MINISTERIAL_MAX_SIZE}人），"
                f"现有{size}人；如有特殊情况，请注明理由"
            ),
            facts={
                "size": size,
                "min_size": PARTY_GROUP_MIN_SIZE,
                "max_size": PARTY_GROUP_MAX_SIZE,
            },
        )
    ]


def _check_organ_size(kind: str, members: int) -> list[RuleViolation]:
    """The 机关 thresholds, on the members of the organization's subtree; no member on record
    (an organization not yet filled in): nothing to judge."""
    if members == 0:
        return []
    if kind == "organ_committee" and members < ORGAN_COMMITTEE_MIN_MEMBERS:
        message = (
            f"机关党员{ORGAN_COMMITTEE_MIN_MEMBERS}人以上的，设立党的基层委员会；"
            f"本机关党委所属党员{members}人；如经批准设立，请注明理由"
        )
        rule_ = ORGAN_COMMITTEE_SIZE_RULE
    elif kind == "general_branch" and not (
        GENERAL_BRANCH_MIN_MEMBERS <= members <= GENERAL_BRANCH_MAX_MEMBERS
    ):
        message = (
            f"机关党员{GENERAL_BRANCH_MIN_MEMBERS}人以上、{GENERAL_BRANCH_MAX_MEMBERS}人以下的，"
            f"设立党的总支部委员会；本总支所属党员{members}人；如经批准设立，请注明理由"
        )
        rule_ = ORGAN_GENERAL_BRANCH_SIZE_RULE
    else:
        return []
    return [RuleViolation(rule=rule_, message=message, facts={"subtree_members": members})]


def effective_term_end(
    kind: str, started_on: date | None, typed_end: date | None
) -> tuple[date | None, date | None]:
    """(the scheduled end, the end the term is judged against) for an elected body.

    The scheduled end is the start plus the kind's term (3 years for 支部/总支, 5 for a 机关党委).
    A typed end within one year of it either way is trusted (an early election, or an
    extension the upper level approved); a typed end further out is not: the term is judged
    against the scheduled end. With no start on record the typed end is all there is.
    """
    if term_years(kind) is None:
        return None, None
    scheduled = term_end_for(kind, started_on) if started_on is not None else None
    if scheduled is None or typed_end is None:
        return scheduled, typed_end or scheduled
    if typed_end > add_months(scheduled, TERM_SHIFT_MAX_MONTHS):
        return scheduled, scheduled
    return scheduled, typed_end


def _check_term(
    kind: str, started_on: date | None, typed_end: date | None, today: date
) -> list[RuleViolation]:
    scheduled, term_end = effective_term_end(kind, started_on, typed_end)
    found: list[RuleViolation] = []
    if scheduled is not None and typed_end is not None and typed_end != scheduled:
        found.extend(check_term_extension(scheduled, typed_end))
        if not found and typed_end > scheduled:
            found.append(
                RuleViolation(
                    rule=COMMITTEE_TERM_RULE,
                    message=(
                        f"本届任期{term_years(kind)}年，应于{cn_date(scheduled)}届满，"
                        f"登记为延期至{cn_date(typed_end)}：延期换届须报上级党组织批准，"
                        "请注明批准情况"
                    ),
                    facts={
                        "scheduled_end": scheduled.isoformat(),
                        "actual_end": typed_end.isoformat(),
                        "extended": True,
                    },
                )
            )
    if term_end is None:
        return found
    facts: dict[str, object] = {
        "term_end": term_end.isoformat(),
        "days_left": (term_end - today).days,
        "warning_days": TERM_WARNING_DAYS,
    }
    if scheduled is not None:
        facts["scheduled_end"] = scheduled.isoformat()
    if term_end < today:
        found.append(
            RuleViolation(
                rule=COMMITTEE_TERM_RULE,
                message=f"任期已于{cn_date(term_end)}届满，应及时换届；如经批准延期，请注明理由",
                facts={**facts, "expired": True},
            )
        )
    elif term_end <= today + timedelta(days=TERM_WARNING_DAYS):
        # The 90-day notice is the platform's own practice, not a number in the 意见.
        found.append(
            RuleViolation(
                rule=COMMITTEE_TERM_RULE,
                message=f"任期将于{cn_date(term_end)}届满，请做好换届准备（平台提醒）",
                facts=facts,
            )
        )
    return found


def check_committee(
    kind: str,
    full_members: int,
    committee_size: int,
    term_end: date | None,
    today: date,
    *,
    total_members: int | None = None,
    term_started_on: date | None = None,
    deputies: int = 0,
    officers: int = 0,
    subtree_members: int | None = None,
) -> list[RuleViolation]:
    """Findings for one organization's size, committee and term; [] when all is in order.

    `committee_size` counts post holders (secretary, deputy, officers). The 50-member
    default counts all members, probationary ones included: pass `total_members` for it
    (it falls back to `full_members`). `term_started_on` (the election day) lets the term
    be checked against the kind's term length rather than the typed end alone. `deputies`
    and `officers` (seats other than 书记 and 副书记) let a branch below 7 full members be
    held to "1名书记，必要时可以设1名副书记" by post, not only by head count.
    `subtree_members` (the members of the organization and everything under it) holds a
    机关党委 and a 总支 to the 机关 thresholds (100; 50–100).
    """
    _check_kind(kind)
    total = full_members if total_members is None else total_members
    if min(full_members, committee_size, total) < 0:
        raise ValueError("member and committee counts must not be negative")
    if total < full_members:
        raise ValueError("total_members must include the full members")

    found: list[RuleViolation] = []
    if kind == "branch":
        found.extend(_check_branch(full_members, total, committee_size, deputies, officers))
    elif kind == "leading_group":
        found.extend(_check_party_group(committee_size))
    elif subtree_members is not None:
        found.extend(_check_organ_size(kind, subtree_members))
    if term_years(kind) is not None:
        found.extend(_check_term(kind, term_started_on, term_end, today))
    return found
