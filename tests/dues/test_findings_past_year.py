"""The dues column of a past year counts the members each branch had on the year's last day
(the membership history), with their arrival then: the same cell computed on that day and
computed now, after moves, departures and arrivals (docs/dues.md, docs/fidelity.md)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from dangjian.audit.services import Actor
from dangjian.dues import arrears
from dangjian.dues.models import Payment
from dangjian.meetings import findings
from dangjian.members import services as member_services
from dangjian.members import spells
from dangjian.members.models import LeaveReason, Member, MembershipSpell
from dangjian.members.services_lifecycle import end_membership
from dangjian.orgs.models import Organization
from tests.conftest import TODAY
from tests.dues.helpers import assessed

pytestmark = pytest.mark.django_db

YEAR = TODAY.year - 1
YEAR_END = dt.date(YEAR, 12, 31)
NEW_YEAR = dt.date(TODAY.year, 1, 5)  # after the past year, before today


@pytest.fixture(autouse=True)
def no_cache(settings):
    settings.DANGJIAN_COMPLIANCE_CACHE_SECONDS = 0
    findings.clear_cache()
    yield
    findings.clear_cache()


def _organ(demo) -> Actor:
    return Actor(user=demo.users["organ"])


def _member(demo, branch: Organization, paid_through: dt.date) -> Member:
    """A member of `branch` since 2020 (history and record alike), assessed from January of
    the year before the past year and paid up to `paid_through` (a month's first day)."""
    member = (
        Member.objects.current()
        .filter(organization=branch, user__isnull=True)
        .exclude(pk__in=Payment.objects.values("member_id"))
        .order_by("pk")
        .first()
    )
    assert member is not None
    since = dt.date(2020, 3, 1)
    Member.objects.filter(pk=member.pk).update(
        admitted_on=since, confirmed_on=dt.date(2021, 3, 1), org_since=since, status="full"
    )
    member.refresh_from_db()
    spells.replace({member.pk: spells.first_spells(member)})
    assessed(demo, member, "3000", dt.date(YEAR - 1, 1, 1))
    month = dt.date(YEAR - 1, 1, 1)
    while month <= paid_through:
        Payment.objects.create(
            member=member,
            organization_id=member.organization_id,
            month=month,
            amount=Decimal("15"),
            paid_on=month,
            method="cash",
        )
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return member


def _tally(demo, branch: Organization, today: dt.date = TODAY):
    """The branch's dues cell of the past year on the report of the 机关党委: None without
    one, else (lapsed, warned)."""
    report = findings.compute(demo.organ_committee, YEAR, today=today)
    cell = report.cell(branch.pk, "dues_arrears")
    if cell is None:
        return None
    found = [f for f in report.findings_for(branch.pk) if f.column == "dues_arrears"]
    facts = found[0].facts
    return facts.get("lapsed", 0), facts.get("warned", 0)


@pytest.mark.parametrize(
    "reason", [LeaveReason.DIED, LeaveReason.EXPELLED, LeaveReason.TRANSFERRED_OUT]
)
def test_a_member_who_left_since_still_counts_in_the_past_year(demo, reason):
    branch = demo.branch
    paid_up = _tally(demo, branch, YEAR_END)
    member = _member(demo, branch, dt.date(YEAR, 5, 1))  # June to November unpaid: six
    then = _tally(demo, branch, YEAR_END)
    lapsed, warned = paid_up or (0, 0)
    assert then == (lapsed + 1, warned)
    end_membership(_organ(demo), member, NEW_YEAR, reason)
    assert _tally(demo, branch) == then
    # The current year: they count nowhere.
    assert member.pk not in arrears.unpaid_months(Member.objects.current(), TODAY)


def test_a_member_who_moved_mid_year_counts_in_the_branch_that_held_them_at_its_end(demo):
    """Moved from A to B on 1 July (B owes from July: dues.md), then back to A in the new
    year: the past year's cell of B counts them (July to November unpaid: five, a warning),
    A's does not, as on the year's last day."""
    a, b = demo.branch, demo.sibling_branch
    member = _member(demo, a, dt.date(YEAR, 5, 1))
    member_services.move_member(_organ(demo), member, b, on=dt.date(YEAR, 7, 1))
    then = _tally(demo, a, YEAR_END), _tally(demo, b, YEAR_END)
    assert then == (None, (0, 1))
    member_services.move_member(_organ(demo), Member.objects.get(pk=member.pk), a, on=NEW_YEAR)
    assert (_tally(demo, a), _tally(demo, b)) == then


def test_a_member_who_arrived_after_the_year_does_not_count_in_it(demo):
    """The sibling branch has no dues on record: no cell for the past year, before and after a
    member of the branch (paid up) moves in in the new year; this year it has one."""
    a, b = demo.branch, demo.sibling_branch
    member = _member(demo, a, dt.date(YEAR, 11, 1))
    then = _tally(demo, a, YEAR_END), _tally(demo, b, YEAR_END)
    assert then == ((0, 0), None)
    member_services.move_member(_organ(demo), member, b, on=NEW_YEAR)
    assert (_tally(demo, a), _tally(demo, b)) == then
    report = findings.compute(demo.organ_committee, TODAY.year, today=TODAY)
    assert report.cell(b.pk, "dues_arrears") is not None


def test_a_member_transferred_to_another_branch_counts_where_they_were(demo):
    """A transfer's receipt (组织关系转入) in the new year: the past year's lapse stays with
    the old branch, and the new branch owes from the month of the transfer."""
    a, b = demo.branch, demo.sibling_branch
    member = _member(demo, a, dt.date(YEAR, 4, 1))  # May to November: seven
    then = _tally(demo, a, YEAR_END), _tally(demo, b, YEAR_END)
    assert then == ((1, 0), None)
    member_services.move_member(
        _organ(demo), member, b, on=NEW_YEAR, event="transferred_in", receiving=True
    )
    assert (_tally(demo, a), _tally(demo, b)) == then
    assert arrears.unpaid_months(Member.objects.filter(pk=member.pk), TODAY)[member.pk] == (
        b.pk,
        TODAY.month - 1,
    )


def test_the_history_and_todays_roster_give_the_same_streaks_today(demo):
    """The current year reads today's roster; the history read on today agrees with it."""
    a, b = demo.branch, demo.sibling_branch
    _member(demo, a, dt.date(YEAR, 5, 1))
    moved = _member(demo, a, dt.date(YEAR, 9, 1))
    member_services.move_member(_organ(demo), moved, b, on=NEW_YEAR)
    branches = list(Organization.objects.filter(kind="branch").values_list("pk", flat=True))
    today = arrears.unpaid_months(
        Member.objects.current().filter(organization_id__in=branches), TODAY
    )
    assert today
    assert arrears.unpaid_months_on(branches, TODAY) == today
    # Dues of the moved member begin with the move, as on the ledger.
    assert today[moved.pk] == (b.pk, TODAY.month - 1)
    assert MembershipSpell.objects.get(member=moved, ended_on__isnull=True).organization_id == b.pk
