"""Shared set-up for the dues tests: members whose dues start long ago, months around today."""

from __future__ import annotations

import datetime as dt

from dangjian.audit.services import Actor
from dangjian.core.clock import today
from dangjian.dues import services
from dangjian.members.models import Member
from dangjian.regulations.dates import add_months
from dangjian.regulations.dues import month_start


def this_month() -> dt.date:
    return month_start(today())


def months_ago(n: int) -> dt.date:
    return add_months(this_month(), -n)


def settle(member: Member, since: dt.date) -> Member:
    """Make the branch's record of `member` (and their membership) begin at `since`."""
    Member.objects.filter(pk=member.pk).update(admitted_on=since, org_since=since)
    member.refresh_from_db()
    return member


def assessed(demo, member: Member, base: str, since: dt.date, kind: str = "salaried"):
    return services.assess_member(Actor(user=demo.users["secretary"]), member, kind, base, since)
