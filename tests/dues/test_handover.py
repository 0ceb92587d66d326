"""Voluntary extra payments and the hand-over that balances with the ledger (issue 16)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from dangjian.audit.services import Actor
from dangjian.core.clock import today
from dangjian.core.errors import ServiceValidationError
from dangjian.dues import queries, services
from dangjian.dues.services_handover import hand_over, record_extra
from dangjian.members.models import Member
from tests.dues.helpers import assessed, months_ago, settle
from tests.matrix_helpers import persona_user

pytestmark = pytest.mark.django_db


def test_an_extra_payment_of_1000_goes_to_the_centre_999_99_does_not(demo):
    secretary = Actor(user=demo.users["secretary"])
    member = demo.member_in_branch
    assert record_extra(secretary, member, "1000", today()).to_centre
    assert not record_extra(secretary, member, "999.99", today()).to_centre
    with pytest.raises(ServiceValidationError, match="金额应为数字"):
        record_extra(secretary, member, "一千", today())


def test_the_hand_over_balances_with_the_ledger_up_to_the_organ_committee(demo):
    secretary = Actor(user=demo.users["secretary"])
    members = list(Member.objects.current().filter(organization=demo.branch))
    for m in members:
        settle(m, months_ago(24))
        assessed(demo, m, "3000", months_ago(12))
    month = months_ago(1)
    services.record_month(
        secretary, demo.branch, month, exceptions={members[0].pk: services.UNPAID}
    )
    ledger_total = sum(r.payment.amount for r in queries.ledger(demo.branch, month) if r.payment)
    handover = hand_over(secretary, demo.branch, month)
    assert handover.amount == ledger_total == Decimal("15.00") * (len(members) - 1)
    assert handover.payments == len(members) - 1
    assert handover.to_organization == demo.organ_committee  # FGW-B01's parent
    with pytest.raises(ServiceValidationError, match="不能重复上缴"):
        hand_over(secretary, demo.branch, month)
    # The 机关党委 hands over what its branches handed over (only FGW-B01 did this month).
    up = hand_over(Actor(user=persona_user(demo, "organ")), demo.organ_committee, month)
    assert (up.amount, up.payments) == (ledger_total, len(members) - 1)


def test_a_branch_with_nothing_recorded_hands_over_nothing_and_others_may_not(demo):
    with pytest.raises(ServiceValidationError, match="没有可上缴的党费"):
        hand_over(Actor(user=demo.users["secretary"]), demo.branch, months_ago(1))
    with pytest.raises(PermissionDenied):
        hand_over(Actor(user=demo.users["organ"]), demo.branch, months_ago(1))


def test_voluntary_payments_go_up_with_the_hand_over_the_large_ones_apart(demo):
    """第十一条: 1,000 元 or more goes to the centre in full, kept apart at every level; a
    smaller one goes up with the dues. Each is carried once, by the first hand-over of a month
    not before the month it was paid."""
    from dangjian.dues.models import ExtraPayment
    from dangjian.regulations.dates import add_months

    secretary = Actor(user=demo.users["secretary"])
    members = list(Member.objects.current().filter(organization=demo.branch))
    for m in members:
        settle(m, months_ago(24))
        assessed(demo, m, "3000", months_ago(12))
    month, later = months_ago(2), months_ago(1)
    services.record_month(secretary, demo.branch, month)
    services.record_month(secretary, demo.branch, later)
    small = record_extra(secretary, members[0], "200.50", month)
    large = record_extra(secretary, members[1], "1000", month)
    next_month = record_extra(secretary, members[2], "300", later)
    ledger_total = sum(r.payment.amount for r in queries.ledger(demo.branch, month) if r.payment)

    first = hand_over(secretary, demo.branch, month)
    assert first.amount == ledger_total  # the monthly dues still balance with the ledger
    assert (first.extra_amount, first.to_centre_amount, first.extra_payments) == (
        Decimal("200.50"),
        Decimal("1000.00"),
        2,
    )
    assert first.total == ledger_total + Decimal("1200.50")
    carried = dict(ExtraPayment.objects.values_list("pk", "handover_id"))
    assert carried == {small.pk: first.pk, large.pk: first.pk, next_month.pk: None}

    second = hand_over(secretary, demo.branch, later)
    assert (second.extra_amount, second.to_centre_amount, second.extra_payments) == (
        Decimal("300.00"),
        Decimal("0.00"),
        1,
    )
    # Every voluntary payment carried once: the hand-overs add up to what was recorded.
    assert first.extra_amount + first.to_centre_amount + second.extra_amount == sum(
        ExtraPayment.objects.values_list("amount", flat=True)
    )

    organ = Actor(user=persona_user(demo, "organ"))
    up = hand_over(organ, demo.organ_committee, month)
    assert (up.amount, up.extra_amount, up.to_centre_amount, up.extra_payments) == (
        first.amount,
        first.extra_amount,
        first.to_centre_amount,
        2,
    )
    assert add_months(month, 1) == later


def test_a_month_with_only_a_voluntary_payment_may_be_handed_over(demo):
    secretary = Actor(user=demo.users["secretary"])
    record_extra(secretary, demo.member_in_branch, "1500", months_ago(1))
    done = hand_over(secretary, demo.branch, months_ago(1))
    assert (done.amount, done.payments, done.to_centre_amount) == (
        Decimal("0.00"),
        0,
        Decimal("1500.00"),
    )


def test_the_dossier_shows_each_month_collected_and_handed_over_without_names(demo):
    import datetime as dt

    from dangjian.dues.dossier import dues_tables

    secretary = Actor(user=demo.users["secretary"])
    members = list(Member.objects.current().filter(organization=demo.branch))
    for m in members:
        settle(m, months_ago(24))
        assessed(demo, m, "3000", months_ago(12))
    month = months_ago(1)
    services.record_month(secretary, demo.branch, month)
    record_extra(secretary, members[0], "1000", today())
    period = (dt.date(month.year, 1, 1), dt.date(today().year, 12, 31))
    monthly, extra, relief = dues_tables(demo.organ_committee, *period)
    row = next(r for r in monthly.rows if r[0] == demo.branch.name and r[1] == f"{month:%Y-%m}")
    assert row[2:5] == [len(members), f"{Decimal('15.00') * len(members):.2f}", ""]
    hand_over(secretary, demo.branch, month)
    monthly, extra, _ = dues_tables(demo.organ_committee, *period)
    row = next(r for r in monthly.rows if r[0] == demo.branch.name and r[1] == f"{month:%Y-%m}")
    assert row[3] == row[4] and row[5] == demo.organ_committee.name
    assert [demo.branch.name, 1, "1000.00", 1] in extra.rows
    text = str(monthly.rows + extra.rows + relief.rows)
    assert all(m.name not in text for m in members)
    # Another department's dossier has none of it.
    other = dues_tables(demo.other_branch, *period)
    assert all(not t.rows for t in other)
