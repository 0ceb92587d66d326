"""A copy of the demo organ's rows, put back after a transactional test emptied the database.

A transactional test (the browser tests, the concurrency tests) ends with a flush, and the next
one needs the demo organ again. Building it takes seconds (the generator works through its
services: encryption, blind indexes, audit chain); copying its rows back takes a fraction of
that (table and column names in the SQL come from Django's own model tables, quoted, never from
input). The first rebuild after a flush builds the demo through `build` and copies every table it
filled into a side store the engine keeps beside the test database; later rebuilds copy them
back with one `INSERT … SELECT` per table, in SQL (no value passes through Python, so each
engine's types, encrypted bytes and the audit chain come back exactly), then reset the
sequences as `loaddata` does.

The side store: an attached database file on SQLite, a schema `demo_snap` in the test database
on PostgreSQL, a database `<test database>_demosnap` on MariaDB/MySQL (dropped at the session's
end, and by .ci/run's clean-up if a run dies).

Falls back to building whenever it cannot be sure the copy equals a build: a table the flush
left non-empty (content types, permissions: post_migrate recreates them, on PostgreSQL with new
ids) that the build changed or that the demo's rows point to.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from django.apps import apps
from django.core.management.color import no_style
from django.db import connection, transaction

SCHEMA = "demo_snap"


class _State:
    tables: list[tuple[str, list[str]]] | None = None  # (table, insertable columns) copied
    refused = False  # a build showed the copy cannot stand for it: always build
    sqlite_file: Path | None = None


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _store() -> str:
    """The side store's qualifier, creating (or attaching) it when needed."""
    vendor = connection.vendor
    with connection.cursor() as cursor:
        if vendor == "sqlite":
            if _State.sqlite_file is None:
                worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
                handle, name = tempfile.mkstemp(prefix=f"demo-snap-{worker}-", suffix=".sqlite3")
                os.close(handle)
                _State.sqlite_file = Path(name)
            cursor.execute("PRAGMA database_list")
            if SCHEMA not in {row[1] for row in cursor.fetchall()}:
                cursor.execute(f"ATTACH DATABASE %s AS {SCHEMA}", [str(_State.sqlite_file)])
            return SCHEMA
        if vendor == "postgresql":
            cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
            return SCHEMA
        name = _q(_mysql_store_name())
        cursor.execute(f"CREATE DATABASE IF NOT EXISTS {name}")
        return name


def _mysql_store_name() -> str:
    return f"{connection.settings_dict['NAME']}_demosnap"


def _columns(table: str) -> list[str]:
    """The columns an INSERT may name (generated columns left out), in table order."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"PRAGMA table_xinfo({_q(table)})")
            # hidden: 0 ordinary, 1 hidden (virtual tables), 2 and 3 generated
            return [row[1] for row in cursor.fetchall() if row[6] == 0]
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
                "AND table_schema = current_schema() AND is_generated = 'NEVER' "
                "ORDER BY ordinal_position",
                [table],
            )
        else:
            cursor.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
                "AND table_schema = DATABASE() AND extra NOT LIKE %s ORDER BY ordinal_position",
                [table, "%GENERATED%"],
            )
        return [row[0] for row in cursor.fetchall()]


def _counts(tables: list[str]) -> dict[str, int]:
    with connection.cursor() as cursor:
        out = {}
        for table in tables:
            cursor.execute(f"SELECT COUNT(*) FROM {_q(table)}")  # noqa: S608 (model tables)
            out[table] = cursor.fetchone()[0]
    return out


def _rows(table: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {_q(table)}")  # noqa: S608 (model tables)
        return sorted(cursor.fetchall(), key=repr)


def _pointing_at(targets: set[str]) -> set[str]:
    """Tables with a foreign key into one of `targets`."""
    out = set()
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.concrete_fields:
            related = field.related_model
            if related is not None and related._meta.db_table in targets:
                out.add(model._meta.db_table)
    return out


def _tables() -> list[str]:
    return sorted(connection.introspection.django_table_names(only_existing=True))


def build_or_restore(build: Callable[[], None]) -> None:
    """Put the demo organ into an emptied test database: copied back if a copy stands for a
    build, else built by `build` (and copied, the first time, for the next call)."""
    if _State.tables is not None and _restore():
        return
    if _State.refused or connection.in_atomic_block:
        build()
        return
    tables = _tables()
    before = _counts(tables)
    fixed = {t for t, n in before.items() if n}
    fixed_rows = {t: _rows(t) for t in fixed}
    build()
    changed = any(_rows(t) != rows for t, rows in fixed_rows.items())
    after = _counts(tables)
    filled = [t for t in tables if t not in fixed and after[t]]
    if changed or _pointing_at(fixed) & set(filled):
        _State.refused = True
        return
    store = _store()
    copied = []
    with connection.cursor() as cursor:
        for table in filled:
            cols = _columns(table)
            names = ", ".join(_q(c) for c in cols)
            cursor.execute(f"DROP TABLE IF EXISTS {store}.{_q(table)}")
            cursor.execute(
                f"CREATE TABLE {store}.{_q(table)} AS SELECT {names} FROM {_q(table)}"  # noqa: S608
            )
            copied.append((table, cols))
    _State.tables = copied


def _restore() -> bool:
    tables = _State.tables
    if tables is None or connection.in_atomic_block:
        return False
    if any(_counts([t for t, _ in tables]).values()):
        return False  # not emptied: leave it to the build, which knows what to do
    store = _store()
    vendor = connection.vendor
    with (
        connection.constraint_checks_disabled(),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        if vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        for table, cols in tables:
            names = ", ".join(_q(c) for c in cols)
            cursor.execute(
                f"INSERT INTO {_q(table)} ({names}) SELECT {names} FROM {store}.{_q(table)}"  # noqa: S608
            )
        for sql in connection.ops.sequence_reset_sql(no_style(), apps.get_models()):
            cursor.execute(sql)
    return True


def drop() -> None:
    """Remove the side store (the session's end)."""
    vendor = connection.vendor
    try:
        if vendor == "mysql" and _State.tables is not None:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP DATABASE IF EXISTS {_q(_mysql_store_name())}")
        if _State.sqlite_file is not None:
            _State.sqlite_file.unlink(missing_ok=True)
    finally:
        _State.tables = None
