"""The dues pages: the ledger in one save, bad input refused whole, the member's own account."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from dangjian.dues.models import Payment
from dangjian.members.models import Member
from tests.dues.helpers import assessed, months_ago, settle, this_month
from tests.helpers import last_seq
from tests.matrix_helpers import client_as

pytestmark = pytest.mark.django_db


def _ready(demo) -> list[Member]:
    members = list(Member.objects.current().filter(organization=demo.branch))
    for m in members:
        settle(m, months_ago(30))
        assessed(demo, m, "2800", months_ago(12))
    return members


def test_the_secretary_records_a_month_with_one_exception(demo):
    members = _ready(demo)
    page = client_as(demo.users["secretary"], api=False)
    url = reverse("dues:ledger", args=[demo.branch.pk])
    shown = page.get(url, {"month": f"{months_ago(1):%Y-%m}"})
    assert shown.status_code == 200
    html = shown.content.decode()
    assert members[0].name in html and "14.00" in html
    assert "2800" not in html  # the base is never on the ledger, only the bracket
    response = page.post(
        url,
        {
            "month": f"{months_ago(1):%Y-%m}",
            "method": "cash",
            f"s_{members[0].pk}": "unpaid",
            f"s_{members[1].pk}": "other",
            f"a_{members[1].pk}": "30",
        },
    )
    assert response.status_code == 302
    paid = dict(Payment.objects.filter(month=months_ago(1)).values_list("member_id", "amount"))
    assert len(paid) == len(members) - 1
    assert members[0].pk not in paid and paid[members[1].pk] == Decimal("30.00")


@pytest.mark.parametrize(
    ("month", "extra", "message"),
    [
        (7, {}, "补交党费一般不超过6个月"),
        (1, {"amount": "abc"}, "金额应为数字"),
    ],
)
def test_bad_input_is_refused_whole_with_a_chinese_message(demo, month, extra, message):
    members = _ready(demo)
    page = client_as(demo.users["secretary"], api=False)
    form = {"month": f"{months_ago(month):%Y-%m}", "method": "cash"}
    if "amount" in extra:
        form |= {f"s_{members[0].pk}": "other", f"a_{members[0].pk}": extra["amount"]}
    before = last_seq()
    response = page.post(reverse("dues:ledger", args=[demo.branch.pk]), form)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Payment.objects.exists()
    assert last_seq() == before


def test_the_member_sees_amount_rule_and_arrears_not_others(demo):
    own = settle(demo.own_member, months_ago(8))
    assessed(demo, own, "5000", months_ago(8))
    page = client_as(demo.users["member"], api=False)
    html = page.get(reverse("dues:mine")).content.decode()
    assert "50.00 元" in html
    assert "5000元及以下，1%" in html  # how it was set: the bracket
    assert "已连续8个月未交纳党费" in html
    assert "党费收缴登记表" not in html
    assert page.get(reverse("dues:ledger", args=[demo.branch.pk])).status_code == 404


def test_assessing_through_the_page_refuses_a_negative_base(demo):
    member = demo.member_in_branch
    page = client_as(demo.users["secretary"], api=False)
    response = page.post(
        reverse("dues:assess", args=[member.pk]),
        {"kind": "salaried", "base": "-3", "effective_from": this_month().isoformat()},
        follow=True,
    )
    assert "计算基数不能为负数" in response.content.decode()
    assert not member.dues_assessments.exists()


def test_page_titles_hold_only_text(demo, client_for):
    # The <title> once swallowed the page's links and forms (a block closed in the wrong place).
    import re

    for persona, url in (
        ("member", "/dues/"),
        ("organ", f"/dues/org/{demo.organ_committee.pk}/totals/"),
    ):
        page = client_for(demo.users[persona]).get(url).content.decode()
        title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
        assert "<" not in title and "上缴本月党费" not in title


def test_the_committee_sees_branch_totals_in_yuan_and_fen(demo):
    # SQLite adds decimals as floating point: 18 × 14.01 came back as 252.180000000000.
    members = list(Member.objects.current().filter(organization=demo.branch))
    for m in members:
        settle(m, months_ago(24))
        assessed(demo, m, "2802", months_ago(12))  # 0.5% of 2802: 14.01 a month
    month = months_ago(1)
    page = client_as(demo.users["secretary"], api=False)
    page.post(reverse("dues:ledger", args=[demo.branch.pk]), {"month": f"{month:%Y-%m}"})
    assert Payment.objects.filter(organization=demo.branch, month=month).count() == len(members)
    html = (
        client_as(demo.users["organ"], api=False)
        .get(reverse("dues:totals", args=[demo.organ_committee.pk]), {"month": f"{month:%Y-%m}"})
        .content.decode()
    )
    expected = Decimal("14.01") * len(members)
    assert f"<td>{expected}</td>" in html, expected
