"""Periodic jobs: each app registers its own in a `jobs.py` of its own; `dangjian tick` runs
them all, in `order`, and reports their figures.

    # dangjian/dues/jobs.py
    from dangjian.core.jobs import job

    @job("dues.reminders", counters={"dues_reminders": "党费提醒 {} 条"})
    def reminders(now: dt.datetime) -> dict[str, int]:
        ...
        return {"dues_reminders": sent}

A job takes `now` (an aware datetime: the moment the tick stands for, so a missed run can be
made up with `tick --now`) and must be idempotent: running `tick` twice, or two at once, does
nothing twice (claim rows with a conditional update; give every notice a unique key).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache

from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from dangjian.core.plugins import import_app_modules

JobFunction = Callable[[dt.datetime], Mapping[str, int]]


@dataclass(frozen=True)
class Job:
    name: str  # "<app>.<what>", unique
    run: JobFunction
    # The figures the job returns, in the order they are reported: key → Chinese text, where
    # "{}" stands for the figure ("到期提醒 {} 条"). The key is the name in `tick --json`.
    counters: Mapping[str, str]
    # When the job runs (smaller first): 900 delivers what the others created (e-mail).
    order: int = 100
    # Where its figures stand in the report (smaller first).
    report_order: int = 100


# Job name → job. Tests may add one with `monkeypatch.setitem(jobs.REGISTRY, name, Job(...))`.
REGISTRY: dict[str, Job] = {}


def register(new: Job) -> Job:
    for other in REGISTRY.values():
        if other.name != new.name and set(other.counters) & set(new.counters):
            raise ImproperlyConfigured(f"jobs {other.name} and {new.name} share a counter name")
    REGISTRY[new.name] = new
    return new


def job(
    name: str, *, counters: Mapping[str, str], order: int = 100, report_order: int = 100
) -> Callable[[JobFunction], JobFunction]:
    """Register the decorated function as the job `name`."""

    def decorate(run: JobFunction) -> JobFunction:
        register(Job(name, run, dict(counters), order, report_order))
        return run

    return decorate


@cache
def discover() -> None:
    """Import every app's `jobs` module (once per process): that registers their jobs."""
    import_app_modules("jobs")


def registered() -> list[Job]:
    discover()
    return sorted(REGISTRY.values(), key=lambda j: (j.order, j.name))


@dataclass(frozen=True)
class TickReport:
    """The figures of one tick by counter key, in report order (`report["reminders"]`)."""

    counts: dict[str, int]
    texts: dict[str, str]

    def __getitem__(self, key: str) -> int:
        return self.counts[key]

    def as_dict(self) -> dict[str, int]:
        return dict(self.counts)

    def summary(self) -> str:
        """One line in Chinese: "到期提醒 0 条，…，清理导入文件 0 个。"."""
        return "，".join(self.texts[k].format(n) for k, n in self.counts.items()) + "。"


def tick(*, now: dt.datetime | None = None) -> TickReport:
    """Run every registered job once for the moment `now` (default: now). Safe to run as often
    as cron likes. A job that fails stops the tick (the next one runs them all again)."""
    now = now or timezone.now()
    jobs = registered()
    results: dict[str, Mapping[str, int]] = {}
    for each in jobs:
        results[each.name] = each.run(now)
    counts: dict[str, int] = {}
    texts: dict[str, str] = {}
    for each in sorted(jobs, key=lambda j: (j.report_order, j.order, j.name)):
        for key, text in each.counters.items():
            counts[key] = int(results[each.name].get(key, 0))
            texts[key] = text
    return TickReport(counts, texts)
