"""Transfers through their steps: the membership history a receipt writes (who was a member of
each branch on each day), a return that leaves the member where they were, one open transfer
per member, and who may act."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from dangjian.core.errors import ServiceValidationError
from dangjian.members.history import counts_on, members_on
from dangjian.members.models import Member, MembershipSpell
from dangjian.transfers import services
from dangjian.transfers.models import Transfer, TransferStatus
from tests.conftest import member_payload
from tests.helpers import actions_since, assert_audited, events_since, last_seq
from tests.transfers.helpers import (
    APPROVED,
    RECEIVED,
    D,
    approved,
    as_,
    outsider,
    receiver,
    start,
)


def _in(org, day) -> set[int]:
    return set(members_on(org, day).values_list("pk", flat=True))


def test_receiving_moves_the_history_on_the_day_and_nobody_is_counted_twice(demo) -> None:
    member = demo.member_in_branch
    old, new = demo.branch, demo.sibling_branch
    before_old = counts_on(old, D(2026, 11, 19))[old.pk].members
    before_new = counts_on(new, D(2026, 11, 19))[new.pk].members
    transfer = approved(demo, member)
    # In transit (letter issued, not received): still the sending branch's, not yet the other's.
    assert member.pk in _in(old, D(2026, 11, 19)) and member.pk not in _in(new, D(2026, 11, 19))
    seq = last_seq()
    services.receive(as_(receiver(demo)), transfer, RECEIVED)
    # The day before the receipt: in the old branch only; from that day: in the new one only.
    assert member.pk in _in(old, D(2026, 11, 19)) and member.pk not in _in(new, D(2026, 11, 19))
    assert member.pk not in _in(old, RECEIVED) and member.pk in _in(new, RECEIVED)
    assert counts_on(old, D(2026, 11, 19))[old.pk].members == before_old
    assert counts_on(new, D(2026, 11, 19))[new.pk].members == before_new
    assert counts_on(old, RECEIVED)[old.pk].members == before_old - 1
    assert counts_on(new, RECEIVED)[new.pk].members == before_new + 1
    member.refresh_from_db()
    assert member.organization_id == new.pk and member.org_since == RECEIVED
    last_two = list(MembershipSpell.objects.filter(member=member).order_by("started_on"))[-2:]
    assert last_two[0].ended_on == D(2026, 11, 19) and last_two[0].end_reason == "transferred_in"
    assert last_two[1].started_on == RECEIVED and last_two[1].organization_id == new.pk
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.COMPLETED and transfer.open_key is None
    assert_audited(seq, "update", transfer, alone=False)
    assert "move" in actions_since(seq)


def test_the_receipt_writes_nothing_when_refused(demo) -> None:
    transfer = approved(demo)
    spells = MembershipSpell.objects.count()
    seq = last_seq()
    with pytest.raises(ServiceValidationError, match="不能早于介绍信开具日期"):
        services.receive(as_(receiver(demo)), transfer, D(2026, 11, 4))
    with pytest.raises(ServiceValidationError, match="不能晚于今天"):
        services.receive(as_(receiver(demo)), transfer, D(2026, 11, 26))
    assert MembershipSpell.objects.count() == spells and events_since(seq) == []
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.APPROVED


def test_a_return_leaves_the_member_where_they_were(demo) -> None:
    member = demo.member_in_branch
    spells = list(MembershipSpell.objects.filter(member=member).values())
    transfer = approved(demo, member)
    seq = last_seq()
    with pytest.raises(ServiceValidationError, match="退回理由"):
        services.return_transfer(as_(receiver(demo)), transfer, "  ")
    services.return_transfer(as_(receiver(demo)), transfer, "本支部非其工作单位")
    assert_audited(seq, "update", transfer)
    member.refresh_from_db()
    assert member.organization_id == demo.branch.pk
    assert list(MembershipSpell.objects.filter(member=member).values()) == spells
    assert member.pk in _in(demo.branch, D(2026, 11, 25))
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.RETURNED and transfer.open_key is None
    # A returned transfer is closed: a new one may be started.
    assert start(demo, member).is_open


def test_a_second_open_transfer_is_refused(demo) -> None:
    member = demo.member_in_branch
    start(demo, member)
    seq = last_seq()
    with pytest.raises(ServiceValidationError, match="已有未办结的组织关系转接"):
        start(demo, member, kind="out", to_name="外省某党支部")
    assert Transfer.objects.filter(member=member).count() == 1 and events_since(seq) == []


def test_bad_destinations_are_refused(demo) -> None:
    with pytest.raises(ServiceValidationError, match="转入党支部与所在党支部相同"):
        start(demo, to_organization=demo.branch)
    with pytest.raises(ServiceValidationError, match="组织关系只能转入党支部"):
        start(demo, to_organization=demo.organ_committee)
    with pytest.raises(ServiceValidationError, match="请填写转入党组织名称"):
        start(demo, kind="out")
    assert not Transfer.objects.exists()


def test_a_third_branch_secretary_can_neither_start_nor_act(demo) -> None:
    third = as_(outsider(demo))
    with pytest.raises(PermissionDenied):
        services.start(
            third,
            demo.member_in_branch,
            kind="within",
            to_organization=demo.other_branch,
            reason="调动",
            applied_on=D(2026, 11, 2),
        )
    transfer = start(demo)
    with pytest.raises(PermissionDenied):
        services.approve(third, transfer, APPROVED)
    # Nor may the sending branch approve its own transfer: the 机关党委 issues the letter.
    with pytest.raises(PermissionDenied):
        services.approve(as_(demo.users["secretary"]), transfer, APPROVED)
    services.approve(as_(demo.users["organ"]), transfer, APPROVED)
    for act in (
        lambda: services.receive(third, transfer, RECEIVED),
        lambda: services.return_transfer(third, transfer, "不接收"),
        lambda: services.cancel(third, transfer, "撤销"),
        # The sender cannot receive in the other branch.
        lambda: services.receive(as_(demo.users["secretary"]), transfer, RECEIVED),
    ):
        with pytest.raises(PermissionDenied):
            act()
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.APPROVED


def test_the_letter_carries_number_validity_and_dues(demo) -> None:
    from decimal import Decimal

    from dangjian.dues.models import Payment

    member = demo.member_in_branch
    Payment.objects.create(
        member=member,
        organization=demo.branch,
        month=D(2026, 10, 1),
        amount=Decimal("12.00"),
        paid_on=D(2026, 10, 8),
        method="cash",
    )
    transfer = approved(demo, member)
    assert transfer.letter_number == f"2026{transfer.pk:06d}"
    # No local pack in the tests: the digest's longest period, three months, counted as the
    # 民法典 counts periods (to the corresponding day).
    assert transfer.valid_until == D(2027, 2, 5)
    assert transfer.dues_paid_until == D(2026, 10, 1)


def test_a_late_report_needs_the_sending_branchs_note(demo, settings) -> None:
    transfer = approved(demo, on=D(2026, 8, 20), applied_on=D(2026, 8, 18))
    assert transfer.valid_until == D(2026, 11, 20)
    with pytest.raises(ServiceValidationError, match="逾期报到须填写原党支部出具的证明"):
        services.receive(as_(receiver(demo)), transfer, D(2026, 11, 21))
    services.receive(as_(receiver(demo)), transfer, D(2026, 11, 21), late_note="因病逾期，支部证明")
    transfer.refresh_from_db()
    assert transfer.late_note.startswith("因病")


def test_on_the_last_valid_day_no_note_is_needed(demo) -> None:
    transfer = approved(demo, on=D(2026, 8, 20), applied_on=D(2026, 8, 18))
    services.receive(as_(receiver(demo)), transfer, D(2026, 11, 20))
    assert Member.objects.get(pk=transfer.member_id).organization_id == demo.sibling_branch.pk


def test_a_transfer_out_of_the_platform_ends_membership_on_the_receipt(demo) -> None:
    member = demo.member_in_branch
    transfer = approved(demo, member, kind="out", to_name="某省某县某党支部", to_address="某市")
    assert member.pk in _in(demo.branch, D(2026, 11, 19))
    with pytest.raises(PermissionDenied):
        services.receive(as_(receiver(demo)), transfer, RECEIVED)
    services.receive(as_(demo.users["secretary"]), transfer, RECEIVED)
    member.refresh_from_db()
    assert member.left_on == RECEIVED and member.left_reason == "transferred_out"
    assert member.pk in _in(demo.branch, D(2026, 11, 19))
    assert member.pk not in _in(demo.branch, RECEIVED)


def test_a_transfer_in_from_outside_creates_the_member_from_the_receiving_day(demo) -> None:
    rec = as_(receiver(demo))
    transfer = services.register_incoming(
        rec,
        demo.sibling_branch,
        person_name="转入党员",
        from_name="外省某党支部",
        letter_number="外字第12号",
        issued_on=D(2026, 11, 1),
        valid_until=D(2026, 12, 1),
    )
    assert transfer.status == TransferStatus.APPROVED and transfer.member is None
    with pytest.raises(PermissionDenied):
        services.receive(as_(outsider(demo)), transfer, RECEIVED, member_data={})
    data = member_payload(seed=41, name="转入党员")
    seq = last_seq()
    services.receive(rec, transfer, RECEIVED, member_data=data)
    transfer.refresh_from_db()
    member = transfer.member
    assert member is not None and member.organization_id == demo.sibling_branch.pk
    assert member.pk in _in(demo.sibling_branch, RECEIVED)
    assert member.pk not in _in(demo.sibling_branch, D(2026, 11, 19))
    spells = list(MembershipSpell.objects.filter(member=member))
    assert [(s.started_on, s.start_reason) for s in spells] == [(RECEIVED, "transferred_in")]
    # Audited without the ID number; the transfer's own events without the name either.
    for event in events_since(seq):
        assert data["id_number"] not in str(event.changes) + event.message
        if event.object_type == "transfers.transfer":
            assert "转入党员" not in event.object_repr + str(event.changes)


def test_cancel_by_the_sender_only(demo) -> None:
    transfer = start(demo)
    with pytest.raises(PermissionDenied):
        services.cancel(as_(receiver(demo)), transfer, "不转了")
    services.cancel(as_(demo.users["secretary"]), transfer, "本人不再调动")
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.CANCELLED
    with pytest.raises(ServiceValidationError, match="已办结"):
        services.cancel(as_(demo.users["secretary"]), transfer, "再撤销")


def test_the_database_refuses_a_second_open_transfer_too(demo) -> None:
    from django.db import IntegrityError, transaction

    transfer = start(demo)
    copy = Transfer(
        kind="within",
        member=transfer.member,
        from_organization=demo.branch,
        to_organization=demo.sibling_branch,
        reason="重复",
        applied_on=D(2026, 11, 3),
        open_key=transfer.member_id,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        copy.save()


def test_a_transfer_in_and_out_on_the_same_day_counts_the_member_once(demo) -> None:
    from tests.transfers.helpers import secretary_of

    member = demo.member_in_branch
    third = demo.org["FGW-B03"]
    first = approved(demo, member)
    services.receive(as_(receiver(demo)), first, RECEIVED)
    second = services.start(
        as_(receiver(demo)),
        member,
        kind="within",
        to_organization=third,
        reason="再次调动",
        applied_on=RECEIVED,
    )
    services.approve(as_(demo.users["organ"]), second, RECEIVED)
    services.receive(as_(secretary_of(third, "third")), second, RECEIVED)
    on_day = [
        org for org in (demo.branch, demo.sibling_branch, third) if member.pk in _in(org, RECEIVED)
    ]
    assert on_day == [third]
    assert member.pk in _in(demo.branch, D(2026, 11, 19))
    # The spell opened that day in FGW-B02 was changed in place: no empty spell remains.
    spells = MembershipSpell.objects.filter(member=member, organization=demo.sibling_branch)
    assert not spells.exists()


def test_a_member_moved_meanwhile_is_not_received_from_the_old_branch(demo) -> None:
    from dangjian.members import services as member_services

    member = demo.member_in_branch
    transfer = approved(demo, member)
    member_services.move_member(
        as_(demo.users["organ"]), member, demo.org["FGW-B03"], reason="调动", on=D(2026, 11, 10)
    )
    spells = MembershipSpell.objects.count()
    with pytest.raises(ServiceValidationError, match="转接期间已有变动"):
        services.receive(as_(receiver(demo)), transfer, RECEIVED)
    assert MembershipSpell.objects.count() == spells
    assert Member.objects.get(pk=member.pk).organization_id == demo.org["FGW-B03"].pk


def test_a_bulk_move_takes_every_member_on_the_day_or_nobody(demo) -> None:
    source, target = demo.sibling_branch, demo.org["FGW-B03"]
    organ = as_(demo.users["organ"])
    moving = set(
        Member.objects.filter(organization=source, left_on__isnull=True).values_list(
            "pk", flat=True
        )
    )
    staying = _in(target, D(2026, 11, 20))
    # A member in transit blocks it, and nothing is written.
    transfer = services.start(
        as_(receiver(demo)),
        Member.objects.get(pk=min(moving)),
        kind="out",
        to_name="外省某党支部",
        reason="外出",
        applied_on=D(2026, 11, 2),
    )
    seq = last_seq()
    with pytest.raises(ServiceValidationError, match="1名党员正在办理组织关系转接"):
        services.bulk_move(organ, source, target, D(2026, 11, 20), "机构调整")
    assert events_since(seq) == []
    with pytest.raises(PermissionDenied):
        services.cancel(as_(outsider(demo)), transfer, "撤销")
    services.cancel(as_(receiver(demo)), transfer, "改为整建制转移")
    # A branch secretary writes one side only.
    with pytest.raises(PermissionDenied):
        services.bulk_move(as_(receiver(demo)), source, target, D(2026, 11, 20), "机构调整")
    seq = last_seq()
    moved = services.bulk_move(organ, source, target, D(2026, 11, 20), "机构调整")
    assert {m.pk for m in moved} == moving
    assert actions_since(seq).count("move") == len(moving)
    assert_audited(seq, "update", target, alone=False)
    assert _in(source, D(2026, 11, 19)) >= moving and not _in(source, D(2026, 11, 20))
    assert _in(target, D(2026, 11, 20)) == staying | moving
    assert not Member.objects.filter(organization=source, left_on__isnull=True).exists()
