"""Roster files at rest: encrypted with the data key, 0600 in a 0700 folder, kept a week at most."""

from __future__ import annotations

import datetime as dt
import os
import stat

import pytest
from django.utils import timezone

from dangjian.crypto import FILE_MAGIC, DecryptionError, KeyRing, default_keyring
from dangjian.members.models import ImportJob
from dangjian.members.roster import files


@pytest.fixture
def folder(settings, tmp_path):
    settings.IMPORT_DIR = tmp_path / "imports"
    return settings.IMPORT_DIR


def test_a_file_is_encrypted_under_the_field_key_and_every_byte_is_authenticated():
    ring = default_keyring()
    data = b"PK\x03\x04 110105199005030012 13812345678"
    blob = ring.encrypt_file(data)

    assert blob.startswith(FILE_MAGIC) and b"110105199005030012" not in blob
    assert ring.decrypt_file(blob) == data
    assert ring.encrypt_file(data) != blob  # a fresh nonce each time
    for index in (0, len(FILE_MAGIC), len(FILE_MAGIC) + 12, len(blob) - 1):
        tampered = bytearray(blob)
        tampered[index] ^= 1
        with pytest.raises(DecryptionError):
            ring.decrypt_file(bytes(tampered))
    with pytest.raises(DecryptionError):
        KeyRing(b"another secret").decrypt_file(blob)
    with pytest.raises(DecryptionError):
        ring.decrypt_file(data)  # plaintext is not taken for a file of ours


def test_saving_creates_the_folder_0700_and_the_file_0600_whatever_the_umask(folder):
    old = os.umask(0)
    try:
        path = folder / "a.upload.sm4"
        files.save(path, b"roster")
    finally:
        os.umask(old)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert files.load(path) == b"roster"
    folder.chmod(0o755)
    files.save(path, b"again")  # the platform's folder is brought back to 0700
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


@pytest.mark.django_db
def test_files_older_than_a_week_are_removed_with_strays_and_newer_ones_kept(demo, folder):
    now = timezone.now()
    old_job = ImportJob.objects.create(
        created_by=demo.users["secretary"], organization=demo.branch, filename="旧.xlsx",
        stored_name="old",
    )  # fmt: skip
    ImportJob.objects.filter(pk=old_job.pk).update(created_at=now - dt.timedelta(days=8))
    new_job = ImportJob.objects.create(
        created_by=demo.users["secretary"], organization=demo.branch, filename="新.xlsx",
        stored_name="new",
    )  # fmt: skip
    for job in (old_job, new_job):
        files.save(files.upload_path(job), b"x")
        files.save(files.errors_path(job), b"y")
    stray = folder / "legacy.xlsx"  # a plaintext upload from before encryption
    stray.write_bytes(b"PK")
    week_ago = (now - dt.timedelta(days=8)).timestamp()
    os.utime(stray, (week_ago, week_ago))

    assert files.remove_old_files(now) == 3

    assert sorted(p.name for p in folder.iterdir()) == ["new.errors.sm4", "new.upload.sm4"]
