"""Background roster jobs: the preview (dry run) and the confirmed import, with progress.

Both read the upload decrypted into memory (`files`); the preview's outcome and any failure
are audit events, as the steps a user takes are (`members.import_services`).
"""

from __future__ import annotations

import io
import logging
import time

from django.utils import timezone

from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor, record
from dangjian.crypto import DecryptionError
from dangjian.members.models import ImportJob, ImportStatus
from dangjian.members.roster import files
from dangjian.members.roster.files import errors_path, remove_old_files, upload_path
from dangjian.members.roster.importer import ImportReport, run_import, write_errors
from dangjian.members.roster.reader import RosterFileError

__all__ = ["errors_path", "remove_old_files", "run_apply", "run_preview", "upload_path"]

log = logging.getLogger(__name__)

MSG_UPLOAD_GONE = "上传的文件已过期或无法读取，请重新上传"


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


def _fail(job: ImportJob, actor: Actor, step: str, message: str) -> None:
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.FAILED, error=message[:500], finished_at=timezone.now()
    )
    job_event(
        actor,
        job,
        job.status,
        ImportStatus.FAILED,
        f"{step}花名册「{job.filename}」失败：{message}",
    )


def job_event(actor: Actor, job: ImportJob, before: str, after: str, message: str) -> None:
    """One step of an import job in the audit log: its status before and after, and what."""
    record(
        actor,
        AuditAction.CREATE if before == "" else AuditAction.UPDATE,
        job,
        object_repr=job.filename[:200],
        changes={"status": [before or None, after]},
        message=message,
    )


def _counts(report: ImportReport, verb: str) -> str:
    return (
        f"{verb}{report.created}，更新 {report.updated}，调动 {report.moved}，"
        f"未变 {report.unchanged}，拒绝 {report.rejected}"
    )


def _job(job_id: int) -> tuple[ImportJob, Actor]:
    job = ImportJob.objects.select_related("created_by", "organization").get(pk=job_id)
    return job, Actor(job.created_by, "task")


def _upload(job: ImportJob) -> bytes | None:
    try:
        return files.load(upload_path(job))
    except (FileNotFoundError, DecryptionError):
        return None


def run_preview(job_id: int) -> None:
    remove_old_files()
    job, actor = _job(job_id)
    data = _upload(job)
    if data is None:
        _fail(job, actor, "检查", MSG_UPLOAD_GONE)
        return
    try:
        report = run_import(
            actor,
            data,
            job.filename,
            job.organization,
            mode=job.mode,
            dry_run=True,
            allow_moves=True,
            sheet=job.sheet or None,
            progress=_Progress(job),
        )
        if report.rejected:
            out = io.BytesIO()
            write_errors(data, job.filename, report, out)
            files.save(errors_path(job), out.getvalue())
    except RosterFileError as exc:
        _fail(job, actor, "检查", exc.message)
        return
    except Exception:
        log.exception("roster preview %s failed", job_id)
        _fail(job, actor, "检查", "检查文件时发生内部错误，请联系系统管理员")
        return
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.PREVIEWED,
        preview=report.as_json(),
        sheet=report.sheet,
        progress_done=report.rows,
        progress_total=report.rows,
    )
    job_event(
        actor,
        job,
        ImportStatus.PREVIEWING,
        ImportStatus.PREVIEWED,
        f"检查花名册「{job.filename}」（{report.rows} 行）：{_counts(report, '可新增 ')}",
    )


def run_apply(job_id: int) -> None:
    job, actor = _job(job_id)
    data = _upload(job)
    if data is None:
        _fail(job, actor, "导入", MSG_UPLOAD_GONE)
        return
    try:
        report = run_import(
            actor,
            data,
            job.filename,
            job.organization,
            mode=job.mode,
            allow_moves=job.allow_moves,
            sheet=job.sheet or None,
            progress=_Progress(job),
        )
    except RosterFileError as exc:
        _fail(job, actor, "导入", exc.message)
        return
    except Exception:
        log.exception("roster import %s failed", job_id)
        _fail(job, actor, "导入", "导入时发生内部错误，未写入任何数据，请联系系统管理员")
        return
    finally:
        # The upload holds unmasked personal data: keep it no longer than the job needs it.
        files.remove(job, errors=False)
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.DONE, result=report.as_json(), finished_at=timezone.now()
    )
    # The import itself is one audit event per member and one for the file (run_import).
    job_event(
        actor,
        job,
        ImportStatus.IMPORTING,
        ImportStatus.DONE,
        f"导入花名册「{job.filename}」完成：{_counts(report, '新增 ')}",
    )
