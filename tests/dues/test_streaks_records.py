"""The whole-tree arrears (`arrears.streaks`, one seek per member for the first assessment and
the last month paid) against each member's own account page (`queries.account`, every month
read), on the boundaries of the early warning and the six-month lapse, and the findings cell's
counts against the same records (issue 16: the report's speed must not change a finding)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from dangjian.audit.services import Actor
from dangjian.dues import queries
from dangjian.dues.arrears import streaks
from dangjian.dues.models import Payment, Relief
from dangjian.dues.services_relief import approve_relief, decide_relief
from dangjian.meetings import findings
from dangjian.meetings.packs import rules_in_force
from dangjian.members.models import Member
from dangjian.regulations.dues import LapseState, lapse_state
from dangjian.regulations.meetings import FindingStatus
from tests.dues.helpers import assessed, months_ago, settle, this_month

pytestmark = pytest.mark.django_db


def _pay(member, month):
    Payment.objects.create(
        member=member,
        organization=member.organization,
        month=month,
        amount=Decimal("15"),
        paid_on=this_month(),
        method="cash",
    )


def _story(demo) -> list[Member]:
    """Members with 0 to 7 months unpaid (warning from 4, lapse at 6), one never paying,
    one paying ahead, one exempted inside the run, one not yet assessed."""
    members = list(Member.objects.current().filter(organization=demo.branch).order_by("pk"))
    assert len(members) >= 13
    for ago, member in zip(range(9), members, strict=False):
        settle(member, months_ago(20))
        assessed(demo, member, "3000", months_ago(12))
        for n in range(max(ago, 1), 13):
            _pay(member, months_ago(n))
    never, ahead, exempt = members[9:12]
    for member in (never, ahead, exempt):
        settle(member, months_ago(20))
        assessed(demo, member, "4000", months_ago(12))
    for n in range(-2, 13):
        _pay(ahead, months_ago(n))
    for n in range(7, 13):
        _pay(exempt, months_ago(n))
    relief = decide_relief(
        Actor(user=demo.users["secretary"]),
        exempt,
        kind="exempt",
        first_month=months_ago(3),
        last_month=this_month(),
        reason="困难",
        decided_on=months_ago(3),
    )
    approve_relief(Actor(user=demo.users["organ"]), relief, approve=True)
    Relief.objects.filter(pk=relief.pk).update(approved_on=months_ago(3))
    return members


@pytest.mark.parametrize("day", [2, 27])
def test_streaks_equal_every_members_account(demo, day):
    _story(demo)
    today = this_month() + dt.timedelta(days=day - 1)
    everyone = list(Member.objects.current())
    bulk = streaks(everyone, today, among=Member.objects.current())
    one_by_one = {m.pk: queries.account(m, today).unpaid_streak for m in everyone}
    assert bulk, "the story assessed members"
    for member in everyone:
        if member.pk in bulk:
            assert bulk[member.pk] == one_by_one[member.pk], member.pk
        else:  # not assessed: owes nothing the platform knows of
            assert not member.dues_assessments.exists()
    # The same without the subquery (the ids as a list).
    assert streaks(everyone, today) == bulk
    seen = {bulk[m.pk] for m in everyone if m.pk in bulk}
    assert {0, 3, 4, 5, 6, 7} <= seen  # around the warning (4) and the lapse (6)


def test_the_findings_cell_counts_what_the_accounts_say(demo):
    _story(demo)
    today = this_month() + dt.timedelta(days=2)
    params = rules_in_force().dues
    states = [
        lapse_state(queries.account(m, today).unpaid_streak, params)
        for m in Member.objects.current().filter(organization=demo.branch)
        if m.dues_assessments.exists()
    ]
    lapsed = states.count(LapseState.LAPSED)
    warned = states.count(LapseState.WARNING)
    assert lapsed and warned
    findings.clear_cache()
    report = findings.compute(demo.organ_committee, today.year, today=today)
    cell = [f for f in report.findings_for(demo.branch.pk) if f.column == "dues_arrears"][0]
    assert cell.status == FindingStatus.VIOLATED
    assert cell.facts == {"lapsed": lapsed, "warned": warned}
