"""The work desk, the dashboard, the statistics and the dossier on the demo data, with their
query counts.

1. `dangjian demo --prepare-only --scale <organ|province>` (only when the data is not there yet);
2. in process: best and median of `--runs` runs of the desk and the dashboard (warm, for the
   highest user of the scale: `organ`, or `gongwei` on the province), the statistics tables of
   the whole tree, and one build of the dossier of a branch and of a department.

    .venv/bin/python bench/bench_desk.py --data-dir /tmp/desk-bench --scale organ
    .venv/bin/python bench/bench_desk.py --data-dir /tmp/desk-province --scale province \
        --runs 3 --tree-dossier
    .venv/bin/python bench/bench_desk.py --data-dir /tmp/desk-province --scale province \
        --runs 5 --only dashboard

The figures are recorded in bench/README.md.
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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_compliance import _setup, _timed  # noqa: E402


def generate(data_dir: str, scale: str) -> float:
    env = {**os.environ, "DANGJIAN_DATA_DIR": data_dir}
    env.setdefault("DANGJIAN_SECRET_KEY", "bench-only-not-a-secret")
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "dangjian.cli", "demo", "--prepare-only", "--scale", scale],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return time.perf_counter() - started


def _measure(label: str, work, runs: int) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    work()  # warm: rule packs, the findings cache
    with CaptureQueriesContext(connection) as queries:
        work()
    times, _ = _timed(work, runs)
    print(
        f"{label:<44} best {min(times) * 1000:9.1f} ms  median "
        f"{statistics.median(times) * 1000:9.1f} ms  queries {len(queries):3}"
    )


def _dossier(label: str, org, user) -> None:
    import datetime as dt

    from dangjian.audit.services import Actor
    from dangjian.core import clock
    from dangjian.desk import dossiers

    today = clock.today()
    started = time.perf_counter()
    made = dossiers.request_dossier(Actor(user=user), org, dt.date(today.year, 1, 1), today)
    done = dossiers.build(made.pk)
    seconds = time.perf_counter() - started
    size = dossiers.stored_path(done).stat().st_size
    rows = sum(s["rows"] for s in done.manifest["sections"].values())
    docx = done.manifest["files"].get(dossiers.DOCX_NAME) and "one .docx"
    if dossiers.PDF_NAME in done.manifest["files"]:
        docx += " and its PDF"
    print(
        f"{label:<44} {seconds:7.2f} s  {rows} rows  {size / 1024:.0f} KiB encrypted  {docx}"
        f"  peak RSS {_peak_mib():.0f} MiB"
    )


def _peak_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--scale", choices=["organ", "province"], default="organ")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--tree-dossier",
        action="store_true",
        help="also build the dossier of the whole tree (the top organization)",
    )
    parser.add_argument(
        "--only",
        default="desk,dashboard,statistics,dossier",
        help="comma-separated parts to measure (desk, dashboard, statistics, dossier)",
    )
    parser.add_argument(
        "--skip-prepare",
        action="store_true",
        help="measure the data dir as it is (`demo --prepare-only` would add dues, minutes)",
    )
    args = parser.parse_args()
    only = set(args.only.split(","))
    data_dir = args.data_dir or tempfile.mkdtemp(prefix="dangjian-bench-desk-")
    if not args.skip_prepare:
        print(f"demo ({args.scale}) ready in {generate(data_dir, args.scale):.1f} s")
    _setup(data_dir)
    # The task queue is not run here: the bench builds in process.
    os.environ.setdefault("DANGJIAN_TASK_BACKEND", "django_tasks.backends.dummy.DummyBackend")

    from dangjian.accounts.models import User
    from dangjian.core import clock
    from dangjian.desk import figures
    from dangjian.desk.queries import desk_for
    from dangjian.orgs.models import Organization

    username = "gongwei" if args.scale == "province" else "organ"
    user = User.objects.get(username=username)
    top = Organization.objects.filter(depth=1).order_by("path").first()
    dept = Organization.objects.get(code="FGW-JGDW")
    branch = Organization.objects.get(code="FGW-B01")
    year = clock.today().year

    def fresh_desk():
        # A user object per request, as the server has (scope_for caches on the object).
        return desk_for(User.objects.get(pk=user.pk))

    if "desk" in only:
        _measure(f"desk of {username}", fresh_desk, args.runs)
    root = dept if username == "organ" else top
    if "dashboard" in only:
        _measure(f"dashboard of {root.code}", lambda: figures.dashboard(root, year), args.runs)
    if "statistics" in only:
        _measure(
            f"statistics of {top.code} (whole tree)",
            lambda: figures.statistics(top, [year - 2, year - 1, year]),
            max(1, args.runs // 2),
        )
        past = clock.today().replace(month=1, day=1) - dt.timedelta(days=1)
        _measure(
            f"statistics of {top.code} as of {past}",
            lambda: figures.statistics(top, [past.year - 2, past.year - 1, past.year], as_of=past),
            max(1, args.runs // 2),
        )
    if "dossier" in only:
        _dossier(f"dossier of {branch.code} ({year})", branch, user)
        _dossier(f"dossier of {dept.code} ({year})", dept, user)
        if args.tree_dossier:
            _dossier(f"dossier of {top.code}, whole tree ({year})", top, user)


if __name__ == "__main__":
    main()
