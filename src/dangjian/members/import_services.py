"""Roster import jobs, every step a service with its audit event: start (the upload checked and
stored encrypted), confirm, cancel, and the download of the error file.

The checks of the file itself and the import run in the background (`roster.jobs`); the rule of
strict mode is `roster.importer.strict_blocks`, the same for the page and the CLI.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from dangjian.accounts.access import Action, scope_for
from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor, record
from dangjian.core.errors import ServiceValidationError
from dangjian.crypto import DecryptionError
from dangjian.members.models import ImportJob, ImportMode, ImportStatus
from dangjian.members.roster import files
from dangjian.members.roster.importer import STRICT_REFUSED, strict_blocks
from dangjian.members.roster.jobs import job_event
from dangjian.members.tasks import apply_roster, preview_roster
from dangjian.orgs.models import Organization

ALLOWED_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".csv", ".txt"}
MSG_NOT_CONFIRMABLE = "该导入任务当前不能确认"
MSG_NOT_CANCELLABLE = "该导入任务当前不能取消"


def _check_upload(upload: UploadedFile) -> str:
    """The file's suffix, or one Chinese message for the file field."""
    suffix = Path(upload.name or "").suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        raise ServiceValidationError({"file": "请上传 .xlsx、.xls 或 .csv 文件"})
    if not upload.size:
        raise ServiceValidationError({"file": "文件为空"})
    limit = settings.IMPORT_MAX_MB
    if upload.size > limit * 1024 * 1024:
        raise ServiceValidationError(
            {"file": f"文件过大（{upload.size / 1048576:.1f} MB），上限为 {limit} MB"}
        )
    return suffix


def start_import(
    actor: Actor, organization: Organization, upload: UploadedFile, *, mode: str, sheet: str = ""
) -> ImportJob:
    """Store the upload encrypted, create the job, and check the file in the background."""
    if actor.user is None or not scope_for(actor.user).covers(organization.path, Action.WRITE):
        raise ServiceValidationError({"organization": "目标组织不在您的管理范围内"})
    if mode not in ImportMode.values:
        raise ServiceValidationError({"mode": "请选择导入方式"})
    _check_upload(upload)
    job = ImportJob(
        created_by=actor.user,
        organization=organization,
        filename=Path(upload.name).name[:255],
        stored_name=files.new_stored_name(),
        mode=mode,
        sheet=sheet.strip()[:100],
    )
    path = files.upload_path(job)
    files.save(path, b"".join(upload.chunks()))
    try:
        with transaction.atomic():
            job.save()
            job_event(
                actor,
                job,
                "",
                ImportStatus.PREVIEWING,
                f"上传花名册「{job.filename}」到「{organization.name}」"
                f"（{job.get_mode_display().split('（')[0]}），开始检查",
            )
            transaction.on_commit(lambda: preview_roster.enqueue(job.pk))
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return job


def confirm_import(actor: Actor, job: ImportJob, *, allow_moves: bool) -> ImportJob:
    """Queue the import of a previewed job; strict mode refuses rejected rows and unconfirmed
    moves. A second confirmation (a double click) is refused, so the import runs once."""
    preview = job.preview or {}
    moves = len(preview.get("moves") or [])
    allow_moves = bool(moves) and allow_moves
    if job.status != ImportStatus.PREVIEWED:
        raise ServiceValidationError({"job": MSG_NOT_CONFIRMABLE})
    if strict_blocks(job.mode, preview.get("rejected", 0), 0 if allow_moves else moves):
        raise ServiceValidationError({"job": STRICT_REFUSED})
    with transaction.atomic():
        claimed = ImportJob.objects.filter(pk=job.pk, status=ImportStatus.PREVIEWED).update(
            status=ImportStatus.IMPORTING, allow_moves=allow_moves, progress_done=0
        )
        if not claimed:
            raise ServiceValidationError({"job": MSG_NOT_CONFIRMABLE})
        moved = f"，确认调动 {moves} 人" if allow_moves else ""
        job_event(
            actor,
            job,
            ImportStatus.PREVIEWED,
            ImportStatus.IMPORTING,
            f"确认导入花名册「{job.filename}」到「{job.organization.name}」{moved}",
        )
        transaction.on_commit(lambda: apply_roster.enqueue(job.pk))
    job.refresh_from_db()
    return job


def cancel_import(actor: Actor, job: ImportJob) -> None:
    """Cancel a previewed job: nothing is written, and its files are deleted at once."""
    with transaction.atomic():
        if not ImportJob.objects.filter(pk=job.pk, status=ImportStatus.PREVIEWED).update(
            status=ImportStatus.CANCELLED, finished_at=timezone.now()
        ):
            raise ServiceValidationError({"job": MSG_NOT_CANCELLABLE})
        job_event(
            actor,
            job,
            ImportStatus.PREVIEWED,
            ImportStatus.CANCELLED,
            f"取消导入花名册「{job.filename}」，未写入任何数据，已删除上传的文件",
        )
    files.remove(job)


def error_file(actor: Actor, job: ImportJob) -> bytes | None:
    """The rejected rows with their reasons (unmasked, for fixing): None when there are none.

    Handing it out is an export of personal data, and audited as one.
    """
    try:
        content = files.load(files.errors_path(job))
    except (FileNotFoundError, DecryptionError):
        return None
    rejected = (job.result or job.preview or {}).get("rejected", 0)
    record(
        actor,
        AuditAction.EXPORT,
        job,
        object_repr=job.filename[:200],
        message=f"下载花名册「{job.filename}」的错误行文件（{rejected} 行，含身份证号等明文）",
    )
    return content


def has_error_file(job: ImportJob) -> bool:
    return files.errors_path(job).exists()
