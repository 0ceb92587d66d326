"""Withdrawing the branch's consent to quarterly payment (按季度交纳) from a month on."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from dangjian.audit.services import Actor
from dangjian.core.errors import ServiceValidationError
from dangjian.dues.models import Payment, QuarterlyApproval
from dangjian.dues.services_quarter import approve_quarterly, record_quarter, withdraw_quarterly
from dangjian.regulations.dates import add_months
from tests.dues.helpers import months_ago, this_month
from tests.dues.test_quarter import _member, _secretary, quarter_of
from tests.helpers import events_since, last_seq

pytestmark = pytest.mark.django_db


def _consented(demo):
    member = _member(demo)
    approve_quarterly(_secretary(demo), member, months_ago(6))
    return member


def test_a_withdrawal_refuses_later_quarters_and_keeps_the_paid_ones(demo):
    member = _consented(demo)
    current = quarter_of(this_month())
    paid = record_quarter(_secretary(demo), member, current)
    following = add_months(current, 3)
    before = last_seq()
    withdraw_quarterly(_secretary(demo), member, following)
    (event,) = events_since(before)
    assert event.action == "update"
    assert event.message == f"撤销按季度交纳党费（自{following.year}年{following.month}月起）"
    assert event.changes == {"withdrawn_from": [None, f"{following:%Y-%m}"]}
    assert set(Payment.objects.filter(member=member)) == set(paid)  # the quarter paid stays
    with pytest.raises(ServiceValidationError) as caught:
        record_quarter(_secretary(demo), member, following)
    assert (
        "起撤销" in caught.value.errors["member"] and "请按月登记" in caught.value.errors["member"]
    )
    assert Payment.objects.filter(member=member).count() == 3


def test_a_withdrawal_within_a_quarter_refuses_that_quarter_not_the_one_before(demo):
    member = _consented(demo)
    current = quarter_of(this_month())
    withdraw_quarterly(_secretary(demo), member, add_months(current, 1))
    with pytest.raises(ServiceValidationError):
        record_quarter(_secretary(demo), member, current)
    assert not Payment.objects.filter(member=member).exists()
    previous = add_months(current, -3)  # inside the back-pay window, consent still held then
    assert len(record_quarter(_secretary(demo), member, previous)) == 3


@pytest.mark.parametrize(
    ("month", "message"),
    [
        (lambda: None, "请选择自哪个月起撤销"),
        (lambda: months_ago(7), "不能早于支部同意按季度交纳的月份"),
        (lambda: add_months(this_month(), 13), "最多只能在12个月之后"),
    ],
)
def test_a_bad_month_writes_nothing(demo, month, message):
    member = _consented(demo)
    before = last_seq()
    with pytest.raises(ServiceValidationError) as caught:
        withdraw_quarterly(_secretary(demo), member, month())
    assert message in caught.value.errors["month"]
    assert QuarterlyApproval.objects.get(member=member).withdrawn_from is None
    assert last_seq() == before


def test_nothing_to_withdraw_and_a_second_withdrawal_are_refused(demo):
    member = _member(demo)
    with pytest.raises(ServiceValidationError) as caught:
        withdraw_quarterly(_secretary(demo), member, this_month())
    assert "无需撤销" in caught.value.errors["member"]
    approve_quarterly(_secretary(demo), member, months_ago(6))
    withdraw_quarterly(_secretary(demo), member, this_month())
    with pytest.raises(ServiceValidationError) as caught:
        withdraw_quarterly(_secretary(demo), member, add_months(this_month(), 3))
    assert "已自" in caught.value.errors["member"]


def test_a_new_consent_clears_the_withdrawal(demo):
    member = _consented(demo)
    current = quarter_of(this_month())
    withdraw_quarterly(_secretary(demo), member, current)
    approve_quarterly(_secretary(demo), member, this_month())
    assert QuarterlyApproval.objects.get(member=member).withdrawn_from is None
    assert len(record_quarter(_secretary(demo), member, current)) == 3


@pytest.mark.parametrize("persona", ["member", "organ", "inspector"])
def test_only_the_branch_withdraws(demo, persona):
    member = _consented(demo)
    with pytest.raises(PermissionDenied):
        withdraw_quarterly(Actor(user=demo.users[persona]), member, this_month())
    assert QuarterlyApproval.objects.get(member=member).withdrawn_from is None


def test_the_ledger_offers_the_withdrawal_and_then_says_so(demo, client_for):
    member = _consented(demo)
    client = client_for(demo.users["secretary"])
    ledger = f"/dues/branch/{demo.branch.pk}/?month={this_month():%Y-%m}"
    assert "自该月起撤销按季度交纳" in client.get(ledger).content.decode()
    current = quarter_of(this_month())
    response = client.post(
        f"/dues/member/{member.pk}/quarterly/withdraw/", {"month": f"{current:%Y-%m}"}
    )
    assert response.status_code == 302
    html = client.get(ledger).content.decode()
    assert f"支部已自{current.year}年{current.month}月起撤销按季度交纳" in html
    assert "起一个季度" not in html
