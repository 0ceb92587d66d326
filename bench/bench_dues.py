"""Party dues on the province-scale demo (issue 16): the monthly ledger of the largest branch,
a branch's 12 months recorded in bulk, the yearly publication's rows for the largest branch, and
the arrears/lapse column for the whole tree, this year and last year (read from the membership
history on its last day).

Works on a copy of an existing province data folder (`--from`, copied with SQLite's backup so
a folder in use is read consistently) or on `--data-dir` as it is; adds three years of dues for
every member once (timed), then best and median of `--runs` runs of each step.

    .venv/bin/python bench/bench_dues.py --from /tmp/scale-prov --data-dir /tmp/dues-bench-prov
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sqlite3
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_compliance import _setup, _timed  # noqa: E402


def _copy(source: Path, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for name in ("secret.key", "rule_packs.txt"):
        if (source / name).exists():
            shutil.copy2(source / name, target / name)
    src = sqlite3.connect(f"file:{source / 'dangjian.sqlite3'}?mode=ro", uri=True)
    dst = sqlite3.connect(target / "dangjian.sqlite3")
    src.backup(dst)
    dst.close()
    src.close()


def _line(label: str, times: list[float], queries: int | str = "") -> None:
    print(
        f"{label:<52} best {min(times) * 1000:9.1f} ms  median "
        f"{statistics.median(times) * 1000:9.1f} ms  queries {queries}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--from", dest="source", default=None)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    target = Path(args.data_dir)
    if args.source and not (target / "dangjian.sqlite3").exists():
        _copy(Path(args.source), target)
    _setup(str(target))

    from django.core.management import call_command
    from django.db import connection, transaction
    from django.db.models import Count, Q
    from django.test.utils import CaptureQueriesContext

    from dangjian.accounts.models import Role, RoleAssignment
    from dangjian.audit.services import Actor
    from dangjian.core.clock import today
    from dangjian.dues import findings, queries, services
    from dangjian.dues.demo import ensure_dues
    from dangjian.meetings.findings.contributors import Scope
    from dangjian.meetings.findings.report import OrgInfo
    from dangjian.meetings.packs import rules_in_force
    from dangjian.members.models import Member
    from dangjian.orgs.models import Organization, OrgKind
    from dangjian.regulations.dates import add_months
    from dangjian.regulations.dues import month_start

    call_command("migrate", verbosity=0)
    now = today()
    started = time.perf_counter()
    made = ensure_dues(today=now, years=3, out=print)
    print(
        f"members {Member.objects.count()}; dues generated: {made} payments "
        f"in {time.perf_counter() - started:.0f} s"
    )

    branch = (
        Organization.objects.filter(kind=OrgKind.BRANCH)
        .annotate(n=Count("members"))
        .order_by("-n", "pk")
        .first()
    )
    print(f"largest branch {branch.code}: {branch.n} members")
    last = add_months(month_start(now), -1)
    with CaptureQueriesContext(connection) as q:
        queries.ledger(branch, last)
    times, _ = _timed(lambda: queries.ledger(branch, last), args.runs)
    _line("ledger, the largest branch, one month", times, len(q))

    year = last.year
    with CaptureQueriesContext(connection) as q:
        queries.publication(branch, year)
    times, _ = _timed(lambda: queries.publication(branch, year), args.runs)
    _line(f"yearly publication rows, the largest branch, {year}", times, len(q))

    secretary = RoleAssignment.objects.filter(role=Role.BRANCH_SECRETARY).first()
    target_branch = secretary.organization
    actor = Actor(user=secretary.user)
    months = [add_months(month_start(now), k) for k in range(-6, 6)]

    def record_year():
        with transaction.atomic():
            from dangjian.dues.models import Payment

            Payment.objects.filter(organization=target_branch, month__in=months).delete()
            started = time.perf_counter()
            for month in months:
                services.record_month(actor, target_branch, month)
            elapsed = time.perf_counter() - started
            transaction.set_rollback(True)
        return elapsed

    times = [record_year() for _ in range(args.runs)]
    _line(f"12 months recorded in bulk ({target_branch.code})", times)

    root = Organization.objects.get(code="GW")
    orgs = [
        OrgInfo(o.pk, o.code, o.name, o.kind, o.path, o.depth)
        for o in Organization.objects.filter(path__startswith=root.path)
    ]
    scope = Scope(
        where=lambda prefix: Q(**{f"{prefix}path__startswith": root.path}),
        orgs=orgs,
        year=now.year,
        as_of=now,
        today=now,
        rules=rules_in_force(sync=False),
    )
    with CaptureQueriesContext(connection) as q:
        result = findings._evaluate(scope)
    times, _ = _timed(lambda: findings._evaluate(scope), args.runs)
    _line(f"arrears column, whole tree ({len(result)} branches)", times, len(q))

    # Last year's column: the members of its last day (the membership history).
    past = replace(scope, year=now.year - 1, as_of=dt.date(now.year - 1, 12, 31))
    with CaptureQueriesContext(connection) as q:
        result = findings._evaluate(past)
    times, _ = _timed(lambda: findings._evaluate(past), args.runs)
    _line(f"arrears column, whole tree, {past.year} ({len(result)} branches)", times, len(q))


if __name__ == "__main__":
    main()
