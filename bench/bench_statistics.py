"""Statistics on request (issue 5) on the province-scale demo: the 机关工委 asks for every figure,
one row per department and one row per branch. Prints the best of three and the query count.

    DANGJIAN_DATA_DIR=/tmp/prov python bench/bench_statistics.py --year 2026 --as-of 2026-11-25

The data directory must already hold `dangjian demo --prepare-only --scale province` (for
example the one bench_compliance.py filled); this script only reads.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--year", type=int, default=dt.date.today().year)
    parser.add_argument("--as-of", default=None)
    parser.add_argument("--runs", type=int, default=3)
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
    today = dt.date.fromisoformat(args.as_of) if args.as_of else dt.date.today()
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


if __name__ == "__main__":
    main()
