"""Bulk inserts of plain rows: one `executemany` per table, values adapted once per column.

`QuerySet.bulk_create` compiles every value of every object through the field machinery
(`pre_save`, `get_db_prep_save`, placeholders) and, on SQLite, splits the rows into statements
of at most 999 parameters (about 40 members each). For an import of tens of thousands of rows
that compilation is most of the write time (bench/README.md, "Roster import: where the time
goes"). `insert_rows` takes tuples in the order of the named fields, adapts only the column types
that need it (dates, datetimes, JSON) with the database backend's own adapters, and sends one
parameterised statement with all the rows. No signals, no model instances, no primary keys back:
callers that need the ids look them up by a unique column.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import connections, models, router


class EncodedJSON(str):
    """A JSON field's value already encoded as JSON text: `insert_rows` sends the text as it is
    instead of encoding the value again (the audit chain hashes the same text it stores)."""


def _json_adapter(field: models.Field, connection) -> Callable[[Any], Any]:
    if connection.vendor == "postgresql":
        from psycopg.types.json import Jsonb

        def encoded(value: EncodedJSON) -> Any:
            return Jsonb(value, dumps=str)
    else:
        encoded = str

    def adapt(value: Any) -> Any:
        if type(value) is EncodedJSON:
            return encoded(value)
        return field.get_db_prep_save(value, connection)

    return adapt


def _adapter(
    field: models.Field, connection
) -> tuple[Callable[[Any], Any], dict[Any, Any] | None] | None:
    """How a Python value of this field becomes a query parameter (None: as it is), and a memo
    when values repeat (dates and timestamps: a chunk's rows share their `created_at`, many
    share a date), so each distinct value of one statement is adapted once."""
    if isinstance(field, models.DateTimeField):
        return connection.ops.adapt_datetimefield_value, {}
    if isinstance(field, models.DateField):
        return connection.ops.adapt_datefield_value, {}
    if isinstance(field, models.JSONField):
        return _json_adapter(field, connection), None
    if isinstance(field, models.DecimalField):
        return (lambda value: field.get_db_prep_save(value, connection)), None
    return None


def insert_rows(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    copy: bool = False,
) -> int:
    """INSERT `rows` (tuples of values for `fields`, by field or attribute name) into `model`.

    Values are what the model attributes hold (a date, an aware datetime, a dict for JSON, an
    int for a foreign key's `<name>_id`); fields left out take their column's database default,
    so name every column without one. Runs inside the caller's transaction.

    `copy`: on PostgreSQL, stream the rows with `COPY … FROM STDIN` (one round trip, no
    statement parsed per row) instead; elsewhere it changes nothing. A COPY is not seen by
    Django's query log (`CaptureQueriesContext`).
    """
    rows = list(rows)
    if not rows:
        return 0
    connection = connections[router.db_for_write(model)]
    meta = model._meta
    by_name = {f.attname: f for f in meta.concrete_fields}
    by_name.update((f.name, f) for f in meta.concrete_fields)
    columns, adapters = [], []
    for name in fields:
        field = by_name[name]
        columns.append(connection.ops.quote_name(field.column))
        adapters.append(_adapter(field, connection))
    adapted = [(i, *adapter) for i, adapter in enumerate(adapters) if adapter is not None]
    if adapted:
        converted = []
        missing = object()
        for row in rows:
            values = list(row)
            for i, adapt, seen in adapted:
                value = values[i]
                if value is None:
                    continue
                if seen is None:
                    values[i] = adapt(value)
                    continue
                result = seen.get(value, missing)
                if result is missing:
                    seen[value] = result = adapt(value)
                values[i] = result
            converted.append(values)
        rows = converted
    table = connection.ops.quote_name(meta.db_table)
    placeholders = ", ".join(["%s"] * len(columns))
    # Names come from the model's metadata, quoted by the backend; every value is a parameter.
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"  # noqa: S608
    with connection.cursor() as cursor:
        if copy and connection.vendor == "postgresql":
            statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
            with cursor.cursor.copy(statement) as stream:
                for row in rows:
                    stream.write_row(row)
        else:
            cursor.executemany(sql, rows)
    return len(rows)
