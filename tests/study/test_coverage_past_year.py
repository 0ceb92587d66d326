"""The assessment's 党员学时达标率 (`study.indicators.study_coverage`) of a past year counts the
members each branch had on the year's last day (the membership history), as the findings'
study-hours column does: the same figure computed on that day and computed now."""

from __future__ import annotations

import datetime as dt

import pytest

from dangjian.audit.services import Actor
from dangjian.members import history
from dangjian.members import services as member_services
from dangjian.members.models import LeaveReason, Member
from dangjian.members.services_lifecycle import end_membership
from dangjian.study.indicators import study_coverage
from tests.conftest import TODAY

pytestmark = pytest.mark.django_db

YEAR = TODAY.year - 1
YEAR_END = dt.date(YEAR, 12, 31)
NEW_YEAR = dt.date(TODAY.year, 1, 5)


def _figures(orgs, as_of: dt.date = YEAR_END) -> dict:
    return {pk: (e.value, e.method) for pk, e in study_coverage(orgs, YEAR, as_of).items()}


def _member(branch) -> Member:
    member = (
        Member.objects.current()
        .filter(organization=branch, admitted_on__lt=dt.date(YEAR, 1, 1))
        .order_by("pk")
        .first()
    )
    assert member is not None
    return member


def test_a_member_who_left_after_the_year_still_counts_in_it(demo):
    branch = demo.branch
    then = _figures([branch])
    assert f"党员{history.members_on(branch, YEAR_END).count()}人" in then[branch.pk][1]
    end_membership(Actor(user=demo.users["organ"]), _member(branch), NEW_YEAR, LeaveReason.DIED)
    assert _figures([branch]) == then


def test_a_member_who_moved_after_the_year_counts_where_they_were(demo):
    a, b = demo.branch, demo.sibling_branch
    then = _figures([a, b])
    member_services.move_member(Actor(user=demo.users["organ"]), _member(a), b, on=NEW_YEAR)
    assert _figures([a, b]) == then


def test_the_current_year_counts_todays_roster(demo):
    a, b = demo.branch, demo.sibling_branch
    in_b = Member.objects.current().filter(organization=b).count()
    member_services.move_member(Actor(user=demo.users["organ"]), _member(a), b, on=NEW_YEAR)
    now = {pk: e.method for pk, e in study_coverage([b], TODAY.year, TODAY).items()}
    assert f"党员{in_b + 1}人" in now[b.pk]
