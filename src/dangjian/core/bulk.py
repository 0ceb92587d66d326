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


def _memo(adapt: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """`adapt` once per distinct value of one statement (dates and timestamps repeat: a chunk's
    rows share their `created_at`, many share a date)."""
    seen: dict[Any, Any] = {}

    def adapted(value: Any) -> Any:
        try:
            return seen[value]
        except KeyError:
            seen[value] = result = adapt(value)
            return result

    return adapted


def _adapter(field: models.Field, connection) -> Callable[[Any], Any] | None:
    """How a Python value of this field becomes a query parameter (None: as it is)."""
    if isinstance(field, models.DateTimeField):
        return _memo(connection.ops.adapt_datetimefield_value)
    if isinstance(field, models.DateField):
        return _memo(connection.ops.adapt_datefield_value)
    if isinstance(field, (models.JSONField, models.DecimalField)):
        return lambda value: field.get_db_prep_save(value, connection)
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
    adapted = [(i, adapt) for i, adapt in enumerate(adapters) if adapt is not None]
    if adapted:
        converted = []
        for row in rows:
            values = list(row)
            for i, adapt in adapted:
                if values[i] is not None:
                    values[i] = adapt(values[i])
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
