"""The library's full-text index, one kind per database engine (see study/search.py).

SQLite: an FTS5 table over the stored terms, kept by triggers (external content: the terms are
stored once). PostgreSQL: a generated tsvector column (title weighted A, text D) with a GIN
index. MariaDB/MySQL: FULLTEXT indexes over the terms and over the title terms.
"""

from django.db import migrations

SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE study_material_fts USING fts5("
    "title_terms, body_terms, content='study_materialtext', content_rowid='material_id')",
    "CREATE TRIGGER study_materialtext_fts_insert AFTER INSERT ON study_materialtext BEGIN "
    "INSERT INTO study_material_fts(rowid, title_terms, body_terms) "
    "VALUES (new.material_id, new.title_terms, new.body_terms); END",
    "CREATE TRIGGER study_materialtext_fts_delete AFTER DELETE ON study_materialtext BEGIN "
    "INSERT INTO study_material_fts(study_material_fts, rowid, title_terms, body_terms) "
    "VALUES ('delete', old.material_id, old.title_terms, old.body_terms); END",
    "CREATE TRIGGER study_materialtext_fts_update AFTER UPDATE OF title_terms, body_terms "
    "ON study_materialtext BEGIN "
    "INSERT INTO study_material_fts(study_material_fts, rowid, title_terms, body_terms) "
    "VALUES ('delete', old.material_id, old.title_terms, old.body_terms); "
    "INSERT INTO study_material_fts(rowid, title_terms, body_terms) "
    "VALUES (new.material_id, new.title_terms, new.body_terms); END",
    "INSERT INTO study_material_fts(study_material_fts) VALUES ('rebuild')",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS study_materialtext_fts_update",
    "DROP TRIGGER IF EXISTS study_materialtext_fts_delete",
    "DROP TRIGGER IF EXISTS study_materialtext_fts_insert",
    "DROP TABLE IF EXISTS study_material_fts",
]
POSTGRESQL_FORWARD = [
    "ALTER TABLE study_materialtext ADD COLUMN search tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('simple'::regconfig, title_terms), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, body_terms), 'D')) STORED",
    "CREATE INDEX study_materialtext_search ON study_materialtext USING gin (search)",
]
POSTGRESQL_BACKWARD = [
    "DROP INDEX IF EXISTS study_materialtext_search",
    "ALTER TABLE study_materialtext DROP COLUMN IF EXISTS search",
]
MYSQL_FORWARD = [
    "ALTER TABLE study_materialtext ADD FULLTEXT INDEX study_materialtext_ft "
    "(title_terms, body_terms)",
    "ALTER TABLE study_materialtext ADD FULLTEXT INDEX study_materialtext_ft_title (title_terms)",
]
MYSQL_BACKWARD = [
    "ALTER TABLE study_materialtext DROP INDEX study_materialtext_ft_title",
    "ALTER TABLE study_materialtext DROP INDEX study_materialtext_ft",
]

STATEMENTS = {
    "sqlite": (SQLITE_FORWARD, SQLITE_BACKWARD),
    "postgresql": (POSTGRESQL_FORWARD, POSTGRESQL_BACKWARD),
    "mysql": (MYSQL_FORWARD, MYSQL_BACKWARD),
}


def _run(schema_editor, index: int) -> None:
    vendor = schema_editor.connection.vendor
    if vendor not in STATEMENTS:
        raise RuntimeError(f"the study library needs SQLite, PostgreSQL or MySQL/MariaDB, not {vendor}")
    for statement in STATEMENTS[vendor][index]:
        schema_editor.execute(statement)


def forward(apps, schema_editor):
    _run(schema_editor, 0)


def backward(apps, schema_editor):
    _run(schema_editor, 1)


class Migration(migrations.Migration):
    # MySQL/MariaDB cannot run DDL inside a transaction (Django refuses it); each statement here
    # is one step that either happened or did not.
    atomic = False

    dependencies = [("study", "0001_materials_library")]

    operations = [migrations.RunPython(forward, backward)]
