"""Compliance benchmark on the province-scale demo (≈3,000 branches, ≈60,000 members, 3 years).

    python bench/bench_compliance.py                                  # SQLite in a temp data dir
    DANGJIAN_DATA_DIR=/tmp/prov python bench/bench_compliance.py      # reuse (or fill) that dir
    createdb -h 127.0.0.1 -U postgres bench_compliance
    DANGJIAN_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_compliance \\
        python bench/bench_compliance.py --data-dir /tmp/prov-pg

Measures, for one year and the whole tree (the 机关工委, code GW):
1. `dangjian demo --prepare-only --scale province` (only when the data is not there yet);
2. `compliance.compute` + roll-ups: best and median of --runs, and its query count;
3. the best hand-written SQL aggregate for the same figures (findings per frequency rule and
   status, per top-level organization), one statement, checked equal to ours;
4. the findings page for the 机关工委 account (Django test client, in process), with query
   counts: warm (nothing written since the last request), after a write (one branch's
   committee meeting re-recorded through `services.record_meeting`, one member's attendance
   toggled, before each timed request; the cached report is brought up to date for that
   branch only, and checked equal to a full recomputation), and with the cache empty (a
   process's first request, or after an organization itself changed).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent


def generate(data_dir: str) -> dict:
    env = {**os.environ, "DANGJIAN_DATA_DIR": data_dir}
    env.setdefault("DANGJIAN_SECRET_KEY", "bench-only-not-a-secret")
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "dangjian.cli", "demo", "--prepare-only", "--scale", "province"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    generated = "省级规模演示数据已存在" not in result.stdout
    return {"generated": generated, "seconds": seconds, "output": result.stdout}


def _setup(data_dir: str) -> None:
    os.environ["DANGJIAN_DATA_DIR"] = data_dir
    os.environ.setdefault("DANGJIAN_SECRET_KEY", "bench-only-not-a-secret")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")
    hosts = os.environ.get("DANGJIAN_ALLOWED_HOSTS", "127.0.0.1,localhost")
    os.environ["DANGJIAN_ALLOWED_HOSTS"] = hosts + ",testserver"
    import django

    django.setup()


def _timed(work, runs: int) -> tuple[list[float], object]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - started)
    return times, result


# ---- the hand-written SQL ----------------------------------------------------------------------


def _unmet_status(rule, period, today: dt.date) -> str:
    """What evaluate_frequency says of a period whose minimum is not met (constant per period)."""
    from dangjian.regulations.meetings import evaluate_frequency

    return next(
        f.status.value
        for f in evaluate_frequency(rule, [], year=period.year, today=today)
        if f.period == period
    )


def hand_written_sql(
    vendor: str, root_path: str, rules, year: int, today: dt.date, variant: str = "months"
):
    """One statement: per top-level organization, frequency rule and status, the number of
    (organization, period) findings. Period boundaries are computed here and passed in, as an
    application would; everything else happens in the database. Meetings are counted once per
    (organization, kind, month); the leader's 党课 rule reads its few meetings row by row to
    check the lecturer."""
    from dangjian.meetings.findings.reading import month_ends
    from dangjian.regulations.periods import periods_in_year

    as_of = min(today, dt.date(year, 12, 31))
    start = dt.date(year, 1, 1)
    child_len = len(root_path) + 4
    ends = month_ends(year, as_of)
    if vendor == "sqlite":
        month = "CAST(strftime('%%m', mm.held_on) AS INTEGER)"
        div = "/"
    elif vendor == "postgresql":
        month = "CAST(EXTRACT(MONTH FROM mm.held_on) AS INTEGER)"
        div = "/"
    else:
        month = "MONTH(mm.held_on)"
        div = "DIV"
    index = {"month": "a.mon", "quarter": f"((a.mon - 1) {div} 3 + 1)", "year": "1"}
    params: list = []
    parts = []
    for rule in rules.rules:
        periods = periods_in_year(year, rule.period)
        grid = " UNION ALL ".join(
            f"SELECT {i} AS idx, %s AS unmet" for i, _ in enumerate(periods, start=1)
        )
        unmet = [_unmet_status(rule, p, today) for p in periods]
        kinds = ", ".join(["%s"] * len(rule.meeting_kinds))
        org_kinds = ", ".join(["%s"] * len(rule.org_kinds))
        if variant == "rows" and rule.id != "party_lecture_leader":
            period_index = {
                "month": month.replace("mm.", "mt."),
                "quarter": f"(({month.replace('mm.', 'mt.')} - 1) {div} 3 + 1)",
                "year": "1",
            }[rule.period]
            counted = (
                f"SELECT mt.org, {period_index} AS idx, COUNT(*) AS n FROM mt"
                f" WHERE mt.kind IN ({kinds}) GROUP BY 1, 2"
            )
            counted_params = sorted(rule.meeting_kinds)
        elif rule.id == "party_lecture_leader":
            counted = (
                f"SELECT mm.organization_id AS org, 1 AS idx, COUNT(*) AS n"
                f" FROM meetings_meeting mm JOIN o ON o.id = mm.organization_id"
                f" WHERE mm.status = 'held' AND mm.held_on >= %s AND mm.held_on <= %s"
                f" AND mm.kind IN ({kinds})"
                " AND (NOT EXISTS (SELECT 1 FROM orgs_post sp WHERE sp.organization_id = mm.organization_id"
                " AND sp.kind = 'secretary' AND sp.started_on <= %s"
                " AND (sp.ended_on IS NULL OR sp.ended_on >= %s))"
                " OR EXISTS (SELECT 1 FROM orgs_post sp WHERE sp.organization_id = mm.organization_id"
                " AND sp.kind = 'secretary' AND sp.member_id = mm.host_id AND sp.started_on <= mm.held_on"
                " AND (sp.ended_on IS NULL OR sp.ended_on >= mm.held_on)))"
                " GROUP BY mm.organization_id"
            )
            counted_params = [start, as_of, *sorted(rule.meeting_kinds), as_of, start]
        else:
            counted = (
                f"SELECT a.org, {index[rule.period]} AS idx, SUM(a.n) AS n FROM agg a"
                f" WHERE a.kind IN ({kinds}) GROUP BY 1, 2"
            )
            counted_params = sorted(rule.meeting_kinds)
        # A committee's rule binds the months the branch had 7 full members on the month's last
        # day (monthly rules), or the year if it had them on the year's last day (month 12).
        committee = " AND COALESCE(fm.n_full, 0) >= 7" if rule.requires_committee else ""
        fm_idx = "p.idx" if rule.period == "month" else "12"
        parts.append(
            f"SELECT %s AS rule_id, substr(o.path, 1, %s) AS top,"
            f" CASE WHEN COALESCE(c.n, 0) >= %s THEN 'ok' ELSE p.unmet END AS status"
            f" FROM o CROSS JOIN ({grid}) p"
            f" LEFT JOIN fm ON fm.organization_id = o.id AND fm.idx = {fm_idx}"
            f" LEFT JOIN ({counted}) c ON c.org = o.id AND c.idx = p.idx"
            f" WHERE o.kind IN ({org_kinds}){committee}"
        )
        params.extend(
            [rule.id, child_len, rule.minimum, *unmet, *counted_params, *sorted(rule.org_kinds)]
        )
    month_grid = " UNION ALL ".join(f"SELECT {i} AS idx, %s AS d" for i in range(1, len(ends) + 1))
    month_params = list(ends)
    if variant == "rows":
        meetings = (
            " mt AS (SELECT mm.organization_id AS org, mm.kind, mm.held_on"
            "   FROM meetings_meeting mm JOIN o ON o.id = mm.organization_id"
            "   WHERE mm.status = 'held' AND mm.held_on >= %s AND mm.held_on <= %s)"
        )
    else:
        meetings = (
            f" agg AS (SELECT mm.organization_id AS org, mm.kind, {month} AS mon, COUNT(*) AS n"
            "   FROM meetings_meeting mm JOIN o ON o.id = mm.organization_id"
            "   WHERE mm.status = 'held' AND mm.held_on >= %s AND mm.held_on <= %s"
            "   GROUP BY 1, 2, 3)"
        )
    sql = (
        "WITH o AS (SELECT id, path, kind FROM orgs_organization WHERE path LIKE %s),"
        # Full members on each month's last day (or as_of), from the membership history.
        " fm AS (SELECT s.organization_id, g.idx, COUNT(*) AS n_full"
        "   FROM members_membershipspell s JOIN o ON o.id = s.organization_id"
        "   CROSS JOIN (" + month_grid + ") g"
        "   WHERE s.status = 'full' AND s.started_on <= g.d"
        "   AND (s.ended_on IS NULL OR s.ended_on >= g.d) GROUP BY s.organization_id, g.idx),"
        + meetings
        + " SELECT top, rule_id, status, COUNT(*) FROM ("
        + " UNION ALL ".join(parts)
        + ") f GROUP BY top, rule_id, status"
    )
    return sql, [root_path + "%", *month_params, start, as_of, *params]


def run_sql(sql: str, params: list) -> Counter:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return Counter({(top, rule, status): n for top, rule, status, n in cursor.fetchall()})


def our_figures(report, rules) -> Counter:
    """The same figures from the report: findings per top-level organization, rule, status."""
    from dangjian.meetings.findings import STATUSES

    child_len = len(report.root.path) + 4
    frequency = {r.id for r in rules.rules}
    figures: Counter = Counter()
    for org in report.orgs:
        if org.id == report.root.id:
            continue
        for key in frequency:
            cell = report.cell(org.id, key)
            if cell is None:
                continue
            for status, n in zip(STATUSES, cell.tally, strict=True):
                if n:
                    figures[(org.path[:child_len], key, status.value)] += n
    return figures


# ---- the benchmark -----------------------------------------------------------------------------


def measure(args) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from dangjian.accounts.models import User
    from dangjian.demo import PROVINCE_USER
    from dangjian.meetings import findings as compliance
    from dangjian.meetings.packs import rules_in_force
    from dangjian.orgs.models import Organization, OrgKind

    today = dt.date.fromisoformat(args.as_of) if args.as_of else compliance.local_today()
    year = args.year or today.year
    root = Organization.objects.get(code="GW")
    rules = rules_in_force()
    out: dict = {
        "db": connection.vendor,
        "year": year,
        "as_of": today.isoformat(),
        "rule_packs": list(rules.pack_ids),
        "branches": Organization.objects.filter(kind=OrgKind.BRANCH).count(),
        "organizations": Organization.objects.count(),
    }

    def ours():
        report = compliance.compute(root, year, today=today, rules=rules)
        report.top_rollups  # noqa: B018 (the totals per top-level organization, as the SQL)
        return report

    ours()  # warm the connection and the module imports
    with CaptureQueriesContext(connection) as captured:
        report = ours()
    times, report = _timed(ours, args.runs)

    def cold():
        compliance.clear_cache()  # also forgets the verdicts shared between computations
        return ours()

    cold_times, _ = _timed(cold, args.runs)
    full_times, _ = _timed(lambda: compliance.ComplianceReport.rollups.func(report), args.runs)
    out["compute"] = {
        "best_s": min(times),
        "median_s": statistics.median(times),
        "queries": len(captured),
        "meetings": report.meetings_counted,
        "findings": sum(report.top_rollups[root.pk].tally),
        "all_rollups_best_s": min(full_times),
        "cold_best_s": min(cold_times),
        "cold_median_s": statistics.median(cold_times),
    }

    # The best hand-written SQL: two formulations, and on PostgreSQL with its JIT compiler
    # on and off (the statement's estimated cost switches it on; it costs more than it saves).
    tried = []
    settings = ["on", "off"] if connection.vendor == "postgresql" else [None]
    all_same = True
    for variant in ("rows", "months"):
        sql, params = hand_written_sql(connection.vendor, root.path, rules, year, today, variant)
        for jit in settings:
            if jit is not None:
                with connection.cursor() as cursor:
                    cursor.execute(f"SET jit = {jit}")
            run_sql(sql, params)
            sql_times, figures = _timed(
                lambda sql=sql, params=params: run_sql(sql, params), args.runs
            )
            all_same = all_same and figures == our_figures(report, rules)
            label = variant if jit is None else f"{variant}, jit {jit}"
            tried.append((min(sql_times), statistics.median(sql_times), label))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("RESET jit")
    best = min(tried)
    out["hand_written_sql"] = {
        "best_s": best[0],
        "median_s": best[1],
        "variant": best[2],
        "tried": {label: round(b, 3) for b, _, label in tried},
    }
    out["same_figures"] = all_same
    out["ratio"] = out["compute"]["best_s"] / out["hand_written_sql"]["best_s"]
    out["cold_ratio"] = out["compute"]["cold_best_s"] / out["hand_written_sql"]["best_s"]

    user = User.objects.get(username=PROVINCE_USER[0])
    client = Client()
    client.force_login(user)
    url = f"/compliance/?year={year}"

    def page(cold: bool):
        if cold:
            compliance.clear_cache()
        response = client.get(url)
        assert response.status_code == 200, response.status_code
        return response

    page(True)
    cold_times, _ = _timed(lambda: page(True), max(2, args.runs // 2))
    # Counted right away: each request of the test client resets the connection's query log.
    with CaptureQueriesContext(connection) as captured:
        page(True)
    cold_queries = len(captured)
    warm_times, response = _timed(lambda: page(False), args.runs)
    with CaptureQueriesContext(connection) as captured:
        page(False)
    warm_queries = len(captured)

    # After a write: one branch's meeting recorded again (untimed), then the page (timed).
    write = _MeetingWrite(year)
    written_times = []
    for _ in range(args.runs):
        write()
        started = time.perf_counter()
        page(False)
        written_times.append(time.perf_counter() - started)
    write()
    with CaptureQueriesContext(connection) as captured:
        page(False)
    written_queries = len(captured)
    page_today = compliance.local_today()
    cached = compliance.cached_report(root, year, today=page_today)
    full = compliance.compute(root, year, today=page_today).summary_only()
    same_after_write = _summary(cached) == _summary(full)
    if write.toggles % 2:
        write()  # leave the data as it was
    out["page"] = {
        "cold_best_s": min(cold_times),
        "warm_best_s": min(warm_times),
        "warm_median_s": statistics.median(warm_times),
        "written_best_s": min(written_times),
        "written_median_s": statistics.median(written_times),
        "cold_queries": cold_queries,
        "warm_queries": warm_queries,
        "written_queries": written_queries,
        "written_branch": write.branch,
        "same_after_write": same_after_write,
        "bytes": len(response.content),
    }
    return out


class _MeetingWrite:
    """A write to one branch's meeting, as a secretary makes it: a committee meeting of the
    year recorded again with one member's attendance toggled (出席 ↔ 缺席), through the
    service, so it is audited like any other write."""

    def __init__(self, year: int) -> None:
        from dangjian.audit.services import Actor
        from dangjian.core.clock import today
        from dangjian.meetings.models import Meeting, MeetingStatus
        from dangjian.orgs.models import OrgKind

        self.meeting = (
            Meeting.objects.filter(
                status=MeetingStatus.HELD,
                kind="committee_meeting",
                held_on__year=year,
                held_on__lte=today(),
                organization__kind=OrgKind.BRANCH,
            )
            .select_related("organization")
            .order_by("held_on", "id")
            .first()
        )
        assert self.meeting is not None, f"no committee meeting held in {year}"
        self.actor = Actor.system("bench")
        self.branch = self.meeting.organization.code
        self.toggles = 0

    def __call__(self) -> None:
        from dangjian.meetings import services
        from dangjian.meetings.models import ATTENDED, Attendance, AttendanceStatus

        row = Attendance.objects.filter(meeting=self.meeting).order_by("member_id").first()
        status = AttendanceStatus.ABSENT if row.status in ATTENDED else AttendanceStatus.PRESENT
        result = services.record_meeting(
            self.actor, self.meeting, attendance={row.member_id: (status, "")}
        )
        assert result.changed
        self.toggles += 1


def _summary(report) -> tuple:
    """What the findings page shows of a report, comparable across computations."""
    return (
        [(o.id, o.members, o.full_members, o.committee_size) for o in report.orgs],
        {
            org_id: {key: (tuple(c.tally), c.worst, c.explained) for key, c in cells.items()}
            for org_id, cells in report._cells_by_org.items()
        },
        {
            org_id: (r.tally, r.explained, r.organizations, r.columns)
            for org_id, r in report.top_rollups.items()
        },
        [c.key for c in report.columns],
        report.meetings_counted,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get("DANGJIAN_DATA_DIR"))
    parser.add_argument("--year", type=int, default=None)
    parser.add_argument("--as-of", default=None, help="YYYY-MM-DD (default: today in Beijing)")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    data_dir = args.data_dir or tempfile.mkdtemp(prefix="dangjian-bench-compliance-")
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    gen = generate(data_dir)
    if gen["generated"]:
        print(gen["output"].strip())
        print(f"\ndemo --scale province: {gen['seconds']:.0f} s (data dir {data_dir})\n")
    else:
        print(
            f"province data already in {data_dir} (dangjian demo ran in {gen['seconds']:.1f} s)\n"
        )
    _setup(data_dir)
    r = measure(args)
    c, s, p = r["compute"], r["hand_written_sql"], r["page"]
    print(
        f"{r['db']}: {r['organizations']} organizations, {r['branches']} branches, "
        f"year {r['year']} as of {r['as_of']}, packs {'+'.join(r['rule_packs'])}"
    )
    print(
        f"  compliance.compute (whole tree): best {c['best_s']:.3f} s, median {c['median_s']:.3f} s, "
        f"{c['queries']} queries, {c['meetings']} meetings, {c['findings']} findings"
    )
    print(
        f"  hand-written SQL aggregate:      best {s['best_s']:.3f} s, median {s['median_s']:.3f} s "
        f"[{s['variant']}] (same figures: {r['same_figures']}; tried {s['tried']})"
    )
    print(f"  ratio compute / SQL: {r['ratio']:.2f}x")
    print(
        f"  the same compute with the process's shared verdicts forgotten first (a process's first): "
        f"best {c['cold_best_s']:.3f} s, median {c['cold_median_s']:.3f} s, "
        f"ratio {r['cold_ratio']:.2f}x"
    )
    print(f"  roll-ups for every organization (API, CLI): +{c['all_rollups_best_s']:.3f} s")
    print(
        f"  findings page, 机关工委: warm best {p['warm_best_s'] * 1000:.0f} ms "
        f"(median {p['warm_median_s'] * 1000:.0f} ms, {p['warm_queries']} queries); "
        f"{p['bytes'] // 1024} KB"
    )
    print(
        f"  findings page, 机关工委, after a write to one branch's meeting ({p['written_branch']}): "
        f"best {p['written_best_s'] * 1000:.0f} ms (median {p['written_median_s'] * 1000:.0f} ms, "
        f"{p['written_queries']} queries; same as a full recomputation: {p['same_after_write']})"
    )
    print(
        f"  findings page, 机关工委, cache empty (a process's first request): "
        f"best {p['cold_best_s'] * 1000:.0f} ms ({p['cold_queries']} queries)"
    )


if __name__ == "__main__":
    main()
