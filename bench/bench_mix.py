"""The load test's actions one at a time, in process (issue 19: CPU per request).

    DANGJIAN_DATA_DIR=/tmp/organ python bench/bench_mix.py                # every GET of the mix
    DANGJIAN_DATA_DIR=/tmp/organ python bench/bench_mix.py --runs 20 --only "organ: findings"
    DANGJIAN_DATA_DIR=/tmp/organ python bench/bench_mix.py --profile "member: home" --sort tottime --top 40

Takes the personas and actions of `bench_api.py` (same accounts, the API through a bearer
token, the pages through a session), sends each GET action through Django's test client with
every middleware, and prints per action: status, size, the median and best wall time of --runs
requests (after one request not counted), their median CPU time (this process: the view, the
ORM, the driver; SQLite runs in process) and the number of queries of one more request. --profile
prints the cProfile of --runs requests of the actions named (sorted by --sort).
Reads only: the plan-a-meeting write is left out.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_api  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--year", type=int, default=2026)
    parser.add_argument("--only", default="", help="actions whose name contains this")
    parser.add_argument("--profile", default="", help="profile the actions containing this")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--sort", default="cumulative", help="cProfile order: cumulative, tottime")
    args = parser.parse_args()
    bench_api._django()

    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    settings.ALLOWED_HOSTS = ["*"]
    creds = bench_api._credentials()
    ctx = bench_api._context()
    mix = bench_api._mix(ctx, args.year)
    pages, api = {}, Client()  # the API with a bearer token and no session, as bench_api
    for username in ("member", "secretary", "organ", "gongwei"):
        pages[username] = Client()
        pages[username].force_login(get_user_model().objects.get(username=username))
    wanted = args.profile or args.only
    if not args.profile:
        print("| action | status | bytes | median ms | best ms | CPU ms (median) | queries |")
        print("|---|---|---|---|---|---|---|")
    for persona, actions in mix.items():
        who = "organ" if persona == "api" else persona
        for _, name, method, path, _body in actions:
            if method != "GET" or (wanted and wanted not in name):
                continue
            path = path.replace("{page}", "1")
            headers = {}
            if path.startswith("/api/"):
                headers["HTTP_AUTHORIZATION"] = f"Bearer {creds[who]['token']}"
            client = api if path.startswith("/api/") else pages[who]
            response = client.get(path, **headers)  # not counted: caches, first imports
            if args.profile:
                profile = cProfile.Profile()
                profile.enable()
                for _ in range(args.runs):
                    client.get(path, **headers)
                profile.disable()
                print(f"\n=== {name} ({args.runs} requests)")
                pstats.Stats(profile).sort_stats(args.sort).print_stats(args.top)
                continue
            times, cpu = [], []
            for _ in range(args.runs):
                started, started_cpu = time.perf_counter(), time.process_time()
                response = client.get(path, **headers)
                times.append(time.perf_counter() - started)
                cpu.append(time.process_time() - started_cpu)
            with CaptureQueriesContext(connection) as queries:
                client.get(path, **headers)
            print(
                f"| {name} | {response.status_code} | {len(response.content)} | "
                f"{statistics.median(times) * 1000:.1f} | {min(times) * 1000:.1f} | "
                f"{statistics.median(cpu) * 1000:.1f} | {len(queries)} |"
            )


if __name__ == "__main__":
    main()
