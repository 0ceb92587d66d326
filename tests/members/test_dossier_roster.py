"""The dossier's roster summary for a period counts the members of the period's last day (the
membership history), with that day's status: the same table generated then or later."""

from __future__ import annotations

import datetime as dt

import pytest

from dangjian.audit.services import Actor
from dangjian.members import history
from dangjian.members import services as member_services
from dangjian.members.dossier import member_tables
from dangjian.members.models import LeaveReason, Member
from dangjian.members.services_lifecycle import end_membership
from tests.conftest import TODAY

pytestmark = pytest.mark.django_db

START, END = dt.date(TODAY.year - 1, 1, 1), dt.date(TODAY.year - 1, 12, 31)
NEW_YEAR = dt.date(TODAY.year, 1, 5)


def _counts(org) -> dict[str, int]:
    (table,) = member_tables(org, START, END)
    out: dict[str, int] = {}
    for name, *_, n in table.rows:
        out[name] = out.get(name, 0) + n
    return out


def test_a_past_periods_roster_does_not_follow_later_moves_and_departures(demo):
    a, b = demo.branch, demo.sibling_branch
    then = _counts(demo.organ_committee)
    assert then[a.name] == history.members_on(a, END).count()
    organ = Actor(user=demo.users["organ"])
    leaving = Member.objects.current().filter(organization=a, admitted_on__lt=START)
    member_services.move_member(organ, leaving[0], b, on=NEW_YEAR)
    end_membership(organ, leaving[0], NEW_YEAR, LeaveReason.EXPELLED)
    assert _counts(demo.organ_committee) == then
    (table,) = member_tables(demo.organ_committee, START, END)
    assert f"{END.year}年12月31日" in table.note


def test_a_current_periods_roster_is_todays(demo):
    a = demo.branch
    end_membership(
        Actor(user=demo.users["organ"]),
        Member.objects.current().filter(organization=a).first(),
        NEW_YEAR,
        LeaveReason.DIED,
    )
    (table,) = member_tables(a, dt.date(TODAY.year, 1, 1), dt.date(TODAY.year, 12, 31))
    assert (
        sum(row[-1] for row in table.rows)
        == Member.objects.current().filter(organization=a).count()
    )
