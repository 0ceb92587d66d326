"""Members' attendance over time: absence streaks (a local practice) and the 党章 第九条 lapse
(six months without organizational life), with its early warning.

The streak threshold and the warning month are the platform's own numbers, not a regulation's:
they live once, in the rule pack's `[params]` (`absence_streak_threshold`,
`lapse_warn_after_months`, given by packs/national.toml, changeable by a local pack), and every
caller passes the rule set's value in."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final, TypeVar

from .base import Rule, RuleViolation, Severity, register
from .dates import add_months
from .meetings import ATTENDANCE_STATUSES, ATTENDED, FindingStatus, PeriodFinding, _fmt
from .membership import CONSTITUTION
from .periods import period_of, require_date

__all__ = [
    "LAPSE_MONTHS",
    "AbsenceStreak",
    "absence_streaks",
    "absence_violation",
    "lapse_status",
]

EDUCATION_REGULATIONS: Final = "《中国共产党党员教育管理工作条例》"

LAPSE_MONTHS: Final = 6


# Platform practice, not a number from any regulation: the 怠学/逃学 signal for the secretary.
# Shown as 平台做法 (issue 12), referring to the regulation on member education and management.
# Its threshold is the pack's `absence_streak_threshold`.
ABSENCE_STREAK_RULE: Final = register(
    Rule(
        id="absence_streak",
        title=EDUCATION_REGULATIONS,
        article=None,
        summary="党员无故连续多次缺席组织生活的，党组织应及时了解情况、谈心谈话（平台做法）",
        params={},
        severity=Severity.WARNING,
        confidence="L",
        practice=True,
    )
)

# The rule itself is an error at six months; the early warning is the platform's own (the
# pack's `lapse_warn_after_months`).
SELF_LAPSE_RULE: Final = register(
    Rule(
        id="self_lapse_warning",
        title=CONSTITUTION,
        article="第九条",
        summary="没有正当理由，连续六个月不参加党的组织生活，就被认为是自行脱党",
        params={"lapse_months": LAPSE_MONTHS},
        severity=Severity.ERROR,
        confidence="H",
    )
)


@dataclass(frozen=True)
class AbsenceStreak:
    """A member's current run of absences without leave: how many, first and last date."""

    count: int
    since: date
    last: date


M = TypeVar("M", bound=Hashable)


def absence_streaks(
    records: Iterable[tuple[M, date, str]], threshold: int
) -> dict[M, AbsenceStreak]:
    """Members whose trailing run of "absent" (缺席, without leave) reaches `threshold`.

    Records are (member, meeting date, attendance status), in any order; they are taken in
    date order, and records on the same date keep their input order. Present or checked in
    ends a run. Leave (on_leave) is neither absence nor attendance: it neither adds to a
    run nor ends it, so absent, leave, absent is a run of two.
    """
    if threshold < 1:
        raise ValueError("threshold must be at least 1")
    by_member: dict[M, list[tuple[date, str]]] = {}
    for member, day, status in records:
        if status not in ATTENDANCE_STATUSES:
            raise ValueError(f"unknown attendance status: {status!r}")
        by_member.setdefault(member, []).append((require_date(day, "date"), status))
    found: dict[M, AbsenceStreak] = {}
    for member, entries in by_member.items():
        count, since, last = 0, None, None
        for day, status in sorted(entries, key=lambda entry: entry[0]):
            if status == "absent":
                count += 1
                since = day if count == 1 else since
                last = day
            elif status in ATTENDED:
                count, since, last = 0, None, None
        if count >= threshold and since is not None and last is not None:
            found[member] = AbsenceStreak(count=count, since=since, last=last)
    return found


def absence_violation(streak: AbsenceStreak, member_name: str) -> RuleViolation:
    """The warning for the secretary about one member's streak (never shown to others)."""
    return RuleViolation(
        rule=ABSENCE_STREAK_RULE,
        message=(
            f"{member_name}自{_fmt(streak.since)}起连续{streak.count}次无故缺席组织生活"
            f"（最近一次：{_fmt(streak.last)}），请及时了解情况、谈心谈话"
        ),
        facts={
            "count": streak.count,
            "since": streak.since.isoformat(),
            "last": streak.last.isoformat(),
        },
    )


def _months_without(anchor: date, today: date) -> int:
    # Whole months completed after `anchor`: month m is complete once today is past
    # add_months(anchor, m) (《民法典》第二百零一条: the period ends on the corresponding day).
    months = (today.year - anchor.year) * 12 + today.month - anchor.month
    while months > 0 and add_months(anchor, months) >= today:
        months -= 1
    return max(months, 0)


def lapse_status(
    last_attended: date | None,
    member_since: date,
    today: date,
    *,
    warn_after_months: int,
    lapse_months: int = LAPSE_MONTHS,
    member_name: str = "该党员",
    leaves: Iterable[date] = (),
) -> PeriodFinding | None:
    """党章 第九条: a warning after `warn_after_months` whole months without organizational
    life, an error after `lapse_months`; None while the member is fine.

    Months count from the later of the last attendance and the day the member joined this
    organization (`member_since`): a member who has just transferred in is not blamed for
    the time before. With the last attendance on 15 January the warning starts on
    16 May and the error on 16 July. The finding's period is the month of `today`.

    `leaves` are the days of held meetings the member missed on approved leave (请假). The
    rule needs six months "没有正当理由": an error only when the months without attendance
    after the last such leave reach `lapse_months`; when leave falls inside the months and
    breaks that run, it is the secretary's judgement, a warning naming the leaves.
    """
    require_date(member_since, "member_since")
    require_date(today, "today")
    if last_attended is not None:
        require_date(last_attended, "last_attended")
    if not 1 <= warn_after_months < lapse_months:
        raise ValueError("need 1 <= warn_after_months < lapse_months")
    from_attendance = last_attended is not None and last_attended >= member_since
    anchor = last_attended if from_attendance and last_attended else member_since
    months = _months_without(anchor, today)
    if months < warn_after_months:
        return None
    missed = [d for d in (require_date(d, "leaves") for d in leaves) if anchor < d <= today]
    excused = sorted(set(missed))  # the days; two meetings on one day are two leaves
    unexcused_from = excused[-1] if excused else anchor
    unexcused = _months_without(unexcused_from, today)
    deadline = add_months(anchor, lapse_months)
    facts: dict[str, object] = {
        "last_attended": last_attended.isoformat() if last_attended else None,
        "member_since": member_since.isoformat(),
        "counted_from": anchor.isoformat(),
        "months_without": months,
        "warn_after_months": warn_after_months,
        "lapse_months": lapse_months,
        "warn_from": (add_months(anchor, warn_after_months) + timedelta(days=1)).isoformat(),
        "lapse_from": (deadline + timedelta(days=1)).isoformat(),
        "leaves": [d.isoformat() for d in excused],
        "leave_count": len(missed),
        "months_without_leave": unexcused,
    }
    basis = (
        f"最近一次参加组织生活是{_fmt(anchor)}"
        if from_attendance
        else f"自{_fmt(anchor)}编入本组织以来未参加组织生活"
    )
    head = f"{member_name}已连续{months}个月未参加党的组织生活（{basis}）"
    head += _leave_note(excused, len(missed))
    status, severity, message = _verdict(head, months, unexcused, lapse_months, deadline)
    return PeriodFinding(
        rule_id=SELF_LAPSE_RULE.id,
        period=period_of(today, "month"),
        status=status,
        held=0,
        required=1,
        facts=facts,
        message=message,
        severity=severity,
        citation=SELF_LAPSE_RULE.citation,
    )


def _verdict(
    head: str, months: int, unexcused: int, lapse_months: int, deadline: date
) -> tuple[FindingStatus, Severity, str]:
    """Status, severity and message: leave inside the months makes it the branch's judgement."""
    if months >= lapse_months and unexcused < lapse_months:
        status, severity = FindingStatus.AT_RISK, Severity.WARNING
        message = (
            f"{head}；请假是否属于正当理由，由党支部研判（党章第九条："
            "没有正当理由，连续六个月不参加党的组织生活，被认为是自行脱党），"
            "请及时了解情况、谈心谈话"
        )
    elif months >= lapse_months:
        status, severity = FindingStatus.VIOLATED, Severity.ERROR
        message = (
            f"{head}；没有正当理由的，按照党章第九条被认为是自行脱党，"
            "应由支部大会决定除名并报上级党组织批准"
        )
    else:
        status, severity = FindingStatus.AT_RISK, Severity.WARNING
        message = (
            f"{head}；如到{_fmt(deadline)}仍未参加，按照党章第九条将被认为是自行脱党，"
            "请及时了解情况、谈心谈话"
        )
    return status, severity, message


# At most this many leave dates are listed in a message; the rest are counted.
_LEAVES_LISTED: Final = 6


def _leave_note(excused: Sequence[date], count: int) -> str:
    """The note "，其间经批准请假N次（days）", empty without leave; no reasons (least disclosure)."""
    if not excused:
        return ""
    listed = "、".join(_fmt(d) for d in excused[:_LEAVES_LISTED])
    more = "等" if len(excused) > _LEAVES_LISTED else ""
    return f"，其间经批准请假{count}次（{listed}{more}）"
