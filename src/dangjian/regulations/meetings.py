"""Organizational life (组织生活) rules: meeting frequencies and quorums (members' absence
streaks and lapses: `attendance`)."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from .base import Rule, RuleViolation, Severity, register
from .committee import BRANCH_REGULATIONS
from .committee import KINDS as ORG_KINDS
from .periods import PERIOD_KINDS, Period, PeriodKind, period_of, periods_in_year, require_date

__all__ = [
    "ATTENDANCE_STATUSES",
    "DEFAULT_AT_RISK_DAYS",
    "MEETING_KINDS",
    "MEETING_KIND_LABELS",
    "ORG_KINDS",
    "FindingStatus",
    "FrequencyRule",
    "PeriodFinding",
    "check_quorum",
    "dlm_quorum_minimum",
    "heart_talk_coverage_violation",
    "dlm_quorum_violation",
    "quorum_minimum",
    "evaluate_frequency",
    "frequency_rule",
    "quorum_violation",
    "vote_passes",
]

DLM_REGULATIONS: Final = "《县以上党和国家机关党员领导干部民主生活会若干规定》"

MEETING_KIND_LABELS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "general_meeting": "支部党员大会",
        "committee_meeting": "支部委员会会议",
        "group_meeting": "党小组会",
        "party_lecture": "党课",
        "theme_day": "主题党日",
        "org_life_meeting": "组织生活会",
        "member_appraisal": "民主评议党员",
        "democratic_life_meeting": "民主生活会",
        "central_group_study": "理论学习中心组学习",
        "heart_to_heart_talk": "谈心谈话",
    }
)
MEETING_KINDS: Final = frozenset(MEETING_KIND_LABELS)

# 签到 (checked_in) and present both count as attendance; present is the default the
# secretary leaves untouched, checked_in comes from the optional QR self check-in.
ATTENDANCE_STATUSES: Final = frozenset({"present", "checked_in", "on_leave", "absent"})
ATTENDED: Final = frozenset({"present", "checked_in"})

# "At risk" starts when the period ends within this many days and the rule is not yet met.
DEFAULT_AT_RISK_DAYS: Final[Mapping[str, int]] = MappingProxyType(
    {"month": 14, "quarter": 30, "year": 60}
)


def _fmt(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _frequency_params(
    period: str, minimum: int, at_risk_days: int, default_quarter: int | None
) -> dict[str, object]:
    params: dict[str, object] = {
        "period": period,
        "minimum": minimum,
        "at_risk_days": at_risk_days,
    }
    if default_quarter is not None:
        params["default_quarter"] = default_quarter
    return params


@dataclass(frozen=True)
class FrequencyRule:
    """How often a kind of meeting must be held per period by an organization kind.

    The numbers live here and are mirrored in `rule.params` (checked on construction), so a
    finding can always show the numbers that produced it. `default_quarter` (for yearly
    meetings "一般安排在第四季度") does not restrict when the meeting counts: a meeting in any
    quarter satisfies the year; it only makes the rule "at risk" from that quarter's start.
    `at_risk_days=None` means the default for the period. `source` is the id of the rule
    pack whose numbers are in force ("national" unless a local pack overrode them).
    """

    rule: Rule
    meeting_kinds: frozenset[str]
    org_kinds: frozenset[str]
    period: PeriodKind
    minimum: int
    default_quarter: int | None = None
    at_risk_days: int | None = None
    requires_committee: bool = False
    noun: str = ""
    source: str = "national"

    def __post_init__(self) -> None:
        object.__setattr__(self, "meeting_kinds", frozenset(self.meeting_kinds))
        object.__setattr__(self, "org_kinds", frozenset(self.org_kinds))
        if self.period not in PERIOD_KINDS:
            raise ValueError(f"{self.rule.id}: unknown period {self.period!r}")
        if not self.meeting_kinds or not self.meeting_kinds <= MEETING_KINDS:
            raise ValueError(f"{self.rule.id}: bad meeting kinds {sorted(self.meeting_kinds)}")
        if not self.org_kinds or not self.org_kinds <= ORG_KINDS:
            raise ValueError(f"{self.rule.id}: bad organization kinds {sorted(self.org_kinds)}")
        if isinstance(self.minimum, bool) or self.minimum < 1:
            raise ValueError(f"{self.rule.id}: minimum must be at least 1")
        if self.default_quarter is not None and (
            self.period != "year" or not 1 <= self.default_quarter <= 4
        ):
            raise ValueError(f"{self.rule.id}: default_quarter needs a yearly rule and 1–4")
        if self.at_risk_days is None:
            object.__setattr__(self, "at_risk_days", DEFAULT_AT_RISK_DAYS[self.period])
        elif self.at_risk_days < 0:
            raise ValueError(f"{self.rule.id}: at_risk_days must not be negative")
        if not self.noun:
            labels = [MEETING_KIND_LABELS[k] for k in sorted(self.meeting_kinds)]
            object.__setattr__(self, "noun", "或".join(labels))
        expected = _frequency_params(
            self.period, self.minimum, self.risk_days, self.default_quarter
        )
        if dict(self.rule.params) != expected:
            raise ValueError(f"{self.rule.id}: rule.params {dict(self.rule.params)} != {expected}")

    @property
    def id(self) -> str:
        return self.rule.id

    @property
    def severity(self) -> Severity:
        return self.rule.severity

    @property
    def citation(self) -> str:
        return self.rule.citation

    @property
    def risk_days(self) -> int:
        """`at_risk_days` with the default resolved (always an int after construction)."""
        assert self.at_risk_days is not None
        return self.at_risk_days

    def applies_to(self, org_kind: str, *, has_committee: bool = True) -> bool:
        """Whether an organization of this kind is bound by the rule.

        支委会 rules bind only branches that have a committee (7 full members or more).
        """
        if org_kind not in ORG_KINDS:
            raise ValueError(f"unknown organization kind: {org_kind!r}")
        return org_kind in self.org_kinds and (has_committee or not self.requires_committee)

    def overridden(self, changes: Mapping[str, object], *, source: str) -> FrequencyRule:
        """A copy with new numbers or severity from a rule pack, recording its `source`.

        Changing the period without giving `at_risk_days` takes the new period's default; a
        `default_quarter` is dropped when the period is no longer a year.
        """
        unknown = set(changes) - {
            "minimum",
            "period",
            "at_risk_days",
            "severity",
            "default_quarter",
        }
        if unknown:
            raise ValueError(f"{self.id}: cannot override {sorted(unknown)}")
        period = str(changes.get("period", self.period))
        if period not in PERIOD_KINDS:
            raise ValueError(f"{self.id}: unknown period {period!r}")
        if "at_risk_days" in changes:
            at_risk_days = int(changes["at_risk_days"])  # type: ignore[call-overload]
        elif period != self.period:
            at_risk_days = DEFAULT_AT_RISK_DAYS[period]
        else:
            at_risk_days = self.risk_days
        if "default_quarter" in changes:
            default_quarter: int | None = int(changes["default_quarter"])  # type: ignore[call-overload]
        else:
            default_quarter = self.default_quarter if period == "year" else None
        minimum = int(changes.get("minimum", self.minimum))  # type: ignore[call-overload]
        severity = Severity(str(changes.get("severity", self.severity)))
        new_rule = replace(
            self.rule,
            severity=severity,
            params=_frequency_params(period, minimum, at_risk_days, default_quarter),
        )
        return replace(
            self,
            rule=new_rule,
            period=period,  # type: ignore[arg-type]
            minimum=minimum,
            at_risk_days=at_risk_days,
            default_quarter=default_quarter,
            source=source,
        )


def frequency_rule(
    *,
    id: str,
    title: str,
    article: str | None,
    summary: str,
    meeting_kinds: Iterable[str],
    org_kinds: Iterable[str],
    period: PeriodKind,
    minimum: int,
    severity: Severity,
    confidence: str,
    default_quarter: int | None = None,
    at_risk_days: int | None = None,
    requires_committee: bool = False,
    noun: str = "",
    source: str = "national",
) -> FrequencyRule:
    """Build a FrequencyRule and its Rule together, so the two cannot disagree."""
    if period not in PERIOD_KINDS:
        raise ValueError(f"{id}: unknown period {period!r}")
    risk = DEFAULT_AT_RISK_DAYS[period] if at_risk_days is None else at_risk_days
    return FrequencyRule(
        rule=Rule(
            id=id,
            title=title,
            article=article,
            summary=summary,
            params=_frequency_params(period, minimum, risk, default_quarter),
            severity=severity,
            confidence=confidence,
        ),
        meeting_kinds=frozenset(meeting_kinds),
        org_kinds=frozenset(org_kinds),
        period=period,
        minimum=minimum,
        default_quarter=default_quarter,
        at_risk_days=risk,
        requires_committee=requires_committee,
        noun=noun,
        source=source,
    )


# Frequencies from 《中国共产党支部工作条例（试行）》 and the 民主生活会 rules. Severity follows
# the digest: "一般…" is a warning a secretary may explain; a plain "每…" or "至少" is an
# error. Where the wording is H but the article only M/L (≈), `confidence` is the wording's
# and the article is left out, so the citation is the title alone. The national rules
# (支部党员大会, 支委会, 党小组会, 主题党日, 组织生活会, 民主评议, 书记讲党课, 民主生活会) are
# defined once, in packs/national.toml; `frequency_rule` builds them from it
# (engine.national_pack, which also registers their Rules).

# The text says "半数以上", but for quorums the digest (and 细则 第二十条: "超过…半数")
# reads it as strictly more than half; so 5 of 10 is not a quorum.
GENERAL_MEETING_QUORUM_RULE: Final = register(
    Rule(
        id="general_meeting_quorum",
        title=BRANCH_REGULATIONS,
        article="第十一条",
        summary="表决必须有半数以上有表决权的党员到会方可进行，"
        "赞成人数超过应到会有表决权的党员的半数为通过",
        params={"quorum": "present * 2 > voting_members", "passes": "yes * 2 > should_attend"},
        severity=Severity.ERROR,
        confidence="H",
    )
)

COMMITTEE_MEETING_QUORUM_RULE: Final = register(
    Rule(
        id="committee_meeting_quorum",
        title=BRANCH_REGULATIONS,
        article="第十二条",
        summary="党支部委员会会议须有半数以上委员到会方可进行",
        params={"quorum": "present * 2 > committee_members"},
        severity=Severity.ERROR,
        confidence="H",
    )
)


# "到会人数必须达到应到会人数的2/3以上": 以上 includes the boundary, so 6 of 9 is a quorum and
# 6 of 10 is not (7 needed). The wording is H, the article unknown: the title alone.
DLM_QUORUM_NUMERATOR: Final = 2
DLM_QUORUM_DENOMINATOR: Final = 3
DLM_QUORUM_RULE: Final = register(
    Rule(
        id="dlm_quorum",
        title=DLM_REGULATIONS,
        article=None,
        summary="民主生活会到会人数必须达到应到会人数的2/3以上",
        params={"numerator": DLM_QUORUM_NUMERATOR, "denominator": DLM_QUORUM_DENOMINATOR},
        severity=Severity.ERROR,
        confidence="H",
    )
)


class FindingStatus(StrEnum):
    """Red/amber/green of one rule for one period; pending means nothing to say yet."""

    OK = "ok"
    AT_RISK = "at_risk"
    VIOLATED = "violated"
    PENDING = "pending"


@dataclass(frozen=True)
class PeriodFinding:
    """One rule's result for one period, with the facts behind it and its citation.

    `severity` is the rule's own for a violation, WARNING when at risk, None otherwise.
    For a period that has ended, nothing here depends on the day it was computed.
    """

    rule_id: str
    period: Period
    status: FindingStatus
    held: int
    required: int
    facts: dict[str, object] = field(default_factory=dict)
    message: str = ""
    severity: Severity | None = None
    citation: str = ""


def _dates(values: Iterable[date], name: str) -> list[date]:
    return sorted(require_date(d, name) for d in values)


def _remaining(days: int) -> str:
    return "今天结束" if days == 0 else f"还剩{days}天结束"


def _judge(rule: FrequencyRule, period: Period, counted: list[date], today: date) -> PeriodFinding:
    held = len(counted)
    facts: dict[str, object] = {
        "period": period.key,
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "dates": [d.isoformat() for d in counted],
        "held": held,
        "required": rule.minimum,
        "at_risk_days": rule.risk_days,
        "source": rule.source,
    }
    if rule.default_quarter is not None:
        facts["default_quarter"] = rule.default_quarter
    current = period.start <= today <= period.end
    # Only a period in progress mentions today; an ended one must not change on recomputation.
    if current:
        facts["days_left"] = period.days_left(today)
    prefix = f"{period.label}{rule.noun}"
    severity: Severity | None = None
    if held >= rule.minimum:
        status = FindingStatus.OK
        message = f"{prefix}{held}次，符合不少于{rule.minimum}次的要求"
    elif period.end < today:
        status = FindingStatus.VIOLATED
        severity = rule.severity
        message = f"{prefix}应不少于{rule.minimum}次，实际{held}次"
        if severity is Severity.WARNING:
            message += "；如有正当理由，请注明理由"
    elif not current:
        status = FindingStatus.PENDING
        message = f"{period.label}尚未开始"
    else:
        days = period.days_left(today)
        in_default_quarter = (
            rule.default_quarter is not None
            and period_of(today, "quarter").index >= rule.default_quarter
        )
        if days <= rule.risk_days or in_default_quarter:
            status = FindingStatus.AT_RISK
            severity = Severity.WARNING
            message = (
                f"{period.label}{_remaining(days)}，{rule.noun}应不少于{rule.minimum}次，"
                f"目前{held}次"
            )
            if rule.default_quarter is not None:
                message += f"（一般安排在第{rule.default_quarter}季度）"
        else:
            status = FindingStatus.PENDING
            message = f"{prefix}目前{held}次，距期末还有{days}天"
    return PeriodFinding(
        rule_id=rule.id,
        period=period,
        status=status,
        held=held,
        required=rule.minimum,
        facts=facts,
        message=message,
        severity=severity,
        citation=rule.citation,
    )


def evaluate_frequency(
    rule: FrequencyRule, held: Iterable[date], *, year: int, today: date
) -> list[PeriodFinding]:
    """One finding per period of `year` from the local dates of the meetings held.

    Dates outside `year`, and dates after `today` (a meeting cannot have been held yet),
    are not counted. Convert meeting datetimes with periods.local_date() first; datetimes
    are refused. A period is violated once it has ended (`end < today`) short of the
    minimum, so the last day still counts as at risk.
    """
    require_date(today, "today")
    dates = [d for d in _dates(held, "held") if d.year == year and d <= today]
    # Sorted dates, contiguous periods: each period's dates are one slice (found by bisection,
    # where testing every date against every period cost 12 × n comparisons).
    out = []
    for period in periods_in_year(year, rule.period):
        first = bisect_left(dates, period.start)
        out.append(_judge(rule, period, dates[first : bisect_right(dates, period.end)], today))
    return out


def _check_counts(total: int, part: int, total_name: str, part_name: str) -> None:
    if total < 0 or part < 0:
        raise ValueError("counts must not be negative")
    if part > total:
        raise ValueError(f"{part_name} ({part}) exceeds {total_name} ({total})")


def quorum_minimum(voting_members: int) -> int:
    """The fewest voting members present that make a quorum: more than half (10 → 6, 9 → 5)."""
    return voting_members // 2 + 1


def check_quorum(voting_members: int, present_voting: int) -> bool:
    """Whether more than half of the voting members are present (10 → 6 needed, 9 → 5)."""
    _check_counts(voting_members, present_voting, "voting_members", "present_voting")
    return present_voting >= quorum_minimum(voting_members)


def vote_passes(should_attend_voting: int, yes: int) -> bool:
    """Whether yes-votes exceed half of the voting members who *should* attend.

    The denominator is everyone entitled to attend, not those present: with 10 voting
    members and 6 present, 5 yes-votes do not pass.
    """
    _check_counts(should_attend_voting, yes, "should_attend_voting", "yes")
    return yes * 2 > should_attend_voting


def dlm_quorum_minimum(expected: int) -> int:
    """The fewest present that reach 2/3 of those expected (9 → 6, 10 → 7, 3 → 2)."""
    if expected < 0:
        raise ValueError("counts must not be negative")
    return -(-expected * DLM_QUORUM_NUMERATOR // DLM_QUORUM_DENOMINATOR)


def dlm_quorum_violation(expected: int, present: int) -> RuleViolation | None:
    """A finding when a 民主生活会 had fewer than 2/3 of those expected; None otherwise."""
    _check_counts(expected, present, "expected", "present")
    needed = dlm_quorum_minimum(expected)
    if present >= needed:
        return None
    return RuleViolation(
        rule=DLM_QUORUM_RULE,
        message=(
            f"民主生活会到会人数必须达到应到会人数的2/3以上：应到{expected}人，"
            f"实到{present}人，至少应到会{needed}人"
        ),
        facts={"expected": expected, "present": present, "needed": needed},
    )


_QUORUM_RULES: Final = {
    "general_meeting": GENERAL_MEETING_QUORUM_RULE,
    "committee_meeting": COMMITTEE_MEETING_QUORUM_RULE,
}


def quorum_violation(
    meeting_kind: str, voting_members: int, present_voting: int
) -> RuleViolation | None:
    """A finding when a 党员大会 or 支委会 lacks its quorum; None when it has one."""
    found = _QUORUM_RULES.get(meeting_kind)
    if found is None:
        raise ValueError(f"no quorum rule for meeting kind {meeting_kind!r}")
    if check_quorum(voting_members, present_voting):
        return None
    who = "有表决权的党员" if meeting_kind == "general_meeting" else "委员"
    return RuleViolation(
        rule=found,
        message=(
            f"{MEETING_KIND_LABELS[meeting_kind]}应到{who}{voting_members}人，"
            f"实到{present_voting}人，未超过半数，不能进行"
            + ("表决" if meeting_kind == "general_meeting" else "")
        ),
        facts={"voting_members": voting_members, "present_voting": present_voting},
    )


# 谈心谈话 (第十九条≈, text H, article L: the title alone): "支部委员之间、支部委员和党员之间、
# 党员和党员之间，每年谈心谈话一般不少于1次". The number of talks a year is the pack's
# `heart_talk` minimum; recording every pair would be a form per pair (1,225 for a branch of
# 50), which the anti-formalism rules refuse. A talk's sign-in sheet says who took part, and
# this rule checks what the sheets can prove broken: a member who took part in fewer talks than
# the minimum, or a 委员 who never talked with another 委员, has a pair the text names with no
# talk. "一般": a warning.
HEART_TALK_COVERAGE_RULE: Final = register(
    Rule(
        id="heart_talk_coverage",
        title=BRANCH_REGULATIONS,
        article=None,
        summary=(
            "支部委员之间、支部委员和党员之间、党员和党员之间，每年谈心谈话一般不少于1次"
            "（按谈心谈话记录的参加人核对）"
        ),
        params={},
        severity=Severity.WARNING,
        confidence="H",
    )
)


def heart_talk_coverage_violation(
    members: int, missed: int, seats: int, seats_missed: int, minimum: int
) -> RuleViolation | None:
    """A branch's 谈心谈话 coverage in a year that has ended: `missed` of its `members` took
    part in fewer than `minimum` talks; `seats_missed` of its `seats` 委员 took part in none
    with another 委员 (only judged with 2 委员 or more). None when nothing is proven missing."""
    if min(members, missed, seats, seats_missed, minimum) < 0 or missed > members:
        raise ValueError("counts must not be negative, nor missed exceed members")
    if seats_missed > seats:
        raise ValueError("seats_missed must not exceed seats")
    parts = []
    if missed:
        parts.append(f"{missed}名党员（共{members}名）本年参加谈心谈话不足{minimum}次")
    if seats >= 2 and seats_missed:
        parts.append(f"{seats_missed}名支部委员（共{seats}名）本年未与其他委员谈心谈话")
    if not parts:
        return None
    return RuleViolation(
        rule=HEART_TALK_COVERAGE_RULE,
        message=(
            "；".join(parts)
            + "。支部委员之间、支部委员和党员之间、党员和党员之间，每年谈心谈话一般不少于"
            + f"{minimum}次；如有正当理由，请注明"
        ),
        facts={
            "members": members,
            "missed": missed,
            "seats": seats,
            "seats_missed": seats_missed if seats >= 2 else 0,
            "minimum": minimum,
        },
    )
