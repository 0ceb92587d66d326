"""The study column's counts (study/findings.py: every member judged from the grouped sums,
each distinct input once) against each member's own status as the member page works it out
(`hours.statuses`, read member by member), in every branch of the demo organ, on the
boundaries: exactly the requirement and half an hour short, a cadre with the hours but no
concentrated training, a member admitted mid-year, a branch where everyone meets it; after the year, before and from the
at-risk month, with sessions planned (issue 13: the report's speed must not change a finding).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from dangjian.meetings import findings
from dangjian.meetings.models import Meeting, MeetingStatus
from dangjian.members.models import Member, MembershipSpell
from dangjian.orgs.models import Organization, OrgKind
from dangjian.regulations.meetings import FindingStatus
from dangjian.regulations.study import BEIJING, LEADER_HOURS_RULE, MEMBER_HOURS_RULE
from dangjian.study import hours
from dangjian.study.findings import _planned_hours
from dangjian.study.training_models import ExternalStatus, ExternalTraining

pytestmark = pytest.mark.django_db
YEAR = 2026


def _external(member: Member, amount: Decimal, concentrated: bool = False) -> None:
    ExternalTraining.objects.create(
        member=member,
        title="党校专题培训",
        provider="市委党校",
        starts_on=dt.date(YEAR, 6, 1),
        ends_on=dt.date(YEAR, 6, 5),
        hours=amount,
        concentrated=concentrated,
        evidence="x.pdf",
        evidence_name="证明.pdf",
        evidence_type="application/pdf",
        status=ExternalStatus.APPROVED,
    )


def _boundaries(demo) -> None:
    """In the demo branch: one member at exactly 32 学时, one half an hour short, a cadre
    with 56 or more but no concentrated training, one admitted in July; and the sibling
    branch all met."""
    members = Member.objects.current().filter(organization=demo.branch).order_by("pk")
    statuses = hours.statuses(members, YEAR)
    plain = [s for s in statuses if not s.cadre and s.requirement.hours == 32]
    cadres = [s for s in statuses if s.cadre and s.requirement.trainings]
    assert len(plain) >= 3 and cadres
    exact, short, joiner = plain[0], plain[1], plain[2]
    _external(exact.member, Decimal(32) - exact.status.hours)
    _external(short.member, Decimal("31.5") - short.status.hours)
    if cadres[0].status.hours < 56:
        _external(cadres[0].member, Decimal(56) - cadres[0].status.hours)
    Member.objects.filter(pk=joiner.member.pk).update(admitted_on=dt.date(YEAR, 7, 15))
    for member in Member.objects.current().filter(organization=demo.sibling_branch):
        _external(member, Decimal(60), concentrated=True)  # a branch where everyone is met
    after = {s.member.pk: s for s in hours.statuses(members.all(), YEAR)}
    assert after[exact.member.pk].status.met
    assert not after[short.member.pk].status.met
    assert not after[cadres[0].member.pk].status.met  # no concentrated training
    assert after[joiner.member.pk].requirement.hours == 16  # six months of twelve


def _expected(demo, today: dt.date, running: bool, warn: bool) -> dict[int, dict[str, tuple]]:
    """Per branch and rule, (status, short) from each member's own status."""
    branches = list(
        Organization.objects.filter(
            path__startswith=demo.organ_committee.path, kind=OrgKind.BRANCH
        ).values_list("pk", flat=True)
    )
    since = dt.datetime.combine(today, dt.time.min, tzinfo=BEIJING)
    planned = _planned_hours(branches, YEAR, since, hours.params()) if running else {}
    out: dict[int, dict[str, tuple]] = {}
    for org_id in branches:
        ids = (
            MembershipSpell.objects.filter(organization_id=org_id, started_on__lte=today)
            .exclude(ended_on__lt=today)
            .values("member_id")
        )
        rows = hours.statuses(Member.objects.filter(pk__in=ids).order_by("pk"), YEAR)
        out[org_id] = {}
        for rule, cadre in ((MEMBER_HOURS_RULE, False), (LEADER_HOURS_RULE, True)):
            mine = [s for s in rows if s.cadre is cadre and not s.status.met]
            unreachable = [
                s
                for s in mine
                if s.status.hours + planned.get(org_id, Decimal(0)) < s.requirement.hours
            ]
            if not mine:
                status = FindingStatus.OK
            elif not running:
                status = FindingStatus.VIOLATED
            elif warn and unreachable:
                status = FindingStatus.AT_RISK
            else:
                status = FindingStatus.PENDING
            count = len(unreachable) if status == FindingStatus.AT_RISK else len(mine)
            out[org_id][rule.id] = (status, count if mine else 0)
    return out


def _found(demo, today: dt.date) -> dict[int, dict[str, tuple]]:
    findings.clear_cache()
    report = findings.compute(demo.organ_committee, YEAR, today=today)
    out: dict[int, dict[str, tuple]] = {}
    for info in report.orgs:
        for f in report.findings_for(info.id):
            if f.column == "study_hours":
                count = int(f.message.split("名")[0].split("：")[-1]) if f.facts else 0
                out.setdefault(info.id, {})[f.rule_id] = (f.status, count)
    return out


def _plan(demo, since: dt.date, count: int) -> None:
    start = dt.datetime.combine(since, dt.time(15), tzinfo=BEIJING)
    Meeting.objects.bulk_create(
        Meeting(
            organization=demo.branch,
            kind="central_group_study",
            topic=f"计划学习{i}",
            starts_at=start + dt.timedelta(days=i + 1),
            status=MeetingStatus.PLANNED,
        )
        for i in range(count)
    )


@pytest.mark.parametrize("bulk", [False, True], ids=["member-by-member", "by-meeting"])
def test_every_branch_counts_what_each_members_status_says(demo, monkeypatch, bulk):
    if bulk:  # the whole-tree path (a province's 60,000 members), on the small demo
        monkeypatch.setattr(hours, "BULK_MEMBERS", 0)
    _boundaries(demo)
    _plan(demo, dt.date(YEAR, 10, 1), 2)  # 6 学时 still planned in the demo branch
    cases = [
        (dt.date(YEAR + 1, 1, 10), False, False),  # after the year: violated
        (dt.date(YEAR, 9, 30), True, False),  # before the at-risk month: pending
        (dt.date(YEAR, 10, 1), True, True),  # from it: at risk unless the plan reaches
        (dt.date(YEAR, 12, 31), True, True),  # the plan is behind the report's day
    ]
    statuses = set()
    for today, running, warn in cases:
        found = _found(demo, today)
        expected = _expected(demo, today, running, warn)
        assert found == expected, today
        statuses |= {status for rules in found.values() for status, _ in rules.values()}
    assert statuses >= {
        FindingStatus.VIOLATED,
        FindingStatus.PENDING,
        FindingStatus.AT_RISK,
        FindingStatus.OK,
    }
