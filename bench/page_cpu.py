"""One page for one user, in process through Django's test client (every middleware): the best
and median of three requests after one not counted, and the queries of the last.

    DANGJIAN_DATA_DIR=/tmp/prov python bench/page_cpu.py secretary /desk/statistics/

Logs the user in with force_login (a session row is written into the data folder's database:
run it on a copy). For an A/B run, point PYTHONPATH at each tree's src/ in turn.
"""

from __future__ import annotations

import os
import sys
import time


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")
    os.environ.setdefault("DANGJIAN_ALLOWED_HOSTS", "testserver")
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from dangjian.accounts.models import User

    username, path = sys.argv[1], sys.argv[2]
    client = Client()
    client.force_login(User.objects.get(username=username))
    client.get(path)
    times = []
    for _ in range(3):
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            response = client.get(path)
            times.append(time.perf_counter() - start)
    with open("/proc/loadavg") as f:
        load = f.read().split()[0]
    print(
        f"{username} {path} {response.status_code} best {min(times):.2f} s "
        f"median {sorted(times)[1]:.2f} s, {len(queries)} queries, load {load}"
    )


if __name__ == "__main__":
    main()
