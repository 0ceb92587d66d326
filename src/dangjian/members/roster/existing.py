"""The members a chunk of roster rows matches, read as plain values.

Classifying a row (new, unchanged, updated, moved, refused) needs a dozen columns of the stored
member; building a `Member` for each of them was most of a re-import's database time. `stored`
reads those columns as tuples (one query per chunk, plus one for organizations outside the
import's targets); `full` then loads real `Member` objects only for the rows that will be
written, in one more query.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Iterable
from functools import lru_cache

from django.db import connections, router

from dangjian.members.models import LeaveReason, Member
from dangjian.orgs.models import Organization

# Fields compared to decide whether an existing member changed (the importer's `_changes`).
COMPARED = (
    "name",
    "ethnicity",
    "education",
    "status",
    "category",
    "admitted_on",
    "confirmed_on",
    "admitted_on_precision",
    "confirmed_on_precision",
    "job_title",
)
# Every column `classify` and `_changes` read, in the order of `Stored`'s slots.
STORED_FIELDS = (
    "pk",
    "id_number_index",
    "left_on",
    "left_reason",
    "organization_id",
    "party_group_id",
    "phone_index",
    *COMPARED,
    "import_digest",
)
# What an import digest binds (roster/digest.py): every column above but the row id and the
# digest itself.
STATE_FIELDS = tuple(f for f in STORED_FIELDS if f not in ("pk", "import_digest"))
_LEFT_REASONS = dict(LeaveReason.choices)


class Stored(tuple):
    """A stored member's compared columns and organization (what classification reads).

    The row as the query gave it (a tuple, one per matched member: a re-import builds tens of
    thousands), each column read by name through an item getter (set below)."""

    pk: int
    left_on: dt.date | None
    left_reason: str
    organization_id: int
    party_group_id: int | None
    id_number_index: str
    import_digest: str
    organization: Organization

    def __new__(cls, values: tuple, organization: Organization) -> Stored:
        if len(values) != len(STORED_FIELDS):
            raise ValueError("a stored member's row has one value per STORED_FIELDS column")
        self = super().__new__(cls, values)
        self.organization = organization
        return self

    def get_left_reason_display(self) -> str:
        return str(_LEFT_REASONS.get(self.left_reason, self.left_reason))


for _at, _name in enumerate(STORED_FIELDS):
    setattr(Stored, _name, property(operator.itemgetter(_at)))


# The same columns as SQL names, and the statement for a chunk of n indexes (cached per n).
_COLUMNS = tuple(
    Member._meta.pk.column if f == "pk" else Member._meta.get_field(f).column for f in STORED_FIELDS
)


@lru_cache(maxsize=8)
def _select(alias: str, count: int) -> str:
    connection = connections[alias]
    q = connection.ops.quote_name
    # Names come from the model's metadata, quoted by the backend; every value is a parameter.
    return (
        f"SELECT {', '.join(q(c) for c in _COLUMNS)} FROM {q(Member._meta.db_table)} "  # noqa: S608
        f"WHERE {q(Member._meta.get_field('id_number_index').column)} "
        f"IN ({', '.join(['%s'] * count)})"
    )


def stored(indexes: Iterable[str], known: dict[int, Organization]) -> dict[str, Stored]:
    """The members with these blind indexes, by index; `known` organizations are reused.

    A plain statement (the columns are text, integers and dates, which every driver returns as
    the ORM would): compiling the ORM query and running its converters for each chunk was a
    fifth of a re-import's reading of the stored members."""
    wanted = list(dict.fromkeys(indexes))
    if not wanted:
        return {}
    connection = connections[router.db_for_read(Member)]
    with connection.cursor() as cursor:
        cursor.execute(_select(connection.alias, len(wanted)), wanted)
        rows = cursor.fetchall()
    org_at = STORED_FIELDS.index("organization_id")
    missing = {r[org_at] for r in rows} - known.keys()
    orgs = dict(known)
    if missing:
        orgs.update(
            (o.pk, o)
            for o in Organization.objects.filter(pk__in=missing).only("path", "name", "code")
        )
    return {r[1]: Stored(r, orgs[r[org_at]]) for r in rows}


def full(pks: list[int], fields: Iterable[str]) -> dict[int, Member]:
    """The members that will be written, with their organization, in one query."""
    if not pks:
        return {}
    return Member.objects.select_related("organization").only(*fields).in_bulk(pks)


def store_digests(pairs: list[tuple[str, int]]) -> None:
    """Set the digest of unchanged members: not a change of the record (no audit event, no
    `updated_at`), only what lets the next import skip them."""
    connection = connections[router.db_for_write(Member)]
    table = connection.ops.quote_name(Member._meta.db_table)
    column = connection.ops.quote_name("import_digest")
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {table} SET {column} = %s WHERE id = %s", pairs)  # noqa: S608
