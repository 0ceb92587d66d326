"""Assessment on the province-scale demo (issue 14): a scheme of 20 indicators over every
branch (the 机关工委 `GW` assessing ≈3,000 branches), computed and frozen; a target's
explanation page before and after the freeze; the scheme page (organizations by grade).

Generates the province data once (as bench_compliance.py does) into `--data-dir`, then for
`--runs` fresh schemes (made and published untimed through the services) times the freeze
(every computed indicator for every target, snapshots written) with its query count.

    .venv/bin/python bench/bench_assessment.py --data-dir /tmp/assess-prov --as-of 2026-11-25
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_compliance import _setup, generate  # noqa: E402

# 16 computed indicators (the four sources, each under four headings) and 4 entered ones.
COMPUTED = ("meetings_held", "work_on_time", "study_coverage", "dues_on_time")


def _scheme(actor, root, n: int):
    from dangjian.assessment import services

    scheme = services.create_scheme(
        actor,
        root,
        year=2026,
        title=f"基准方案{n}",
        target_kind="branch",
        party_weight=70,
        business_weight=30,
        grades=[["好", 90], ["较好", 80], ["一般", 60], ["差", 0]],
    )
    for i in range(16):
        services.add_indicator(
            actor,
            scheme,
            title=f"党建指标{i + 1}",
            part="party",
            weight="6.25",
            source_kind="computed",
            source_key=COMPUTED[i % 4],
        )
    for i, kind in enumerate(("manual", "votes", "imported", "manual")):
        services.add_indicator(
            actor, scheme, title=f"业务指标{i + 1}", part="business", weight=25, source_kind=kind
        )
    services.publish(actor, scheme)
    return scheme


def _line(label: str, times: list[float], queries: object = "") -> None:
    print(
        f"{label:<46} best {min(times) * 1000:9.1f} ms  median "
        f"{statistics.median(times) * 1000:9.1f} ms  queries {queries}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--as-of", default="2026-11-25")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--no-generate",
        action="store_true",
        help="use the province already in the database as it is (no demo step, no dues added)",
    )
    parser.add_argument("--freeze-only", action="store_true", help="time the freeze, no pages")
    args = parser.parse_args()
    Path(args.data_dir).mkdir(parents=True, exist_ok=True)
    if not args.no_generate:
        gen = generate(args.data_dir)
        print(
            f"province data: {'generated' if gen['generated'] else 'present'} "
            f"({gen['seconds']:.0f} s)"
        )
    _setup(args.data_dir)

    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from dangjian.accounts.models import User
    from dangjian.assessment import services
    from dangjian.audit.services import Actor
    from dangjian.orgs.models import Organization

    call_command("migrate", verbosity=0)
    as_of = dt.date.fromisoformat(args.as_of)
    user = User.objects.get(username="gongwei")
    actor = Actor(user=user)
    root = Organization.objects.get(code="GW")
    freeze_times, freeze_queries, schemes = [], [], []
    for n in range(args.runs):
        scheme = _scheme(actor, root, int(time.time()) * 10 + n)
        schemes.append(scheme)
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            snaps = services.freeze(actor, scheme, as_of=as_of)
            freeze_times.append(time.perf_counter() - started)
        freeze_queries.append(len(ctx))
        if n == 0:
            inserts = sum(1 for q in ctx.captured_queries if q["sql"].startswith("INSERT"))
            print(f"freeze queries: {len(ctx)} ({inserts} INSERT batches of snapshots and audit)")
    targets = schemes[0].targets.count()
    print(f"{targets} targets × 20 indicators (16 computed): {snaps} snapshots per freeze")
    _line("freeze (compute + snapshots)", freeze_times, freeze_queries)
    if args.freeze_only:
        return

    client = Client()
    client.force_login(user)

    def page(url: str) -> tuple[list[float], int]:
        times, queries = [], 0
        for _ in range(args.runs):
            with CaptureQueriesContext(connection) as ctx:
                started = time.perf_counter()
                response = client.get(url)
                times.append(time.perf_counter() - started)
            assert response.status_code == 200, response.status_code
            queries = len(ctx)
        return times, queries

    frozen = schemes[0]
    target = frozen.targets.order_by("pk").first()
    _line("explanation page, frozen", *page(reverse("assessment:target", args=[target.pk])))
    live = _scheme(actor, root, int(time.time()) * 10 + 9)
    live_target = live.targets.order_by("pk").first()
    _line(
        "explanation page, live (before freeze)",
        *page(reverse("assessment:target", args=[live_target.pk])),
    )
    _line(
        "scheme page, frozen (all targets by grade)",
        *page(reverse("assessment:detail", args=[frozen.pk])),
    )


if __name__ == "__main__":
    main()
