"""The page for voluntary one-off payments (第十一条): 1,000 元 or more recorded separately as
going to the centre in full (issue 16)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from dangjian.dues.models import ExtraPayment, Payment
from dangjian.members.models import Member
from tests.dues.helpers import this_month
from tests.helpers import actions_since, last_seq

pytestmark = pytest.mark.django_db


def _post(client, branch, member, amount, paid_on=None):
    return client.post(
        f"/dues/branch/{branch.pk}/extra/",
        {
            "member": member.pk if member else "",
            "amount": amount,
            "paid_on": (paid_on or this_month()).isoformat() if paid_on != "bad" else "bad",
        },
    )


@pytest.mark.parametrize(
    ("amount", "to_centre"), [("999.99", False), ("1000", True), ("1000.01", True)]
)
def test_the_threshold_decides_what_goes_to_the_centre(demo, client_for, amount, to_centre):
    member = demo.member_in_branch
    client = client_for(demo.users["secretary"])
    before = last_seq()
    assert _post(client, demo.branch, member, amount).status_code == 302
    assert actions_since(before) == ["create"]
    extra = ExtraPayment.objects.get(member=member)
    assert (extra.amount, extra.to_centre) == (Decimal(amount), to_centre)
    assert not Payment.objects.filter(member=member).exists()  # not a monthly payment
    page = client.get(f"/dues/branch/{demo.branch.pk}/extra/").content.decode()
    assert member.name in page
    assert ("<td>全额上缴中央（待上缴）</td>" in page) == to_centre


@pytest.mark.parametrize(
    ("amount", "paid_on", "message"),
    [
        ("abc", None, "金额应为数字"),
        ("-5", None, "金额应为数字"),
        ("0", None, "金额应大于0"),
        ("1000", "bad", "交纳日期格式不正确"),
    ],
)
def test_bad_input_gets_a_chinese_message_and_nothing_is_written(
    demo, client_for, amount, paid_on, message
):
    client = client_for(demo.users["secretary"])
    before = last_seq()
    response = _post(client, demo.branch, demo.member_in_branch, amount, paid_on)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ExtraPayment.objects.exists() and last_seq() == before


def test_a_member_of_another_branch_cannot_be_recorded_here(demo, client_for):
    client = client_for(demo.users["secretary"])
    other = Member.objects.current().filter(organization=demo.sibling_branch).first()
    response = _post(client, demo.branch, other, "1000")
    assert response.status_code == 400 and "请选择本支部的党员" in response.content.decode()
    assert not ExtraPayment.objects.exists()


def test_a_future_date_is_refused(demo, client_for):
    from dangjian.regulations.dates import add_months

    client = client_for(demo.users["secretary"])
    response = _post(
        client, demo.branch, demo.member_in_branch, "1000", add_months(this_month(), 2)
    )
    assert response.status_code == 400 and "不能晚于今天" in response.content.decode()


def test_the_member_sees_own_extra_payments(demo, client_for):
    member = demo.own_member
    _post(client_for(demo.users["secretary"]), member.organization, member, "1200")
    page = client_for(demo.users["member"]).get("/dues/").content.decode()
    assert "自愿多交党费" in page and "1200.00 元（全额上缴中央）" in page
