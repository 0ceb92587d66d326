"""SQLite: check the foreign keys of the tables a test wrote, instead of the whole database.

Django creates SQLite foreign keys DEFERRABLE INITIALLY DEFERRED, and since a `TestCase` never
commits, it runs `check_constraints()` after every test: `PRAGMA foreign_key_check` over every
table. With the demo's 18,000 attendance rows that is 12-16 ms a test, a fifth of the suite's
time. A new dangling reference can only be in a table the test inserted into or updated, or in a
table that refers to one it updated or deleted from; those are the tables checked here, with the
same PRAGMA and the same error. PostgreSQL (deferred constraints set immediate after each test)
and MariaDB (checked on each statement) need none of this.
"""

from __future__ import annotations

import re

# Django's statements name their table in double quotes; raw SQL in tests may not.
WRITE = re.compile(
    r'^\s*(INSERT|REPLACE|UPDATE|DELETE)(?:\s+OR\s+\w+)?\s+(?:INTO\s+|FROM\s+)?"?(\w+)"?',
    re.IGNORECASE,
)


class WrittenTables:
    def __init__(self, connection) -> None:
        self.connection = connection
        self.tables: set[str] = set()
        self.check_all = connection.check_constraints
        with connection.cursor() as cursor:
            names = connection.introspection.table_names(cursor)
            # The tests create no tables; a name the pattern took from other SQL is left out.
            self.existing = set(names)
            # referred table -> the tables whose foreign keys point at it
            self.referrers: dict[str, set[str]] = {}
            for name in names:
                quoted = connection.ops.quote_name(name)
                for row in cursor.execute(f"PRAGMA foreign_key_list({quoted})").fetchall():
                    self.referrers.setdefault(row[2], set()).add(name)

    def __call__(self, execute, sql, params, many, context):
        match = WRITE.match(sql)
        if match:
            verb, table = match.group(1).upper(), match.group(2)
            self.tables.add(table)
            if verb != "INSERT":
                self.tables |= self.referrers.get(table, set())
        return execute(sql, params, many, context)

    def check_constraints(self, table_names=None):
        """The connection's check, limited to the written tables when asked for all of them."""
        if table_names is None:
            table_names = sorted(self.tables & self.existing)
            self.tables.clear()
        return self.check_all(table_names)


def install(connection) -> None:
    """Track the tables written through `connection` from now on (SQLite only)."""
    if connection.vendor != "sqlite" or isinstance(
        getattr(connection.check_constraints, "__self__", None), WrittenTables
    ):
        return
    tracker = WrittenTables(connection)
    connection.execute_wrappers.append(tracker)
    connection.check_constraints = tracker.check_constraints
