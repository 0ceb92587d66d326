"""The inspection dossier (台账): asked for in one click, built by a background task from the
sections the apps contribute (`core.dossier`), kept SM4-encrypted at rest, downloaded after an
access check, verified against the records, removed after RETENTION.

Every step that changes something is audited: the request, the download (an export), and the
removal of old files by the tick job.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import uuid
import zipfile
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dangjian.audit.models import AuditAction, AuditHead
from dangjian.audit.services import Actor, record
from dangjian.core import office
from dangjian.core.dossier import Section, Table, records_hash, sections
from dangjian.core.errors import ServiceValidationError
from dangjian.crypto import default_keyring
from dangjian.desk.models import NO_OFFICE, PDF_FAILED, Dossier, DossierStatus
from dangjian.desk.writers import dossier_docx, section_xlsx

RETENTION = dt.timedelta(days=30)
MAX_DAYS = 366 * 3  # a dossier covers at most three years
# Fixed timestamp inside the .zip, so unchanged records give byte-identical members.
ZIP_TIME = (2000, 1, 1, 0, 0, 0)
DOCX_NAME = "dossier.docx"  # the whole 台账 in one document, beside the .xlsx annexes
PDF_NAME = "dossier.pdf"  # the same document as PDF, when LibreOffice is installed


def folder() -> Path:
    """Beside the uploads (never served directly, like them), in a folder of its own."""
    path = Path(settings.MEDIA_ROOT) / "dossiers"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def stored_path(dossier: Dossier) -> Path:
    return folder() / f"{dossier.stored_name}.zip.sm4"


def request_dossier(actor: Actor, org, starts_on: dt.date, ends_on: dt.date) -> Dossier:
    """Queue a dossier of `org`'s subtree for the period (the caller has checked read access)."""
    if ends_on < starts_on:
        raise ServiceValidationError({"ends_on": "截止日期不能早于起始日期"})
    if (ends_on - starts_on).days > MAX_DAYS:
        raise ServiceValidationError({"ends_on": "一份台账最多涵盖三年"})
    with transaction.atomic():
        dossier = Dossier.objects.create(
            organization=org,
            starts_on=starts_on,
            ends_on=ends_on,
            requested_by=actor.user,
            stored_name=uuid.uuid4().hex,
        )
        record(
            actor,
            AuditAction.CREATE,
            dossier,
            object_repr=f"{org.name} 台账",
            message=f"生成台账：{org.name} {dossier.period_label}",
        )
        from dangjian.desk.tasks import build_dossier

        transaction.on_commit(lambda: build_dossier.enqueue(dossier.pk))
    return dossier


def _audit_head() -> dict:
    seq, last = AuditHead.objects.filter(pk=1).values_list("seq", "last_hash").first() or (0, "")
    return {"seq": seq, "hash": last}


def _add(archive: zipfile.ZipFile, name: str, data: bytes, files: dict[str, str]) -> None:
    info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)
    files[name] = hashlib.sha256(data).hexdigest()


def build(dossier_id: int) -> Dossier:
    """Build the dossier's .zip (claimed once: a second run of the same task does nothing)."""
    claimed = Dossier.objects.filter(pk=dossier_id, status=DossierStatus.QUEUED).update(
        status=DossierStatus.BUILDING, progress=1
    )
    dossier = Dossier.objects.select_related("organization").get(pk=dossier_id)
    if not claimed:
        return dossier
    try:
        _build(dossier)
    except Exception as exc:
        Dossier.objects.filter(pk=dossier.pk).update(
            status=DossierStatus.FAILED, error=type(exc).__name__[:500]
        )
        raise
    dossier.refresh_from_db()
    return dossier


def _build(dossier: Dossier) -> None:
    org, start, end = dossier.organization, dossier.starts_on, dossier.ends_on
    generated = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    head = _audit_head()
    footer = f"生成于 {generated}，审计链 #{head['seq']} {head['hash'][:16]}，平台记录自动生成"
    manifest: dict = {
        "organization": {"code": org.code, "name": org.name},
        "period": [start.isoformat(), end.isoformat()],
        "generated_at": generated,
        "audit_head": head,
        "sections": {},
        "files": {},
    }
    buffer = io.BytesIO()
    found = sections()
    built = []
    with zipfile.ZipFile(buffer, "w") as archive:
        for i, section in enumerate(found, start=1):
            tables = section.build(org, start, end)
            built.append((section, tables))
            prefix = f"{section.order:03d}-{section.key}"
            _add(archive, f"{prefix}.xlsx", section_xlsx(tables), manifest["files"])
            manifest["sections"][section.key] = {
                "title": section.title,
                "records_sha256": records_hash(tables),
                "rows": sum(len(t.rows) for t in tables),
            }
            for name, field in (section.attachments or (lambda *a: []))(org, start, end):
                try:
                    with field.open("rb") as handle:
                        data = handle.read()
                except FileNotFoundError:
                    continue
                _add(archive, f"attachments/{section.key}/{name}", data, manifest["files"])
            Dossier.objects.filter(pk=dossier.pk).update(progress=5 + 80 * i // len(found))
        document = dossier_docx(org, dossier, built, generated, head, footer)
        _add(archive, DOCX_NAME, document, manifest["files"])
        Dossier.objects.filter(pk=dossier.pk).update(progress=88)
        manifest["pdf"] = _pdf(archive, document, manifest["files"])
        Dossier.objects.filter(pk=dossier.pk).update(progress=95)
        text = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True).encode()
        _add(archive, "manifest.json", text, {})
    data = buffer.getvalue()
    path = stored_path(dossier)
    temporary = path.with_name(f".{path.name}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(default_keyring().encrypt_file(data))
    os.replace(temporary, path)
    Dossier.objects.filter(pk=dossier.pk).update(
        status=DossierStatus.READY,
        progress=100,
        sha256=hashlib.sha256(data).hexdigest(),
        manifest=manifest,
        finished_at=timezone.now(),
    )


def _pdf(archive: zipfile.ZipFile, document: bytes, files: dict[str, str]) -> dict:
    """The .docx converted to PDF beside it in the .zip (its own progress step), or why not."""
    if not office.available():
        return {"available": False, "note": NO_OFFICE}
    pdf = office.docx_to_pdf(document)
    if pdf is None:
        return {"available": False, "note": PDF_FAILED}
    _add(archive, PDF_NAME, pdf, files)
    return {"available": True, "note": ""}


def open_dossier(actor: Actor, dossier: Dossier) -> bytes:
    """The decrypted .zip for a download (the caller has checked access): an audited export."""
    data = default_keyring().decrypt_file(stored_path(dossier).read_bytes())
    _audit_export(actor, dossier, "下载台账")
    return data


def open_document(actor: Actor, dossier: Dossier) -> bytes:
    """The dossier's one .docx, taken from its .zip (the caller has checked access): an audited
    export of its own."""
    document = _member(dossier, DOCX_NAME, "该台账生成较早，没有合订本，请重新生成")
    _audit_export(actor, dossier, "下载台账合订本（.docx）")
    return document


def open_pdf(actor: Actor, dossier: Dossier) -> bytes:
    """The dossier's .docx as PDF, when it was converted (the caller has checked access): an
    audited export of its own."""
    note = dossier.pdf_note or "该台账没有 PDF 版本"
    document = _member(dossier, PDF_NAME, note)
    _audit_export(actor, dossier, "下载台账合订本（PDF）")
    return document


def _member(dossier: Dossier, name: str, missing: str) -> bytes:
    data = default_keyring().decrypt_file(stored_path(dossier).read_bytes())
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        try:
            return archive.read(name)
        except KeyError:  # built before this file was part of the dossier
            raise ServiceValidationError({"dossier": missing}) from None


def _audit_export(actor: Actor, dossier: Dossier, what: str) -> None:
    record(
        actor,
        AuditAction.EXPORT,
        dossier,
        object_repr=f"{dossier.organization.name} 台账",
        message=f"{what}：{dossier.organization.name} {dossier.period_label}",
    )


def verify(dossier: Dossier) -> list[tuple[Section, str, bool]]:
    """Per section: rebuilt from today's records, are its rows those the dossier was built
    from? (section, title, unchanged)"""
    wanted = dossier.manifest.get("sections", {})
    out = []
    for section in sections():
        tables: list[Table] = section.build(
            dossier.organization, dossier.starts_on, dossier.ends_on
        )
        kept = wanted.get(section.key, {}).get("records_sha256")
        out.append((section, section.title, kept == records_hash(tables)))
    return out


def remove_old(now: dt.datetime) -> int:
    """Remove the files of dossiers older than RETENTION (the rows stay, marked removed)."""
    removed = 0
    old = Dossier.objects.filter(created_at__lt=now - RETENTION).exclude(
        status=DossierStatus.REMOVED
    )
    for dossier in old.select_related("organization"):
        if (
            not Dossier.objects.filter(pk=dossier.pk)
            .exclude(status=DossierStatus.REMOVED)
            .update(status=DossierStatus.REMOVED)
        ):
            continue  # another tick got there first
        stored_path(dossier).unlink(missing_ok=True)
        record(
            Actor.system("tick"),
            AuditAction.DELETE,
            dossier,
            object_repr=f"{dossier.organization.name} 台账",
            message="台账文件超过保存期限，已清理",
        )
        removed += 1
    return removed
