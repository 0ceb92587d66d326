"""Roster import benchmark: full import vs a bare calamine parse and a bare bulk insert.

    python bench/bench_import.py --rows 60000                  # SQLite in a temp data dir
    DANGJIAN_DATABASE_URL=postgres://postgres@127.0.0.1/bench_x python bench/bench_import.py --rows 60000
    python bench/bench_import.py --rows 200000 --memory-only   # peak memory of the import

Each measurement runs in a fresh process so peak RSS (ru_maxrss) belongs to that step alone.
The import steps' memory is also sampled from outside (every 0.1 s, by this process): the summed
PSS of the step's process and every process it forks (the roster import's helper,
members/roster/ahead.py), read from /proc/<pid>/smaps_rollup. PSS counts a page shared by two
processes half in each, so the sum is what the step holds in all, each page once; the peak of
that sum is `pss_peak_mb`. (A sampler thread inside the step would change what it measures: the
import forks its helper only from a process with one thread.)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _django(data_dir: str) -> None:
    os.environ.setdefault("DANGJIAN_DATA_DIR", data_dir)
    os.environ.setdefault("DANGJIAN_SECRET_KEY", "bench-only-not-a-secret")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")
    sys.path.insert(0, str(HERE))
    import django

    django.setup()


def _peak_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def step(name: str, path: str, data_dir: str) -> dict:
    _django(data_dir)
    from django.db import connection, transaction

    from dangjian.audit.services import Actor
    from dangjian.members.models import Member
    from dangjian.orgs.models import Organization

    root = Organization.objects.get(code="GW")
    started = time.perf_counter()
    if name == "parse":
        from python_calamine import CalamineWorkbook

        book = CalamineWorkbook.from_path(path)
        count = sum(1 for _ in book.get_sheet_by_index(0).iter_rows()) - 1
        result = {"rows": count}
    elif name == "insert":
        # The same rows as bare model objects: no validation, encryption or audit.
        from python_calamine import CalamineWorkbook

        branches = {o.code: o for o in Organization.objects.filter(kind="branch")}
        rows = CalamineWorkbook.from_path(path).get_sheet_by_index(0).iter_rows()
        next(rows)
        started = time.perf_counter()
        batch, count = [], 0
        import datetime as dt

        with transaction.atomic():
            for r in rows:
                batch.append(Member(
                    name=r[0], name_pinyin="", name_initials="", gender="male", birth_date=dt.date(1980, 1, 1),
                    id_number_encrypted=r[1], id_number_index=r[1], phone_encrypted=r[5], phone_index=r[5],
                    organization=branches[r[6]], status="full", category="employed",
                    admitted_on=dt.date.fromisoformat(r[9]), confirmed_on=dt.date.fromisoformat(r[10]),
                ))
                if len(batch) == 1000:
                    Member.objects.bulk_create(batch)
                    count += len(batch)
                    batch = []
            Member.objects.bulk_create(batch)
            count += len(batch)
            elapsed = time.perf_counter() - started
            transaction.set_rollback(True)
        return {"step": name, "seconds": elapsed, "rows": count, "peak_mb": _peak_mb(), "db": connection.vendor}
    elif name == "executemany":
        # The "bare insert": the same rows as plain tuples, one executemany per 1,000.
        import datetime as dt

        from python_calamine import CalamineWorkbook

        branches = {o.code: o.pk for o in Organization.objects.filter(kind="branch")}
        rows = CalamineWorkbook.from_path(path).get_sheet_by_index(0).iter_rows()
        next(rows)
        columns = ("name", "name_pinyin", "name_initials", "gender", "birth_date", "ethnicity",
                   "education", "id_number_encrypted", "id_number_index", "phone_encrypted",
                   "phone_index", "employee_number_encrypted", "employee_number_index", "organization_id", "status", "category", "admitted_on",
                   "confirmed_on", "admitted_on_precision", "confirmed_on_precision", "job_title",
                   "org_since", "left_reason", "created_at", "updated_at")
        q = connection.ops.quote_name
        sql = (f"INSERT INTO {q(Member._meta.db_table)} ({', '.join(q(c) for c in columns)}) "
               f"VALUES ({', '.join(['%s'] * len(columns))})")
        day, stamp = connection.ops.adapt_datefield_value, connection.ops.adapt_datetimefield_value

        def insert_rows(_model, _columns, batch):
            with connection.cursor() as cursor:
                cursor.executemany(sql, batch)
            return len(batch)

        started = time.perf_counter()
        now = stamp(dt.datetime.now(dt.UTC))
        born, since = day(dt.date(1980, 1, 1)), day(dt.date(2026, 1, 1))
        batch, count = [], 0
        with transaction.atomic():
            for r in rows:
                batch.append((
                    r[0], "", "", "male", born, "汉族", "", r[1], r[1], r[5], r[5], "", "",
                    branches[r[6]], "full", "employed", day(dt.date.fromisoformat(r[9])),
                    day(dt.date.fromisoformat(r[10])), "day", "day", "", since, "", now, now,
                ))
                if len(batch) == 1000:
                    count += insert_rows(Member, columns, batch)
                    batch = []
            count += insert_rows(Member, columns, batch)
            elapsed = time.perf_counter() - started
            transaction.set_rollback(True)
        return {"step": name, "seconds": elapsed, "rows": count, "peak_mb": _peak_mb(), "db": connection.vendor}
    else:  # import, or reimport (the same file again, after the import step)
        from dangjian.members.roster import ahead
        from dangjian.members.roster.importer import run_import

        # BENCH_AHEAD=on / off: the helper process whatever the idle cores (an A/B on a busy
        # machine); unset, the import decides as it does in use.
        forced = os.environ.get("BENCH_AHEAD")
        if forced in ("on", "off"):
            ahead.worth_it = lambda rows_left: forced == "on"

        if os.environ.get("BENCH_PROFILE"):
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            report = profiler.runcall(
                run_import, Actor.system("bench"), path, Path(path).name, root, mode="partial"
            )
            if os.environ.get("BENCH_PROFILE_OUT"):  # raw stats, for pstats' callers/callees
                profiler.dump_stats(f"{os.environ['BENCH_PROFILE_OUT']}-{name}")
            stats = pstats.Stats(profiler, stream=sys.stderr)
            stats.sort_stats("cumulative").print_stats(45)
            stats.sort_stats("tottime").print_stats(25)
        else:
            report = run_import(Actor.system("bench"), path, Path(path).name, root, mode="partial")
        result = {"created": report.created, "rejected": report.rejected, "updated": report.updated}
        import resource

        own, helper = (resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
        # The helper process (roster/ahead.py), when one ran: its peak (pages it shares with
        # this process count in both) and the CPU of both.
        result["helper_peak_mb"] = round(helper.ru_maxrss / 1024)
        result["cpu_s"] = round(own.ru_utime + own.ru_stime + helper.ru_utime + helper.ru_stime, 2)
        if report.errors:
            result["first_errors"] = [e.__dict__ for e in report.errors[:3]]
    return {"step": name, "seconds": time.perf_counter() - started, "peak_mb": _peak_mb(),
            "db": connection.vendor, **result}


def _children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (Linux /proc; no /proc/<pid>/task/*/children here)."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as stat:
                # The command name may hold spaces and parentheses: the fields follow the last ")".
                fields = stat.read().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(entry))
    return out


def _rollup(pid: int) -> dict[str, int]:
    """A process's smaps_rollup in kB (Pss, Pss_Anon, Private_Dirty, ...); {} once it is gone."""
    out = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as rollup:
            for line in rollup:
                key, _, rest = line.partition(":")
                if rest.strip().endswith("kB"):
                    out[key] = int(rest.split()[0])
    except (OSError, ValueError):
        return {}
    return out


def _pss_kb(pid: int) -> int:
    return _rollup(pid).get("Pss", 0)


class PssSampler:
    """The peak of the summed PSS of a process and its descendants, sampled every `every` s."""

    def __init__(self, pid: int, every: float = 0.1) -> None:
        self.pid, self.every = pid, every
        self.peak_kb = 0
        self.peak_processes = 0
        self.most_processes = 0
        self.peak_detail: list[dict] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            pids, todo = [], [self.pid]
            while todo:
                pid = todo.pop()
                pids.append(pid)
                todo.extend(_children(pid))
            rollups = [_rollup(pid) for pid in pids]
            total = sum(r.get("Pss", 0) for r in rollups)
            self.most_processes = max(self.most_processes, len(pids))
            if total > self.peak_kb:
                self.peak_kb, self.peak_processes = total, len(pids)
                # Where the peak's memory is, per process (MB): PSS, and of it the anonymous
                # (heap) part; the private and shared resident pages.
                self.peak_detail = [
                    {
                        key: round(r.get(field, 0) / 1024)
                        for key, field in (
                            ("pss", "Pss"),
                            ("pss_anon", "Pss_Anon"),
                            ("private", "Private_Dirty"),
                            ("shared", "Shared_Dirty"),
                        )
                    }
                    for r in rollups
                ]
            self._stop.wait(self.every)

    def stop(self) -> dict:
        self._stop.set()
        self._thread.join()
        return {
            "pss_peak_mb": round(self.peak_kb / 1024),
            "pss_peak_processes": self.peak_processes,
            "processes": self.most_processes,
            "pss_peak_by_process": self.peak_detail,
        }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=60000)
    parser.add_argument("--memory-only", action="store_true", help="only the full import (for peak memory)")
    parser.add_argument("--profile", action="store_true", help="run the import under cProfile (stats to stderr)")
    parser.add_argument("--step", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        print(json.dumps(step(args.step, args.file, args.data_dir)))
        return
    data_dir = tempfile.mkdtemp(prefix="dangjian-bench-")
    env = {**os.environ, "DANGJIAN_DATA_DIR": data_dir, "DANGJIAN_SECRET_KEY": "bench-only-not-a-secret"}
    subprocess.run([sys.executable, "-m", "dangjian.cli", "demo", "--prepare-only"], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    _django(data_dir)
    from roster_data import write_xlsx

    from dangjian.orgs.models import Organization

    codes = list(Organization.objects.filter(kind="branch").values_list("code", flat=True))
    path = Path(data_dir) / f"roster-{args.rows}.xlsx"
    t = time.perf_counter()
    write_xlsx(path, args.rows, codes)
    print(f"generated {args.rows} rows in {time.perf_counter() - t:.1f}s: {path} ({path.stat().st_size / 1e6:.1f} MB)")
    steps = ["import"] if args.memory_only else ["parse", "insert", "executemany", "import", "reimport"]
    results = {}
    if args.profile:
        env["BENCH_PROFILE"] = "1"
    for name in steps:
        process = subprocess.Popen(
            [sys.executable, __file__, "--step", name, "--file", str(path), "--data-dir", data_dir],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        sampler = PssSampler(process.pid) if name in ("import", "reimport") else None
        stdout, stderr = process.communicate()
        sampled = sampler.stop() if sampler is not None else {}
        if process.returncode:
            sys.stderr.write(stderr)
            raise SystemExit(f"step {name} failed ({process.returncode})")
        if args.profile and name in ("import", "reimport"):
            sys.stderr.write(stderr)
        out = stdout.strip().splitlines()[-1]
        results[name] = {**json.loads(out), **sampled}
        print(json.dumps(results[name], ensure_ascii=False))
    if "parse" in results:
        full = results["import"]["seconds"]
        print(
            f"\n{args.rows} rows on {results['import']['db']}: import {full:.1f}s "
            f"(parse alone {results['parse']['seconds']:.2f}s = {full / results['parse']['seconds']:.0f}x; "
            f"bare bulk insert {results['insert']['seconds']:.2f}s = {full / results['insert']['seconds']:.1f}x); "
            f"peak RSS {results['import']['peak_mb']:.0f} MB"
        )
        bare = results["parse"]["seconds"] + results["insert"]["seconds"]
        print(f"import / (bare parse + bare insert) = {full:.1f}s / {bare:.2f}s = {full / bare:.1f}x (target <= 8x)")
        bare = results["parse"]["seconds"] + results["executemany"]["seconds"]
        print(f"import / (bare parse + bare executemany) = {full:.1f}s / {bare:.2f}s = {full / bare:.1f}x "
              "(the issue's limit: target <= 8x)")
        print(f"re-import of the same file: {results['reimport']['seconds']:.1f}s "
              f"(updated {results['reimport']['updated']}, target <= 3 s)")
    imported = results["import"]
    print(f"import memory: summed PSS peak {imported['pss_peak_mb']} MB over "
          f"{imported['pss_peak_processes']} process(es) (target < 300 MB); peak RSS of the import "
          f"process {imported['peak_mb']:.0f} MB, of its helper {imported['helper_peak_mb']} MB")
    # Not part of the import: this process (Django and the generated file's writer), for whoever
    # sums the whole tree from here.
    print(f"(this bench process, not counted above: PSS {_pss_kb(os.getpid()) / 1024:.0f} MB)")


if __name__ == "__main__":
    main()
