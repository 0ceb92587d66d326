"""`existing.stored` reads the matched members with a plain statement: it must give, column for
column and type for type, what the ORM's `values_list` of the same fields gives, on every engine
(dates as dates, missing ones as None, the party group's id, a leave)."""

from __future__ import annotations

import datetime as dt

import pytest

from dangjian.audit.services import Actor
from dangjian.members.models import Member
from dangjian.members.roster import existing

from .test_importer import by_id, new_person, roster, run

pytestmark = pytest.mark.django_db


def test_stored_members_are_the_orms_values_with_their_organization(demo):
    secretary = Actor(demo.users["secretary"], "127.0.0.1")
    people = [new_person(seed) for seed in (31, 32, 33)]
    run(secretary, roster(people), demo.branch)
    left, grouped, plain = (by_id(p["id_number"]) for p in people)
    Member.objects.filter(pk=left.pk).update(
        left_on=dt.date(2026, 3, 1), left_reason="transferred_out"
    )
    Member.objects.filter(pk=grouped.pk).update(party_group_id=demo.branch.pk)  # any id will do
    indexes = [m.id_number_index for m in (left, grouped, plain)] + ["0" * 64]

    found = existing.stored(indexes + indexes[:1], {})

    orm = {
        row[1]: row
        for row in Member.objects.filter(id_number_index__in=indexes).values_list(
            *existing.STORED_FIELDS
        )
    }
    assert sorted(found) == sorted(orm) and len(found) == 3
    for index, row in orm.items():
        assert tuple(found[index]) == row
        assert [type(v) for v in found[index]] == [type(v) for v in row]
        assert found[index].organization.pk == row[existing.STORED_FIELDS.index("organization_id")]
    assert found[left.id_number_index].left_on == dt.date(2026, 3, 1)
    assert found[plain.id_number_index].admitted_on == plain.admitted_on
    assert existing.stored([], {}) == {}
