"""The periodic-job registry behind `dangjian tick`: every app's `jobs.py` is found without the
runner naming it, a job an app registers runs from `tick` with the moment it stands for, and its
figures join the report (JSON and Chinese)."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from dangjian.core import jobs
from dangjian.regulations.periods import TZ


def run(*args, **options) -> str:
    out = io.StringIO()
    call_command("tick", *args, stdout=out, **options)
    return out.getvalue()


def test_the_apps_jobs_are_found_and_run_in_order():
    # Delivery (e-mail) comes after every job that creates notices.
    assert [j.name for j in jobs.registered()] == [
        "audit.anchor",
        "audit.denials",
        "desk.dossiers",
        "dues.arrears",
        "duties.deadlines",
        "meetings.series",
        "members.import_files",
        "recruitment.deadlines",
        "study.ocr",
        "transfers.letters",
        "notices.email",
    ]


@pytest.fixture
def probe(monkeypatch):
    """A job of an app the runner knows nothing about; it records when it was run."""
    calls: list[dt.datetime] = []

    def count_pending(now: dt.datetime) -> dict[str, int]:
        calls.append(now)
        return {"probe_checked": 7, "probe_fixed": len(calls) - 1}

    jobs.registered()  # the real apps' jobs first, as in a running server
    monkeypatch.setitem(
        jobs.REGISTRY,
        "probe.pending",
        jobs.Job(
            "probe.pending",
            count_pending,
            {"probe_checked": "检查探针 {} 项", "probe_fixed": "修复 {} 项"},
            order=950,
            report_order=70,
        ),
    )
    return calls


def test_a_job_registered_by_an_app_runs_from_tick_and_joins_the_report(demo, probe):
    first = json.loads(run("--json", now="2026-04-01T09:30"))
    text = run(now="2026-04-01T09:30")

    assert probe == [dt.datetime(2026, 4, 1, 9, 30, tzinfo=TZ)] * 2
    assert (first["probe_checked"], first["probe_fixed"]) == (7, 0)
    assert {"reminders", "emails", "series_meetings", "import_files_removed"} <= set(first)
    assert text.strip().endswith("扫描件文字识别 0 份，检查探针 7 项，修复 1 项。")


def test_two_jobs_may_not_report_the_same_figure(monkeypatch):
    jobs.registered()
    monkeypatch.setattr(jobs, "REGISTRY", dict(jobs.REGISTRY))
    with pytest.raises(ImproperlyConfigured, match="share a counter"):
        jobs.register(jobs.Job("probe.again", lambda now: {}, {"reminders": "又一个 {} 条"}))
