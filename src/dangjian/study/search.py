"""Full-text search over the library, one query per database engine.

All three read the same stored terms (`MaterialText.title_terms` / `body_terms`, see
`study.text`): SQLite through an FTS5 table kept by triggers (ranked by bm25, the title ten
times the body), PostgreSQL through a generated, GIN-indexed tsvector (ts_rank, the title
weighted A and the body D), MariaDB through FULLTEXT indexes (its relevance, the title five
times). Every query takes the already scoped and filtered materials as a subquery, so access
and filters are decided by the ORM in one place and the engine only matches and ranks.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import QuerySet

from dangjian.study.text import SUFFIX


@dataclass(frozen=True)
class Ranked:
    ids: list[int]  # one page, best first
    total: int


def _sqlite(filter_sql: str, tokens: list[str]) -> tuple[str, list]:
    expression = " AND ".join(f'"{t}{SUFFIX}"' for t in tokens)
    # The matches are ranked once in a materialized CTE: a `rowid IN (…)` beside MATCH would
    # make SQLite run the full-text query again for every visible material. (bm25() may not
    # sit beside a window function either.)
    # filter_sql is the ORM's compiled query with placeholders: every value is a parameter.
    sql = (
        "WITH hits AS MATERIALIZED ("  # noqa: S608
        "SELECT rowid AS id, bm25(study_material_fts, 10.0, 1.0) AS score "
        "FROM study_material_fts WHERE study_material_fts MATCH %s) "
        "SELECT id, score, count(*) OVER () AS total FROM hits "  # noqa: S608
        f"WHERE id IN ({filter_sql}) "
        "ORDER BY score, id DESC LIMIT %s OFFSET %s"
    )
    return sql, [expression]


def _postgresql(filter_sql: str, tokens: list[str]) -> tuple[str, list]:
    # filter_sql is the ORM's compiled query with placeholders: every value is a parameter.
    sql = (
        "SELECT t.material_id, ts_rank(t.search, q) AS score, count(*) OVER () AS total "  # noqa: S608
        "FROM study_materialtext t, plainto_tsquery('simple', %s) q "
        f"WHERE t.search @@ q AND t.material_id IN ({filter_sql}) "
        "ORDER BY score DESC, t.material_id DESC LIMIT %s OFFSET %s"
    )
    return sql, [" ".join(t + SUFFIX for t in tokens)]


def _mysql(filter_sql: str, tokens: list[str]) -> tuple[str, list]:
    required = " ".join(f"+{t}{SUFFIX}" for t in tokens)
    # filter_sql is the ORM's compiled query with placeholders: every value is a parameter.
    sql = (
        "SELECT t.material_id, "  # noqa: S608
        "MATCH(t.title_terms) AGAINST (%s IN BOOLEAN MODE) * 5"
        " + MATCH(t.title_terms, t.body_terms) AGAINST (%s IN BOOLEAN MODE) AS score, "
        "count(*) OVER () AS total "
        "FROM study_materialtext t "
        "WHERE MATCH(t.title_terms, t.body_terms) AGAINST (%s IN BOOLEAN MODE) "
        f"AND t.material_id IN ({filter_sql}) "
        "ORDER BY score DESC, t.material_id DESC LIMIT %s OFFSET %s"
    )
    return sql, [required, required, required]


BACKENDS = {"sqlite": _sqlite, "postgresql": _postgresql, "mysql": _mysql}


def ranked(materials: QuerySet, tokens: list[str], offset: int, limit: int) -> Ranked:
    """A page of the ids of `materials` whose title or text has every token, best first."""
    if not tokens:
        return Ranked([], 0)
    build = BACKENDS.get(connection.vendor)
    if build is None:
        raise NotImplementedError(f"全文检索不支持数据库 {connection.vendor}")
    try:
        filter_sql, filter_params = materials.values("pk").query.sql_with_params()
    except EmptyResultSet:
        return Ranked([], 0)
    sql, match_params = build(filter_sql, tokens)
    params = match_params + list(filter_params)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, limit, offset])
        rows = cursor.fetchall()
        if rows:
            return Ranked([int(r[0]) for r in rows], int(rows[0][2]))
        if offset == 0:
            return Ranked([], 0)
        # Past the last page: count the matches on their own.
        cursor.execute(f"SELECT count(*) FROM ({sql}) counted", [*params, 10**9, 0])  # noqa: S608
        return Ranked([], int(cursor.fetchone()[0]))


def bare(tokens: list[str]) -> int:
    """The engine's own match count with no access filter and no ranking (for the benchmark)."""
    vendor = connection.vendor
    if vendor == "sqlite":
        sql = "SELECT count(*) FROM study_material_fts WHERE study_material_fts MATCH %s"
        params = [" AND ".join(f'"{t}{SUFFIX}"' for t in tokens)]
    elif vendor == "postgresql":
        sql = (
            "SELECT count(*) FROM study_materialtext WHERE search @@ plainto_tsquery('simple', %s)"
        )
        params = [" ".join(t + SUFFIX for t in tokens)]
    else:
        sql = (
            "SELECT count(*) FROM study_materialtext "
            "WHERE MATCH(title_terms, body_terms) AGAINST (%s IN BOOLEAN MODE)"
        )
        params = [" ".join(f"+{t}{SUFFIX}" for t in tokens)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.fetchone()[0])
