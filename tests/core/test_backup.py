"""Backup → wipe → restore: identical row counts, identical files, a valid audit chain.

The backup runs in this process against the test database (as `dangjian backup` would against a
running server); the restore runs `dangjian restore` in a fresh process pointed at an empty data
folder (SQLite) or a new empty database (PostgreSQL, MariaDB), as an operator's drill would.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from dangjian.ops.backup import _count_rows


def _manifest(archive: Path) -> dict:
    with tarfile.open(archive) as tar:
        return json.load(tar.extractfile("manifest.json"))


def _cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "dangjian.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def _env(data_dir: Path, database_url: str | None, *, key: bool = True) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DANGJIAN_")}
    env["DANGJIAN_DATA_DIR"] = str(data_dir)
    if key:
        env["DANGJIAN_SECRET_KEY"] = bytes(settings.DANGJIAN_MASTER_SECRET).decode()
    if database_url:
        env["DANGJIAN_DATABASE_URL"] = database_url
    return env


class EmptyDatabase:
    """A new empty database beside the test database, on the server engines."""

    def __init__(self):
        db = connection.settings_dict
        self.name = f"{db['NAME']}_restored"[:60]
        self.vendor = connection.vendor
        auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
        host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT']}" if db.get("PORT") else db["HOST"]
        scheme = "postgres" if self.vendor == "postgresql" else "mysql"
        self.url = f"{scheme}://{auth}@{host}/{self.name}"

    def _execute(self, sql: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql)

    def __enter__(self):
        quoted = connection.ops.quote_name(self.name)
        self._execute(f"DROP DATABASE IF EXISTS {quoted}")
        extra = (
            " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci" if self.vendor == "mysql" else ""
        )
        self._execute(f"CREATE DATABASE {quoted}{extra}")
        return self

    def counts(self, tables: list[str]) -> dict[str, int]:
        db = connection.settings_dict
        if self.vendor == "postgresql":
            import psycopg

            conn = psycopg.connect(
                dbname=self.name,
                user=db["USER"],
                password=db["PASSWORD"] or None,
                host=db["HOST"] or None,
                port=db["PORT"] or None,
            )
        else:
            import MySQLdb

            conn = MySQLdb.connect(
                db=self.name,
                user=db["USER"],
                passwd=db["PASSWORD"] or "",
                host=db["HOST"] or "127.0.0.1",
                port=int(db["PORT"] or 3306),
            )
        try:
            cursor = conn.cursor()
            out = {}
            for table in tables:
                cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
                out[table] = cursor.fetchone()[0]
            return out
        finally:
            conn.close()

    def __exit__(self, *exc):
        if self.vendor == "postgresql":
            self._execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        else:
            self._execute(f"DROP DATABASE IF EXISTS `{self.name}`")


def test_backup_wipe_restore_gives_the_same_rows_files_and_a_valid_chain(
    transactional_db, demo, tmp_path
):
    attachment = Path(settings.MEDIA_ROOT) / "attachments" / "drill" / "纪要.pdf"
    attachment.parent.mkdir(parents=True, exist_ok=True)
    attachment.write_bytes(b"%PDF-1.4 restore drill " + os.urandom(64))
    archive = tmp_path / "backup.tar.gz"

    call_command("backup", str(archive))

    manifest = _manifest(archive)
    tables = sorted(manifest["row_counts"])
    with connection.cursor() as cursor:
        source_counts = _count_rows(cursor, tables)
    assert manifest["row_counts"] == source_counts
    assert source_counts["members_member"] > 100 and source_counts["audit_auditevent"] > 0
    assert "media/attachments/drill/纪要.pdf" in manifest["files"]
    assert not manifest["key_included"]
    with tarfile.open(archive) as tar:
        assert not any("secret.key" in name for name in tar.getnames())

    restored = tmp_path / "restored"  # the wiped machine: an empty data folder
    if connection.vendor == "sqlite":
        result = _cli(["restore", str(archive), "--json"], _env(restored, None))
        assert result.returncode == 0, result.stderr
        copy = sqlite3.connect(restored / "dangjian.sqlite3")
        restored_counts = {
            t: copy.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0]  # noqa: S608
            for t in tables
        }
        copy.close()
    else:
        with EmptyDatabase() as target:
            result = _cli(["restore", str(archive), "--json"], _env(restored, target.url))
            assert result.returncode == 0, result.stderr
            restored_counts = target.counts(tables)
    report = json.loads(result.stdout.strip().splitlines()[-1])

    assert restored_counts == source_counts
    assert report["ok"] and report["count_differences"] == {}
    assert report["audit_chain"]["ok"] and report["audit_chain"]["checked"] > 0
    copy_of = restored / "media" / "attachments" / "drill" / "纪要.pdf"
    assert (
        hashlib.sha256(copy_of.read_bytes()).digest()
        == hashlib.sha256(attachment.read_bytes()).digest()
    )

    if connection.vendor == "sqlite":
        again = _cli(["restore", str(archive)], _env(restored, None))
        assert again.returncode != 0 and "只能恢复到空的数据目录" in again.stderr


@pytest.mark.skipif("connection.vendor != 'sqlite'")
def test_the_key_travels_only_sealed_and_comes_back_with_the_passphrase(
    transactional_db, demo, tmp_path
):
    passphrase = tmp_path / "passphrase.txt"
    passphrase.write_text("演练口令 correct horse battery staple\n", encoding="utf-8")
    archive = tmp_path / "with-key.tar.gz"
    call_command("backup", str(archive), "--include-key", "--passphrase-file", str(passphrase))
    with tarfile.open(archive) as tar:
        sealed = tar.extractfile("key.sealed").read()
    assert bytes(settings.DANGJIAN_MASTER_SECRET) not in sealed

    restored = tmp_path / "restored"
    refused = _cli(["restore", str(archive)], _env(restored, None, key=False))
    assert refused.returncode != 0 and "口令" in refused.stderr

    result = _cli(
        ["restore", str(archive), "--passphrase-file", str(passphrase)],
        _env(restored, None, key=False),
    )

    assert result.returncode == 0, result.stderr
    assert (restored / "secret.key").read_bytes().strip() == bytes(settings.DANGJIAN_MASTER_SECRET)
    assert (restored / "secret.key").stat().st_mode & 0o777 == 0o600
    assert "审计哈希链：完整" in result.stdout
