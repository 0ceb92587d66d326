"""The import writes in batches (one executemany per table per chunk): what it stores must be
exactly what the one-member path (`create_member`) stores, field by field, key by key."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from dangjian.audit.models import AuditEvent
from dangjian.audit.services import Actor, verify_chain
from dangjian.crypto import default_keyring
from dangjian.members import spells
from dangjian.members.models import Member, MembershipSpell
from dangjian.members.roster.importer import CHUNK, Mode
from dangjian.members.services import create_member
from tests.conftest import TODAY
from tests.helpers import events_since, last_seq

from .test_importer import by_id, many_people, new_person, roster, run

pytestmark = pytest.mark.django_db

# What differs between two saves of the same person: the row's id and timestamps, and the
# ciphertexts (SM4-GCM takes a fresh nonce each time; both must decrypt to the same value), and
# the import digest, which only an import keeps (tests/members/roster/test_import_digest.py).
VOLATILE = {
    "id",
    "created_at",
    "updated_at",
    "id_number_encrypted",
    "phone_encrypted",
    "import_digest",
}


def _stored(member: Member) -> dict:
    member = Member.objects.get(pk=member.pk)
    keyring = default_keyring()
    values = {
        f.attname: getattr(member, f.attname)
        for f in Member._meta.concrete_fields
        if f.attname not in VOLATILE
    }
    values["id_number"] = keyring.decrypt(member.id_number_encrypted)
    values["phone"] = keyring.decrypt(member.phone_encrypted)
    values["spells"] = [
        (s.organization_id, s.status, s.started_on, s.ended_on, s.start_reason, s.end_reason)
        for s in MembershipSpell.objects.filter(member=member).order_by("started_on")
    ]
    (event,) = AuditEvent.objects.filter(object_type="members.member", object_id=str(member.pk))
    values["audit"] = (event.action, event.object_repr, event.changes)
    return values


def _one_by_one(demo, person: dict) -> dict:
    """What `create_member` (the form's path) stores for this person, rolled back afterwards."""
    data = {k: v for k, v in person.items() if k not in ("organization", "party_group", "gender")}
    with transaction.atomic():
        member, _ = create_member(Actor(demo.users["secretary"], "127.0.0.1"), demo.branch, data)
        stored = _stored(member)
        transaction.set_rollback(True)
    return stored


def test_a_batched_import_stores_what_the_one_member_path_stores(demo):
    secretary = Actor(demo.users["secretary"], "127.0.0.1")
    people = [new_person(seed, gender="male" if seed % 2 else "female") for seed in range(40, 52)]
    people[3]["confirmed_on"] = ""  # probationary: one spell
    people[3]["status"] = "预备党员"
    people[3]["admitted_on"] = f"{TODAY.year - 1}-01-05"
    people[5]["phone"] = ""  # no phone: no ciphertext, no index
    people[7]["admitted_on"] = "1996-07"  # a month-only date from an old roster
    expected = {p["id_number"]: _one_by_one(demo, p) for p in people}
    seq = last_seq()

    report = run(secretary, roster(people), demo.branch, today=TODAY)

    assert (report.created, report.rejected) == (len(people), 0)
    keyring = default_keyring()
    for p in people:
        member = by_id(p["id_number"])
        got = _stored(member)
        assert got == expected[p["id_number"]]
        assert member.id_number_index == keyring.blind_index(p["id_number"])
        assert member.phone_index == (keyring.blind_index(p["phone"]) if p["phone"] else "")
    assert by_id(people[3]["id_number"]).status == "probationary"
    assert len(_stored(by_id(people[3]["id_number"]))["spells"]) == 1
    assert len(events_since(seq)) == len(people) + 1  # one per member and the summary
    assert verify_chain().ok


def test_members_across_chunks_get_their_own_ids_history_and_audit_event(demo):
    secretary = Actor(demo.users["secretary"], "127.0.0.1")
    people = many_people(CHUNK + 7, "batched-chunks")
    seq = last_seq()

    report = run(secretary, roster(people), demo.branch, mode=Mode.PARTIAL)

    assert (report.created, report.rejected) == (CHUNK + 7, 0)
    keyring = default_keyring()
    indexes = [keyring.blind_index(str(p["id_number"])) for p in people]
    members = {m.id_number: m for m in Member.objects.filter(id_number_index__in=indexes)}
    events = {e.object_id: e for e in events_since(seq) if e.object_type == "members.member"}
    assert len(events) == CHUNK + 7
    for p in (people[0], people[CHUNK - 1], people[CHUNK], people[-1]):
        member = members[p["id_number"]]
        assert events[str(member.pk)].object_repr == p["name"] == member.name
        history = MembershipSpell.objects.filter(member=member).order_by("started_on")
        assert [(s.status, s.started_on) for s in history] == [
            ("probationary", dt.date.fromisoformat(str(p["admitted_on"]))),
            ("full", dt.date.fromisoformat(str(p["confirmed_on"]))),
        ]
    assert verify_chain().ok


@pytest.mark.parametrize(
    ("admitted", "confirmed"),
    [
        (dt.date(2015, 7, 1), dt.date(2016, 7, 2)),
        (dt.date(2015, 7, 1), None),
        (dt.date(2015, 7, 1), dt.date(2015, 7, 1)),
        (dt.date(2015, 7, 1), dt.date(2015, 7, 2)),
    ],
)
def test_first_spell_rows_are_first_spells(admitted, confirmed):
    member = Member(
        pk=7,
        organization_id=3,
        status="full" if confirmed else "probationary",
        admitted_on=admitted,
        confirmed_on=confirmed,
    )

    rows = spells.first_spell_rows(7, 3, admitted, confirmed)

    assert rows == [spells.as_row(s) for s in spells.first_spells(member)]
