"""The study-hours column of the compliance report (issue 13): per branch, members and cadres
short of the year's requirement, counted and never named, violated after the year, at risk
from the pack's month when the remaining plan cannot make it up, pending before."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from dangjian.meetings import findings
from dangjian.meetings.models import Meeting, MeetingStatus
from dangjian.members.models import Member, MembershipSpell
from dangjian.regulations.base import Severity
from dangjian.regulations.meetings import FindingStatus
from dangjian.regulations.study import (
    BEIJING,
    LEADER_HOURS_RULE,
    MEMBER_HOURS_RULE,
    StudyPackError,
    parse_study_table,
    study_params,
)
from dangjian.study import hours
from dangjian.study.training_models import ExternalStatus, ExternalTraining

pytestmark = pytest.mark.django_db
YEAR = 2026


def _findings(demo, today: dt.date, year: int = YEAR):
    findings.clear_cache()
    report = findings.compute(demo.organ_committee, year, today=today)
    found = {f.rule_id: f for f in report.findings_for(demo.branch.pk) if f.column == "study_hours"}
    return report, found


def _short_members(demo, year: int = YEAR) -> list[Member]:
    members = Member.objects.current().filter(organization=demo.branch).order_by("pk")
    return [s.member for s in hours.statuses(members, year) if not s.status.met and not s.cadre]


def _approved_training(member: Member, hours_: str, year: int = YEAR) -> None:
    ExternalTraining.objects.create(
        member=member,
        title="党校专题培训",
        provider="市委党校",
        starts_on=dt.date(year, 6, 1),
        ends_on=dt.date(year, 6, 5),
        hours=Decimal(hours_),
        evidence="x.pdf",
        evidence_name="证明.pdf",
        evidence_type="application/pdf",
        status=ExternalStatus.APPROVED,
    )


def test_after_the_year_short_members_are_counted_not_named_and_follow_the_records(demo):
    short = _short_members(demo)
    assert len(short) >= 2, "the demo branch has members short of 32 学时"
    report, found = _findings(demo, dt.date(YEAR + 1, 1, 10))
    members = found[MEMBER_HOURS_RULE.id]
    assert members.status == FindingStatus.VIOLATED
    assert members.severity == Severity.WARNING  # 一般不少于32学时: explainable
    assert members.message == f"{len(short)}名党员未达到年度学时要求"
    assert all(m.name not in members.message for m in short)
    assert members.facts["detail"] == reverse("study_hours:org_hours", args=[demo.branch.pk]) + (
        f"?year={YEAR}"
    )
    assert "学习培训" in [c.label for c in report.columns]

    _approved_training(short[0], "60")
    _, found = _findings(demo, dt.date(YEAR + 1, 1, 10))
    assert found[MEMBER_HOURS_RULE.id].message == f"{len(short) - 1}名党员未达到年度学时要求"


def test_cadres_short_are_an_error(demo):
    members = Member.objects.current().filter(organization=demo.branch)
    cadres = [s for s in hours.statuses(members, YEAR) if s.cadre]
    assert cadres
    _, found = _findings(demo, dt.date(YEAR + 1, 1, 10))
    leaders = found[LEADER_HOURS_RULE.id]
    missing = sum(not s.status.met for s in cadres)
    assert missing, "the demo branch has a cadre short of 56 学时"
    assert leaders.status == FindingStatus.VIOLATED
    assert leaders.severity == Severity.ERROR
    assert leaders.message == f"{missing}名支部委员未达到年度学时要求"
    for s in cadres:
        if not s.status.met:
            _approved_training(s.member, "80")
            ExternalTraining.objects.filter(member=s.member).update(concentrated=True)
    _, found = _findings(demo, dt.date(YEAR + 1, 1, 10))
    assert found[LEADER_HOURS_RULE.id].status == FindingStatus.OK


def _plan(demo, kind: str, count: int, since: dt.date) -> None:
    start = dt.datetime.combine(since, dt.time(15), tzinfo=BEIJING)
    Meeting.objects.bulk_create(
        Meeting(
            organization=demo.branch,
            kind=kind,
            topic=f"计划学习{i}",
            starts_at=start + dt.timedelta(days=i + 1),
            status=MeetingStatus.PLANNED,
        )
        for i in range(count)
    )


def test_during_the_year_at_risk_only_from_the_packs_month_and_when_the_plan_cannot_reach(demo):
    short = _short_members(demo)
    # Before October: the year is too young to warn; pending, no severity.
    _, found = _findings(demo, dt.date(YEAR, 9, 30))
    assert found[MEMBER_HOURS_RULE.id].status == FindingStatus.PENDING
    assert found[MEMBER_HOURS_RULE.id].severity is None
    # From 1 October: short members the remaining plan cannot make up are at risk.
    october = dt.date(YEAR, 10, 1)
    _, found = _findings(demo, october)
    at_risk = found[MEMBER_HOURS_RULE.id]
    assert at_risk.status == FindingStatus.AT_RISK
    assert at_risk.severity == Severity.WARNING
    assert at_risk.message.endswith("名党员按已有学时和本年剩余计划仍达不到年度学时要求")
    # Enough 理论学习中心组学习 planned (3 学时 each) for the furthest behind: pending again.
    worst = max(
        s.status.required - s.status.hours
        for s in hours.statuses(Member.objects.filter(pk__in=[m.pk for m in short]), YEAR)
    )
    _plan(demo, "central_group_study", int(worst // 3) + 1, october)
    _, found = _findings(demo, october)
    assert found[MEMBER_HOURS_RULE.id].status == FindingStatus.PENDING
    assert (
        found[MEMBER_HOURS_RULE.id].message == f"年度进行中：{len(short)}名党员尚未达到年度学时要求"
    )
    # Sessions planned before the report's day do not count as still to come.
    _, found = _findings(demo, dt.date(YEAR, 12, 31))
    assert found[MEMBER_HOURS_RULE.id].status == FindingStatus.AT_RISK


def test_a_past_year_counts_who_belonged_then(demo):
    """A member who joined the branch after the year is not in its count for that year."""
    _, before = _findings(demo, dt.date(YEAR + 1, 1, 10))
    newcomer = _short_members(demo)[0]
    MembershipSpell.objects.filter(member=newcomer).update(started_on=dt.date(YEAR + 1, 1, 2))
    _, after = _findings(demo, dt.date(YEAR + 1, 1, 10))
    count = int(before[MEMBER_HOURS_RULE.id].message.split("名")[0])
    assert after[MEMBER_HOURS_RULE.id].message == f"{count - 1}名党员未达到年度学时要求"


@pytest.mark.parametrize("value", [13, -1, True, "10"])
def test_the_at_risk_month_is_checked_in_the_pack(value):
    with pytest.raises(StudyPackError, match="at_risk_from_month"):
        parse_study_table({"at_risk_from_month": value}, "local")


def test_a_pack_may_turn_the_warning_off_or_move_it():
    assert study_params([("national", {})]).at_risk_from_month == 10
    assert study_params([("n", {}), ("local", {"at_risk_from_month": 0})]).at_risk_from_month == 0
    assert study_params([("n", {"at_risk_from_month": 11})]).at_risk_from_month == 11
