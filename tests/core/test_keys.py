"""The master key's guard: recognised at every start, generated only for an empty database,
reported by `dangjian check`, and rotated without losing a readable value or the audit chain."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.management import call_command

from dangjian import crypto
from dangjian.accounts.models import ApiToken
from dangjian.accounts.services import create_token, user_for_token
from dangjian.audit.services import Actor, verify_chain
from dangjian.core import keys
from dangjian.core.models import KeyState, RetiredAuditKey
from dangjian.members.models import Member
from dangjian.ops.keys import rotate

OTHER = b"another-key-that-is-not-the-databases-0123456789"


@pytest.fixture
def with_secret():
    """Run with another configured key (and put the real one back afterwards)."""
    saved = (settings.DANGJIAN_MASTER_SECRET, settings.DANGJIAN_MASTER_SECRET_SOURCE)

    def use(secret, source="环境变量 DANGJIAN_SECRET_KEY"):
        keys.install(secret, source) if secret else None
        if not secret:
            settings.DANGJIAN_MASTER_SECRET = None
            settings.DANGJIAN_MASTER_SECRET_SOURCE = source
            crypto.reset_default_keyring()

    yield use
    keys.install(*saved)


def test_the_check_value_is_stored_and_the_key_recognised(demo):
    status = keys.ensure_key()

    state = KeyState.objects.get(pk=1)
    assert state.check_value == crypto.default_keyring().check_value()
    assert status.fingerprint == status.database_fingerprint == state.check_value[:8]
    assert settings.DANGJIAN_MASTER_SECRET.decode() not in state.check_value


def test_a_wrong_key_is_refused_naming_where_it_came_from(demo, with_secret):
    keys.ensure_key()
    with_secret(OTHER)

    with pytest.raises(keys.KeyProblem) as refused:
        keys.ensure_key()

    message = str(refused.value)
    assert "主密钥与数据库不符" in message and "DANGJIAN_SECRET_KEY" in message
    assert crypto.KeyRing(OTHER).fingerprint() in message


def test_a_wrong_key_is_refused_even_before_a_check_value_exists(demo, with_secret):
    KeyState.objects.all().delete()
    with_secret(OTHER)

    with pytest.raises(keys.KeyProblem, match="不能解密数据库中的数据"):
        keys.ensure_key()
    assert not KeyState.objects.exists()


def test_a_missing_key_is_never_replaced_by_a_new_one_when_data_exists(
    demo, with_secret, tmp_path, settings
):
    settings.DATA_DIR = tmp_path  # where a generated key would go
    with_secret(None, f"密钥文件 {tmp_path / 'secret.key'}")

    with pytest.raises(keys.KeyProblem) as refused:
        keys.ensure_key()

    assert "未找到主密钥" in str(refused.value) and "secret.key" in str(refused.value)
    assert not (tmp_path / "secret.key").exists()


def test_a_key_is_generated_for_an_empty_database(
    transactional_db, with_secret, tmp_path, settings
):
    settings.DATA_DIR = tmp_path
    with_secret(None)
    call_command("flush", interactive=False, verbosity=0)

    status = keys.ensure_key()

    assert status.generated
    assert (tmp_path / "secret.key").stat().st_mode & 0o777 == 0o600
    assert KeyState.objects.get(pk=1).check_value == crypto.default_keyring().check_value()


def test_dangjian_check_reports_a_wrong_key(demo, with_secret, capsys):
    from django.core.management.base import SystemCheckError

    keys.ensure_key()
    with_secret(OTHER)

    with pytest.raises(SystemCheckError, match="dangjian.E002"):
        call_command("check")


def test_every_command_refuses_to_run_with_a_wrong_key(demo, with_secret, capsys):
    from dangjian import cli

    keys.ensure_key()
    with_secret(OTHER)

    with pytest.raises(SystemExit) as stopped:
        cli.main(["audit", "verify"])

    assert stopped.value.code == 2
    assert "主密钥与数据库不符" in capsys.readouterr().err


# ---- rotation ------------------------------------------------------------------------------------


def _plaintexts():
    return {m.pk: (m.id_number, m.phone) for m in Member.objects.order_by("pk")}


def test_rotation_re_encrypts_everything_keeps_the_chain_and_revokes_tokens(demo, with_secret):
    keys.ensure_key()
    before = _plaintexts()
    token = create_token(Actor.system("test"), demo.users["organ"], name="before")
    some = Member.objects.exclude(phone_encrypted="").first()
    old_cipher = some.id_number_encrypted

    report = rotate(OTHER, batch_size=40, out=lambda _: None)

    assert crypto.default_keyring().check_value() == crypto.KeyRing(OTHER).check_value()
    assert KeyState.objects.get(pk=1).check_value == crypto.KeyRing(OTHER).check_value()
    assert report.reencrypted["members.member"] == len(before)
    assert _plaintexts() == before  # every value reads back with the new key
    some.refresh_from_db()
    assert some.id_number_encrypted != old_cipher
    assert some.id_number_index == crypto.KeyRing(OTHER).blind_index(some.id_number)
    assert verify_chain().ok  # old events with the retired key, new ones with the new key
    assert RetiredAuditKey.objects.count() == 1
    assert user_for_token(token) is None
    assert not ApiToken.objects.filter(revoked_at__isnull=True).exists()
    # Finding a member by ID number (the blind index) still works.
    assert list(
        Member.objects.filter(id_number_index=crypto.default_keyring().blind_index(some.id_number))
    ) == [some]


def test_rotation_rewrites_the_encrypted_import_files(demo, with_secret, tmp_path, settings):
    settings.IMPORT_DIR = tmp_path
    keys.ensure_key()
    waiting = tmp_path / "abc.upload.sm4"
    waiting.write_bytes(crypto.default_keyring().encrypt_file(b"roster rows"))
    waiting.chmod(0o600)

    report = rotate(OTHER, out=lambda _: None)

    assert report.reencrypted["files"] == 1
    assert crypto.KeyRing(OTHER).decrypt_file(waiting.read_bytes()) == b"roster rows"
    assert waiting.stat().st_mode & 0o777 == 0o600


def test_an_interrupted_rotation_resumes_and_nothing_serves_meanwhile(demo, with_secret):
    keys.ensure_key()
    before = _plaintexts()
    calls = []

    def stop_at_second_batch(label, cursor):
        calls.append(cursor)
        if len(calls) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        rotate(OTHER, batch_size=40, out=lambda _: None, before_batch=stop_at_second_batch)
    with pytest.raises(keys.KeyProblem, match="轮换尚未完成"):
        keys.ensure_key()
    with pytest.raises(keys.KeyProblem, match="另一次主密钥轮换"):
        rotate(b"a-third-key-0123456789abcdef0123456789", out=lambda _: None)

    report = rotate(OTHER, batch_size=40, out=lambda _: None)

    assert report.resumed
    assert report.reencrypted["members.member"] == len(before) - 40
    assert _plaintexts() == before
    assert verify_chain().ok


def test_a_second_rotation_rewraps_the_retired_chain_key(demo, with_secret):
    keys.ensure_key()
    rotate(OTHER, out=lambda _: None)
    rotate(b"a-third-key-0123456789abcdef0123456789", out=lambda _: None)

    assert RetiredAuditKey.objects.count() == 2
    assert verify_chain().ok


def test_passphrase_sealing_round_trips_and_refuses_a_wrong_passphrase():
    sealed = crypto.seal_with_passphrase(b"secret-key", "口令 passphrase", iterations=1000)

    assert crypto.open_with_passphrase(sealed, "口令 passphrase") == b"secret-key"
    with pytest.raises(crypto.DecryptionError):
        crypto.open_with_passphrase(sealed, "wrong")


def test_key_rotate_from_the_shell_replaces_the_data_folder_key_file(
    demo, with_secret, tmp_path, settings, capsys
):
    keys.ensure_key()
    current = bytes(settings.DANGJIAN_MASTER_SECRET)
    settings.DATA_DIR = tmp_path
    (tmp_path / "secret.key").write_bytes(current + b"\n")
    with_secret(current, f"密钥文件 {tmp_path / 'secret.key'}")
    new_file = tmp_path / "new.key"

    call_command("key", "rotate", "--new-key-file", str(new_file), "--batch-size", "100")

    out = capsys.readouterr().out
    assert "已生成新密钥" in out and "完成：主密钥" in out
    assert (tmp_path / "secret.key").read_bytes() == new_file.read_bytes()
    assert (tmp_path / "secret.key").stat().st_mode & 0o777 == 0o600
    retired = list(tmp_path.glob("secret.key.retired-*"))
    assert len(retired) == 1 and retired[0].read_bytes().strip() == current
    assert keys.key_status().problems == []
