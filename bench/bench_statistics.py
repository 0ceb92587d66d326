"""Statistics on request (issue 5) on the province-scale demo: the 机关工委 asks for every figure,
one row per department and one row per branch. Prints the best of three and the query count.

    DANGJIAN_DATA_DIR=/tmp/prov python bench/bench_statistics.py --year 2026 --as-of 2026-11-25

With --pages it times each responsibility page for the 机关工委 account. With --send it also times, inside a transaction that is rolled back, the 机关工委 sending one
work item to every branch (`services.send_down`) and the first `tick` after its deadline, which
marks them all overdue and sends the escalation notices.

The data directory must already hold `dangjian demo --prepare-only --scale province` (for
example the one bench_compliance.py filled); this script only reads.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import time
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")  # dates on the calendar in China, as the services count them


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--year", type=int, default=dt.datetime.now(TZ).year)
    parser.add_argument("--as-of", default=None)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--send", action="store_true", help="also time send_down and tick")
    parser.add_argument(
        "--pages", action="store_true", help="also time the duties pages for the 机关工委 account"
    )
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")
    os.environ.setdefault("DANGJIAN_SECRET_KEY", "bench-only-not-a-secret")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dangjian.duties import queries
    from dangjian.orgs.models import Organization

    root = Organization.objects.get(depth=1)
    today = dt.date.fromisoformat(args.as_of) if args.as_of else dt.datetime.now(TZ).date()
    print(f"{connection.vendor}: {Organization.objects.count()} organizations")
    for level in ("children", "branches"):
        best = float("inf")
        for _ in range(args.runs):
            start = time.perf_counter()
            with CaptureQueriesContext(connection) as captured:
                table = queries.statistics(root, level, queries.FIGURES, args.year, today)
            best = min(best, time.perf_counter() - start)
        print(
            f"  rows={level:<9} {len(table.rows):>5} rows  best {best * 1000:6.0f} ms  "
            f"{len(captured.captured_queries)} queries  "
            f"(members {table.total['members_full']}, 党员大会 {table.total['meetings_general_meeting']})"
        )

    if args.send:
        send_and_tick(root)
    if args.pages:
        pages(root, args.runs)


def pages(root, runs: int) -> None:
    """Server time of each responsibility page for the account bound to the root (in process,
    Django's test client, best of `runs` after one warm-up request)."""
    from django.conf import settings
    from django.test import Client

    from dangjian.accounts.models import RoleAssignment

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    client = Client()
    client.force_login(RoleAssignment.objects.filter(organization=root).first().user)
    client.get("/duties/inbox/")
    for path in (
        "/duties/",
        "/duties/inbox/badge/",
        "/duties/inbox/",
        "/duties/overdue/",
        f"/duties/new/?org={root.code}",
        f"/duties/duty-lists/?org={root.code}",
        f"/duties/statistics/?org={root.code}&level=children",
    ):
        best = float("inf")
        for _ in range(runs):
            start = time.perf_counter()
            response = client.get(path)
            best = min(best, time.perf_counter() - start)
        print(f"  {path:<40} {response.status_code}  best {best * 1000:6.0f} ms")


def send_and_tick(root) -> None:
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from dangjian.accounts.models import RoleAssignment
    from dangjian.audit.services import Actor
    from dangjian.core.clock import today
    from dangjian.core.jobs import tick
    from dangjian.duties import services
    from dangjian.regulations import workdays

    user = RoleAssignment.objects.filter(organization=root).first().user
    deadline = workdays.add_workdays(today(), 10)
    later = timezone.now() + dt.timedelta(days=30)
    with transaction.atomic():
        # What is due anyway at that moment (series top-ups, the demo's own items) first, so the
        # figures below are the sent item's alone.
        before = tick(now=later)
        print(
            f"  (a tick at that moment before sending: {before['series_meetings']} series meetings "
            f"planned, {before['overdue_marked']} marked overdue)"
        )
        start = time.perf_counter()
        with CaptureQueriesContext(connection) as captured:
            result = services.send_down(
                Actor(user), root, {"title": "基准测试", "deadline": deadline}, all_branches=True
            )
        print(
            f"  send_down to {len(result.children)} branches: "
            f"{time.perf_counter() - start:.2f} s, {len(captured.captured_queries)} queries"
        )
        start = time.perf_counter()
        ticked = tick(now=later)
        print(
            f"  first tick after the deadline: {time.perf_counter() - start:.2f} s "
            f"({ticked['overdue_marked']} marked overdue, {ticked['escalations']} escalation notices, "
            f"{ticked['series_meetings']} series meetings planned)"
        )
        start = time.perf_counter()
        again = tick(now=later)
        print(
            f"  the same tick again: {time.perf_counter() - start:.2f} s "
            f"({again['overdue_marked']} marked, {again['escalations'] + again['reminders']} notices)"
        )
        transaction.set_rollback(True)


if __name__ == "__main__":
    main()
