"""The committee rules of one organization in a year (班子设置, 按期换届) and a branch's 谈心谈话
coverage, with the engine's own functions (`check_committee`,
`heart_talk_coverage_violation`): each month's figures judged on its last day (issue 12), the
term on the period's last day.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from dangjian.meetings.findings.report import (
    AT_RISK,
    OK,
    PENDING,
    VIOLATED,
    OrgInfo,
    Result,
)
from dangjian.orgs.models import OrgKind
from dangjian.regulations.base import RuleViolation, rule
from dangjian.regulations.committee import (
    COMMITTEE_THRESHOLD,
    check_committee,
    effective_term_end,
    term_years,
)
from dangjian.regulations.engine import RuleSet
from dangjian.regulations.meetings import FindingStatus, heart_talk_coverage_violation
from dangjian.regulations.periods import cn_date


class MonthsMemo(Protocol):
    """What `committee_year` reads of the evaluation's memo: the year, its reading day, each
    month's reading day, and the verdicts of one month's figures already worked out."""

    year: int
    as_of: dt.date
    ends: list[dt.date]
    months_memo: dict[tuple, tuple[Result, ...]]


COMMITTEE_RULES = (
    "branch_min_members",
    "branch_max_members",
    "committee_threshold",
    "no_committee",
    "committee_size",
    "committee_deputies",
    "dangzu_size",
    "organ_committee",
    "organ_general_branch",
)
TERM_RULE = "committee_term"
TALK_RULE = "heart_talk"
TALK_COVERAGE_RULE = "heart_talk_coverage"
QUORUM_RULES = ("general_meeting_quorum", "committee_meeting_quorum")
DLM_QUORUM_RULE = "dlm_quorum"
DLM = "democratic_life_meeting"


def _committee_column(rule_id: str) -> str:
    if rule_id == TERM_RULE:
        return "term"
    if rule_id in QUORUM_RULES:
        return "quorum"
    if rule_id in (DLM_QUORUM_RULE, TALK_COVERAGE_RULE):
        return rule_id
    return "committee"


def _violation_result(
    violation: RuleViolation, status: FindingStatus, facts: dict | None = None
) -> Result:
    return Result(
        violation.rule.id,
        _committee_column(violation.rule.id),
        status,
        violation.severity,
        violation.message,
        violation.citation,
        {**(facts or {}), **dict(violation.facts)},
    )


def _ok_result(rule_id: str, message: str, facts: dict) -> Result:
    return Result(
        rule_id, _committee_column(rule_id), OK, None, message, rule(rule_id).citation, facts
    )


def talk_minimum(rules: RuleSet) -> int:
    """The 谈心谈话 each member should take part in a year: the `heart_talk` rule's minimum
    in the packs in force (0, not checked, when a pack dropped the rule)."""
    return next(
        (r.minimum for r in rules.rules if r.id == TALK_RULE and "branch" in r.org_kinds), 0
    )


def talk_result(talk: tuple[int, int, int, int], minimum: int, year: int, as_of: dt.date) -> Result:
    """A branch's 谈心谈话 coverage: judged once the year has ended; before, what is still
    missing is pending (there is time left)."""
    members, missed, seats, seats_missed = talk
    violation = heart_talk_coverage_violation(members, missed, seats, seats_missed, minimum)
    if violation is None:
        message = f"党员{members}名、支部委员{seats}名，本年均已参加谈心谈话"
        return _ok_result(TALK_COVERAGE_RULE, message, dict(zip(_TALK_FACTS, talk, strict=True)))
    if as_of >= dt.date(year, 12, 31):
        return _violation_result(violation, VIOLATED)
    return Result(
        TALK_COVERAGE_RULE,
        TALK_COVERAGE_RULE,
        PENDING,
        None,
        f"截至{cn_date(as_of)}：{violation.message}",
        violation.citation,
        dict(violation.facts),
    )


_TALK_FACTS = ("members", "missed", "seats", "seats_missed")


def monthly_facts(org: OrgInfo, months: int) -> tuple[tuple, ...] | None:
    """The committee figures on each month's last day of the months judged so far (full
    members, members, 委员 seated, 副书记, other seats, the subtree's members), or None when
    they did not change within the year (the year's last day, or today, then says it all)."""
    counts, seats, subtree = org.counts_by_month, org.seats_by_month, org.subtree_by_month
    if months < 2 or (
        (counts is None or len(set(counts[:months])) == 1)
        and (seats is None or len(set(seats[:months])) == 1)
        and (subtree is None or len(set(subtree[:months])) == 1)
    ):
        return None
    no_counts, no_seats = (0, 0), (0, 0, 0)
    return tuple(
        (
            (counts[i] if counts else no_counts)[1],
            (counts[i] if counts else no_counts)[0],
            *(seats[i] if seats else no_seats),
            subtree[i] if subtree is not None and org.subtree_members is not None else None,
        )
        for i in range(months)
    )


def month_label(months: list[int]) -> str:
    """1, 2, 3, 5 → "1月至3月、5月"."""
    runs: list[list[int]] = []
    for month in months:
        if runs and runs[-1][-1] == month - 1:
            runs[-1].append(month)
        else:
            runs.append([month])
    return "、".join(f"{r[0]}月至{r[-1]}月" if len(r) > 1 else f"{r[0]}月" for r in runs)


def committee_year(
    memo: MonthsMemo,
    kind: str,
    monthly: tuple[tuple, ...],
    full_members: int,
    members: int,
    committee_size: int,
    term_ends_on: dt.date | None,
    term_started_on: dt.date | None,
    deputies: int,
    officers: int,
    subtree_members: int | None,
) -> tuple[Result, ...]:
    """The committee rules of a year in which the figures changed: each month judged with
    the members and posts of its last day; a rule broken in any month is a finding of the
    year naming those months (the latest month's figures in its message). The term is judged
    on the period's last day, as always."""
    final = committee_results(
        kind,
        full_members,
        members,
        committee_size,
        term_ends_on,
        term_started_on,
        deputies,
        officers,
        subtree_members,
        memo.as_of,
    )
    broken: dict[str, list[tuple[int, Result]]] = {}
    for month, figures in enumerate(monthly, start=1):
        note_broken(broken, month, month_results(memo, kind, figures, month))
    return with_months(memo, broken, len(monthly), final)


def month_results(memo: MonthsMemo, kind: str, figures: tuple, month: int) -> tuple[Result, ...]:
    """The committee rules on a month's last day for an organization of `kind` with the
    figures of that day (full members, members, committee size, deputies, officers, subtree
    members); the term is not judged here. Memoised on the inputs."""
    full, count, size, dep, off, subtree = figures
    day = memo.ends[month - 1]
    key = (kind, full, count, size, dep, off, subtree, day)
    results = memo.months_memo.get(key)
    if results is None:
        results = memo.months_memo[key] = committee_results(
            kind, full, count, size, None, None, dep, off, subtree, day, term=False
        )
    return results


def note_broken(
    broken: dict[str, list[tuple[int, Result]]], month: int, results: tuple[Result, ...]
) -> None:
    """Keep the month's broken committee rules, by rule."""
    for result in results:
        if result.column == "committee" and result.status == VIOLATED:
            broken.setdefault(result.rule_id, []).append((month, result))


def with_months(
    memo: MonthsMemo,
    broken: dict[str, list[tuple[int, Result]]],
    judged: int,
    final: tuple[Result, ...],
) -> tuple[Result, ...]:
    """The year's committee findings: a rule broken in every one of the `judged` months is the
    plain finding with the latest figures; broken in some, the same naming those months. The
    period-end results `final` stand for the rest (the term and the rules never broken)."""
    if not broken:
        return final
    out = []
    for items in broken.values():
        months = [m for m, _ in items]
        last = items[-1][1]
        if len(months) == judged:
            out.append(last)  # broken every month: the plain finding, the latest figures
            continue
        label = month_label(months)
        each = "各月末" if len(months) > 1 else "末"
        out.append(
            last._replace(
                message=f"{memo.year}年{label}{each}：{last.message}",
                facts={**last.facts, "months": months},
            )
        )
    out.extend(r for r in final if r.column != "committee")
    return tuple(out)


def committee_results(
    kind: str,
    full_members: int,
    members: int,
    committee_size: int,
    term_ends_on: dt.date | None,
    term_started_on: dt.date | None,
    deputies: int,
    officers: int,
    subtree_members: int | None,
    as_of: dt.date,
    *,
    term: bool = True,
) -> tuple[Result, ...]:
    """The committee rules on `as_of`; `term=False`: without the term's own cell when nothing
    is wrong with it (a month's figures, of which only the committee column is kept)."""
    facts_base = {
        "as_of": as_of.isoformat(),
        "full_members": full_members,
        "members": members,
        "committee_size": committee_size,
    }
    # A term that began after the period's end is not the one in force then, and the platform
    # keeps no earlier term: that year's term cannot be judged.
    later_term = term_started_on is not None and term_started_on > as_of
    found = check_committee(
        kind,
        full_members,
        committee_size,
        None if later_term else term_ends_on,
        as_of,
        total_members=max(members, full_members),
        term_started_on=None if later_term else term_started_on,
        deputies=deputies,
        officers=officers,
        subtree_members=subtree_members,
    )
    out = []
    for violation in found:
        if (
            violation.rule.id == TERM_RULE
            and "days_left" in violation.facts
            and not violation.facts.get("expired")
        ):
            status = AT_RISK  # the term ends within the warning window: not yet late
        else:
            status = VIOLATED
        out.append(_violation_result(violation, status, facts_base))
    ruled = {r.rule_id for r in out}
    if kind == OrgKind.BRANCH and not ruled & set(COMMITTEE_RULES):
        rule_id = "committee_threshold" if full_members >= COMMITTEE_THRESHOLD else "no_committee"
        out.append(
            _ok_result(
                rule_id,
                f"正式党员{full_members}人，支部委员{committee_size}人，班子设置符合规定",
                facts_base,
            )
        )
    elif kind == OrgKind.LEADING_GROUP and committee_size and not ruled & set(COMMITTEE_RULES):
        out.append(_ok_result("dangzu_size", f"党组成员{committee_size}人", facts_base))
    if term and term_years(kind) is not None and TERM_RULE not in ruled:
        out.append(_term_result(kind, term_started_on, term_ends_on, later_term, facts_base))
    return tuple(out)


def _term_result(
    kind: str,
    term_started_on: dt.date | None,
    term_ends_on: dt.date | None,
    later_term: bool,
    facts: dict,
) -> Result:
    """The term's cell when nothing is wrong with it: unknown, or in order until its end."""
    citation = rule(TERM_RULE).citation
    if later_term:
        assert term_started_on is not None
        message = f"本届任期自{cn_date(term_started_on)}开始，平台未保存此前一届的任期"
        return Result(TERM_RULE, "term", PENDING, None, message, citation, facts)
    _, term_end = effective_term_end(kind, term_started_on, term_ends_on)
    if term_end is None:
        message = "未登记本届任期，无法检查换届情况"
        return Result(TERM_RULE, "term", PENDING, None, message, citation, facts)
    return _ok_result(
        TERM_RULE,
        f"本届任期至{cn_date(term_end)}",
        {**facts, "term_end": term_end.isoformat()},
    )
