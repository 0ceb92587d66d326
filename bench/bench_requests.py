"""Single requests through Django's test client, in process: status, size, best and median
time, query count (issue 19: the meetings list, the compliance API, one at a time).

    DANGJIAN_DATA_DIR=/tmp/prov python bench/bench_requests.py member,secretary "/api/v1/meetings?year=2026"
    RUNS=1 DANGJIAN_DATA_DIR=/tmp/prov python bench/bench_requests.py gongwei "/api/v1/compliance?org=GW&year=2026"

The first argument names the demo accounts (comma-separated); each is logged in with
force_login. RUNS (default 5) requests per path and account.
"""

from __future__ import annotations

import os
import statistics
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

settings.ALLOWED_HOSTS = ["*"]
runs = int(os.environ.get("RUNS", 5))
for username in sys.argv[1].split(","):
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    for path in sys.argv[2:]:
        times = []
        for _ in range(runs):
            with CaptureQueriesContext(connection) as ctx:
                started = time.perf_counter()
                response = client.get(path)
                times.append(time.perf_counter() - started)
        print(
            f"{username:10} {path:60} {response.status_code} {len(response.content):>10} B  "
            f"best {min(times) * 1000:.1f} ms  median {statistics.median(times) * 1000:.1f} ms  "
            f"{len(ctx)} queries"
        )
