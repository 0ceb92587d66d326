"""Hardship reduction or exemption (减免): the branch decides, the upper 党委 approves, the
ledger and the member's account follow from the approval month on (issue 16)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from dangjian.audit.models import AuditEvent
from dangjian.audit.services import Actor
from dangjian.core.errors import ServiceValidationError
from dangjian.dues import queries, services
from dangjian.dues.arrears import streaks
from dangjian.dues.models import Payment, Relief, ReliefStatus
from dangjian.dues.services_relief import approve_relief, decide_relief
from dangjian.members.models import Member
from dangjian.regulations.dates import add_months
from tests.dues.helpers import assessed, months_ago, settle, this_month
from tests.helpers import actions_since, last_seq
from tests.matrix_helpers import persona_user

pytestmark = pytest.mark.django_db

REASON = "家属重病，医疗支出大"


def _member(demo) -> Member:
    member = settle(demo.member_in_branch, months_ago(30))
    assessed(demo, member, "6000", months_ago(12))  # 90.00 元 a month
    return member


def _decide(demo, member, kind="reduce", amount="20", first=None, last=None, **extra):
    return decide_relief(
        Actor(user=demo.users["secretary"]),
        member,
        kind=kind,
        amount=amount,
        first_month=first or months_ago(2),
        last_month=last or add_months(this_month(), 3),
        reason=extra.get("reason", REASON),
        decided_on=extra.get("decided_on", months_ago(0)),
    )


def _approve(demo, relief, approve=True):
    return approve_relief(Actor(user=demo.users["organ"]), relief, approve=approve, note="同意")


def test_a_decision_changes_nothing_until_the_upper_committee_approves(demo):
    member = _member(demo)
    before = last_seq()
    relief = _decide(demo, member)
    assert relief.status == ReliefStatus.PENDING
    assert actions_since(before) == ["create"]
    row = next(r for r in queries.ledger(demo.branch, this_month()) if r.member == member)
    assert row.expected == Decimal("90.00")

    before = last_seq()
    relief = _approve(demo, relief)
    assert actions_since(before) == ["update"]
    assert relief.approver_organization == demo.organ_committee
    assert relief.approved_by == demo.users["organ"]
    # From the approval month on, not from the first month the branch asked for.
    assert relief.effective_from == this_month()
    row = next(r for r in queries.ledger(demo.branch, this_month()) if r.member == member)
    assert row.expected == Decimal("20.00") and row.relief == relief
    earlier = next(r for r in queries.ledger(demo.branch, months_ago(1)) if r.member == member)
    assert earlier.expected == Decimal("90.00")
    after = add_months(this_month(), 4)  # past the last month
    assert next(r for r in queries.ledger(demo.branch, after) if r.member == member).expected == (
        Decimal("90.00")
    )
    account = queries.account(member, this_month())
    assert account.expected == Decimal("20.00") and account.reliefs == [relief]


def test_the_audit_carries_neither_the_reason_nor_an_amount(demo):
    member = _member(demo)
    _approve(demo, _decide(demo, member, amount="23.45"))
    for event in AuditEvent.objects.filter(object_type="dues.relief"):
        text = f"{event.message}{event.changes}{event.object_repr}"
        assert "重病" not in text and "23.45" not in text and "90" not in text


def test_a_refusal_leaves_the_amount_as_assessed(demo):
    member = _member(demo)
    relief = _approve(demo, _decide(demo, member), approve=False)
    assert relief.status == ReliefStatus.REJECTED and relief.effective_from is None
    assert queries.account(member, this_month()).expected == Decimal("90.00")
    with pytest.raises(ServiceValidationError) as caught:
        _approve(demo, relief)
    assert "不能重复批复" in caught.value.errors["status"]


def test_an_exempted_month_is_not_recorded_and_not_owed(demo):
    member = _member(demo)
    other = settle(
        Member.objects.filter(organization=demo.branch).exclude(pk=member.pk)[0], months_ago(30)
    )
    assessed(demo, other, "3000", months_ago(12))
    _approve(demo, _decide(demo, member, kind="exempt", amount=""))
    row = next(r for r in queries.ledger(demo.branch, this_month()) if r.member == member)
    assert row.expected == Decimal("0.00")
    actor = Actor(user=demo.users["secretary"])
    before = last_seq()
    with pytest.raises(ServiceValidationError) as caught:
        services.record_month(actor, demo.branch, this_month(), exceptions={member.pk: "5"})
    assert "免交" in caught.value.errors[f"member_{member.pk}"]
    assert last_seq() == before
    services.record_month(actor, demo.branch, this_month())
    assert not Payment.objects.filter(member=member, month=this_month()).exists()
    assert Payment.objects.get(member=other, month=this_month()).amount == Decimal("15.00")


def test_exempted_months_neither_add_to_nor_end_an_unpaid_run(demo):
    member = _member(demo)
    Payment.objects.bulk_create(
        Payment(
            member=member,
            organization=demo.branch,
            month=months_ago(n),
            amount=Decimal("90.00"),
            paid_on=months_ago(n),
            method="cash",
        )
        for n in range(7, 13)
    )
    relief = _approve(demo, _decide(demo, member, kind="exempt", amount="", first=months_ago(4)))
    # Approved four months ago (as the upper committee did then): months 4..3 ago are exempt.
    Relief.objects.filter(pk=relief.pk).update(approved_on=months_ago(4))
    account = queries.account(member, this_month())
    # Unpaid: 6, 5 months ago, then exempt from 4 months ago to now: two months in arrears.
    assert [m for m, _ in account.owed] == [months_ago(6), months_ago(5)]
    assert account.unpaid_streak == 2
    assert streaks([member], this_month())[member.pk] == 2


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"kind": "later"}, "kind", "请选择减免方式"),
        ({"amount": "abc"}, "amount", "应为数字"),
        ({"amount": "0"}, "amount", "免交"),
        ({"amount": "90"}, "amount", "应低于核定"),
        ({"reason": "  "}, "reason", "请填写困难情况"),
        ({"decided_on": None}, "decided_on", "支部研究日期"),
        ({"first": add_months(this_month(), 2), "last": this_month()}, "last_month", "不能早于"),
        ({"first": months_ago(3), "last": add_months(this_month(), 9)}, "last_month", "最多"),
        ({"first": months_ago(3), "last": months_ago(1)}, "last_month", "已过"),
    ],
)
def test_bad_input_is_refused_in_chinese_and_nothing_is_written(demo, kwargs, field, message):
    member = _member(demo)
    before = last_seq()
    with pytest.raises(ServiceValidationError) as caught:
        _decide(demo, member, **kwargs)
    assert message in caught.value.errors[field]
    assert not Relief.objects.filter(member=member).exists()
    assert last_seq() == before


def test_a_second_decision_over_the_same_months_is_refused(demo):
    member = _member(demo)
    _decide(demo, member)
    with pytest.raises(ServiceValidationError) as caught:
        _decide(demo, member, first=this_month(), last=this_month())
    assert "已有待批或已批准的减免" in caught.value.errors["first_month"]
    assert Relief.objects.filter(member=member).count() == 1


@pytest.mark.parametrize("persona", ["member", "organ", "inspector"])
def test_only_the_branch_decides(demo, persona):
    member = _member(demo)
    with pytest.raises(PermissionDenied):
        decide_relief(
            Actor(user=demo.users[persona]),
            member,
            kind="exempt",
            first_month=this_month(),
            last_month=this_month(),
            reason=REASON,
            decided_on=this_month(),
        )


@pytest.mark.parametrize("persona", ["secretary", "committee", "inspector", "member"])
def test_only_the_upper_committee_approves(demo, persona):
    relief = _decide(demo, _member(demo))
    user = persona_user(demo, persona)
    before = last_seq()
    with pytest.raises(PermissionDenied):
        approve_relief(Actor(user=user), relief, approve=True)
    relief.refresh_from_db()
    assert relief.status == ReliefStatus.PENDING and last_seq() == before


def test_pages_decide_list_answer_and_show_the_member(demo, client_for):
    member = demo.own_member
    settle(member, months_ago(30))
    assessed(demo, member, "6000", months_ago(12))
    secretary = client_for(demo.users["secretary"])
    response = secretary.post(
        f"/dues/member/{member.pk}/relief/",
        {
            "kind": "reduce",
            "amount": "abc",
            "first_month": f"{this_month():%Y-%m}",
            "last_month": f"{this_month():%Y-%m}",
            "reason": REASON,
            "decided_on": f"{this_month():%Y-%m-%d}",
        },
        follow=True,
    )
    assert "减免后月交纳额应为数字" in response.content.decode()
    assert not Relief.objects.filter(member=member).exists()
    secretary.post(
        f"/dues/member/{member.pk}/relief/",
        {
            "kind": "exempt",
            "first_month": f"{this_month():%Y-%m}",
            "last_month": f"{this_month():%Y-%m}",
            "reason": REASON,
            "decided_on": f"{this_month():%Y-%m-%d}",
        },
    )
    relief = Relief.objects.get(member=member)
    organ = client_for(demo.users["organ"])
    page = organ.get(f"/dues/org/{demo.organ_committee.pk}/reliefs/").content.decode()
    assert member.name in page and "批准" in page
    organ.post(f"/dues/relief/{relief.pk}/answer/", {"decision": "approve"})
    relief.refresh_from_db()
    assert relief.status == ReliefStatus.APPROVED
    mine = client_for(demo.users["member"]).get("/dues/").content.decode()
    assert "免交党费" in mine and "已批准" in mine


def test_a_relief_stays_with_the_branch_that_decided_it(demo):
    member = _member(demo)
    relief = _approve(demo, _decide(demo, member, kind="exempt", amount=""))
    assert queries.account(member, this_month()).expected == Decimal("0.00")
    # The member's relief as if decided by another branch (the one they came from).
    Relief.objects.filter(pk=relief.pk).update(organization=demo.sibling_branch)
    row = next(r for r in queries.ledger(demo.branch, this_month()) if r.member == member)
    assert row.expected == Decimal("90.00") and row.relief is None
    assert queries.account(member, this_month()).expected == Decimal("90.00")
