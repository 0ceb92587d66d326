"""Background roster jobs: the preview (dry run) and the confirmed import, with progress."""

from __future__ import annotations

import datetime as dt
import logging
import time
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from dangjian.audit.services import Actor
from dangjian.members.models import ImportJob, ImportStatus
from dangjian.members.roster.importer import run_import, write_errors
from dangjian.members.roster.reader import RosterFileError

log = logging.getLogger(__name__)


def upload_path(job: ImportJob) -> Path:
    return Path(settings.IMPORT_DIR) / job.stored_name


def errors_path(job: ImportJob) -> Path:
    return Path(settings.IMPORT_DIR) / f"{Path(job.stored_name).stem}-errors.xlsx"


class _Progress:
    """Writes progress to the job row at most twice a second."""

    def __init__(self, job: ImportJob):
        self.job = job
        self.last = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.last < 0.5 and done < total:
            return
        self.last = now
        ImportJob.objects.filter(pk=self.job.pk).update(progress_done=done, progress_total=total)


def _fail(job: ImportJob, message: str) -> None:
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.FAILED, error=message[:500], finished_at=timezone.now()
    )


RETENTION = dt.timedelta(days=7)


def remove_old_files(now: dt.datetime | None = None) -> int:
    """Uploads and error files hold unmasked personal data: keep them a week at most."""
    cutoff = (now or timezone.now()) - RETENTION
    removed = 0
    for job in ImportJob.objects.filter(created_at__lt=cutoff).only("stored_name"):
        for path in (upload_path(job), errors_path(job)):
            if path.exists():
                path.unlink()
                removed += 1
    return removed


def run_preview(job_id: int) -> None:
    remove_old_files()
    job = ImportJob.objects.select_related("created_by", "organization").get(pk=job_id)
    actor = Actor(job.created_by, "")
    path = upload_path(job)
    try:
        report = run_import(
            actor,
            str(path),
            job.filename,
            job.organization,
            mode=job.mode,
            dry_run=True,
            allow_moves=True,
            sheet=job.sheet or None,
            progress=_Progress(job),
        )
        if report.rejected:
            write_errors(str(path), job.filename, report, str(errors_path(job)))
    except RosterFileError as exc:
        _fail(job, exc.message)
        return
    except Exception:
        log.exception("roster preview %s failed", job_id)
        _fail(job, "检查文件时发生内部错误，请联系系统管理员")
        return
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.PREVIEWED,
        preview=report.as_json(),
        sheet=report.sheet,
        progress_done=report.rows,
        progress_total=report.rows,
    )


def run_apply(job_id: int) -> None:
    job = ImportJob.objects.select_related("created_by", "organization").get(pk=job_id)
    actor = Actor(job.created_by, "")
    path = upload_path(job)
    try:
        report = run_import(
            actor,
            str(path),
            job.filename,
            job.organization,
            mode=job.mode,
            allow_moves=job.allow_moves,
            sheet=job.sheet or None,
            progress=_Progress(job),
        )
    except RosterFileError as exc:
        _fail(job, exc.message)
        return
    except Exception:
        log.exception("roster import %s failed", job_id)
        _fail(job, "导入时发生内部错误，未写入任何数据，请联系系统管理员")
        return
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.DONE, result=report.as_json(), finished_at=timezone.now()
    )
    # The upload holds unmasked personal data: keep it no longer than the job needs it.
    path.unlink(missing_ok=True)
