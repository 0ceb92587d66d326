"""Install database triggers that refuse UPDATE on audit events (and DELETE on PostgreSQL)."""

from django.db import migrations

# Kept inline rather than imported from app code, so the migration never changes with the app.
SQL = {
    "sqlite": (
        [
            "CREATE TRIGGER IF NOT EXISTS audit_event_no_update BEFORE UPDATE ON audit_auditevent "
            "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;"
        ],
        ["DROP TRIGGER IF EXISTS audit_event_no_update;"],
    ),
    "postgresql": (
        [
            "CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION 'audit events are append-only'; END; $$ LANGUAGE plpgsql;",
            "DROP TRIGGER IF EXISTS audit_event_no_update ON audit_auditevent;",
            "CREATE TRIGGER audit_event_no_update BEFORE UPDATE OR DELETE ON audit_auditevent "
            "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();",
        ],
        [
            "DROP TRIGGER IF EXISTS audit_event_no_update ON audit_auditevent;",
            "DROP FUNCTION IF EXISTS audit_event_append_only();",
        ],
    ),
    "mysql": (
        [
            "DROP TRIGGER IF EXISTS audit_event_no_update;",
            "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_auditevent FOR EACH ROW "
            "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'audit events are append-only';",
        ],
        ["DROP TRIGGER IF EXISTS audit_event_no_update;"],
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
    dependencies = [("audit", "0001_initial")]
    # Not atomic: MySQL/MariaDB cannot run trigger DDL inside a transaction.
    atomic = False
    operations = [migrations.RunPython(install, uninstall, atomic=False)]
