"""The dashboard's 党员 per organization for a year: the members on the year's last day (the
membership history; today for the current year), so a past year's figures are the same computed
then and now, and members who left no longer count this year."""

from __future__ import annotations

import datetime as dt

import pytest

from dangjian.audit.services import Actor
from dangjian.desk import figures
from dangjian.members import history
from dangjian.members import services as member_services
from dangjian.members.models import LeaveReason, Member
from dangjian.members.services_lifecycle import end_membership
from tests.conftest import TODAY

pytestmark = pytest.mark.django_db

YEAR = TODAY.year - 1
YEAR_END = dt.date(YEAR, 12, 31)
NEW_YEAR = dt.date(TODAY.year, 1, 5)


def _members(demo, year: int, today: dt.date = TODAY) -> dict[str, int]:
    board = figures.dashboard(demo.organ_committee, year, today=today)
    return {r.code: r.members for r in board.rows}


def _member(branch) -> Member:
    return (
        Member.objects.current()
        .filter(organization=branch, admitted_on__lt=dt.date(YEAR, 1, 1))
        .order_by("pk")
        .first()
    )


def test_a_past_years_members_do_not_follow_later_moves_and_departures(demo):
    a, b = demo.branch, demo.sibling_branch
    then = _members(demo, YEAR, YEAR_END)
    assert then[a.code] == history.members_on(a, YEAR_END).count()
    organ = Actor(user=demo.users["organ"])
    member_services.move_member(organ, _member(a), b, on=NEW_YEAR)
    end_membership(organ, _member(a), NEW_YEAR, LeaveReason.DIED)
    assert _members(demo, YEAR) == then


def test_this_years_members_are_todays_roster(demo):
    a, b = demo.branch, demo.sibling_branch
    organ = Actor(user=demo.users["organ"])
    member_services.move_member(organ, _member(a), b, on=NEW_YEAR)
    end_membership(organ, _member(a), NEW_YEAR, LeaveReason.DIED)
    now = _members(demo, TODAY.year)
    for branch in (a, b):
        assert now[branch.code] == Member.objects.current().filter(organization=branch).count()


def test_the_member_structure_is_todays_roster_without_those_who_left(demo):
    def total(parts) -> int:
        return sum(n for _, n in dict(parts)["性别"])

    before = total(figures.structure(demo.organ_committee, TODAY))
    organ = Actor(user=demo.users["organ"])
    end_membership(organ, _member(demo.branch), NEW_YEAR, LeaveReason.DIED)
    assert total(figures.structure(demo.organ_committee, TODAY)) == before - 1
