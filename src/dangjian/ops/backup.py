"""Backup and restore: one archive with a consistent database snapshot, the uploaded files, the
data folder's settings files and a manifest of checksums and row counts.

The database is copied with each engine's own tool, not an engine-neutral dump: SQLite's online
backup API, `pg_dump` (custom format) inside a REPEATABLE READ transaction whose snapshot the row
counts share, `mysqldump --single-transaction`. They copy a running database consistently
without stopping writers, keep what a generic dump loses (the audit table's triggers, sequences,
exact column types) and are fast at province scale; a DBA can restore their files by hand
without the platform. The price is that a backup restores into the same engine (moving between
engines is `dumpdata`/`loaddata`'s job).

Files are copied after the database snapshot, so every file a snapshot row refers to is there
(files are written once and kept). The master key is not in the archive unless asked for, and
then only sealed with a passphrase (PBKDF2-HMAC-SM3 + SM4-GCM).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from dangjian.crypto import KEY_FILE_NAME, KeyRing, open_with_passphrase, seal_with_passphrase

FORMAT = "dangjian-backup/1"
DB_FILES = {
    "sqlite": "database/dangjian.sqlite3",
    "postgresql": "database/dangjian.pgdump",
    "mysql": "database/dangjian.sql",
}
# Never copied from the data folder: the database (copied properly above), the key (only sealed,
# on request), the server's control socket, and folders that are rebuilt or temporary.
_DATA_SKIP = {KEY_FILE_NAME, "gunicorn.ctl"}
_DATA_SKIP_DIRS = {"static", "imports", "media"}


class BackupError(Exception):
    """A backup or restore that cannot go on (a Chinese message)."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _engine() -> str:
    vendor = connection.vendor
    if vendor not in DB_FILES:
        raise BackupError(f"不支持的数据库：{vendor}")
    return vendor


def _db() -> dict:
    return connection.settings_dict


def _run(args: list[str], *, env_extra: dict[str, str], stdout=None, stdin=None) -> None:
    env = {**os.environ, **env_extra}
    try:
        done = subprocess.run(  # noqa: S603 (fixed tools, arguments from our settings)
            args, env=env, stdout=stdout, stdin=stdin, stderr=subprocess.PIPE, check=False
        )
    except FileNotFoundError:
        raise BackupError(
            f"找不到命令 {args[0]}：请安装数据库客户端（PostgreSQL：postgresql-client；"
            "MariaDB/MySQL：mariadb-client），版本不低于数据库服务器。"
        ) from None
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip()[-2000:]
        raise BackupError(f"{args[0]} 失败（退出码 {done.returncode}）：{message}")


def _pg_args(db: dict) -> tuple[list[str], dict[str, str]]:
    args = []
    if db.get("HOST"):
        args += ["-h", db["HOST"]]
    if db.get("PORT"):
        args += ["-p", str(db["PORT"])]
    if db.get("USER"):
        args += ["-U", db["USER"]]
    return args, ({"PGPASSWORD": db["PASSWORD"]} if db.get("PASSWORD") else {})


def _my_args(db: dict) -> tuple[list[str], dict[str, str]]:
    args = []
    if db.get("HOST"):
        args += ["-h", db["HOST"]]
    if db.get("PORT"):
        args += ["-P", str(db["PORT"])]
    if db.get("USER"):
        args += ["-u", db["USER"]]
    args.append("--default-character-set=utf8mb4")
    return args, ({"MYSQL_PWD": db["PASSWORD"]} if db.get("PASSWORD") else {})


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _count_rows(cursor, tables: list[str]) -> dict[str, int]:
    counts = {}
    for table in tables:
        cursor.execute(f"SELECT COUNT(*) FROM {_quote(table)}")  # noqa: S608 (introspected names)
        counts[table] = cursor.fetchone()[0]
    return counts


def _snapshot_database(engine: str, target: Path) -> dict[str, int]:
    """Write a consistent copy of the database to `target`; return its row counts per table."""
    tables = sorted(connection.introspection.table_names())
    if engine == "sqlite":
        connection.ensure_connection()
        copy = sqlite3.connect(target)
        try:
            connection.connection.backup(copy)
            return {
                t: copy.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0]  # noqa: S608
                for t in tables
            }
        finally:
            copy.close()
    db = _db()
    if engine == "postgresql":
        args, env = _pg_args(db)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            counts = _count_rows(cursor, tables)
            _run(
                ["pg_dump", "-Fc", "--no-owner", "--no-privileges", f"--snapshot={snapshot}"]
                + args
                + ["-f", str(target), db["NAME"]],
                env_extra=env,
            )
        return counts
    args, env = _my_args(db)
    # mysqldump takes its own consistent snapshot; these counts, taken just before, can differ
    # from it by the writes in between (the restore reports such a difference).
    with connection.cursor() as cursor:
        counts = _count_rows(cursor, tables)
    with target.open("wb") as out:
        _run(
            ["mysqldump", "--single-transaction", "--routines", "--triggers", "--hex-blob"]
            + args
            + [db["NAME"]],
            env_extra=env,
            stdout=out,
        )
    return counts


def _key_fingerprint() -> str:
    from dangjian.core.models import KeyState

    state = KeyState.objects.filter(pk=1).first()
    if state and state.check_value:
        return state.check_value[:8]
    secret = settings.DANGJIAN_MASTER_SECRET
    return KeyRing(secret).fingerprint() if secret else ""


def _data_files() -> list[Path]:
    data_dir = Path(settings.DATA_DIR)
    db_name = str(_db().get("NAME", ""))
    if not data_dir.is_dir():
        return []
    return [
        p
        for p in sorted(data_dir.iterdir())
        if p.is_file()
        and p.name not in _DATA_SKIP
        and not p.name.startswith(KEY_FILE_NAME)
        and not str(p).startswith(db_name or "\0")
        and not p.name.startswith(".")
    ]


@dataclass
class BackupReport:
    path: Path
    manifest: dict


def backup(out: Path, *, passphrase: str | None = None) -> BackupReport:
    """Write the archive to `out` (a file, or a new file inside `out` if it is a folder)."""
    engine = _engine()
    now = timezone.localtime()
    if out.is_dir():
        out = out / f"dangjian-backup-{now:%Y%m%d-%H%M%S}.tar.gz"
    if out.exists():
        raise BackupError(f"{out} 已存在，不会覆盖")
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="dangjian-backup-") as tmp:
        work = Path(tmp)
        db_file = work / DB_FILES[engine]
        db_file.parent.mkdir(parents=True)
        counts = _snapshot_database(engine, db_file)
        members: dict[str, Path] = {DB_FILES[engine]: db_file}
        media = Path(settings.MEDIA_ROOT)
        if media.is_dir():
            for path in sorted(media.rglob("*")):
                if path.is_file():
                    members["media/" + path.relative_to(media).as_posix()] = path
        for path in _data_files():
            members["data/" + path.name] = path
        if passphrase is not None:
            secret = settings.DANGJIAN_MASTER_SECRET
            if not secret:
                raise BackupError("未配置主密钥，无法把密钥放入备份")
            sealed = work / "key.sealed"
            sealed.write_bytes(seal_with_passphrase(bytes(secret), passphrase))
            members["key.sealed"] = sealed
        from django.db.migrations.recorder import MigrationRecorder

        applied = MigrationRecorder(connection).applied_migrations()
        manifest = {
            "format": FORMAT,
            "created_at": now.isoformat(),
            "engine": engine,
            "database": DB_FILES[engine],
            "row_counts": counts,
            "files": {name: _sha256(path) for name, path in members.items()},
            "key_fingerprint": _key_fingerprint(),
            "key_included": passphrase is not None,
            "migrations": sorted(f"{app}.{name}" for app, name in applied),
        }
        partial = out.with_name(out.name + ".partial")
        with tarfile.open(partial, "w:gz") as tar:
            data = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size, info.mtime, info.mode = len(data), int(now.timestamp()), 0o600
            tar.addfile(info, io.BytesIO(data))
            for name, path in members.items():
                tar.add(path, arcname=name, recursive=False)
        partial.chmod(0o600)
        partial.rename(out)
    return BackupReport(out, manifest)


# ---- restore ---------------------------------------------------------------------------------------


@dataclass
class RestoreReport:
    manifest: dict
    row_counts: dict[str, int] = field(default_factory=dict)
    count_differences: dict[str, tuple[int, int]] = field(default_factory=dict)
    files_checked: int = 0
    key_written: str = ""
    chain_ok: bool = False
    chain_checked: int = 0
    chain_reason: str = ""

    @property
    def ok(self) -> bool:
        return self.chain_ok and not self.count_differences

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "engine": self.manifest["engine"],
            "created_at": self.manifest["created_at"],
            "files_checked": self.files_checked,
            "row_counts": self.row_counts,
            "count_differences": {k: list(v) for k, v in self.count_differences.items()},
            "key_written": self.key_written,
            "audit_chain": {
                "ok": self.chain_ok,
                "checked": self.chain_checked,
                "reason": self.chain_reason,
            },
        }


def _extract(archive: Path, into: Path) -> dict:
    try:
        with tarfile.open(archive, "r:*") as tar:
            tar.extractall(into, filter="data")
    except (tarfile.TarError, OSError) as exc:
        raise BackupError(f"无法读取备份文件 {archive}：{exc}") from None
    try:
        manifest = json.loads((into / "manifest.json").read_text())
    except (OSError, ValueError):
        raise BackupError("备份中没有可读的 manifest.json，不是本平台的备份") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"不认识的备份格式：{manifest.get('format')}")
    for name, digest in manifest["files"].items():
        path = into / name
        if not path.is_file() or _sha256(path) != digest:
            raise BackupError(f"备份已损坏：{name} 的校验和不符")
    return manifest


def _target_is_empty(engine: str) -> None:
    if engine == "sqlite":
        name = Path(str(_db()["NAME"]))
        if name.exists() and name.stat().st_size > 0:
            raise BackupError(f"目标数据库 {name} 已存在。只能恢复到空的数据目录：请先移走它。")
    elif connection.introspection.table_names():
        raise BackupError(f"目标数据库 {_db()['NAME']} 不是空的。只能恢复到新建的空数据库。")
    media = Path(settings.MEDIA_ROOT)
    if media.is_dir() and any(media.iterdir()):
        raise BackupError(f"上传文件目录 {media} 不是空的。只能恢复到空的数据目录。")


def _restore_database(engine: str, dump: Path) -> None:
    db = _db()
    if engine == "sqlite":
        connection.close()
        target = Path(str(db["NAME"]))
        target.parent.mkdir(parents=True, exist_ok=True)
        source = sqlite3.connect(dump)
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            copy.close()
            source.close()
        return
    if engine == "postgresql":
        args, env = _pg_args(db)
        _run(
            ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error"]
            + args
            + ["-d", db["NAME"], str(dump)],
            env_extra=env,
        )
        return
    args, env = _my_args(db)
    with dump.open("rb") as source:
        _run(["mysql", *args, db["NAME"]], env_extra=env, stdin=source)


def _install_key(manifest: dict, work: Path, passphrase: str | None) -> str:
    """Make sure the key of the backup will be used; returns the key file written, if any."""
    from dangjian.core.keys import install

    wanted = manifest.get("key_fingerprint", "")
    secret = settings.DANGJIAN_MASTER_SECRET
    if secret:
        have = KeyRing(secret).fingerprint()
        if wanted and have != wanted:
            raise BackupError(
                f"配置的主密钥（指纹 {have}）不是这份备份的密钥（指纹 {wanted}）。"
                "请配置备份时使用的主密钥后再恢复。"
            )
        return ""
    if not manifest.get("key_included"):
        raise BackupError(
            f"备份中不含主密钥（指纹 {wanted}）。请先配置原来的主密钥（环境变量 DANGJIAN_SECRET_KEY、"
            f"DANGJIAN_FIELD_KEY_FILE，或数据目录中的 {KEY_FILE_NAME}）再恢复。"
        )
    if not passphrase:
        raise BackupError("备份中的主密钥由口令保护：请用 --passphrase-file 提供口令。")
    try:
        secret = open_with_passphrase((work / "key.sealed").read_bytes(), passphrase)
    except Exception:
        raise BackupError("口令不正确，无法取出备份中的主密钥。") from None
    if wanted and KeyRing(secret).fingerprint() != wanted:
        raise BackupError("备份中的主密钥与数据库记录的指纹不符，备份可能被替换过。")
    path = Path(settings.DATA_DIR) / KEY_FILE_NAME
    if path.exists():
        raise BackupError(f"{path} 已存在，不会覆盖密钥文件")
    from dangjian.crypto import _create_key_file

    _create_key_file(path, secret)
    install(secret, f"密钥文件 {path}")
    return str(path)


def restore(archive: Path, *, passphrase: str | None = None) -> RestoreReport:
    """Restore into an empty data folder / database, then verify counts, files and audit chain."""
    from django.core.management import call_command

    from dangjian.audit.services import verify_chain

    engine = _engine()
    with tempfile.TemporaryDirectory(prefix="dangjian-restore-") as tmp:
        work = Path(tmp)
        manifest = _extract(archive, work)
        report = RestoreReport(manifest, files_checked=len(manifest["files"]))
        if manifest["engine"] != engine:
            raise BackupError(
                f"这是 {manifest['engine']} 数据库的备份，当前配置的是 {engine}：只能恢复到同类数据库。"
            )
        _target_is_empty(engine)
        report.key_written = _install_key(manifest, work, passphrase)
        _restore_database(engine, work / manifest["database"])
        media = Path(settings.MEDIA_ROOT)
        data_dir = Path(settings.DATA_DIR)
        for name in manifest["files"]:
            if name.startswith("media/"):
                target = media / name[len("media/") :]
            elif name.startswith("data/"):
                target = data_dir / name[len("data/") :]
                if target.exists():
                    continue
            else:
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(work / name, target)
    with connection.cursor() as cursor:
        report.row_counts = _count_rows(cursor, sorted(manifest["row_counts"]))
    report.count_differences = {
        table: (expected, report.row_counts.get(table, -1))
        for table, expected in manifest["row_counts"].items()
        if report.row_counts.get(table, -1) != expected
    }
    # A backup from an older release: bring the schema up to this one.
    call_command("migrate", interactive=False, verbosity=0)
    chain = verify_chain()
    report.chain_ok, report.chain_checked, report.chain_reason = (
        chain.ok,
        chain.checked,
        chain.reason,
    )
    return report
