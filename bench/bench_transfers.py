"""Transfer reads with transfers in flight: an organization's transfers page (a branch's
secretary, the 机关党委), the waiting list (API and inbox count), the transfer findings of the
whole tree, and one receipt through the service, with query counts.

1. `dangjian demo --prepare-only` (`--scale province` with --province) in a fresh data folder;
2. one open transfer for each of up to `--transfers` members (a member has at most one open
   transfer), spread over every branch, half applied and half issued with letters expiring
   from a month ago to three months ahead, plus closed ones to make up `--transfers` (bulk-
   inserted: this is data for reading, the services are tested elsewhere);
3. best and median of `--runs` runs of each read; five receipts; one bulk move (整建制转移) of
   the largest branch with nobody in transit.

    .venv/bin/python bench/bench_transfers.py --transfers 3000
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_compliance import _setup, _timed  # noqa: E402
from bench_recruitment import _prepare  # noqa: E402


def _generate(n: int, today: dt.date) -> tuple[int, int]:
    from dangjian.members.models import Member
    from dangjian.orgs.models import Organization, OrgKind
    from dangjian.transfers.models import Transfer, TransferStatus

    rng = random.Random(23)
    branches = list(Organization.objects.filter(kind=OrgKind.BRANCH).order_by("path"))
    # The largest branch keeps nobody in transit: the bulk move at the end takes it whole.
    reserved = _largest_branch()
    members = list(
        Member.objects.filter(left_on__isnull=True)
        .exclude(organization=reserved)
        .select_related("organization")
        .order_by("pk")
    )
    rows = []
    for i in range(n):
        member = members[i % len(members)]
        target = branches[(i * 7 + 3) % len(branches)]
        if target.pk == member.organization_id:
            target = branches[(i * 7 + 4) % len(branches)]
        open_ = i < len(members)
        issued = today - dt.timedelta(days=rng.randint(0, 120))
        approved = open_ and i % 2 == 1 or not open_
        rows.append(
            Transfer(
                kind="within",
                member=member,
                from_organization=member.organization,
                organization=member.organization,
                to_organization=target,
                reason="工作调动",
                applied_on=issued - dt.timedelta(days=3),
                status=(TransferStatus.APPROVED if approved else TransferStatus.APPLIED)
                if open_
                else TransferStatus.COMPLETED,
                approved_on=issued if approved else None,
                valid_until=issued + dt.timedelta(days=90) if approved else None,
                letter_number=f"B{i:08d}" if approved else "",
                received_on=None if open_ else issued + dt.timedelta(days=10),
                closed_on=None if open_ else issued + dt.timedelta(days=10),
                open_key=member.pk if open_ else None,
            )
        )
    Transfer.objects.bulk_create(rows, batch_size=500)
    in_flight = min(n, len(members))
    return in_flight, n - in_flight


def _absences(n: int, today: dt.date) -> int:
    """Up to `n` open 失去联系/出国出境 records, one per member (the last members), out of
    contact or abroad since 0–8 years ago, a third suspended seven months in (bulk-inserted)."""
    from dangjian.members.models import Member
    from dangjian.transfers.models import AbsenceKind, AbsenceRecord

    rng = random.Random(29)
    members = list(Member.objects.filter(left_on__isnull=True).order_by("-pk")[:n])
    rows = []
    for i, member in enumerate(members):
        since = today - dt.timedelta(days=rng.randint(30, 8 * 365))
        kind = AbsenceKind.ABROAD if i % 4 == 0 else AbsenceKind.LOST_CONTACT
        suspended = since + dt.timedelta(days=213) if i % 3 == 0 and kind != "abroad" else None
        rows.append(
            AbsenceRecord(
                member=member,
                kind=kind,
                since=since,
                suspended_on=suspended if suspended and suspended <= today else None,
                open_key=member.pk,
            )
        )
    AbsenceRecord.objects.bulk_create(rows, batch_size=500)
    return len(rows)


def _measure(label: str, work, runs: int) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        work()
    times, _ = _timed(work, runs)
    print(f"{label:<48} best {min(times) * 1000:8.1f} ms  median "
          f"{statistics.median(times) * 1000:8.1f} ms  queries {len(queries):3}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--transfers", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--province", action="store_true")
    parser.add_argument(
        "--absences", type=int, default=0, help="open 失去联系/出国出境 records to generate"
    )
    parser.add_argument(
        "--bulk-size",
        type=int,
        default=0,
        help="top the largest branch up to this many members before the bulk move (e.g. 50)",
    )
    args = parser.parse_args()
    data_dir = tempfile.mkdtemp(prefix="dangjian-bench-transfers-")
    started = time.perf_counter()
    _prepare(data_dir, args.province)
    _setup(data_dir)

    from django.db.models import Q
    from django.test import Client

    from dangjian.accounts.models import User
    from dangjian.audit.services import Actor
    from dangjian.core.clock import today
    from dangjian.meetings.findings.contributors import Scope
    from dangjian.meetings.packs import rules_in_force
    from dangjian.orgs.models import Organization
    from dangjian.transfers import findings, inbox, services
    from dangjian.transfers.models import Transfer, TransferStatus

    in_flight, closed = _generate(args.transfers, today())
    print(f"data: {data_dir}, {in_flight} transfers in flight, {closed} closed "
          f"({time.perf_counter() - started:.0f} s)")  # fmt: skip
    secretary, organ = User.objects.get(username="secretary"), User.objects.get(username="organ")
    branch = Organization.objects.get(code="FGW-B01")
    committee = Organization.objects.get(code="FGW-JGDW")
    s_client, o_client = Client(), Client()
    s_client.force_login(secretary)
    o_client.force_login(organ)
    _measure("branch transfers page (secretary, FGW-B01)",
             lambda: s_client.get(f"/transfers/?org={branch.pk}"), args.runs)  # fmt: skip
    _measure("机关党委 transfers page (FGW-JGDW)",
             lambda: o_client.get(f"/transfers/?org={committee.pk}"), args.runs)  # fmt: skip
    _measure("waiting for the 机关党委, API",
             lambda: o_client.get("/api/v1/transfers/waiting"), args.runs)  # fmt: skip
    _measure("inbox count of the 机关党委", lambda: inbox._count(organ), args.runs)
    root = Organization.objects.order_by("path").first()
    scope = Scope(
        where=lambda f: Q(**{f"{f}path__startswith": root.path}),
        orgs=[],
        year=today().year,
        as_of=today(),
        today=today(),
        rules=rules_in_force(),
    )
    found = sum(len(v) for v in findings.evaluate(scope).values())
    _measure(f"findings of the whole tree ({found})", lambda: findings.evaluate(scope), args.runs)
    if args.absences:
        from dangjian.transfers import absence_findings

        made = _absences(args.absences, today())
        found = sum(len(v) for v in absence_findings.evaluate(scope).values())
        _measure(f"absence findings, whole tree ({made} records, {found})",
                 lambda: absence_findings.evaluate(scope), args.runs)  # fmt: skip
    issued = list(
        Transfer.objects.filter(status=TransferStatus.APPROVED, valid_until__gte=today()).order_by(
            "pk"
        )[: args.runs]
    )
    times = []
    for transfer in issued:
        t0 = time.perf_counter()
        services.receive(Actor.system("bench"), transfer, today())
        times.append(time.perf_counter() - t0)
    print(f"{'one receipt (services.receive, history moved)':<48} best {min(times) * 1000:8.1f} ms"
          f"  median {statistics.median(times) * 1000:8.1f} ms")  # fmt: skip
    _bulk(today(), args.bulk_size)
    shutil.rmtree(data_dir, ignore_errors=True)


def _largest_branch():
    from django.db.models import Count, Q

    from dangjian.orgs.models import Organization, OrgKind

    return (
        Organization.objects.filter(kind=OrgKind.BRANCH)
        .annotate(n=Count("members", filter=Q(members__left_on__isnull=True)))
        .order_by("-n", "path")
        .first()
    )


def _top_up(source, size: int) -> None:
    """New members in `source` (through the service, untimed) until it has `size`."""
    from dangjian.audit.services import Actor
    from dangjian.core.errors import ServiceValidationError
    from dangjian.members.models import Member
    from dangjian.members.services import create_member
    from dangjian.regulations.synth import make_id_number, make_phone

    rng = random.Random(50)
    have = Member.objects.filter(organization=source, left_on__isnull=True).count()
    while have < size:
        data = {"name": "整建制测试", "status": "full", "category": "employed",
                "id_number": make_id_number(rng, dt.date(1985, 1, 1) + dt.timedelta(days=have),
                                            "male"),
                "phone": make_phone(rng), "admitted_on": "2010-07-01",
                "confirmed_on": "2011-07-01", "ethnicity": "汉族", "education": "university"}  # fmt: skip
        try:
            create_member(Actor.system("bench"), source, data)
            have += 1
        except ServiceValidationError:
            continue  # an ID number the demo already holds: draw another


def _bulk(day: dt.date, size: int = 0) -> None:
    """One bulk move (整建制转移) of the largest branch (kept free of transfers, topped up to
    `size` members) into another branch: the preview's checks, then the move (a write: timed
    once)."""
    from dangjian.audit.services import Actor
    from dangjian.orgs.models import Organization, OrgKind
    from dangjian.transfers import services

    source = _largest_branch()
    if size:
        _top_up(source, size)
    target = Organization.objects.filter(kind=OrgKind.BRANCH).exclude(pk=source.pk).first()
    t0 = time.perf_counter()
    chosen = services.check_bulk_move(Actor.system("bench"), source, target, day, "机构调整")
    took = time.perf_counter() - t0
    print(f"{f'bulk move preview ({len(chosen)} members)':<48} once {took * 1000:8.1f} ms")
    t0 = time.perf_counter()
    moved = services.bulk_move(Actor.system("bench"), source, target, day, "机构调整")
    took = time.perf_counter() - t0
    print(f"{f'bulk move of a {len(moved)}-member branch':<48} once {took * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
