"""Audit events partitioned by year (PostgreSQL only): the SQL `dangjian audit partition-sql`
prints turns the table into yearly partitions under the unchanged model, and the chain, the
append-only trigger and reads by time keep working on it (docs/scale.md, "Past one machine").

The conversion is DDL; PostgreSQL runs it inside the test's transaction, so it is rolled back
with it and no other test sees a partitioned table.
"""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from dangjian.audit import partitioning
from dangjian.audit.models import AuditEvent
from dangjian.audit.services import Actor, PendingEvent, record, record_many, verify_chain
from tests.conftest import AUDIT_PARTITIONED

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="declarative partitioning exists only on PostgreSQL; SQLite and MariaDB keep "
        "the plain audit table (docs/scale.md)",
    ),
    pytest.mark.skipif(
        AUDIT_PARTITIONED, reason="the whole run has the audit table partitioned already"
    ),
    pytest.mark.django_db,
]


def _run(statements: list[str], params: tuple = ()) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement, params or None)


def _one(sql: str, params: tuple = ()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params or None)
        return cursor.fetchone()


def _plan(sql: str, params: tuple) -> str:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (COSTS OFF) " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_the_chain_survives_the_conversion_and_grows_in_the_partitions():
    actor = Actor(ip="10.0.0.9")
    for n in range(3):
        record(actor, "update", object_type="orgs.organization", object_id=str(n), message="前")
    before = AuditEvent.objects.count()
    assert verify_chain().ok

    _run(partitioning.conversion(2020, 2030))

    assert _one("SELECT relkind FROM pg_class WHERE relname = 'audit_auditevent'") == ("p",)
    assert _one(
        "SELECT count(*) FROM pg_inherits WHERE inhparent = 'audit_auditevent'::regclass"
    ) == (12,)  # 2020…2030 and the default
    assert AuditEvent.objects.count() == before

    # the application appends through the unchanged model, one by one and in bulk
    event = record(actor, "create", object_type="orgs.organization", object_id="9")
    record_many(actor, [PendingEvent("update", "orgs.organization", "9", "", {"a": [1, 2]})])
    assert event.pk is not None
    report = verify_chain()
    assert report.ok, report.reason
    assert report.checked == before + 2
    # the pinned clock is in 2026: the new events are in that year's partition
    year = timezone.localtime(event.at).year
    partition = f"audit_auditevent_{year}"
    assert _one(f"SELECT count(*) FROM {partition} WHERE seq >= %s", (event.seq,)) == (2,)  # noqa: S608
    assert list(AuditEvent.objects.order_by("-seq").values_list("seq", flat=True)[:2]) == [
        event.seq + 1,
        event.seq,
    ]

    # still append-only, on every partition
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _run(["UPDATE audit_auditevent SET message = 'x' WHERE seq = %s"], (event.seq,))
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _run([f"DELETE FROM {partition} WHERE seq = %s"], (event.seq,))  # noqa: S608

    # a year's read touches that year's partition only
    plan = _plan(
        "SELECT count(*) FROM audit_auditevent WHERE at >= %s::timestamptz "
        "AND at < %s::timestamptz",
        (f"{year}-03-01 00:00:00+08", f"{year}-04-01 00:00:00+08"),
    )
    assert f"audit_auditevent_{year}" in plan
    assert f"audit_auditevent_{year - 1}" not in plan
    assert "audit_auditevent_default" not in plan


def test_a_coming_year_gets_its_partition():
    _run(partitioning.conversion(2024, 2026))
    _run([partitioning.year_partition(2027)])
    _one("SELECT 'audit_auditevent_2027'::regclass")
    assert _one(
        "SELECT count(*) FROM pg_inherits WHERE inhparent = 'audit_auditevent'::regclass"
    ) == (5,)


def test_the_command_prints_the_conversion_and_changes_nothing():
    out = io.StringIO()
    call_command("audit", "partition-sql", "2024", "2026", stdout=out)
    assert out.getvalue() == partitioning.script(2024, 2026)
    assert out.getvalue().startswith("BEGIN;\n") and out.getvalue().endswith("COMMIT;\n")
    assert _one("SELECT relkind FROM pg_class WHERE relname = 'audit_auditevent'") == ("r",)

    out = io.StringIO()
    call_command("audit", "partition-sql", "--add", "2027", stdout=out)
    assert out.getvalue().strip() == partitioning.year_partition(2027)

    with pytest.raises(CommandError, match="FIRST <= LAST"):
        call_command("audit", "partition-sql", "2026", "2024", stdout=io.StringIO())
    with pytest.raises(CommandError, match="--add"):
        call_command("audit", "partition-sql", stdout=io.StringIO())
