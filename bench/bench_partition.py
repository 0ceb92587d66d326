"""Attendance and audit events past the province: plain tables against yearly partitions.

PostgreSQL only. In a database of its own (name starting `dj_scale19`, dropped at the end
unless --keep), the benchmark

1. creates the schema with the project's migrations (`dangjian migrate`);
2. fills a synthetic tree (机关工委 → --tops departments → branches), members, meetings over
   --years calendar years and --rows attendance rows (about --per-meeting a meeting), plus
   audit events (--audit-per-meeting a meeting), with set-based SQL (`INSERT … SELECT
   generate_series`), secondary indexes built after the load, then `VACUUM ANALYZE`;
3. copies attendance (with the meeting's `held_on` carried over) and audit events into tables
   partitioned by calendar year (`PARTITION BY RANGE`), and attendance once more into a plain
   table with the same `held_on` column, so that the effect of the column and the effect of
   the partitions can be told apart;
4. times compliance-style queries on each layout (best and median of --runs, warm), prints the
   partitions the plans touch (`EXPLAIN`), and the table and index sizes;
5. with --compliance, times the app's own `findings.compute` for the whole tree and one year
   on the plain table, and again with the partitioned table renamed into its place.

    psql -h 127.0.0.1 -U postgres -c "SELECT 1"     # a server the benchmark may create dbs on
    python bench/bench_partition.py --rows 1000000 --db dj_scale19_1m
    python bench/bench_partition.py --rows 60000000 --db dj_scale19_60m --keep

Nothing here is part of the product: the partitioned tables are copies, not migrations (see
docs/scale.md, "Past one machine", for why and for what an operator would run).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SERVER = "postgres://postgres@127.0.0.1:5432"
KINDS = ["committee_meeting", "group_meeting", "theme_day", "general_meeting", "party_lecture"]
ATTENDED = "('present', 'checked_in')"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


class Timer:
    def __init__(self, figures: dict, key: str) -> None:
        self.figures, self.key = figures, key

    def __enter__(self) -> Timer:
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.figures[self.key] = round(time.perf_counter() - self.start, 2)
        log(f"{self.key}: {self.figures[self.key]} s")


# -- 1. database and schema -------------------------------------------------------------


def create_database(name: str) -> None:
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')


def drop_database(name: str) -> None:
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')


def django_env(name: str, data_dir: str) -> dict:
    env = {**os.environ, "DANGJIAN_DATABASE_URL": f"{SERVER}/{name}"}
    env["DANGJIAN_DATA_DIR"] = data_dir
    env.setdefault("DANGJIAN_SECRET_KEY", "bench-only-not-a-secret")
    env["PYTHONPATH"] = str(ROOT / "src")
    return env


def migrate(name: str, data_dir: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "dangjian.cli", "migrate", "-v", "0"],
        env=django_env(name, data_dir),
        check=True,
    )


# -- 2. synthetic data ------------------------------------------------------------------


def _filler(conn, table: str, given: dict[str, str]) -> tuple[str, str]:
    """Column list and SELECT expressions for the `given` columns and every NOT NULL column
    without a default (a value by type; unique text columns get the row number `g`)."""
    rows = conn.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name = %s AND (column_name = ANY(%s) "
        "OR (is_nullable = 'NO' AND column_default IS NULL)) ORDER BY ordinal_position",
        [table, list(given)],
    ).fetchall()
    unique = {
        row[0]
        for row in conn.execute(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
            "AND a.attnum = i.indkey[0] WHERE i.indrelid = %s::regclass AND i.indisunique "
            "AND i.indnatts = 1",
            [table],
        )
    }
    by_type = {
        "bigint": "0",
        "integer": "0",
        "boolean": "false",
        "date": "DATE '2000-01-01'",
        "timestamp with time zone": "now()",
        "jsonb": "'{}'::jsonb",
    }
    columns, values = [], []
    for column, data_type in rows:
        columns.append(column)
        if column in given:
            values.append(given[column])
        elif column in unique:
            values.append(f"'{column[:8]}-' || g")
        else:
            values.append(by_type.get(data_type, "''"))
    return ", ".join(columns), ", ".join(values)


def _insert_series(conn, table: str, count: int, given: dict[str, str]) -> None:
    columns, values = _filler(conn, table, given)
    conn.execute(
        f"INSERT INTO {table} ({columns}) SELECT {values} FROM generate_series(1, {count}) g"
    )


def _drop_secondary(conn, table: str) -> list[str]:
    """Drop `table`'s indexes and constraints except its primary key, to build them after the
    load (as a restore does); returns the statements that put them back."""
    back = []
    for name, definition in conn.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype IN ('f', 'u')",
        [table],
    ).fetchall():
        conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        back.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    for name, definition in conn.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s "
        "AND indexname NOT LIKE %s",
        [table, "%pkey"],
    ).fetchall():
        conn.execute(f'DROP INDEX "{name}"')
        back.append(definition)
    return back


def generate(conn, args, figures: dict) -> dict:
    years = list(range(args.first_year, args.first_year + args.years))
    meetings = args.rows // args.per_meeting
    members = max(args.rows // (args.per_member_year * args.years), args.tops * 20)
    branches = max(members // args.branch_size, args.tops)
    members = branches * args.branch_size
    per_branch = meetings // branches
    meetings = per_branch * branches
    days = (dt.date(years[-1] + 1, 1, 1) - dt.date(years[0], 1, 1)).days
    shape = {
        "organizations": 1 + args.tops + branches,
        "branches": branches,
        "members": members,
        "meetings": meetings,
        "attendance": meetings * args.per_meeting,
        "audit_events": meetings * args.audit_per_meeting,
        "years": years,
    }
    log(f"shape: {json.dumps(shape)}")
    tops, start = args.tops, years[0]
    with Timer(figures, "generate_orgs_members_s"):
        conn.execute(
            "INSERT INTO orgs_organization (id, path, depth, numchild, name, kind, code, "
            "created_at, updated_at) VALUES (1, '0001', 1, %s, '机关工委', "
            "'working_committee', 'GW', now(), now())",
            [tops],
        )
        per_top = -(-branches // tops)
        _insert_series(
            conn,
            "orgs_organization",
            tops,
            {
                "id": "1 + g",
                "path": "'0001' || lpad(g::text, 4, '0')",
                "depth": "2",
                "numchild": f"{per_top}",
                "name": "'部门' || g",
                "kind": "'organ_committee'",
                "code": "'D' || g",
            },
        )
        # branch b (0-based) sits under department b % tops, as the b // tops-th child
        _insert_series(
            conn,
            "orgs_organization",
            branches,
            {
                "id": f"{1 + tops} + g",
                "path": f"'0001' || lpad(((g - 1) % {tops} + 1)::text, 4, '0') "
                f"|| lpad(((g - 1) / {tops} + 1)::text, 4, '0')",
                "depth": "3",
                "numchild": "0",
                "name": "'支部' || g",
                "kind": "'branch'",
                "code": "'B' || g",
            },
        )
        # member g belongs to branch (g - 1) / branch_size
        _insert_series(
            conn,
            "members_member",
            members,
            {
                "id": "g",
                "name": "'党员' || g",
                "organization_id": f"{1 + tops} + 1 + (g - 1) / {args.branch_size}",
                "status": "'full'",
                "category": "'cadre'",
                "birth_date": "DATE '1980-01-01' + (g % 9000)",
                "admitted_on": "DATE '2005-01-01' + (g % 4000)",
                "org_since": "DATE '2010-01-01'",
            },
        )
    back = {t: _drop_secondary(conn, t) for t in ("meetings_attendance", "audit_auditevent")}
    back["meetings_meeting"] = _drop_secondary(conn, "meetings_meeting")
    # meeting g: branch (g - 1) % branches, its k-th meeting with k = (g - 1) / branches,
    # spread evenly over the years: ids follow the calendar, as records do.
    held = f"DATE '{start}-01-01' + (((g - 1) / {branches}) * {days} / {per_branch})::int"
    with Timer(figures, "generate_meetings_s"):
        _insert_series(
            conn,
            "meetings_meeting",
            meetings,
            {
                "id": "g",
                "organization_id": f"{1 + tops} + 1 + (g - 1) % {branches}",
                "kind": f"(ARRAY{KINDS})[1 + ((g - 1) / {branches}) % {len(KINDS)}]",
                "topic": "'会议' || g",
                "starts_at": f"({held})::timestamp AT TIME ZONE 'Asia/Shanghai' + interval '9 hours'",
                "held_on": held,
                "status": "'held'",
                "expected_count": str(args.branch_size),
                "present_count": str(args.per_meeting),
            },
        )
    with Timer(figures, "generate_attendance_s"):
        # the attendees of meeting m: per_meeting consecutive members of its branch, rotating
        conn.execute(
            f"INSERT INTO meetings_attendance (id, meeting_id, member_id, status, reason) "
            f"SELECT (m.id - 1) * {args.per_meeting} + j + 1, m.id, "
            f"(m.organization_id - {2 + tops}) * {args.branch_size} + 1 "
            f"+ (((m.id - 1) / {branches}) * {args.per_meeting} + j) % {args.branch_size}, "
            f"CASE WHEN (m.id * 7 + j) % 20 = 0 THEN 'on_leave' "
            f"WHEN (m.id * 7 + j) % 20 = 1 THEN 'absent' "
            f"WHEN j % 2 = 0 THEN 'checked_in' ELSE 'present' END, '' "
            f"FROM meetings_meeting m CROSS JOIN generate_series(0, {args.per_meeting - 1}) j "
            f"ORDER BY m.id, j"
        )
    with Timer(figures, "generate_audit_s"):
        per = args.audit_per_meeting
        _insert_series(
            conn,
            "audit_auditevent",
            meetings * per,
            {
                "id": "g",
                "seq": "g",
                "at": f"(DATE '{start}-01-01' + ((g - 1) / {per} / {branches} * {days} "
                f"/ {per_branch})::int)::timestamp AT TIME ZONE 'Asia/Shanghai' "
                f"+ ((g % 28800) * interval '1 second') + interval '9 hours'",
                "actor_username": "'secretary' || (g % 5000)",
                "action": "(ARRAY['create', 'update'])[1 + g % 2]",
                "object_type": "'meetings.meeting'",
                "object_id": f"((g - 1) / {per} + 1)::text",
                "object_repr": "'会议' || ((g - 1) / " + str(per) + " + 1)",
                "changes": "jsonb_build_object('status', jsonb_build_array('planned', 'held'), "
                "'present_count', jsonb_build_array(0, 12))",
                "prev_hash": "md5((g - 1)::text) || md5((g - 1)::text)",
                "hash": "md5(g::text) || md5(g::text)",
            },
        )
    # the app may append to the chain (and insert rows) afterwards: continue from here
    conn.execute(
        "INSERT INTO audit_audithead (id, seq, last_hash) SELECT 1, seq, hash "
        "FROM audit_auditevent ORDER BY seq DESC LIMIT 1"
    )
    for table in ("orgs_organization", "members_member", "meetings_meeting"):
        conn.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"
        )
    for table in ("meetings_attendance", "audit_auditevent"):
        conn.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"
        )
    with Timer(figures, "build_indexes_s"):
        for statements in back.values():
            for statement in statements:
                conn.execute(statement)
    with Timer(figures, "vacuum_analyze_s"):
        for table in ("orgs_organization", "members_member", "meetings_meeting"):
            conn.execute(f"VACUUM ANALYZE {table}")
        conn.execute("VACUUM ANALYZE meetings_attendance")
        conn.execute("VACUUM ANALYZE audit_auditevent")
    return shape


# -- 3. partitioned copies --------------------------------------------------------------

ATTENDANCE_PARTITIONED = """
CREATE TABLE attendance_by_year (
    id bigint NOT NULL,
    meeting_id bigint NOT NULL,
    member_id bigint NOT NULL,
    status varchar(12) NOT NULL,
    reason varchar(200) NOT NULL,
    held_on date NOT NULL           -- the meeting's day, copied: the partition key
) PARTITION BY RANGE (held_on)
"""

AUDIT_PARTITIONED = """
CREATE TABLE audit_by_year (LIKE audit_auditevent INCLUDING DEFAULTS) PARTITION BY RANGE (at)
"""


def _partitions(conn, table: str, years: list[int]) -> None:
    for year in years:
        conn.execute(
            f"CREATE TABLE {table}_{year} PARTITION OF {table} "
            f"FOR VALUES FROM ('{year}-01-01') TO ('{year + 1}-01-01')"
        )
    conn.execute(f"CREATE TABLE {table}_default PARTITION OF {table} DEFAULT")


def partition(conn, shape: dict, figures: dict) -> None:
    years = shape["years"]
    with Timer(figures, "partition_attendance_load_s"):
        conn.execute(ATTENDANCE_PARTITIONED)
        _partitions(conn, "attendance_by_year", years)
        conn.execute(
            "INSERT INTO attendance_by_year SELECT a.id, a.meeting_id, a.member_id, a.status, "
            "a.reason, m.held_on FROM meetings_attendance a JOIN meetings_meeting m "
            "ON m.id = a.meeting_id ORDER BY a.id"
        )
    with Timer(figures, "partition_attendance_indexes_s"):
        # keys after the load; a partitioned table's unique keys must hold the partition key
        conn.execute("ALTER TABLE attendance_by_year ADD PRIMARY KEY (id, held_on)")
        conn.execute(
            "ALTER TABLE attendance_by_year ADD FOREIGN KEY (meeting_id) "
            "REFERENCES meetings_meeting (id) DEFERRABLE INITIALLY DEFERRED"
        )
        conn.execute(
            "ALTER TABLE attendance_by_year ADD FOREIGN KEY (member_id) "
            "REFERENCES members_member (id) DEFERRABLE INITIALLY DEFERRED"
        )
        conn.execute(
            "ALTER TABLE attendance_by_year ADD CONSTRAINT attendance_by_year_one_per_member "
            "UNIQUE (meeting_id, member_id, held_on)"
        )
        conn.execute("CREATE INDEX ON attendance_by_year (member_id, status)")
        conn.execute("CREATE INDEX ON attendance_by_year (member_id)")
        conn.execute("CREATE INDEX ON attendance_by_year (meeting_id)")
    with Timer(figures, "plain_held_on_copy_s"):
        conn.execute(
            "CREATE TABLE attendance_flat (LIKE attendance_by_year INCLUDING DEFAULTS); "
            "INSERT INTO attendance_flat SELECT * FROM attendance_by_year ORDER BY id; "
            "ALTER TABLE attendance_flat ADD PRIMARY KEY (id); "
            "CREATE UNIQUE INDEX ON attendance_flat (meeting_id, member_id); "
            "CREATE INDEX ON attendance_flat (member_id, status); "
            "CREATE INDEX ON attendance_flat (member_id); "
            "CREATE INDEX ON attendance_flat (meeting_id); "
            "CREATE INDEX ON attendance_flat (held_on)"
        )
    with Timer(figures, "partition_audit_s"):
        conn.execute(AUDIT_PARTITIONED)
        _partitions(conn, "audit_by_year", years)
        conn.execute("INSERT INTO audit_by_year SELECT * FROM audit_auditevent ORDER BY seq")
        conn.execute("ALTER TABLE audit_by_year ADD PRIMARY KEY (id, at)")
        conn.execute("ALTER TABLE audit_by_year ADD UNIQUE (seq, at)")
        conn.execute("CREATE INDEX ON audit_by_year (at)")
        conn.execute("CREATE INDEX ON audit_by_year (object_type, object_id)")
        conn.execute("CREATE INDEX ON audit_by_year (actor_username)")
    with Timer(figures, "partition_vacuum_analyze_s"):
        for table in ("attendance_by_year", "attendance_flat", "audit_by_year"):
            conn.execute(f"VACUUM ANALYZE {table}")


# -- 4. queries -------------------------------------------------------------------------


def queries(conn, shape: dict, tops: int) -> dict[str, dict[str, str]]:
    """The same question on each layout. {year}, {lo}, {hi} are filled in per run."""
    year_org_month = (
        "SELECT m.organization_id, extract(month FROM m.held_on) AS month, count(*), "
        f"count(*) FILTER (WHERE a.status IN {ATTENDED}) FROM {{table}} a "
        "JOIN meetings_meeting m ON m.id = a.meeting_id "
        "WHERE m.held_on >= '{lo}' AND m.held_on < '{hi}'{extra} GROUP BY 1, 2"
    )
    department = "0001" + f"{(tops + 1) // 2:04d}"
    branch_id = 2 + tops + shape["branches"] // 2
    member_id = shape["members"] // 2 + 1
    subtree = (
        " AND m.organization_id IN (SELECT id FROM orgs_organization "
        f"WHERE path LIKE '{department}%%')"
    )
    history = (
        "SELECT m.held_on, m.kind, a.status FROM {table} a "
        "JOIN meetings_meeting m ON m.id = a.meeting_id "
        f"WHERE a.member_id = {member_id}{{extra}} ORDER BY m.held_on DESC"
    )
    on_attendance = " AND a.held_on >= '{lo}' AND a.held_on < '{hi}'"
    out = {}
    for name, template, scope in (
        ("whole tree, a year, per org and month", year_org_month, ""),
        ("one department's subtree, a year", year_org_month, subtree),
        ("one branch, a year", year_org_month, f" AND m.organization_id = {branch_id}"),
    ):
        out[name] = {
            "plain": template.format(table="meetings_attendance", extra=scope, lo="{lo}", hi="{hi}"),
            "plain + held_on": template.format(
                table="attendance_flat", extra=scope + on_attendance, lo="{lo}", hi="{hi}"
            ),
            "partitioned": template.format(
                table="attendance_by_year", extra=scope + on_attendance, lo="{lo}", hi="{hi}"
            ),
        }
    out["one member's history, all years"] = {
        "plain": history.format(table="meetings_attendance", extra=""),
        "plain + held_on": history.format(table="attendance_flat", extra=""),
        "partitioned": history.format(table="attendance_by_year", extra=""),
    }
    out["one member, a year"] = {
        "plain": history.format(
            table="meetings_attendance", extra=" AND m.held_on >= '{lo}' AND m.held_on < '{hi}'"
        ),
        "plain + held_on": history.format(table="attendance_flat", extra=on_attendance),
        "partitioned": history.format(table="attendance_by_year", extra=on_attendance),
    }
    audit_year = (
        "SELECT date_trunc('month', at), action, count(*) FROM {table} "
        "WHERE at >= '{lo}' AND at < '{hi}' GROUP BY 1, 2"
    )
    audit_object = (
        "SELECT seq, at, action FROM {table} WHERE object_type = 'meetings.meeting' "
        f"AND object_id = '{shape['meetings'] // 2}' ORDER BY seq"
    )
    audit_latest = "SELECT seq, at, action, object_repr FROM {table} ORDER BY seq DESC LIMIT 50"
    for name, template in (
        ("audit: a year per month and action", audit_year),
        ("audit: one record's history", audit_object),
        ("audit: latest 50 events", audit_latest),
    ):
        out[name] = {
            "plain": template.replace("{table}", "audit_auditevent"),
            "partitioned": template.replace("{table}", "audit_by_year"),
        }
    return out


def _partitions_touched(conn, sql: str) -> list[str]:
    plan = "\n".join(row[0] for row in conn.execute(f"EXPLAIN (COSTS OFF) {sql}"))
    return sorted(set(re.findall(r"\b(?:attendance|audit)_by_year_(?:\d{4}|default)\b", plan)))


def run_queries(conn, shape: dict, args, out_dir: Path) -> dict:
    year = shape["years"][-1]
    lo, hi = f"{year}-01-01", f"{year + 1}-01-01"
    results: dict = {}
    plans = []
    for name, layouts in queries(conn, shape, args.tops).items():
        results[name] = {}
        for layout, template in layouts.items():
            sql = template.replace("{lo}", lo).replace("{hi}", hi).replace("%%", "%")
            rows = len(conn.execute(sql).fetchall())  # warm
            times = []
            for _ in range(args.runs):
                start = time.perf_counter()
                conn.execute(sql).fetchall()
                times.append(time.perf_counter() - start)
            touched = _partitions_touched(conn, sql)
            results[name][layout] = {
                "best_ms": round(min(times) * 1000, 1),
                "median_ms": round(statistics.median(times) * 1000, 1),
                "rows": rows,
                "partitions": touched if layout == "partitioned" else None,
            }
            log(f"{name} [{layout}]: {results[name][layout]}")
            analyzed = conn.execute(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {sql}").fetchall()
            plans.append(f"-- {name} [{layout}]\n{sql}\n" + "\n".join(r[0] for r in analyzed))
    (out_dir / "plans.txt").write_text("\n\n".join(plans) + "\n")
    return results


def sizes(conn) -> dict:
    out = {}
    for table in (
        "meetings_attendance",
        "attendance_flat",
        "attendance_by_year",
        "audit_auditevent",
        "audit_by_year",
        "meetings_meeting",
        "members_member",
    ):
        # a plain table is its own only leaf; a partitioned one is the sum of its partitions
        heap, total, count = conn.execute(
            "SELECT coalesce(sum(pg_relation_size(c.oid)), 0), "
            "coalesce(sum(pg_total_relation_size(c.oid)), 0), count(*) "
            "FROM pg_class c WHERE c.oid = %s::regclass AND c.relkind = 'r' "
            "OR c.oid IN (SELECT relid FROM pg_partition_tree(%s) WHERE isleaf)",
            [table, table],
        ).fetchone()
        out[table] = {
            "table_mb": round(heap / 2**20),
            "indexes_mb": round((total - heap) / 2**20),
            "total_mb": round(total / 2**20),
            "partitions": count if count > 1 else None,
        }
    out["database_mb"] = round(
        conn.execute("SELECT pg_database_size(current_database())").fetchone()[0] / 2**20
    )
    return out


# -- 5. the app's compliance computation on each layout ----------------------------------


def app_compliance(name: str, data_dir: str, year: int, runs: int) -> dict:
    """findings.compute for the whole tree, in a child process (Django set up there)."""
    code = f"""
import datetime as dt, json, statistics, time, django
django.setup()
from django.db import connection
from django.test.utils import CaptureQueriesContext
from dangjian.meetings import findings as compliance
from dangjian.meetings.packs import rules_in_force
from dangjian.orgs.models import Organization
root, rules = Organization.objects.get(code="GW"), rules_in_force()
today = dt.date({year}, 12, 31)
def run():
    report = compliance.compute(root, {year}, today=today, rules=rules)
    report.top_rollups
    return report
run()
times = []
for _ in range({runs}):
    start = time.perf_counter(); report = run(); times.append(time.perf_counter() - start)
with CaptureQueriesContext(connection) as captured:
    run()
print(json.dumps({{"best_s": round(min(times), 2), "median_s": round(statistics.median(times), 2),
    "queries": len(captured), "meetings": report.meetings_counted}}))
"""
    env = {**django_env(name, data_dir), "DJANGO_SETTINGS_MODULE": "dangjian.settings"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    if done.returncode:
        sys.stderr.write(done.stderr)
        raise SystemExit("findings.compute failed")
    return json.loads(done.stdout.strip().splitlines()[-1])


def swap(conn) -> None:
    """Exchange the plain attendance table and the partitioned copy (names only)."""
    conn.execute(
        "ALTER TABLE meetings_attendance RENAME TO attendance_swap; "
        "ALTER TABLE attendance_by_year RENAME TO meetings_attendance; "
        "ALTER TABLE attendance_swap RENAME TO attendance_by_year"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="attendance rows")
    parser.add_argument("--db", default="dj_scale19_bench", help="database (dj_scale19…)")
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--first-year", type=int, default=2016)
    parser.add_argument("--tops", type=int, default=100, help="top-level departments")
    parser.add_argument("--branch-size", type=int, default=20, help="members per branch")
    parser.add_argument("--per-meeting", type=int, default=12, help="attendance rows a meeting")
    parser.add_argument("--per-member-year", type=int, default=32)
    parser.add_argument("--audit-per-meeting", type=int, default=2)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--compliance", action="store_true", help="time findings.compute too")
    parser.add_argument("--reuse", action="store_true", help="the database is filled already")
    parser.add_argument("--keep", action="store_true", help="do not drop the database")
    parser.add_argument("--out", default=None, help="folder for figures.json and plans.txt")
    args = parser.parse_args()
    if not args.db.startswith("dj_scale19"):
        parser.error("the database name must start with dj_scale19")
    if args.branch_size < args.per_meeting:
        parser.error("--branch-size must be at least --per-meeting")
    out_dir = Path(args.out or tempfile.mkdtemp(prefix="bench_partition_"))
    out_dir.mkdir(parents=True, exist_ok=True)
    data_dir = str(out_dir / "data")
    figures: dict = {"rows_asked": args.rows, "load_before": os.getloadavg()}
    try:
        if not args.reuse:
            create_database(args.db)
            with Timer(figures, "migrate_s"):
                migrate(args.db, data_dir)
        with psycopg.connect(f"{SERVER}/{args.db}", autocommit=True) as conn:
            conn.execute("SET maintenance_work_mem = '512MB'")
            if args.reuse:
                shape = json.loads((out_dir / "shape.json").read_text())
            else:
                shape = generate(conn, args, figures)
                partition(conn, shape, figures)
                (out_dir / "shape.json").write_text(json.dumps(shape))
            figures["shape"] = shape
            figures["settings"] = {
                key: conn.execute(f"SHOW {key}").fetchone()[0]
                for key in ("shared_buffers", "work_mem", "max_parallel_workers_per_gather")
            }
            figures["queries"] = run_queries(conn, shape, args, out_dir)
            figures["sizes"] = sizes(conn)
            if args.compliance:
                year = shape["years"][-1]
                figures["compliance_plain"] = app_compliance(args.db, data_dir, year, args.runs)
                log(f"compliance, plain: {figures['compliance_plain']}")
                swap(conn)
                try:
                    figures["compliance_partitioned"] = app_compliance(
                        args.db, data_dir, year, args.runs
                    )
                finally:
                    swap(conn)
                log(f"compliance, partitioned: {figures['compliance_partitioned']}")
        figures["load_after"] = os.getloadavg()
        (out_dir / "figures.json").write_text(json.dumps(figures, indent=1, ensure_ascii=False))
        print(json.dumps(figures, indent=1, ensure_ascii=False))
        log(f"figures and plans in {out_dir}")
    finally:
        if not args.keep:
            drop_database(args.db)
            log(f"dropped {args.db}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
