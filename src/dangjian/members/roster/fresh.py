"""The new members of an import as plain slotted records, not model instances.

A new member is filled (`services.apply_clean`), hashed for its import digest, inserted as a
tuple (`core.bulk.insert_rows`), given its first spells and audited: none of it needs a `Member`.
Building 60,000 model instances (`Model.__init__` runs every field's default and the init
signals) was a tenth of a first import. `NewMember` has a slot per column, starts from the
columns' defaults as `Member()` would, and borrows the model's own properties and methods for
what the audit event records (`audit_fields` and the masked values it reads), so the event
cannot drift from the one a `Member` would give (tests/members/roster/test_import_batched.py
compares them).
"""

from __future__ import annotations

import datetime as dt
import operator
from typing import Any

from dangjian.members.models import Member
from dangjian.orgs.models import Organization

# Every column but the id, by attribute name (`organization_id`, ...).
COLUMNS = tuple(f.attname for f in Member._meta.concrete_fields if not f.primary_key)


class NewMember:
    """A member about to be inserted: its column values, its id once inserted."""

    # `_changes`: its creation event's changes, when they were computed ahead (roster/ahead.py).
    __slots__ = (*COLUMNS, "_changes", "_plaintext", "pk")

    # The model's own code for the audit event and the masked values it shows.
    audit_fields = Member.audit_fields
    remember_plaintext = Member.remember_plaintext
    id_number = Member.id_number
    phone = Member.phone
    id_number_masked = Member.id_number_masked
    phone_masked = Member.phone_masked
    birth_year = Member.birth_year
    admitted_on_display = Member.admitted_on_display
    confirmed_on_display = Member.confirmed_on_display
    employee_number_state = Member.employee_number_state

    def __init__(self, defaults: dict[str, Any]) -> None:
        for name, value in defaults.items():
            setattr(self, name, value)
        self.pk: int | None = None


def blank() -> dict[str, Any]:
    """What `Member()` holds before it is placed and filled: each column's default (the same
    `Field.get_default` the model's `__init__` calls), computed once per chunk."""
    return {f.attname: f.get_default() for f in Member._meta.concrete_fields if not f.primary_key}


def placed(
    base: dict[str, Any],
    organization: Organization,
    party_group: Organization | None,
    org_since: dt.date,
) -> NewMember:
    """`Member(organization=..., party_group=..., org_since=...)`, not yet filled."""
    values = dict(base)
    values.update(
        organization_id=organization.pk,
        party_group_id=party_group.pk if party_group is not None else None,
        org_since=org_since,
    )
    return NewMember(values)


_ROW = operator.attrgetter(*COLUMNS)


def row(member: NewMember) -> tuple:
    """The member's values in `COLUMNS` order (one C call, not a getattr per column)."""
    return _ROW(member)
