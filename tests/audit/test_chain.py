"""The audit log: every security-relevant act is an event, the hash chain detects tampering.

A DBA tampering with the table is simulated with raw SQL. The append-only trigger is dropped
first (with the SQL of the migration that installs it) and re-created afterwards; on MariaDB a
DDL statement commits implicitly, so those tests run with `transactional_db` there.
"""

from __future__ import annotations

import importlib
import io
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, connections, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from dangjian.audit.models import AuditAction, AuditEvent, AuditHead
from dangjian.audit.services import Actor, PendingEvent, record, record_many, verify_chain
from dangjian.ops import audit_views
from tests.conftest import PASSWORD
from tests.helpers import events_since, last_seq
from tests.test_cli import dangjian, on_sqlite_runs_only

TRIGGER_MIGRATIONS = [
    importlib.import_module("dangjian.audit.migrations.0002_append_only_trigger"),
    importlib.import_module("dangjian.audit.migrations.0003_append_only_delete"),
]
IS_MYSQL = connection.vendor == "mysql"
# Dropping a trigger is DDL: rolled back with the test transaction on SQLite and PostgreSQL, but
# committed at once on MariaDB, where the test therefore needs a real transaction and a flush.
dba_db = pytest.mark.django_db(transaction=IS_MYSQL)

TABLE = connection.ops.quote_name(AuditEvent._meta.db_table)


def _run_trigger_sql(index: int) -> None:
    with connection.cursor() as cursor:
        for migration in TRIGGER_MIGRATIONS:
            for statement in migration.SQL[connection.vendor][index]:
                cursor.execute(statement)


@contextmanager
def trigger_dropped() -> Iterator[None]:
    """What a DBA with DDL rights can do: remove the append-only trigger, then put it back."""
    _run_trigger_sql(1)
    try:
        yield
    finally:
        _run_trigger_sql(0)


def _raw(sql: str, params: list | None = None, column: str = "") -> int:
    """Raw SQL on the audit table, as a DBA would type it; `{column}` is quoted for the engine."""
    statement = sql.format(table=TABLE, column=connection.ops.quote_name(column) if column else "")
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount


def _three_events() -> list[AuditEvent]:
    actor = Actor.system("test")
    return [
        record(
            actor,
            AuditAction.UPDATE,
            object_type="members.member",
            object_id=str(i),
            object_repr=f"测试对象{i}",
            changes={"job_title": ["科员", f"副处长{i}"]},
            message=f"第{i}次修改",
        )
        for i in range(3)
    ]


# ---- what becomes an event ------------------------------------------------------------------


def test_login_logout_and_failed_login_through_the_login_page_are_audit_events(demo, client):
    start = last_seq()

    client.post(reverse("login"), {"username": "secretary", "password": PASSWORD})
    client.post(reverse("logout"))
    client.post(reverse("login"), {"username": "secretary", "password": "Wrong@2026"})

    events = events_since(start)
    assert [e.action for e in events] == [
        AuditAction.LOGIN,
        AuditAction.LOGOUT,
        AuditAction.LOGIN_FAILED,
    ]
    login, logout, failed = events
    assert login.actor_id == demo.users["secretary"].pk
    assert login.actor_username == "secretary"
    assert login.ip == "127.0.0.1"
    assert logout.actor_username == "secretary"
    # A failed login has no authenticated actor; the attempted username is the object.
    assert failed.actor_id is None
    assert failed.object_repr == "secretary"
    assert failed.ip == "127.0.0.1"
    assert verify_chain().ok


def test_each_event_is_chained_to_the_previous_one(demo):
    first, second, third = _three_events()

    assert second.prev_hash == first.hash
    assert third.prev_hash == second.hash
    assert [first.seq + 1, first.seq + 2] == [second.seq, third.seq]
    assert AuditHead.objects.get(pk=1).last_hash == third.hash


def test_verify_chain_is_ok_on_a_clean_chain(demo):
    _three_events()

    report = verify_chain()

    assert report.ok
    assert report.first_broken_seq is None
    assert report.checked == AuditEvent.objects.count() == last_seq()


def test_record_many_writes_the_events_record_would_write_in_one_chain(demo):
    """The batched append (imports) stores each change as its own event, readable and verified
    like one written by `record`: same columns, same JSON, a chain that continues across both."""
    user = demo.users["secretary"]
    actor = Actor(user=user, ip="10.0.0.7")
    single = record(
        actor,
        AuditAction.UPDATE,
        object_type="members.member",
        object_id="1",
        object_repr="张三",
        changes={"job_title": ["科员", "副处长"]},
        message="单条",
    )
    changes = {"admitted_on": ["", "2001-07"], "organization": [None, 5], "name": [None, "李四"]}
    count = record_many(
        actor,
        [
            PendingEvent(AuditAction.CREATE, "members.member", "2", "李四" * 150, changes, "批量"),
            PendingEvent(AuditAction.MOVE, "members.member", "3", "王五", {}, "批量" * 300),
        ],
    )

    assert count == 2
    created, moved = events_since(single.seq)
    assert [created.seq, moved.seq] == [single.seq + 1, single.seq + 2]
    assert created.prev_hash == single.hash and moved.prev_hash == created.hash
    assert AuditHead.objects.get(pk=1).last_hash == moved.hash
    assert (created.actor_id, created.actor_username, created.ip) == (
        user.pk,
        "secretary",
        "10.0.0.7",
    )
    assert created.action == AuditAction.CREATE and moved.action == AuditAction.MOVE
    assert created.changes == changes and moved.changes == {}
    assert created.object_repr == ("李四" * 150)[:200] and len(moved.message) == 500
    assert created.at == moved.at and created.at.microsecond == 0
    assert verify_chain().ok


# ---- tampering -------------------------------------------------------------------------------


@dba_db
@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("changes", json.dumps({"job_title": ["科员", "处长"]})),
        ("message", "已被改写的说明"),
    ],
    ids=["changes", "message"],
)
def test_a_tampered_event_is_detected_and_named_by_seq(column, value):
    _, victim, _ = _three_events()

    with trigger_dropped():
        changed = _raw(
            "UPDATE {table} SET {column} = %s WHERE seq = %s", [value, victim.seq], column=column
        )
    assert changed == 1

    report = verify_chain()
    assert not report.ok
    assert report.first_broken_seq == victim.seq
    assert report.reason == f"事件 #{victim.seq} 的内容已被篡改"
    assert report.checked == victim.seq - 1


@dba_db
def test_a_deleted_middle_event_is_detected_as_a_gap():
    _, victim, _ = _three_events()

    with trigger_dropped():
        assert _raw("DELETE FROM {table} WHERE seq = %s", [victim.seq]) == 1

    report = verify_chain()
    assert not report.ok
    assert report.first_broken_seq == victim.seq
    assert report.reason == f"事件 #{victim.seq} 缺失（被删除）"


@dba_db
def test_a_deleted_last_event_is_detected_through_the_head_row():
    *_, last = _three_events()

    with trigger_dropped():
        assert _raw("DELETE FROM {table} WHERE seq = %s", [last.seq]) == 1

    # Every remaining event still links correctly; only the head knows the chain was longer.
    report = verify_chain()
    assert not report.ok
    assert report.first_broken_seq == last.seq
    assert report.checked == last.seq - 1
    assert "末尾事件被删除" in report.reason


@dba_db
def test_a_recomputed_prev_hash_cannot_hide_a_rewritten_event():
    first, victim, _ = _three_events()

    # Copying the hash of another event into the victim does not make its content fit.
    with trigger_dropped():
        _raw(
            "UPDATE {table} SET message = %s, hash = %s WHERE seq = %s",
            ["伪造", first.hash, victim.seq],
        )

    report = verify_chain()
    assert not report.ok
    assert report.first_broken_seq == victim.seq


@dba_db
def test_the_trigger_is_back_after_the_simulated_dba_put_it_back():
    _, victim, _ = _three_events()
    with trigger_dropped():
        pass

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _raw("UPDATE {table} SET message = %s WHERE seq = %s", ["改写", victim.seq])


# ---- append-only in the ORM and in the database --------------------------------------------


def _save_existing(event: AuditEvent) -> None:
    event.message = "改写"
    event.save()


@pytest.mark.parametrize(
    "attempt",
    [
        pytest.param(_save_existing, id="save-existing"),
        pytest.param(lambda e: e.delete(), id="instance-delete"),
        pytest.param(
            lambda e: AuditEvent.objects.filter(pk=e.pk).update(message="改写"),
            id="queryset-update",
        ),
        pytest.param(lambda e: AuditEvent.objects.filter(pk=e.pk).delete(), id="queryset-delete"),
        pytest.param(lambda e: AuditEvent.objects.all().delete(), id="delete-all"),
    ],
)
def test_the_orm_refuses_to_change_or_delete_an_event(demo, attempt):
    _, victim, _ = _three_events()
    count = AuditEvent.objects.count()

    with pytest.raises(PermissionError, match="append-only"):
        attempt(victim)

    stored = AuditEvent.objects.get(pk=victim.pk)
    assert stored.message == "第1次修改"
    assert AuditEvent.objects.count() == count
    assert verify_chain().ok


def test_the_database_trigger_refuses_a_raw_update(demo):
    _, victim, _ = _three_events()

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _raw("UPDATE {table} SET message = %s WHERE seq = %s", ["改写", victim.seq])

    assert AuditEvent.objects.get(pk=victim.pk).message == "第1次修改"
    assert verify_chain().ok


@pytest.mark.parametrize(
    "statement",
    [
        "DELETE FROM {table} WHERE seq = %s",
        "DELETE FROM {table} WHERE seq >= %s",
        "DELETE FROM {table} WHERE seq > %s OR seq > 0",
    ],
    ids=["one", "the-newest", "all"],
)
def test_the_database_trigger_refuses_a_raw_delete_on_every_engine(demo, statement):
    _, victim, _ = _three_events()
    count = AuditEvent.objects.count()

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _raw(statement, [victim.seq])

    assert AuditEvent.objects.count() == count
    assert verify_chain().ok


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite file and its shell")
def test_another_sqlite_client_cannot_delete_events_either(tmp_path):
    # The platform's connections answer the trigger's gate function; a plain client has none.
    import sqlite3

    path = tmp_path / "db.sqlite3"
    plain = sqlite3.connect(path)
    plain.execute("CREATE TABLE audit_auditevent (seq INTEGER)")
    for statement in TRIGGER_MIGRATIONS[1].SQL["sqlite"][0]:
        plain.execute(statement)
    plain.execute("INSERT INTO audit_auditevent VALUES (1)")

    with pytest.raises(sqlite3.OperationalError):
        plain.execute("DELETE FROM audit_auditevent")

    assert plain.execute("SELECT count(*) FROM audit_auditevent").fetchone() == (1,)
    plain.close()


# ---- `dangjian audit verify` ----------------------------------------------------------------


def test_audit_verify_command_prints_ok_on_a_clean_chain(demo):
    _three_events()
    out = io.StringIO()

    call_command("audit", "verify", stdout=out)

    assert out.getvalue().strip() == f"OK: {AuditEvent.objects.count()} events, chain intact"


@dba_db
def test_audit_verify_command_names_the_first_broken_event():
    _, victim, last = _three_events()
    with trigger_dropped():
        _raw("UPDATE {table} SET message = %s WHERE seq IN (%s, %s)", ["x", victim.seq, last.seq])

    with pytest.raises(CommandError) as excinfo:
        call_command("audit", "verify", stdout=io.StringIO())

    message = str(excinfo.value)
    assert f"BROKEN at event #{victim.seq}" in message
    assert f"事件 #{victim.seq} 的内容已被篡改" in message
    assert f"#{last.seq}" not in message


# ---- the auditor's pages --------------------------------------------------------------------


def _log_in_and_out(username: str, times: int = 1) -> None:
    client = Client()
    for _ in range(times):
        assert (
            client.post(reverse("login"), {"username": username, "password": PASSWORD}).status_code
            == 302
        )
        client.post(reverse("logout"))


def test_auditor_filters_the_log_by_action_and_actor(demo, client_for):
    _log_in_and_out("secretary", times=2)
    _log_in_and_out("member")
    auditor = client_for(demo.users["auditor"])

    response = auditor.get(reverse("audit:list"), {"action": "login", "actor": "secretary"})

    assert response.status_code == 200
    shown = list(response.context["page"].object_list)
    expected = AuditEvent.objects.filter(action=AuditAction.LOGIN, actor_username="secretary")
    assert [e.seq for e in shown] == list(expected.order_by("-seq").values_list("seq", flat=True))
    assert len(shown) >= 2
    assert response.context["applied"] == {"action": "login", "actor": "secretary"}

    by_action = auditor.get(reverse("audit:list"), {"action": "logout"}).context["page"]
    actors = {e.actor_username for e in by_action.object_list}
    assert {"secretary", "member"} <= actors
    assert all(e.action == AuditAction.LOGOUT for e in by_action.object_list)


def test_auditor_export_contains_the_filtered_events_and_is_itself_audited(demo, client_for):
    _log_in_and_out("secretary", times=2)
    auditor = client_for(demo.users["auditor"])
    expected = list(
        AuditEvent.objects.filter(action=AuditAction.LOGIN, actor_username="secretary")
        .order_by("-seq")
        .values_list("seq", "hash")
    )
    before = last_seq()

    response = auditor.get(reverse("audit:export"), {"action": "login", "actor": "secretary"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][0] == "序号"
    assert rows[0][2] == "操作人"
    assert [(int(r[0]), r[9]) for r in rows[1:]] == expected
    assert all(r[2] == "secretary" and r[4] == "登录" for r in rows[1:])

    export = events_since(before)
    assert len(export) == 1
    assert export[0].action == AuditAction.EXPORT
    assert export[0].actor_username == "auditor"
    assert export[0].object_type == "audit.auditevent"
    assert f"{len(expected)} 条" in export[0].message
    assert verify_chain().ok


@pytest.mark.parametrize("username", ["sysadmin", "secadmin", "organ", "secretary"])
def test_nobody_but_the_auditor_reads_the_log(demo, client_for, username):
    client = client_for(demo.users[username])

    assert client.get(reverse("audit:list")).status_code == 403
    assert client.get(reverse("audit:export")).status_code == 403
    assert client.post(reverse("audit:verify")).status_code == 403


def test_the_auditor_verifies_the_chain_from_the_page(demo, client_for):
    auditor = client_for(demo.users["auditor"])

    response = auditor.post(reverse("audit:verify"), follow=True)

    texts = [str(m) for m in response.context["messages"]]
    assert texts == [f"哈希链完整：共校验 {AuditEvent.objects.count()} 条事件"]


def _all_routes(patterns=None, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            yield from _all_routes(entry.url_patterns, prefix + str(entry.pattern))
        else:
            yield prefix + str(entry.pattern), entry


def _audit_routes() -> dict[str, URLPattern]:
    return {
        route: pattern
        for route, pattern in _all_routes()
        if pattern.callback.__module__ == audit_views.__name__ or "audit" in route
    }


def test_no_url_offers_to_edit_or_delete_an_audit_event():
    # A new audit route (say, an edit or delete view) must be reviewed here first.
    views = {route: p.callback.__name__ for route, p in _audit_routes().items()}
    assert views == {
        "audit/": "event_list",
        "audit/export.xlsx": "event_export",
        "audit/verify/": "event_verify",
    }


def test_posting_to_any_audit_route_leaves_every_event_untouched(demo, client_for):
    _three_events()
    before = dict(AuditEvent.objects.values_list("seq", "hash"))
    payload = {"seq": last_seq(), "message": "改写", "action": "delete", "_method": "DELETE"}

    for username in ("auditor", "sysadmin", "secadmin"):
        client = client_for(demo.users[username])
        for route in _audit_routes():
            client.post("/" + route, payload)
            client.delete("/" + route)

    after = dict(AuditEvent.objects.values_list("seq", "hash"))
    assert {seq: after.get(seq) for seq in before} == before
    assert verify_chain().ok


def test_only_the_verify_route_of_the_audit_log_accepts_post(demo, client_for):
    auditor = client_for(demo.users["auditor"])

    statuses = {route: auditor.post("/" + route).status_code for route in _audit_routes()}

    assert statuses == {"audit/": 405, "audit/export.xlsx": 405, "audit/verify/": 302}


# ---- concurrency -----------------------------------------------------------------------------

PER_THREAD = 15


@pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="the in-memory, shared-cache SQLite test database answers 'table is locked' instead of "
    "waiting; the embedded SQLite file is raced in the subprocess test below",
)
@pytest.mark.django_db(transaction=True)
def test_two_threads_appending_at_once_keep_a_valid_chain_with_consecutive_seq():
    record(Actor.system("test"), AuditAction.CREATE, message="before the race")
    start = last_seq()
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def append(name: str) -> None:
        try:
            barrier.wait(timeout=60)
            for i in range(PER_THREAD):
                record(Actor.system(name), AuditAction.CREATE, message=f"{name} {i}")
                time.sleep(0.002)  # let the other thread in between, so the writers contend
        except BaseException as exc:  # reported below, with the thread's own traceback
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=append, args=(name,)) for name in ("left", "right")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []

    events = events_since(start)
    assert [e.seq for e in events] == list(range(start + 1, start + 1 + 2 * PER_THREAD))
    assert {e.ip for e in events} == {"left", "right"}
    # Each thread's own events stay in its order.
    for name in ("left", "right"):
        assert [e.message for e in events if e.ip == name] == [
            f"{name} {i}" for i in range(PER_THREAD)
        ]
    report = verify_chain()
    assert report.ok, report.reason
    assert AuditHead.objects.get(pk=1).seq == start + 2 * PER_THREAD


RACE_SCRIPT = """
import json, threading, time
from django.db import connections
from dangjian.audit.models import AuditAction, AuditEvent
from dangjian.audit.services import Actor, PendingEvent, record, record_many, verify_chain

record(Actor.system("test"), AuditAction.CREATE, message="before the race")
barrier = threading.Barrier(2)
errors = []

def append(name):
    try:
        barrier.wait(timeout=60)
        for i in range(%(per_thread)d):
            record(Actor.system(name), AuditAction.CREATE, message=f"{name} {i}")
            time.sleep(0.002)  # let the other thread in between, so the writers really contend
    except Exception as exc:
        errors.append(repr(exc))
    finally:
        connections.close_all()

threads = [threading.Thread(target=append, args=(name,)) for name in ("left", "right")]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
report = verify_chain()
events = list(AuditEvent.objects.order_by("seq").values_list("seq", "ip", "message"))
print("RESULT " + json.dumps({"errors": errors, "events": events, "ok": report.ok}))
"""


@on_sqlite_runs_only
def test_two_threads_appending_at_once_to_the_embedded_sqlite_file_keep_a_valid_chain(tmp_path):
    # The production SQLite settings (a file, WAL, IMMEDIATE transactions, busy timeout).
    assert dangjian(tmp_path, "migrate", "-v", "0").returncode == 0

    run = dangjian(tmp_path, "shell", "-c", RACE_SCRIPT % {"per_thread": PER_THREAD})

    assert run.returncode == 0, run.stderr
    line = next(line for line in run.stdout.splitlines() if line.startswith("RESULT "))
    result = json.loads(line.removeprefix("RESULT "))
    assert result["errors"] == []
    events = result["events"]
    assert [seq for seq, _, _ in events] == list(range(1, 2 + 2 * PER_THREAD))
    for name in ("left", "right"):
        assert [m for _, ip, m in events if ip == name] == [
            f"{name} {i}" for i in range(PER_THREAD)
        ]
    assert result["ok"]
