"""The master key's guard: recognise the configured key at every start, generate one only for an
empty database. Rotating it (audited) is `dangjian.ops.keys`.

The database keeps a key check value (an HKDF output of the key, `KeyRing.check_value`), never
the key. `ensure_key()` runs before `serve`, `demo`, every other command and the WSGI
application: a missing key with data in the database, or a key that does not match, stops the
platform with a message naming where the key was expected, instead of answering 500 on every
page that touches a member.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

from dangjian.crypto import (
    ENV_KEY_FILE,
    ENV_SECRET_KEY,
    KEY_FILE_NAME,
    DecryptionError,
    KeyRing,
    create_key_file,
    default_keyring,
    reset_default_keyring,
)

logger = logging.getLogger("dangjian.keys")


class KeyProblem(Exception):
    """The configured master key cannot be used with this database (a Chinese message)."""


def expected_locations() -> str:
    data_file = Path(settings.DATA_DIR) / KEY_FILE_NAME
    return (
        f"依次查找：环境变量 {ENV_KEY_FILE}（密钥文件路径）、环境变量 {ENV_SECRET_KEY}、"
        f"数据目录中的密钥文件 {data_file}"
    )


def _source() -> str:
    return getattr(settings, "DANGJIAN_MASTER_SECRET_SOURCE", "") or expected_locations()


def install(secret: bytes, source: str) -> None:
    """Use `secret` in this process from now on (settings, Django's SECRET_KEY, the key ring)."""
    settings.DANGJIAN_MASTER_SECRET = secret
    settings.DANGJIAN_MASTER_SECRET_SOURCE = source
    settings.SECRET_KEY = KeyRing(secret).django_secret_key()
    reset_default_keyring()


# ---- what the key protects -----------------------------------------------------------------------


@dataclass(frozen=True)
class EncryptedColumns:
    """The `*_encrypted` fields of one model, each with its blind index field if it has one."""

    model: type
    pairs: tuple[tuple[str, str | None], ...]

    @property
    def label(self) -> str:
        return self.model._meta.label_lower


def encrypted_columns() -> list[EncryptedColumns]:
    """Every model field named `*_encrypted` (the project's convention for SM4-GCM columns);
    `<name>_index` beside it is its HMAC-SM3 blind index of the same plaintext."""
    found = []
    for model in apps.get_models():
        names = {f.name for f in model._meta.concrete_fields}
        pairs = []
        for name in sorted(names):
            if name.endswith("_encrypted"):
                index = name[: -len("_encrypted")] + "_index"
                pairs.append((name, index if index in names else None))
        if pairs:
            found.append(EncryptedColumns(model, tuple(pairs)))
    return found


def _tables() -> set[str]:
    if connection.vendor == "sqlite":
        name = str(connection.settings_dict["NAME"])
        if name and ":memory:" not in name and "mode=memory" not in name:
            # A first start in a new data folder: SQLite creates the file, not its folder.
            Path(name).parent.mkdir(parents=True, exist_ok=True)
    return set(connection.introspection.table_names())


def _sample_ciphertext(tables: set[str]) -> str | None:
    for columns in encrypted_columns():
        if columns.model._meta.db_table not in tables:
            continue
        for enc, _index in columns.pairs:
            value = (
                columns.model._default_manager.exclude(**{enc: ""})
                .values_list(enc, flat=True)
                .first()
            )
            if value:
                return value
    return None


def _state(tables: set[str]):
    from dangjian.core.models import KeyState

    if KeyState._meta.db_table not in tables:
        return None
    return KeyState.objects.filter(pk=1).first()


# ---- the check at every start ----------------------------------------------------------------------


@dataclass
class KeyStatus:
    source: str
    fingerprint: str = ""
    database_fingerprint: str = ""
    generated: bool = False
    rotating_to: str = ""
    problems: list[str] = field(default_factory=list)


def key_status() -> KeyStatus:
    """What `dangjian check` and `dangjian key status` report; never raises for a bad key."""
    secret = settings.DANGJIAN_MASTER_SECRET
    status = KeyStatus(source=_source())
    try:
        tables = _tables()
        state = _state(tables)
        sample = None if state and state.check_value else _sample_ciphertext(tables)
    except (DatabaseError, RuntimeError) as exc:  # RuntimeError: no database access here
        status.problems.append(f"无法读取数据库，未能核对主密钥：{exc.__class__.__name__}")
        return status
    if state is not None:
        status.database_fingerprint = state.check_value[:8]
        status.rotating_to = state.rotating_to[:8]
    if not secret:
        if status.database_fingerprint or sample:
            status.problems.append(_missing_message(status.database_fingerprint))
        return status
    ring = KeyRing(secret)
    status.fingerprint = ring.fingerprint()
    if state is not None and state.check_value:
        if state.check_value != ring.check_value():
            status.problems.append(_mismatch_message(ring, state.check_value))
    elif sample is not None:
        try:
            ring.decrypt(sample)
        except DecryptionError:
            status.problems.append(_mismatch_message(ring, ""))
    if status.rotating_to:
        status.problems.append(
            f"主密钥轮换尚未完成（新密钥指纹 {status.rotating_to}）。请用同一个新密钥文件再次运行 "
            "`dangjian key rotate --new-key-file 文件` 完成轮换。"
        )
    return status


def _missing_message(database_fingerprint: str) -> str:
    which = f"（数据库中记录的密钥指纹为 {database_fingerprint}）" if database_fingerprint else ""
    return (
        f"未找到主密钥，而数据库中已有加密数据{which}。{expected_locations()}。"
        "请设置原来的密钥或从密钥备份恢复密钥文件；不会生成新密钥，否则已加密的身份证号和手机号将无法解密。"
    )


def _mismatch_message(ring: KeyRing, database_check: str) -> str:
    which = f"数据库中记录的密钥指纹为 {database_check[:8]}，" if database_check else ""
    return (
        f"主密钥与数据库不符：从{_source()}读取的密钥（指纹 {ring.fingerprint()}）"
        f"不能解密数据库中的数据。{which}请改用原来的密钥（{expected_locations()}）。"
    )


def ensure_key(*, allow_generate: bool = True, allow_rotation: bool = False, out=None) -> KeyStatus:
    """Verify the configured key against the database, or generate one for an empty database.

    Raises `KeyProblem` when the platform must not run. Stores the key check value the first
    time a key meets a database that has the table for it.
    """
    from dangjian.core.models import KeyState

    secret = settings.DANGJIAN_MASTER_SECRET
    tables = _tables()
    state = _state(tables)
    has_check = bool(state and state.check_value)
    status = KeyStatus(source=_source())
    if not secret:
        if has_check or _sample_ciphertext(tables) is not None:
            raise KeyProblem(_missing_message(state.check_value[:8] if has_check else ""))
        if not allow_generate:
            raise KeyProblem(f"未配置主密钥。{expected_locations()}。")
        path = Path(settings.DATA_DIR) / KEY_FILE_NAME
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            secret = create_key_file(path)
        except Exception:
            # Another process of the same start won the race: use its key.
            from dangjian.crypto import locate_master_secret

            secret, _ = locate_master_secret(env=os.environ, data_dir=Path(settings.DATA_DIR))
        install(secret, f"密钥文件 {path}")
        status.generated = True
        status.source = _source()
        message = f"数据库为空，已生成新的主密钥：{path}（权限 0600）。请立即把它备份到数据库备份以外的安全位置。"
        if out is not None:
            out(message)
        else:
            logger.warning(message)
    ring = KeyRing(secret)
    status.fingerprint = ring.fingerprint()
    if has_check:
        status.database_fingerprint = state.check_value[:8]
        if state.check_value != ring.check_value():
            raise KeyProblem(_mismatch_message(ring, state.check_value))
        if state.rotating_to and not allow_rotation:
            status.rotating_to = state.rotating_to[:8]
            raise KeyProblem(
                f"主密钥轮换尚未完成（新密钥指纹 {state.rotating_to[:8]}），数据库中新旧密钥加密的数据并存。"
                "请用同一个新密钥文件再次运行 `dangjian key rotate --new-key-file 文件` 完成轮换后再启动。"
            )
        return status
    sample = _sample_ciphertext(tables)
    if sample is not None:
        try:
            ring.decrypt(sample)
        except DecryptionError:
            raise KeyProblem(_mismatch_message(ring, "")) from None
    if KeyState._meta.db_table in tables:
        KeyState.objects.update_or_create(
            pk=1, defaults={"check_value": ring.check_value(), "set_at": timezone.now()}
        )
        status.database_fingerprint = ring.fingerprint()
    return status


def provide_secret() -> bytes:
    """For `crypto.default_keyring()` when no key is configured (an embedded use that skipped the
    start-up check): the same rule, a new key only for an empty database."""
    ensure_key()
    return settings.DANGJIAN_MASTER_SECRET


def audit_keyring() -> KeyRing:
    """The current key ring, knowing the audit-chain keys that rotations retired."""
    from dangjian.core.models import RetiredAuditKey

    ring = default_keyring()
    retired = [(r.last_seq, ring.unwrap(r.wrapped_key)) for r in RetiredAuditKey.objects.all()]
    return ring.with_retired_audit_keys(retired) if retired else ring
