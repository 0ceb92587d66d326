"""Rotating the master key (`dangjian key rotate`): audited, and it revokes the API tokens, so it
sits above `audit` and `accounts`; the key's guard at every start stays in `dangjian.core.keys`.

What depends on the key, and what a rotation does with it (`rotate`):
- encrypted columns (any model field named `*_encrypted`) are re-encrypted, and their blind
  indexes (the sibling `*_index` field) recomputed, in batches; each batch commits with its
  progress, so an interrupted rotation resumes where it stopped. Every value is read with the
  old key or, if already done, the new one. Encrypted files waiting in the import folder are
  rewritten too.
- the audit chain is not rewritten (its rows are append-only): events up to the rotation keep
  their hashes, and the old chain key is kept, encrypted under the new master key, to verify
  them; events after it are hashed with the new key, the first of them over the last old hash,
  so history before the rotation cannot be re-forged with the old key alone.
- API tokens are stored as HMAC digests only and cannot be re-keyed: they are revoked (audited)
  and have to be issued again. Django's SECRET_KEY derives from the key too: sessions end,
  check-in QR codes on screen renew themselves.
- the old key stays configured (and usable) until the last batch; the switch (check value,
  retired chain key, token revocation, the closing audit event) is one transaction taken under
  the audit head's lock, so no audited write can slip between.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dangjian.core.keys import EncryptedColumns, KeyProblem, encrypted_columns, install
from dangjian.crypto import FILE_MAGIC, DecryptionError, KeyRing, default_keyring


@dataclass
class RotationReport:
    old_fingerprint: str
    new_fingerprint: str
    reencrypted: dict[str, int] = field(default_factory=dict)
    revoked_tokens: int = 0
    resumed: bool = False


def _plaintext(old: KeyRing, new: KeyRing, token: str) -> tuple[str, bool]:
    """(plaintext, already under the new key)."""
    try:
        return old.decrypt(token), False
    except DecryptionError:
        return new.decrypt(token), True


def _rekey_rows(columns: EncryptedColumns, rows, old: KeyRing, new: KeyRing) -> int:
    changed = 0
    for row in rows:
        pk, values = row[0], row[1:]
        update = {}
        for (enc, index), token in zip(columns.pairs, values, strict=True):
            if not token:
                continue
            plaintext, done = _plaintext(old, new, token)
            if done:
                continue
            update[enc] = new.encrypt(plaintext)
            if index:
                update[index] = new.blind_index(plaintext)
        if update:
            columns.model._default_manager.filter(pk=pk).update(**update)
            changed += 1
    return changed


def _rekey_files(old: KeyRing, new: KeyRing) -> int:
    """Files kept encrypted under the field key (roster uploads and error files waiting in the
    import folder), rewritten under the new key in place (0600, replaced atomically)."""
    folder = Path(settings.IMPORT_DIR)
    changed = 0
    if not folder.is_dir():
        return 0
    for path in sorted(folder.iterdir()):
        if not path.is_file():
            continue
        blob = path.read_bytes()
        if not blob.startswith(FILE_MAGIC):
            continue
        try:
            data = old.decrypt_file(blob)
        except DecryptionError:
            continue  # already under the new key (a resumed rotation)
        temporary = path.with_name(f".{path.name}.rekey.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(new.encrypt_file(data))
        os.replace(temporary, path)
        changed += 1
    return changed


def _select(columns: EncryptedColumns):
    fields = [enc for enc, _ in columns.pairs]
    return columns.model._default_manager.order_by("pk").values_list("pk", *fields)


def rotate(
    new_secret: bytes,
    *,
    batch_size: int = 500,
    out: Callable[[str], None] = print,
    before_batch: Callable[[str, int], None] | None = None,
) -> RotationReport:
    """Re-encrypt everything under `new_secret`; the configured (old) key must be the database's.

    Three steps: mark the rotation begun (or resumed), re-encrypt the columns in batches that
    each commit their progress, then switch keys in one transaction."""
    from dangjian.audit.services import Actor

    old = default_keyring()
    new = KeyRing(new_secret)
    if new.check_value() == old.check_value():
        raise KeyProblem("新密钥与当前主密钥相同，无需轮换。")
    actor = Actor.system("key rotate")
    report = RotationReport(old.fingerprint(), new.fingerprint())
    _begin_rotation(old, new, actor, report)
    out(
        f"{'继续' if report.resumed else '开始'}轮换主密钥：{old.fingerprint()} → {new.fingerprint()}"
    )
    _rekey_in_batches(old, new, report, batch_size=batch_size, out=out, before_batch=before_batch)
    _finish_rotation(new_secret, old, new, actor, report)
    return report


def _begin_rotation(old: KeyRing, new: KeyRing, actor, report: RotationReport) -> None:
    """Record the rotation's target key (or find the unfinished one it resumes)."""
    from dangjian.audit.models import AuditAction
    from dangjian.audit.services import record
    from dangjian.core.models import KeyState

    with transaction.atomic():
        state, _ = KeyState.objects.select_for_update().get_or_create(
            pk=1, defaults={"check_value": old.check_value(), "set_at": timezone.now()}
        )
        if state.rotating_to and state.rotating_to != new.check_value():
            raise KeyProblem(
                f"另一次主密钥轮换（新密钥指纹 {state.rotating_to[:8]}）尚未完成，"
                "请使用那一次的新密钥文件继续。"
            )
        report.resumed = bool(state.rotating_to)
        if not state.rotating_to:
            state.rotating_to = new.check_value()
            state.rotation_progress = {}
            state.save(update_fields=["rotating_to", "rotation_progress"])
            record(
                actor,
                AuditAction.UPDATE,
                object_type="core.keystate",
                object_repr="主密钥",
                message=f"开始轮换主密钥：{old.fingerprint()} → {new.fingerprint()}",
            )


def _rekey_in_batches(
    old: KeyRing,
    new: KeyRing,
    report: RotationReport,
    *,
    batch_size: int,
    out: Callable[[str], None],
    before_batch: Callable[[str, int], None] | None,
) -> None:
    """Re-encrypt each column set in batches; each batch commits with its progress, so an
    interrupted rotation resumes where it stopped."""
    from dangjian.core.models import KeyState

    for columns in encrypted_columns():
        label = columns.label
        done = 0
        while True:
            with transaction.atomic():
                state = KeyState.objects.select_for_update().get(pk=1)
                cursor = int(state.rotation_progress.get(label, 0))
                rows = list(_select(columns).filter(pk__gt=cursor)[:batch_size])
                if not rows:
                    break
                if before_batch is not None:
                    before_batch(label, cursor)
                done += _rekey_rows(columns, rows, old, new)
                state.rotation_progress = {**state.rotation_progress, label: rows[-1][0]}
                state.save(update_fields=["rotation_progress"])
            out(f"  {label}：已处理到 #{rows[-1][0]}")
        report.reencrypted[label] = done


def _finish_rotation(
    new_secret: bytes, old: KeyRing, new: KeyRing, actor, report: RotationReport
) -> None:
    """In one transaction: the rows written meanwhile, the files, the retired audit keys, the
    tokens revoked, the check value switched and the new key installed."""
    from dangjian.accounts.models import ApiToken
    from dangjian.audit.models import AuditAction, AuditHead
    from dangjian.audit.services import record
    from dangjian.core.models import KeyState, RetiredAuditKey

    with transaction.atomic():
        # The audit head's row lock holds every audited write until the switch is done.
        head = AuditHead.objects.select_for_update().filter(pk=1).first()
        state = KeyState.objects.select_for_update().get(pk=1)
        for columns in encrypted_columns():
            # Rows written with the old key while the batches ran (nothing else should run).
            extra = _rekey_rows(columns, _select(columns).iterator(chunk_size=2000), old, new)
            report.reencrypted[columns.label] = report.reencrypted.get(columns.label, 0) + extra
        report.reencrypted["files"] = _rekey_files(old, new)
        for retired in RetiredAuditKey.objects.select_for_update():
            retired.wrapped_key = new.wrap(old.unwrap(retired.wrapped_key))
            retired.save(update_fields=["wrapped_key"])
        last_seq = head.seq if head is not None else 0
        if last_seq:
            RetiredAuditKey.objects.create(
                last_seq=last_seq, wrapped_key=new.wrap(old.audit_chain_key())
            )
        report.revoked_tokens = ApiToken.objects.filter(revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        state.check_value = new.check_value()
        state.set_at = timezone.now()
        state.rotating_to = ""
        state.rotation_progress = {}
        state.save()
        install(new_secret, "新密钥")
        total = sum(report.reencrypted.values())
        record(
            actor,
            AuditAction.UPDATE,
            object_type="core.keystate",
            object_repr="主密钥",
            message=(
                f"完成轮换主密钥：{old.fingerprint()} → {new.fingerprint()}；重新加密 {total} 行，"
                f"吊销 API 令牌 {report.revoked_tokens} 个"
            ),
        )
