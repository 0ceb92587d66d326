"""转出后又转回: a member transferred out of the platform who comes back in from outside keeps
one record (matched by the ID number's blind index); a new spell starts in the receiving branch
on the receiving day and the old history stays, so "who was a member of X on D" is right for
every day, and nobody is created twice."""

from __future__ import annotations

import pytest

from dangjian.core.errors import ServiceValidationError
from dangjian.members import services_lifecycle
from dangjian.members.history import members_on
from dangjian.members.models import Member, MembershipSpell
from dangjian.transfers import services
from dangjian.transfers.models import TransferStatus
from tests.conftest import member_payload
from tests.helpers import events_since, last_seq
from tests.transfers.helpers import D, approved, as_, receiver

LEFT, BACK = D(2026, 11, 10), D(2026, 11, 20)


def _member_of(org, day, member) -> bool:
    return members_on(org, day).filter(pk=member.pk).exists()


def _transfer_out(demo, member, on=LEFT) -> None:
    out = approved(demo, member, kind="out", to_name="外省某党支部", to_address="某市")
    services.receive(as_(demo.users["secretary"]), out, on)


def _letter(demo):
    return services.register_incoming(
        as_(receiver(demo)),
        demo.sibling_branch,
        person_name="回转党员",
        from_name="外省某党支部",
        letter_number="外字第7号",
        issued_on=D(2026, 11, 12),
        valid_until=D(2027, 2, 12),
    )


def _data(member) -> dict:
    plain = Member.objects.get(pk=member.pk).id_number
    return member_payload(seed=43, name="回转党员", id_number=plain)


def test_coming_back_reuses_the_record_and_starts_a_new_spell(demo) -> None:
    member, old, new = demo.member_in_branch, demo.branch, demo.sibling_branch
    _transfer_out(demo, member)
    back = _letter(demo)
    count, seq = Member.objects.count(), last_seq()
    data = _data(member)
    services.receive(as_(receiver(demo)), back, BACK, member_data=data)
    assert Member.objects.count() == count  # no duplicate
    back.refresh_from_db()
    assert back.member_id == member.pk and back.status == TransferStatus.COMPLETED
    member.refresh_from_db()
    assert member.left_on is None and member.left_reason == ""
    assert member.organization_id == new.pk and member.org_since == BACK
    # Who was a member of each branch on each day.
    assert _member_of(old, D(2026, 11, 9), member)
    for day in (LEFT, D(2026, 11, 19)):
        assert not _member_of(old, day, member) and not _member_of(new, day, member)
    assert _member_of(new, BACK, member) and not _member_of(old, BACK, member)
    spells = list(MembershipSpell.objects.filter(member=member).order_by("started_on", "pk"))
    assert spells[-2].ended_on == D(2026, 11, 9) and spells[-2].end_reason == "transferred_out"
    assert spells[-2].organization_id == old.pk
    assert (spells[-1].started_on, spells[-1].start_reason) == (BACK, "transferred_in")
    assert spells[-1].organization_id == new.pk and spells[-1].ended_on is None
    # Audited on the member and the transfer, without the ID number.
    kinds = {(e.object_type, e.action) for e in events_since(seq)}
    assert ("members.member", "update") in kinds and ("transfers.transfer", "update") in kinds
    for event in events_since(seq):
        assert data["id_number"] not in str(event.changes) + event.message


@pytest.mark.parametrize(
    ("setup", "received_on", "message"),
    [
        ("current", BACK, "仍在"),
        ("died", BACK, "已因“去世”离开"),
        ("out_later", D(2026, 11, 15), "接收日期不能早于该党员转出的日期"),
    ],
)
def test_who_cannot_come_back_this_way(demo, setup, received_on, message) -> None:
    member = demo.member_in_branch
    if setup == "died":
        services_lifecycle.end_membership(as_(demo.users["secretary"]), member, LEFT, "died")
    elif setup == "out_later":
        _transfer_out(demo, member, on=D(2026, 11, 18))
    back = _letter(demo)
    count, spells, seq = Member.objects.count(), MembershipSpell.objects.count(), last_seq()
    with pytest.raises(ServiceValidationError, match=message):
        services.receive(as_(receiver(demo)), back, received_on, member_data=_data(member))
    assert (Member.objects.count(), MembershipSpell.objects.count()) == (count, spells)
    assert events_since(seq) == []
    back.refresh_from_db()
    assert back.status == TransferStatus.APPROVED and back.member_id is None


def test_through_the_receive_form(demo, client_for) -> None:
    from django.urls import reverse

    member = demo.member_in_branch
    _transfer_out(demo, member)
    back = _letter(demo)
    data = _data(member)
    form = {f: data[f] for f in ("id_number", "phone", "status", "admitted_on", "confirmed_on")}
    count = Member.objects.count()
    page = client_for(receiver(demo)).post(
        reverse("transfers:receive", args=[back.pk]), form | {"received_on": BACK.isoformat()}
    )
    assert page.status_code == 302
    back.refresh_from_db()
    assert back.member_id == member.pk and Member.objects.count() == count
    assert _member_of(demo.sibling_branch, BACK, member)
