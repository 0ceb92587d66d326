"""Study hours (学时) on the province-scale demo: a member's hours for a year, a branch's 达标
list, and the coverage of a 机关党委 and of the whole tree, with their query counts.

1. `dangjian demo --prepare-only --scale province` (only when the data is not there yet);
2. in process, for `--year`: best and median of `--runs` runs of each read, and its queries.

    .venv/bin/python bench/bench_hours.py --data-dir /tmp/prov --year 2026

The query counts must not depend on the size of what is read (that is tested in
tests/study/test_hours.py); the times are recorded in bench/README.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_compliance import _setup, _timed, generate  # noqa: E402


def _measure(label: str, work, runs: int) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        result = work()
    times, _ = _timed(work, runs)
    size = len(result) if hasattr(result, "__len__") else ""
    print(
        f"{label:<46} best {min(times) * 1000:8.1f} ms  median "
        f"{statistics.median(times) * 1000:8.1f} ms  queries {len(queries):3}  rows {size}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--year", type=int, default=2026)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    data_dir = args.data_dir or tempfile.mkdtemp(prefix="dangjian-bench-hours-")
    started = time.perf_counter()
    info = generate(data_dir)
    print(
        f"data: {data_dir} (generated: {info['generated']}, {time.perf_counter() - started:.0f} s)"
    )
    _setup(data_dir)

    from django.db.models import Count

    from dangjian.accounts.models import Role, RoleAssignment
    from dangjian.members.models import Member
    from dangjian.orgs.models import Organization, OrgKind
    from dangjian.study import hours

    year = args.year
    branch = (
        Organization.objects.filter(kind=OrgKind.BRANCH)
        .annotate(n=Count("members"))
        .order_by("-n", "pk")
        .first()
    )
    member = Member.objects.filter(organization=branch).order_by("pk").first()
    secretary = RoleAssignment.objects.filter(role=Role.BRANCH_SECRETARY).first()
    committee = Organization.objects.filter(kind=OrgKind.ORGAN_COMMITTEE).order_by("path").first()
    root = Organization.objects.get(code="GW")
    gongwei = RoleAssignment.objects.filter(organization=root, role=Role.ORGAN_COMMITTEE).first()
    print(f"members: {Member.objects.count()}, branch {branch.code} has {branch.n} members")

    _measure(
        "member_status (one member, one year)",
        lambda: [hours.member_status(member, year)],
        args.runs,
    )
    _measure("sessions (one member, one year)", lambda: hours.sessions(member, year), args.runs)
    # The roster check reads the user's roles once; give the branch's reader a role there.
    reader = secretary.user
    reader._study_branch_orgs = {branch.pk}
    _measure(
        f"branch_roster ({branch.n} members)",
        lambda: hours.branch_roster(reader, branch, year),
        args.runs,
    )
    upper = gongwei.user if gongwei else None
    if upper is not None:
        _measure(
            f"coverage of a 机关党委 ({committee.code})",
            lambda: hours.coverage(upper, committee, year)[1],
            args.runs,
        )
        _measure(
            "coverage of the whole tree (GW)",
            lambda: hours.coverage(upper, root, year)[1],
            max(1, args.runs // 2),
        )


if __name__ == "__main__":
    main()
