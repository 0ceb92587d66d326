"""Assessing, revealing and recording dues against the demo organ (issue 16)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from dangjian.audit.models import AuditEvent
from dangjian.audit.services import Actor
from dangjian.core.errors import ServiceValidationError
from dangjian.dues import queries, services
from dangjian.dues.arrears import streaks
from dangjian.dues.models import Assessment, Payment
from dangjian.members.models import Member
from tests.dues.helpers import assessed, months_ago, settle, this_month
from tests.helpers import actions_since, last_seq
from tests.matrix_helpers import persona_user

pytestmark = pytest.mark.django_db


def test_the_base_is_stored_encrypted_and_the_audit_says_nothing_of_pay(demo):
    member = settle(demo.member_in_branch, months_ago(24))
    before = last_seq()
    row = assessed(demo, member, "5000.01", months_ago(2))
    assert (row.amount, row.rate) == (Decimal("75.00"), Decimal("0.0150"))
    assert "5000" not in row.base_encrypted
    assert row.effective_from == months_ago(2)
    assert actions_since(before) == ["create"]
    event = AuditEvent.objects.order_by("-seq").first()
    assert "5000" not in f"{event.message}{event.changes}" and "75" not in event.message


@pytest.mark.parametrize(("raw", "message"), [("abc", "应为数字"), ("-5", "不能为负数")])
def test_a_bad_base_writes_nothing(demo, raw, message):
    member = demo.member_in_branch
    before = last_seq()
    with pytest.raises(ServiceValidationError) as caught:
        assessed(demo, member, raw, this_month())
    assert message in caught.value.errors["base"]
    assert not Assessment.objects.filter(member=member).exists()
    assert last_seq() == before


@pytest.mark.parametrize("persona", ["member", "organ", "inspector"])
def test_only_the_branchs_dues_managers_assess(demo, persona):
    with pytest.raises(PermissionDenied):
        services.assess_member(
            Actor(user=demo.users[persona]), demo.member_in_branch, "flat", "", this_month()
        )


def test_reveal_is_for_the_member_and_the_branch_and_always_audited(demo):
    own = demo.own_member
    row = assessed(demo, own, "4200", this_month())
    for persona in ("secretary", "committee", "member"):
        user = persona_user(demo, persona)
        before = last_seq()
        assert services.reveal_base(Actor(user=user), row) == "4200.00"
        assert actions_since(before) == ["reveal"]
    for persona in ("organ", "inspector"):
        before = last_seq()
        with pytest.raises(PermissionDenied):
            services.reveal_base(Actor(user=demo.users[persona]), row)
        assert last_seq() == before


def _branch_ready(demo) -> list[Member]:
    members = list(Member.objects.current().filter(organization=demo.branch))
    for m in members:
        settle(m, months_ago(30))
        assessed(demo, m, "3000", months_ago(12))
    return members


def test_a_month_is_recorded_in_one_save_with_exceptions(demo):
    members = _branch_ready(demo)
    unpaid, other = members[0], members[1]
    secretary = Actor(user=demo.users["secretary"])
    count = services.record_month(
        secretary,
        demo.branch,
        months_ago(1),
        exceptions={unpaid.pk: services.UNPAID, other.pk: "20"},
        method="transfer",
    )
    assert count == len(members) - 1
    paid = {p.member_id: p.amount for p in Payment.objects.filter(month=months_ago(1))}
    assert unpaid.pk not in paid
    assert paid[other.pk] == Decimal("20.00")
    assert paid[members[2].pk] == Decimal("15.00")
    ledger = queries.ledger(demo.branch, months_ago(1))
    assert sum(r.payment.amount for r in ledger if r.payment) == sum(paid.values())
    # Recording the month again adds only the one still unpaid; a second payment is refused.
    assert services.record_month(secretary, demo.branch, months_ago(1)) == 1
    with pytest.raises(ServiceValidationError, match="不能重复登记"):
        services.record_month(secretary, demo.branch, months_ago(1), exceptions={other.pk: "15"})


def test_back_pay_inside_the_window_and_not_beyond(demo):
    _branch_ready(demo)
    secretary = Actor(user=demo.users["secretary"])
    assert services.record_month(secretary, demo.branch, months_ago(6)) > 0
    before = last_seq()
    with pytest.raises(ServiceValidationError) as caught:
        services.record_month(secretary, demo.branch, months_ago(7))
    assert "补交党费一般不超过6个月" in caught.value.errors["month"]
    assert not Payment.objects.filter(month=months_ago(7)).exists()
    assert last_seq() == before


def test_no_payment_for_a_month_before_membership(demo):
    member = settle(demo.member_in_branch, this_month())
    assessed(demo, member, "3000", this_month())
    with pytest.raises(ServiceValidationError, match="无需在本支部交纳"):
        services.record_month(
            Actor(user=demo.users["secretary"]),
            demo.branch,
            months_ago(1),
            exceptions={member.pk: "15"},
        )


def test_a_probationary_member_admitted_on_the_31st_owes_that_month(demo):
    n = next(n for n in range(3, 6) if months_ago(n).month in (1, 3, 5, 7, 8, 10, 12))
    start = months_ago(n)
    day31 = start.replace(day=31)
    member = settle(demo.member_in_branch, day31)
    assert queries.dues_start(member) == start
    assessed(demo, member, "3000", start)
    assert member.pk in {r.member.pk for r in queries.ledger(demo.branch, start)}
    assert member.pk not in {r.member.pk for r in queries.ledger(demo.branch, months_ago(n + 1))}


def test_a_raise_in_mid_year_rebases_from_its_month(demo):
    member = settle(demo.member_in_branch, months_ago(24))
    assessed(demo, member, "3000", months_ago(10))
    assessed(demo, member, "6000", months_ago(4))
    amounts = {r.member.pk: r.expected for r in queries.ledger(demo.branch, months_ago(5))}
    assert amounts[member.pk] == Decimal("15.00")
    amounts = {r.member.pk: r.expected for r in queries.ledger(demo.branch, months_ago(4))}
    assert amounts[member.pk] == Decimal("90.00")


def test_six_unpaid_months_show_as_a_lapse_five_do_not(demo):
    member = settle(demo.member_in_branch, months_ago(30))
    assessed(demo, member, "3000", months_ago(12))
    today = this_month() + dt.timedelta(days=3)
    Payment.objects.create(
        member=member,
        organization=demo.branch,
        month=months_ago(7),
        amount=Decimal("15"),
        paid_on=today,
        method="cash",
    )
    account = queries.account(member, today)
    assert account.unpaid_streak == 6
    Payment.objects.create(
        member=member,
        organization=demo.branch,
        month=months_ago(6),
        amount=Decimal("15"),
        paid_on=today,
        method="cash",
    )
    assert queries.account(member, today).unpaid_streak == 5
    # The bulk path of the tick job and the findings column agrees with the account page.
    assert streaks([member], today) == {member.pk: 5}
