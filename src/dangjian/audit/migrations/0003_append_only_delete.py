"""Refuse DELETE on audit events on SQLite and MariaDB too (PostgreSQL refuses it since 0002).

The only opening is `dangjian.audit.purge.purge_allowed()`, which the test suite's flush uses:
SQLite asks the SQL function `dangjian_audit_purge()` the platform registers on its own
connections (any other client has none, so its DELETE fails), MariaDB the session variable
`@dangjian_audit_purge`.
"""

from django.db import migrations

# Kept inline rather than imported from app code, so the migration never changes with the app.
SQL = {
    "sqlite": (
        [
            "CREATE TRIGGER IF NOT EXISTS audit_event_no_delete BEFORE DELETE ON audit_auditevent "
            "WHEN dangjian_audit_purge() = 0 "
            "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;"
        ],
        ["DROP TRIGGER IF EXISTS audit_event_no_delete;"],
    ),
    "postgresql": ([], []),
    "mysql": (
        [
            "DROP TRIGGER IF EXISTS audit_event_no_delete;",
            "CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_auditevent FOR EACH ROW "
            "BEGIN IF COALESCE(@dangjian_audit_purge, 0) <> 1 THEN "
            "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'audit events are append-only'; "
            "END IF; END",
        ],
        ["DROP TRIGGER IF EXISTS audit_event_no_delete;"],
    ),
}


def _run(schema_editor, index):
    for statement in SQL.get(schema_editor.connection.vendor, ([], []))[index]:
        schema_editor.execute(statement, params=None)


def install(apps, schema_editor):
    _run(schema_editor, 0)


def uninstall(apps, schema_editor):
    _run(schema_editor, 1)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_trigger")]
    # Not atomic: MySQL/MariaDB cannot run trigger DDL inside a transaction.
    atomic = False
    operations = [migrations.RunPython(install, uninstall, atomic=False)]
