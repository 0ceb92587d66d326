"""Member development reads with generated pipelines: a branch's pipeline page, the 机关党委's
pending list (page and API) and the development findings of the whole tree, with query counts.

1. `dangjian demo --prepare-only` (`--scale province` with --province) in a fresh data folder;
2. `--files` development files spread over every branch at every step (bulk-inserted: this is
   data for reading, the services are tested elsewhere);
3. best and median of `--runs` runs of each read.

    .venv/bin/python bench/bench_recruitment.py --files 3000
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_compliance import _setup, _timed  # noqa: E402


def _prepare(data_dir: str, province: bool) -> None:
    env = {**os.environ, "DANGJIAN_DATA_DIR": data_dir}
    env.setdefault("DANGJIAN_SECRET_KEY", "bench-only-not-a-secret")
    cmd = [sys.executable, "-m", "dangjian.cli", "demo", "--prepare-only"]
    if province:
        cmd += ["--scale", "province"]
    subprocess.run(cmd, env=env, check=True, capture_output=True, text=True)


def _generate(n: int, today: dt.date) -> None:
    from dangjian.crypto import default_keyring
    from dangjian.orgs.models import Organization, OrgKind
    from dangjian.recruitment.models import Applicant, StepRecord
    from dangjian.regulations.recruitment import STEPS
    from dangjian.regulations.synth import make_id_number

    rng = random.Random(17)
    keyring = default_keyring()
    branches = list(Organization.objects.filter(kind=OrgKind.BRANCH).order_by("path"))
    files, steps = [], []
    for i in range(n):
        last = rng.randint(1, 24)
        birth = dt.date(1995, 1, 1) + dt.timedelta(days=rng.randint(0, 3000))
        ident = make_id_number(rng, birth, "male")
        files.append(
            Applicant(
                organization=branches[i % len(branches)],
                name=f"申请人{i}",
                gender="male",
                birth_date=birth,
                id_number_encrypted=keyring.encrypt(ident),
                id_number_index=keyring.blind_index(ident),
                stage=STEPS[last - 1].stage,
                next_step=last + 1,
            )
        )
    before = Applicant.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    Applicant.objects.bulk_create(files, batch_size=500)
    for applicant in Applicant.objects.filter(pk__gt=before).only("pk", "next_step"):
        start = today - dt.timedelta(days=30 * (applicant.next_step - 1) + rng.randint(0, 60))
        for number in range(1, applicant.next_step):
            steps.append(StepRecord(applicant=applicant, step=number, level=STEPS[number - 1].level,
                                    done_on=start + dt.timedelta(days=30 * (number - 1)),
                                    decided_by="党支部"))  # fmt: skip
    StepRecord.objects.bulk_create(steps, batch_size=1000)


def _measure(label: str, work, runs: int) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        work()
    times, _ = _timed(work, runs)
    print(f"{label:<44} best {min(times) * 1000:8.1f} ms  median "
          f"{statistics.median(times) * 1000:8.1f} ms  queries {len(queries):3}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--province", action="store_true")
    args = parser.parse_args()
    data_dir = tempfile.mkdtemp(prefix="dangjian-bench-recruit-")
    started = time.perf_counter()
    _prepare(data_dir, args.province)
    _setup(data_dir)

    from django.db.models import Q
    from django.test import Client

    from dangjian.accounts.models import User
    from dangjian.core.clock import today
    from dangjian.meetings.findings.contributors import Scope
    from dangjian.meetings.packs import rules_in_force
    from dangjian.orgs.models import Organization
    from dangjian.recruitment import findings

    _generate(args.files, today())
    print(f"data: {data_dir}, {args.files} files ({time.perf_counter() - started:.0f} s)")
    secretary, organ = User.objects.get(username="secretary"), User.objects.get(username="organ")
    branch = Organization.objects.get(code="FGW-B01")
    s_client, o_client = Client(), Client()
    s_client.force_login(secretary)
    o_client.force_login(organ)
    _measure(
        "branch pipeline page (secretary)",
        lambda: s_client.get(f"/recruitment/?org={branch.pk}"),
        args.runs,
    )
    _measure(
        "pending approvals page (机关党委)",
        lambda: o_client.get("/recruitment/pending/"),
        args.runs,
    )
    _measure(
        "pending approvals API (机关党委)",
        lambda: o_client.get("/api/v1/recruitment/pending"),
        args.runs,
    )
    root = Organization.objects.order_by("path").first()
    scope = Scope(
        where=lambda f: Q(**{f"{f}path__startswith": root.path}),
        orgs=[],
        year=today().year,
        as_of=today(),
        today=today(),
        rules=rules_in_force(),
    )
    _measure("findings of the whole tree", lambda: findings.evaluate(scope), args.runs)  # fmt: skip
    shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
