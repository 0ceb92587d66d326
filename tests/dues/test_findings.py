"""The dues column of the compliance report: counts per branch, no names (issue 16)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from dangjian.dues.models import Payment
from dangjian.meetings import findings
from dangjian.members.models import Member
from dangjian.regulations.meetings import FindingStatus
from tests.dues.helpers import assessed, months_ago, settle, this_month

pytestmark = pytest.mark.django_db


def _paid_until(demo, member, ago: int):
    settle(member, months_ago(20))
    assessed(demo, member, "3000", months_ago(12))
    for n in range(ago, 13):
        Payment.objects.create(
            member=member,
            organization=member.organization,
            month=months_ago(n),
            amount=Decimal("15"),
            paid_on=this_month(),
            method="cash",
        )


def _cell(demo, branch):
    findings.clear_cache()
    today = this_month() + dt.timedelta(days=2)
    report = findings.compute(demo.organ_committee, today.year, today=today)
    return report.cell(branch.pk, "dues_arrears"), report


def test_a_lapse_is_a_violation_of_the_branch_counted_not_named(demo):
    members = list(Member.objects.current().filter(organization=demo.branch)[:2])
    _paid_until(demo, members[0], 7)  # six unpaid
    _paid_until(demo, members[1], 1)  # paid up
    cell, report = _cell(demo, demo.branch)
    assert cell is not None and cell.status == FindingStatus.VIOLATED
    found = [f for f in report.findings_for(demo.branch.pk) if f.column == "dues_arrears"]
    assert "1名党员连续6个月未交纳党费" in found[0].message
    assert members[0].name not in found[0].message
    assert "党章" in found[0].citation and "第九条" in found[0].citation


def test_five_unpaid_months_are_at_risk_and_a_branch_without_dues_has_no_cell(demo):
    member = Member.objects.current().filter(organization=demo.branch).first()
    _paid_until(demo, member, 6)  # five unpaid
    cell, _ = _cell(demo, demo.branch)
    assert cell is not None and cell.status == FindingStatus.AT_RISK
    other, _ = _cell(demo, demo.sibling_branch)
    assert other is None


def test_recording_a_month_is_seen_by_the_cached_report(demo):
    from dangjian.audit.services import Actor
    from dangjian.dues import services
    from dangjian.meetings.findings import cached_report

    member = Member.objects.current().filter(organization=demo.branch).first()
    _paid_until(demo, member, 7)
    today = this_month() + dt.timedelta(days=2)
    findings.clear_cache()
    before = cached_report(demo.organ_committee, today.year, today=today)
    assert before.cell(demo.branch.pk, "dues_arrears").status == FindingStatus.VIOLATED
    services.record_month(Actor(user=demo.users["secretary"]), demo.branch, months_ago(1))
    after = cached_report(demo.organ_committee, today.year, today=today)
    assert after.cell(demo.branch.pk, "dues_arrears").status == FindingStatus.OK


def test_an_approved_exemption_is_seen_by_the_cached_report(demo):
    from dangjian.audit.services import Actor
    from dangjian.dues.models import Relief
    from dangjian.dues.services_relief import approve_relief, decide_relief
    from dangjian.meetings.findings import cached_report

    member = Member.objects.current().filter(organization=demo.branch).first()
    _paid_until(demo, member, 7)  # six unpaid
    today = this_month() + dt.timedelta(days=2)
    findings.clear_cache()
    before = cached_report(demo.organ_committee, today.year, today=today)
    assert before.cell(demo.branch.pk, "dues_arrears").status == FindingStatus.VIOLATED
    relief = decide_relief(
        Actor(user=demo.users["secretary"]),
        member,
        kind="exempt",
        first_month=months_ago(4),
        last_month=this_month(),
        reason="困难",
        decided_on=months_ago(4),
    )
    approve_relief(Actor(user=demo.users["organ"]), relief, approve=True)
    # As if the upper committee had approved four months ago: only months 6 and 5 stay unpaid.
    Relief.objects.filter(pk=relief.pk).update(approved_on=months_ago(4))
    after = cached_report(demo.organ_committee, today.year, today=today)
    assert after.cell(demo.branch.pk, "dues_arrears").status == FindingStatus.OK
