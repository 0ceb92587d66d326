"""Meeting attachments, on the platform's upload rules (`core.uploads`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction

from dangjian.accounts.access import require_write
from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor, diff, record
from dangjian.core import uploads
from dangjian.core.errors import ServiceValidationError
from dangjian.core.uploads import CheckedFile
from dangjian.meetings.models import (
    Attachment,
    Meeting,
    MeetingStatus,
)


def max_attachment_bytes() -> int:
    return uploads.ATTACHMENTS.max_bytes()


def check_attachments(files: Iterable[Any]) -> list[CheckedFile]:
    """Type (by content) and size of each upload; ServiceValidationError names the file."""
    return uploads.check_many(files, uploads.ATTACHMENTS, "attachments")


def store_files(
    actor: Actor, meeting: Meeting, files: list[CheckedFile], stored: list[str]
) -> None:
    for item in files:
        attachment = Attachment(
            meeting=meeting,
            original_name=item.original_name,
            content_type=item.content_type,
            size=item.size,
            uploaded_by=actor.user,
        )
        stored.append(uploads.save_to(attachment.file, item))
        attachment.save()
        record(
            actor,
            AuditAction.CREATE,
            attachment,
            changes=diff(
                None,
                {
                    "meeting": meeting.pk,
                    "name": item.original_name,
                    "content_type": item.content_type,
                    "size": item.size,
                },
            ),
            message=f"上传会议附件（{meeting}）"[:500],
        )


def with_file_cleanup(work):
    """Run `work(stored)` in a transaction; files it stored are removed if it fails."""
    storage = Attachment._meta.get_field("file").storage
    with uploads.removing_on_failure(storage) as stored, transaction.atomic():
        return work(stored)


def add_attachments(actor: Actor, meeting: Meeting, uploads: Sequence[Any]) -> int:
    require_write(actor, meeting.organization)
    files = check_attachments(uploads)
    if not files:
        raise ServiceValidationError({"attachments": "请选择要上传的文件"})
    if meeting.status == MeetingStatus.CANCELLED:
        raise ServiceValidationError({"attachments": "会议已取消，不能上传附件"})
    with_file_cleanup(lambda stored: store_files(actor, meeting, files, stored))
    return len(files)


@transaction.atomic
def remove_attachment(actor: Actor, attachment: Attachment) -> None:
    meeting = attachment.meeting
    require_write(actor, meeting.organization)
    name = attachment.file.name
    storage = attachment.file.storage
    record(
        actor,
        AuditAction.DELETE,
        attachment,
        changes=diff(
            {
                "meeting": meeting.pk,
                "name": attachment.original_name,
                "content_type": attachment.content_type,
                "size": attachment.size,
            },
            None,
        ),
        message=f"删除会议附件（{meeting}）"[:500],
    )
    attachment.delete()
    transaction.on_commit(lambda: storage.delete(name))
