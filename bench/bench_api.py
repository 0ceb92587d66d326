"""Load test: concurrent users against `dangjian serve`, to 127.0.0.1 only, bounded in time.

    # the province demo in a data folder (dangjian demo --prepare-only --scale province), then
    DANGJIAN_DATA_DIR=/tmp/prov python bench/bench_api.py --users 20 --seconds 60
    DANGJIAN_DATA_DIR=/tmp/prov python bench/bench_api.py --users 5,10,20,50 --seconds 30  # knee
    # or the organ demo (dangjian demo --prepare-only); the bench adds its 机关工委 account
    DANGJIAN_DATA_DIR=/tmp/organ python bench/bench_api.py --users 5,10,20,50 --seconds 60

The script starts `dangjian serve` itself (default workers unless --workers), on a free port
of 127.0.0.1, with the same data folder and database; logs each persona in (a session for the
pages, an API token for the API; both made in this process through Django, as `force_login`
and `create_token` do) and, after a warm-up not counted (--warmup), runs N users for the given seconds. Each user loops: pick an action
from the mix for its persona (round-robin over members, secretaries, the 机关党委, the 机关工委
and API clients), send it, wait `--think` seconds (uniform 0..2×think). Then it prints, per
action, the count, errors (status >= 400 or no answer, then listed by status), p50/p95/p99,
and the throughput, and the CPU per request of the server's workers and of the database's
backends (from /proc: what each answer cost the cores, whatever else runs on the machine).
Writes (a secretary planning a meeting, a member asking for leave) go to the data folder's
database: run it on a copy.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")
    import django

    django.setup()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _credentials() -> dict[str, dict[str, str]]:
    """A session cookie and an API token per persona (made directly, as the tests do)."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    from dangjian.accounts.services import create_token
    from dangjian.audit.services import Actor

    settings.ALLOWED_HOSTS = ["*"]
    _ensure_gongwei()
    out = {}
    for username in ("member", "secretary", "organ", "gongwei"):
        user = get_user_model().objects.get(username=username)
        client = Client()
        client.force_login(user)
        out[username] = {
            "cookie": f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}",
            "token": create_token(Actor.system("bench"), user, name="bench_api", days=1),
        }
    return out


def _ensure_gongwei() -> None:
    """The 机关工委 persona over the whole tree. The province demo has it (`gongwei`); the organ
    demo (`dangjian demo --prepare-only`) has only the first department's accounts, so the
    bench adds the same account over the organ's root through the demo's own service (audited,
    in the bench's copy of the data)."""
    from django.contrib.auth import get_user_model

    from dangjian.audit.services import Actor
    from dangjian.demo.organ import ROOT_CODE
    from dangjian.demo.users import DEFAULT_PASSWORD, PROVINCE_USER, ensure_province_user
    from dangjian.orgs.models import Organization

    if get_user_model().objects.filter(username=PROVINCE_USER[0]).exists():
        return
    root = Organization.objects.get(code=ROOT_CODE)
    ensure_province_user(Actor.system("bench"), DEFAULT_PASSWORD, root)


def _context() -> dict:
    """Ids the mix needs: the secretary's branch code, a planned meeting of it."""
    from django.contrib.auth import get_user_model

    from dangjian.accounts.access import Action, scope_for
    from dangjian.meetings.models import Meeting, MeetingStatus
    from dangjian.orgs.models import Organization

    secretary = get_user_model().objects.get(username="secretary")
    path = scope_for(secretary).paths[Action.WRITE][0]
    branch = Organization.objects.get(path=path)
    planned = (
        Meeting.objects.filter(organization=branch, status=MeetingStatus.PLANNED)
        .order_by("-starts_at")
        .values_list("pk", flat=True)
        .first()
    )
    # The API client pages through the members it may read (the 机关党委's department): pages
    # past the last answer empty lists, so draw only pages that exist (at most 50).
    from django.conf import settings

    from dangjian.members.queries import MemberFilter, member_list

    organ = get_user_model().objects.get(username="organ")
    count = member_list(organ, MemberFilter.from_params({}, None)).count()
    pages = max(1, min(50, -(-count // settings.PAGE_SIZE)))
    return {"branch": branch.code, "planned": planned, "pages": pages}


def _mix(ctx: dict, year: int) -> dict[str, list[tuple[int, str, str, str, dict | None]]]:
    """Per persona: (weight, name, method, path, body); `auth` chosen by the path."""
    y = year
    return {
        "member": [
            (4, "member: my meetings (API)", "GET", f"/api/v1/meetings?year={y}", None),
            (2, "member: my meetings (page)", "GET", "/meetings/mine/", None),
            (2, "member: inbox (API)", "GET", "/api/v1/inbox", None),
            (1, "member: home", "GET", "/", None),
        ],
        "secretary": [
            (3, "secretary: meetings (API)", "GET", f"/api/v1/meetings?year={y}", None),
            (2, "secretary: calendar (page)", "GET", "/meetings/", None),
            (1, "secretary: plan a meeting (API)", "POST", "/api/v1/meetings", {
                "organization": ctx["branch"], "kind": "theme_day", "topic": "负载测试主题党日",
                "starts_at": f"{y}-12-20T14:30", "place": "会议室",
                # the same meeting planned again and again: past the same-day question
                "confirm_duplicate": True,
            }),
            (1, "secretary: work items (API)", "GET", "/api/v1/work-items", None),
        ],
        "organ": [
            (2, "organ: findings (page)", "GET", "/compliance/", None),
            (2, "organ: work items (API)", "GET", "/api/v1/work-items", None),
            (1, "organ: compliance roll-ups (API)", "GET", f"/api/v1/compliance?year={y}&findings=false", None),
        ],
        "gongwei": [
            (2, "gongwei: findings (page)", "GET", "/compliance/", None),
            (2, "gongwei: compliance GW roll-ups (API)", "GET",
             f"/api/v1/compliance?org=GW&year={y}&findings=false", None),
            (1, "gongwei: work items (API)", "GET", "/api/v1/work-items", None),
            (1, "gongwei: org tree (page)", "GET", "/orgs/", None),
        ],
        "api": [
            (3, "api: members page (API)", "GET", "/api/v1/members?page={page}", None),
            (1, "api: org tree (API)", "GET", "/api/v1/orgs/tree", None),
        ],
    }


PERSONAS = ["member", "secretary", "organ", "gongwei", "api"]


def _user(
    n: int, port: int, creds: dict, mix: dict, until: float, think: float, out: list, pages: int
) -> None:
    persona = PERSONAS[n % len(PERSONAS)]
    who = "organ" if persona == "api" else persona
    actions = mix[persona]
    weights = [a[0] for a in actions]
    rng = random.Random(n)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    while time.monotonic() < until:
        _, name, method, path, body = rng.choices(actions, weights)[0]
        path = path.replace("{page}", str(rng.randint(1, pages)))
        headers = {"Host": "127.0.0.1"}
        if path.startswith("/api/"):
            headers["Authorization"] = f"Bearer {creds[who]['token']}"
        else:
            headers["Cookie"] = creds[who]["cookie"]
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        started = time.monotonic()
        try:
            conn.request(method, path, body=data, headers=headers)
            response = conn.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            status = 0
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        out.append((name, time.monotonic() - started, status, time.monotonic()))
        if think:
            time.sleep(rng.uniform(0, 2 * think))
    conn.close()


def _ticks(pid: int) -> int:
    """utime + stime of a process, in clock ticks (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


def _server_pids(server: int) -> dict[str, list[int]]:
    """The gunicorn workers (the server's children) and the PostgreSQL backends of the bench's
    database (none on SQLite, where the database runs inside the workers)."""
    try:
        with open(f"/proc/{server}/task/{server}/children") as f:
            workers = [int(p) for p in f.read().split()]
    except OSError:
        workers = []
    backends: list[int] = []
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid()"
            )
            backends = [row[0] for row in cursor.fetchall()]
    return {"workers": workers, "database": backends}


def _load() -> str:
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


def _cpu(server: int) -> dict[str, dict[int, int]]:
    return {group: {p: _ticks(p) for p in pids} for group, pids in _server_pids(server).items()}


def _cpu_ms(before: dict, after: dict, requests: int) -> dict[str, float]:
    """CPU milliseconds per request of the workers and of the database's backends over a run:
    what the machine's cores spent per answer, whatever else was running beside them. A
    backend opened during the run counts whole; one closed during it is lost (they live a
    minute, DANGJIAN_DB_CONN_MAX_AGE)."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for group in ("workers", "database"):
        spent = sum(n - before[group].get(p, 0) for p, n in after[group].items())
        out[group] = spent * 1000 / tick / max(requests, 1)
    return out


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] * 1000


def run(
    users: int, seconds: float, think: float, port: int, creds, mix, pages: int, server: int = 0
) -> dict:
    out: list = []
    cpu_before = _cpu(server) if server else None
    until = time.monotonic() + seconds
    threads = [
        threading.Thread(target=_user, args=(n, port, creds, mix, until, think, out, pages), daemon=True)
        for n in range(users)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 120)
    by: dict[str, list] = defaultdict(list)
    for name, took, status, _ in out:
        by[name].append((took, status))
    rows = {}
    for name in sorted(by):
        took = [t for t, _ in by[name]]
        errors = sum(1 for _, s in by[name] if s == 0 or s >= 400)
        rows[name] = {
            "n": len(took), "errors": errors,
            "p50": _pct(took, 0.5), "p95": _pct(took, 0.95), "p99": _pct(took, 0.99),
        }
    every = [took for _, took, *_ in out]
    failed: dict[str, int] = defaultdict(int)  # "action: status" (0: no answer)
    for name, _, status, _ in out:
        if status == 0 or status >= 400:
            failed[f"{name}: {status}"] += 1
    total = {
        "users": users, "requests": len(out), "rps": len(out) / seconds,
        "errors": sum(r["errors"] for r in rows.values()),
        "p50": _pct(every, 0.5) if every else 0, "p95": _pct(every, 0.95) if every else 0,
        "p99": _pct(every, 0.99) if every else 0,
    }
    if cpu_before is not None:
        total["cpu_ms"] = _cpu_ms(cpu_before, _cpu(server), len(out))
    return {"total": total, "actions": rows, "failed": dict(failed)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", default="20", help="concurrent users; a list (5,10,20) runs each")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--think", type=float, default=0.5, help="mean pause between requests (s)")
    parser.add_argument("--workers", type=int, default=None, help="dangjian serve --workers")
    parser.add_argument("--year", type=int, default=2026)
    parser.add_argument("--gunicorn", default="", help="extra gunicorn options, e.g. '--threads 4'")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--warmup", type=float, default=20, help="seconds of traffic not counted")
    args = parser.parse_args()
    _django()
    creds = _credentials()
    ctx = _context()
    mix = _mix(ctx, args.year)
    port = _free_port()
    # No ticker nor task worker: the first tick on fresh province data plans a year of every
    # branch's meetings, which is not what this measures.
    command = [sys.executable, "-m", "dangjian.cli", "serve", "--bind", f"127.0.0.1:{port}",
               "--no-migrate", "--no-tick", "--no-task-worker"]
    if args.workers:
        command += ["--workers", str(args.workers)]
    command += args.gunicorn.split()
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(120):
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=2).request("GET", "/healthz")
                break
            except OSError:
                time.sleep(0.5)
        if args.warmup:
            # Each worker's first requests load the rule packs and fill the findings cache (the
            # cache-empty cost in the compliance section): not part of the steady state.
            run(max(int(u) for u in args.users.split(",")), args.warmup, args.think, port, creds, mix, ctx["pages"])
        for users in [int(u) for u in args.users.split(",")]:
            result = run(
                users, args.seconds, args.think, port, creds, mix, ctx["pages"], server.pid
            )
            if args.json:
                print(json.dumps(result, ensure_ascii=False))
                continue
            t = result["total"]
            print(f"\n{users} users, {args.seconds:.0f} s, think {args.think} s: {t['requests']} requests, "
                  f"{t['rps']:.1f} req/s, errors {t['errors']}, p50/p95/p99 "
                  f"{t['p50']:.0f}/{t['p95']:.0f}/{t['p99']:.0f} ms")
            cpu = t["cpu_ms"]
            print(f"CPU per request: workers {cpu['workers']:.1f} ms, database {cpu['database']:.1f} ms"
                  f" (load average {_load()} at the end)")
            print("| action | n | errors | p50 ms | p95 ms | p99 ms |\n|---|---|---|---|---|---|")
            for name, r in result["actions"].items():
                print(f"| {name} | {r['n']} | {r['errors']} | {r['p50']:.0f} | {r['p95']:.0f} | {r['p99']:.0f} |")
            if result["failed"]:
                print("errors by action and status (0: no answer):", result["failed"])
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    main()
