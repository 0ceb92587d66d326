"""Roster files at rest: uploads and error files hold unmasked personal data, so they are kept
SM4-GCM encrypted with the data key (the field key), as files 0600 in a folder 0700, and only
as long as the import needs them (see `remove_old_files` for the longest).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import uuid
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from dangjian.crypto import default_keyring
from dangjian.members.models import ImportJob

RETENTION = dt.timedelta(days=7)


def folder() -> Path:
    """The import folder, created 0700 (and kept so: it is the platform's own)."""
    path = Path(settings.IMPORT_DIR)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def new_stored_name() -> str:
    return uuid.uuid4().hex


def _key(job: ImportJob) -> str:
    # Jobs from before encryption kept the suffix in the name ("<hex>.xlsx").
    return job.stored_name.split(".", 1)[0]


def upload_path(job: ImportJob) -> Path:
    return Path(settings.IMPORT_DIR) / f"{_key(job)}.upload.sm4"


def errors_path(job: ImportJob) -> Path:
    return Path(settings.IMPORT_DIR) / f"{_key(job)}.errors.sm4"


def save(path: Path, data: bytes) -> None:
    """Encrypt `data` into `path`: written to a 0600 temporary file, then renamed into place."""
    folder()
    blob = default_keyring().encrypt_file(data)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(blob)
        os.replace(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def load(path: Path) -> bytes:
    """The decrypted content; FileNotFoundError when absent, DecryptionError when not ours."""
    return default_keyring().decrypt_file(path.read_bytes())


def remove(job: ImportJob, *, upload: bool = True, errors: bool = True) -> None:
    for wanted, path in ((upload, upload_path(job)), (errors, errors_path(job))):
        if wanted:
            path.unlink(missing_ok=True)


def remove_old_files(now: dt.datetime | None = None) -> int:
    """Delete what is older than RETENTION: files of old jobs, and anything else in the folder
    (a file whose job was never saved, one written before files were encrypted)."""
    cutoff = (now or timezone.now()) - RETENTION
    removed = 0
    for job in ImportJob.objects.filter(created_at__lt=cutoff).only("stored_name"):
        for path in (upload_path(job), errors_path(job)):
            if path.exists():
                path.unlink()
                removed += 1
    directory = Path(settings.IMPORT_DIR)
    if directory.is_dir():
        for path in directory.iterdir():
            with contextlib.suppress(FileNotFoundError):
                if path.is_file() and path.stat().st_mtime < cutoff.timestamp():
                    path.unlink()
                    removed += 1
    return removed
