"""The study-hours column of the compliance report (`meetings.findings.contributors`, issue 13).

Per branch, for the year: how many members and how many cadres (secretaries and committee
members) do not meet the year's requirement (regulations/study.py: 32 学时, 56 and one
concentrated training for cadres, pro rata for the months of the year in the party or in post).
Counts only, never names: the count links to the branch's hours page, where the branch's own
secretary and committee see who (in roster order, never sorted by hours) and the levels above
see coverage and cadres.

- After the year: 未达标 is violated (a warning for members, whose rule says "一般"; an error
  for cadres).
- During the year, from the pack's `at_risk_from_month` (platform practice, 1 October in the
  national pack): at risk when a member's hours so far plus the default hours of the study
  sessions still planned for their branch this year cannot reach the requirement. Before that
  month, or when the plan can still make it up: pending.

Who belonged is read from the membership history on the report's day (`scope.as_of`: the
year's last day, or today), so a past year is judged with the roster as it was.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import NamedTuple

from django.db.models import Case, CharField, Q, Value, When
from django.db.models.functions import Cast
from django.urls import reverse

from dangjian.meetings.findings.contributors import Column, Contributor, Result, Scope, register
from dangjian.meetings.models import Meeting, MeetingStatus
from dangjian.members.models import MembershipSpell
from dangjian.orgs.models import OrgKind
from dangjian.regulations import study as rules
from dangjian.regulations.meetings import FindingStatus
from dangjian.study import hours
from dangjian.study.training_models import ExternalTraining, Training

COLUMN = "study_hours"


def _columns(ruleset) -> list[Column]:
    ids = (rules.MEMBER_HOURS_RULE.id, rules.LEADER_HOURS_RULE.id)
    citation = f"{rules.MEMBER_HOURS_RULE.citation}；{rules.LEADER_HOURS_RULE.citation}"
    return [Column(COLUMN, "学习培训", ids, citation)]


class _Tally(NamedTuple):
    """A branch's members and cadres short of the year's requirement, and how many of them
    the year's remaining planned sessions could not make up."""

    members: int = 0
    members_unreachable: int = 0
    cadres: int = 0
    cadres_unreachable: int = 0


def _planned_hours(branches: list[int], year: int, now: dt.datetime, p) -> dict[int, Decimal]:
    """Default hours of the counted sessions each branch still has planned this year (one
    query). A planned 主题党日 counts although its materials are linked only later: a warning
    of what the plan cannot reach should not fire on a plan that can."""
    start, end = rules.year_bounds(year)
    out: dict[int, Decimal] = defaultdict(Decimal)
    for org_id, kind in Meeting.objects.filter(
        organization_id__in=branches,
        status=MeetingStatus.PLANNED,
        kind__in=list(p.kind_hours),
        starts_at__gte=max(start, now),
        starts_at__lt=end,
    ).values_list("organization_id", "kind"):
        out[org_id] += p.kind_hours[kind]
    return out


def _tallies(scope: Scope, branches: list[int], running: bool) -> dict[int, _Tally]:
    """Per branch, its members on `scope.as_of` short of the year's requirement, counted.

    A whole tree is 60,000 members but far fewer distinct (admission, months in post, hours,
    trainings): each is judged once, and each member adds one to a count of the branch (no
    object per member). Rows are read through a plain cursor as integers and ISO text: the
    admission day only when it falls in the year or after (before the year every member has
    the same requirement), so no date per member crosses into Python."""
    year = scope.year
    spells = MembershipSpell.objects.filter(
        Q(ended_on__isnull=True) | Q(ended_on__gte=scope.as_of),
        organization_id__in=branches,
        started_on__lte=scope.as_of,
    )
    admitted = Case(
        When(member__admitted_on__lt=dt.date(year, 1, 1), then=Value(None)),
        default=Cast("member__admitted_on", CharField(max_length=10)),
    )
    belonging: dict[int, tuple[int, str | None]] = {
        member_id: (org_id, day)
        for member_id, org_id, day in hours.plain_rows(
            spells.annotate(admitted=admitted).values_list(
                "member_id", "organization_id", "admitted"
            )
        )
    }
    if not belonging:
        return {}
    many = len(belonging) > hours.BULK_MEMBERS
    # A few branches (the findings page's refresh after a write): their members by id, which
    # the attendance's member index answers; as a subquery the planner walked every counted
    # meeting of the year instead (1.5 s for one branch at province scale).
    # Many (a whole tree): everyone's sums and posts of the year, and these members kept; the
    # members as a subquery cost each read the spells' 60,000 rows again.
    ids = None if many else sorted(belonging)
    p = hours.params()
    attended = hours.attended_tenths(year, p, ids)
    trained = hours.training_totals(ids, year)
    months = hours.cadre_months(ids, year)
    # Sessions planned from the report's day on (its "today", not the machine's).
    since = dt.datetime.combine(scope.today, dt.time.min, tzinfo=rules.BEIJING)
    planned = _planned_hours(branches, year, since, p) if running else {}
    judge = hours.Judge(year)
    # (admission day in the year or after, months in post, tenths attended, (training hours,
    # trainings)) -> None when met, else (cadre, the hours still missing).
    verdicts: dict[tuple, tuple[bool, Decimal] | None] = {}
    counts: dict[int, list[int]] = {}
    as_hours: dict[int, Decimal] = {}
    for member_id, (org_id, day) in belonging.items():
        extra = trained.get(member_id)
        key = (
            day,
            months.get(member_id, 0),
            attended.get(member_id, 0),
            None if extra is None else (extra.hours, extra.trainings),
        )
        if key in verdicts:
            verdict = verdicts[key]
        else:
            got = hours.Totals(Decimal(0) + hours.tenths_as_hours(key[2], as_hours))
            if extra is not None:
                got.hours += extra.hours
                got.trainings += extra.trainings
            admitted_on = None if day is None else dt.date.fromisoformat(str(day)[:10])
            req, status = judge(admitted_on, key[1], got)
            verdict = verdicts[key] = None if status.met else (req.cadre, req.hours - status.hours)
        if verdict is None:
            continue
        cadre, missing = verdict
        tally = counts.setdefault(org_id, [0, 0, 0, 0])
        at = 2 if cadre else 0
        tally[at] += 1
        # The remaining plan could still make it up: hours so far + planned >= required.
        tally[at + 1] += missing > planned.get(org_id, 0)
    return {org_id: _Tally(*tally) for org_id, tally in counts.items()}


def _result(rule, status: FindingStatus, message: str, facts: dict) -> Result:
    severity = rule.severity if status in (FindingStatus.VIOLATED, FindingStatus.AT_RISK) else None
    return Result(rule.id, COLUMN, status, severity, message, rule.citation, facts)


_PLACEHOLDER = 987654321


def _branch_results(
    org_id: int, tally: _Tally, link_pattern: str, running: bool, warn: bool
) -> list[Result]:
    link = link_pattern.replace(str(_PLACEHOLDER), str(org_id))
    out = []
    for rule, short, unreachable, who in (
        (rules.MEMBER_HOURS_RULE, tally.members, tally.members_unreachable, "党员"),
        (rules.LEADER_HOURS_RULE, tally.cadres, tally.cadres_unreachable, "支部委员"),
    ):
        facts: dict[str, object] = {"short": short, "detail": link}
        if not short:
            message = f"{who}目前均已达到年度学时要求" if running else f"{who}均达到年度学时要求"
            out.append(_result(rule, FindingStatus.OK, message, {}))
            continue
        if not running:
            message = f"{short}名{who}未达到年度学时要求"
            out.append(_result(rule, FindingStatus.VIOLATED, message, facts))
        elif warn and unreachable:
            message = f"{unreachable}名{who}按已有学时和本年剩余计划仍达不到年度学时要求"
            out.append(_result(rule, FindingStatus.AT_RISK, message, facts))
        else:
            message = f"年度进行中：{short}名{who}尚未达到年度学时要求"
            out.append(_result(rule, FindingStatus.PENDING, message, facts))
    return out


def _evaluate(scope: Scope) -> dict[int, list[Result]]:
    branches = sorted(o.id for o in scope.orgs if o.kind == OrgKind.BRANCH)
    if not branches:
        return {}
    running = scope.today <= dt.date(scope.year, 12, 31)
    month = hours.params().at_risk_from_month
    warn = running and month > 0 and scope.today.year == scope.year and scope.today.month >= month
    tallies = _tallies(scope, branches, running)
    # One reverse() for the tree, not one per branch.
    pattern = reverse("study_hours:org_hours", args=[_PLACEHOLDER]) + f"?year={scope.year}"
    nobody = _Tally()
    return {
        org_id: _branch_results(org_id, tallies.get(org_id, nobody), pattern, running, warn)
        for org_id in branches
    }


register(
    Contributor(
        key="study",
        columns=_columns,
        evaluate=_evaluate,
        # Attendance is the meetings' own (their column's owner re-reads the meeting's
        # organization); an approved external training changes its member's branch, and a
        # 培训班's completion the branches of its participants (one row each through the join).
        owners={
            "study.externaltraining": (ExternalTraining, "member__organization_id"),
            "study.training": (Training, "participants__member__organization_id"),
        },
    )
)
