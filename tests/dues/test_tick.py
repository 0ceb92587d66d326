"""The dues tick job: the early warning from the fourth unpaid month, the lapse at six, once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from dangjian.core import jobs
from dangjian.dues import services_tick
from dangjian.dues.inbox import NoticeKind
from dangjian.dues.models import Payment
from dangjian.members.models import Member
from dangjian.notices.models import Notice
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


def _only_unpaid(demo, member, last_paid_ago: int):
    settle(member, months_ago(20))
    assessed(demo, member, "3000", months_ago(12))
    for n in range(last_paid_ago, 13):
        _pay(member, months_ago(n))


def test_the_job_is_registered():
    assert "dues.arrears" in {j.name for j in jobs.registered()}


def test_four_months_warn_the_member_and_the_branch_six_tell_the_branch_once(demo):
    today = this_month() + dt.timedelta(days=2)
    own = demo.own_member
    other = Member.objects.filter(organization=demo.branch).exclude(pk=own.pk).first()
    _only_unpaid(demo, own, 5)  # paid up to five months ago: four unpaid
    _only_unpaid(demo, other, 7)  # six unpaid
    counts = services_tick.run(today)
    assert counts["dues_warnings"] >= 1 and counts["dues_lapses"] >= 1
    secretary = demo.users["secretary"]
    mine = Notice.objects.filter(recipient=secretary)
    assert mine.filter(kind=NoticeKind.ARREARS, title__startswith=own.name).exists()
    lapse = mine.get(kind=NoticeKind.LAPSE, title__startswith=other.name)
    assert "连续6个月" in lapse.title
    assert Notice.objects.filter(recipient=demo.users["member"], kind=NoticeKind.ARREARS).exists()
    # The organ committee is not told names.
    assert not Notice.objects.filter(
        recipient=demo.users["organ"], kind__startswith="dues"
    ).exists()
    before = Notice.objects.count()
    services_tick.run(today)
    assert Notice.objects.count() == before


def test_three_unpaid_months_send_nothing(demo):
    member = demo.member_in_branch
    _only_unpaid(demo, member, 4)
    services_tick.run(this_month() + dt.timedelta(days=2))
    assert not Notice.objects.filter(
        kind__startswith="dues", title__startswith=member.name
    ).exists()
