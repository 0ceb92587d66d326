"""Audit events partitioned by calendar year, on PostgreSQL only (issue 19, docs/scale.md).

Not a migration: the conversion rewrites the whole table (minutes per ten million events) and
exists only on PostgreSQL, so it is SQL an operator runs in a maintenance window, after a
backup, printed by `dangjian audit partition-sql FIRST LAST` (and `... --add YEAR` for a coming
year's partition). The model does not change: Django still sees `id` as the primary key.

What changes in the database, and why the application does not notice:

- A partitioned table's primary key and unique constraints must contain the partition key
  (`at`): the primary key becomes `(id, at)` and the chain's `UNIQUE (seq)` becomes
  `UNIQUE (seq, at)`. `id` still comes from one identity sequence and `seq` is still claimed
  under the `audit_audithead` row lock, so both stay unique; the database just no longer checks
  it across years (`audit verify` does: a repeated or missing `seq` breaks the chain).
- Nothing has a foreign key to audit events (they point outwards, without constraints), so no
  referencing table has to change.
- The append-only trigger is installed on the partitioned table, which gives it to every
  partition, present and future.
- Reads by time (`at`) touch only their years; `ORDER BY seq` reads every partition's
  `(seq, at)` index in a merge (the latest events, `audit verify`).
"""

from __future__ import annotations

TABLE = "audit_auditevent"
OLD = "audit_auditevent_unpartitioned"


def year_partition(year: int) -> str:
    return (
        f"CREATE TABLE {TABLE}_{year} PARTITION OF {TABLE} "
        f"FOR VALUES FROM ('{year}-01-01 00:00:00+08') TO ('{year + 1}-01-01 00:00:00+08');"
    )


def conversion(first_year: int, last_year: int) -> list[str]:
    """The statements that turn the audit table into yearly partitions (run them in one
    transaction: `script`).

    Years are calendar years in China Standard Time; events outside them land in a default
    partition (moved out by creating the year's partition once it is empty, see
    docs/scale.md).
    """
    if not 1900 < first_year <= last_year < 2200:
        raise ValueError("years must be given as FIRST <= LAST")
    statements = [
        # no append while the rows move
        f"LOCK TABLE {TABLE}, audit_audithead IN ACCESS EXCLUSIVE MODE;",
        f"ALTER TABLE {TABLE} RENAME TO {OLD};",
        f"CREATE TABLE {TABLE} (LIKE {OLD} INCLUDING DEFAULTS INCLUDING IDENTITY "
        f"INCLUDING STORAGE) PARTITION BY RANGE (at);",
    ]
    statements += [year_partition(year) for year in range(first_year, last_year + 1)]
    statements += [
        f"CREATE TABLE {TABLE}_default PARTITION OF {TABLE} DEFAULT;",
        f"INSERT INTO {TABLE} SELECT * FROM {OLD} ORDER BY seq;",  # noqa: S608 (constants)
        f"SELECT setval(pg_get_serial_sequence('{TABLE}', 'id'), "  # noqa: S608 (constants)
        f"(SELECT coalesce(max(id), 0) + 1 FROM {TABLE}), false);",
        f"ALTER TABLE {TABLE} ADD CONSTRAINT {TABLE}_pkey_at PRIMARY KEY (id, at);",
        f"ALTER TABLE {TABLE} ADD CONSTRAINT {TABLE}_seq_at_key UNIQUE (seq, at);",
        # the indexes the model declares, on the partitioned table (each partition gets its own)
        f"CREATE INDEX {TABLE}_at_part ON {TABLE} (at);",
        f"CREATE INDEX {TABLE}_actor_username_part ON {TABLE} (actor_username);",
        f"CREATE INDEX {TABLE}_actor_id_part ON {TABLE} (actor_id);",
        f"CREATE INDEX {TABLE}_action_part ON {TABLE} (action);",
        f"CREATE INDEX {TABLE}_object_type_part ON {TABLE} (object_type);",
        f"CREATE INDEX {TABLE}_object_part ON {TABLE} (object_type, object_id);",
        # and the prefix-search (`LIKE 'x%'`) indexes Django adds for indexed text columns
        *(
            f"CREATE INDEX {TABLE}_{column}_like_part ON {TABLE} ({column} varchar_pattern_ops);"
            for column in ("actor_username", "action", "object_type")
        ),
        f"DROP TABLE {OLD};",
        f"CREATE TRIGGER audit_event_no_update BEFORE UPDATE OR DELETE ON {TABLE} "
        f"FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();",
        f"ANALYZE {TABLE};",
    ]
    return statements


def script(first_year: int, last_year: int) -> str:
    """What `dangjian audit partition-sql` prints: the conversion as one transaction."""
    return "\n".join(["BEGIN;", *conversion(first_year, last_year), "COMMIT;"]) + "\n"
