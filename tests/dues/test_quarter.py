"""Quarterly payment only with the branch's consent (第十二条, issue 16)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from dangjian.audit.services import Actor
from dangjian.core.errors import ServiceValidationError
from dangjian.dues.models import Payment, QuarterlyApproval
from dangjian.dues.services_quarter import approve_quarterly, quarter_months, record_quarter
from dangjian.members.models import Member
from dangjian.regulations.dates import add_months
from tests.dues.helpers import assessed, months_ago, settle, this_month
from tests.helpers import actions_since, last_seq

pytestmark = pytest.mark.django_db


def quarter_of(month: dt.date) -> dt.date:
    return dt.date(month.year, (month.month - 1) // 3 * 3 + 1, 1)


def _member(demo) -> Member:
    member = settle(demo.member_in_branch, months_ago(30))
    assessed(demo, member, "4000", months_ago(12))  # 40.00 元 a month
    return member


def _secretary(demo) -> Actor:
    return Actor(user=demo.users["secretary"])


def test_a_quarter_without_the_branchs_consent_is_refused_in_chinese(demo):
    member = _member(demo)
    before = last_seq()
    with pytest.raises(ServiceValidationError) as caught:
        record_quarter(_secretary(demo), member, quarter_of(this_month()))
    assert "未经党支部同意按季度交纳" in caught.value.errors["member"]
    assert "第十二条" in caught.value.errors["member"]
    assert not Payment.objects.filter(member=member).exists()
    assert last_seq() == before


def test_with_consent_a_quarter_is_three_months_at_the_amount_owed(demo):
    member = _member(demo)
    before = last_seq()
    approve_quarterly(_secretary(demo), member, months_ago(0))
    assert actions_since(before) == ["create"]
    first = quarter_of(this_month())
    before = last_seq()
    done = record_quarter(_secretary(demo), member, first)
    assert [p.month for p in done] == quarter_months(first)
    assert {p.amount for p in done} == {Decimal("40.00")}
    assert actions_since(before) == ["create"]
    with pytest.raises(ServiceValidationError) as caught:
        record_quarter(_secretary(demo), member, first)
    assert any("不能重复登记" in m for m in caught.value.errors.values())
    assert Payment.objects.filter(member=member).count() == 3


def test_consent_given_by_another_branch_does_not_follow_the_member(demo):
    member = _member(demo)
    approve_quarterly(_secretary(demo), member, months_ago(0))
    QuarterlyApproval.objects.filter(member=member).update(organization=demo.sibling_branch)
    with pytest.raises(ServiceValidationError):
        record_quarter(_secretary(demo), member, quarter_of(this_month()))


@pytest.mark.parametrize(
    ("first", "message"),
    [
        (lambda: add_months(quarter_of(this_month()), 1), "季度应从1月、4月、7月或10月开始"),
        (lambda: add_months(quarter_of(this_month()), -9), "补交期限"),
    ],
)
def test_a_bad_quarter_writes_nothing(demo, first, message):
    member = _member(demo)
    approve_quarterly(_secretary(demo), member, months_ago(0))
    before = last_seq()
    with pytest.raises(ServiceValidationError) as caught:
        record_quarter(_secretary(demo), member, first())
    assert any(message in m for m in caught.value.errors.values())
    assert not Payment.objects.filter(member=member).exists()
    assert last_seq() == before


def test_one_month_already_paid_refuses_the_whole_quarter(demo):
    member = _member(demo)
    approve_quarterly(_secretary(demo), member, months_ago(0))
    first = quarter_of(this_month())
    Payment.objects.create(
        member=member,
        organization=demo.branch,
        month=add_months(first, 1),
        amount=Decimal("40.00"),
        paid_on=this_month(),
        method="cash",
    )
    with pytest.raises(ServiceValidationError):
        record_quarter(_secretary(demo), member, first)
    assert Payment.objects.filter(member=member).count() == 1


@pytest.mark.parametrize("persona", ["member", "organ", "inspector"])
def test_only_the_branch_consents_and_records(demo, persona):
    member = _member(demo)
    with pytest.raises(PermissionDenied):
        approve_quarterly(Actor(user=demo.users[persona]), member, months_ago(0))
    approve_quarterly(_secretary(demo), member, months_ago(0))
    with pytest.raises(PermissionDenied):
        record_quarter(Actor(user=demo.users[persona]), member, quarter_of(this_month()))


def test_the_ledger_page_offers_the_quarter_after_consent(demo, client_for):
    member = _member(demo)
    client = client_for(demo.users["secretary"])
    page = client.get(f"/dues/branch/{demo.branch.pk}/?month={this_month():%Y-%m}")
    assert "支部同意按季度交纳" in page.content.decode()
    response = client.post(
        f"/dues/member/{member.pk}/quarter/", {"month": f"{quarter_of(this_month()):%Y-%m}"}
    )
    assert response.status_code == 302
    assert not Payment.objects.filter(member=member).exists()
    client.post(f"/dues/member/{member.pk}/quarterly/", {"decided_on": this_month().isoformat()})
    page = client.get(f"/dues/branch/{demo.branch.pk}/?month={this_month():%Y-%m}")
    assert "起一个季度" in page.content.decode()
    client.post(
        f"/dues/member/{member.pk}/quarter/", {"month": f"{quarter_of(this_month()):%Y-%m}"}
    )
    assert Payment.objects.filter(member=member).count() == 3
