"""The one opening in the append-only triggers: emptying a whole test database.

Migration `audit/0003_append_only_delete` refuses DELETE on every engine. Django's test runner
empties the database between transactional tests with `DELETE FROM` on SQLite and MariaDB, so the
triggers let a delete through while `purge_allowed()` is active on that connection:

- SQLite: the trigger asks the SQL function `dangjian_audit_purge()`, which this module registers
  on every connection the platform opens and which answers 1 only inside `purge_allowed()`. No SQL
  statement can change that answer, and another client (the `sqlite3` shell) has no such function,
  so its DELETE fails too.
- MariaDB: the trigger reads the session variable `@dangjian_audit_purge` (residual risk: a client
  with a database login can set it; docs/audit.md).
- PostgreSQL empties tables with TRUNCATE, which a row trigger does not see; nothing to open.

The platform itself never calls `purge_allowed()`: only the test suite's flush does (conftest).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

_state = threading.local()
_open_anywhere = 0  # the live-server thread flushes through the test thread's connection


def _sqlite_gate() -> int:
    return 1 if getattr(_state, "open", 0) or _open_anywhere else 0


def install_sqlite_gate(sender, connection, **kwargs) -> None:
    """`connection_created` receiver: give each SQLite connection the trigger's gate function."""
    if connection.vendor == "sqlite":
        connection.connection.create_function("dangjian_audit_purge", 0, _sqlite_gate)


@contextmanager
def purge_allowed(connection) -> Iterator[None]:
    global _open_anywhere
    _state.open = getattr(_state, "open", 0) + 1
    _open_anywhere += 1
    if connection.vendor == "mysql":
        with connection.cursor() as cursor:
            cursor.execute("SET @dangjian_audit_purge = 1")
    try:
        yield
    finally:
        _state.open -= 1
        _open_anywhere -= 1
        if connection.vendor == "mysql":
            with connection.cursor() as cursor:
                cursor.execute("SET @dangjian_audit_purge = NULL")
