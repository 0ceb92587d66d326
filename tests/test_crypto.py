"""Tests for dangjian.crypto: SM4-GCM field encryption, HMAC-SM3 keyed hashes, key loading."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import stat
import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dangjian import crypto
from dangjian.crypto import (
    TOKEN_PREFIX,
    DecryptionError,
    ImproperKey,
    KeyRing,
    default_keyring,
    load_master_secret,
    reset_default_keyring,
    self_test,
)

SECRET = "unit-test-master-secret-0123456789"
ID_NUMBERS = ["11010519491231002X", "360426199101010071", "120103198806018241"]


@pytest.fixture(scope="module")
def ring() -> KeyRing:
    return KeyRing.from_secret(SECRET)


def _hkdf_sm3(master: bytes, info: bytes, length: int) -> bytes:
    """RFC 5869 HKDF with HMAC-SM3 and no salt, written independently of the module."""
    prk = hmac.new(b"\x00" * 32, master, "sm3").digest()
    okm, block, counter = b"", b"", 1
    while len(okm) < length:
        block = hmac.new(prk, block + info + bytes([counter]), "sm3").digest()
        okm += block
        counter += 1
    return okm[:length]


def _blob(token: str) -> bytes:
    assert token.startswith(TOKEN_PREFIX)
    return base64.urlsafe_b64decode(token[len(TOKEN_PREFIX) :])


def _token(blob: bytes) -> str:
    return TOKEN_PREFIX + base64.urlsafe_b64encode(blob).decode("ascii")


# -- encryption -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "plaintext",
    [
        "a",
        "张三",
        "中共某某市委机关第一党支部",
        "13812345678",
        *ID_NUMBERS,
        "emoji 🇨🇳 and\nnewlines\t",
        "x" * 10_000,
    ],
)
def test_round_trip(ring: KeyRing, plaintext: str) -> None:
    token = ring.encrypt(plaintext)
    assert token.startswith(TOKEN_PREFIX)
    assert token.isascii()
    if len(plaintext) >= 8:  # short strings may occur in base64 by chance
        assert plaintext not in token
    assert ring.decrypt(token) == plaintext


def test_id_number_token_layout(ring: KeyRing) -> None:
    blob = _blob(ring.encrypt("11010519491231002X"))
    assert len(blob) == 12 + 18 + 16  # nonce + ciphertext + tag


def test_empty_stays_empty(ring: KeyRing) -> None:
    assert ring.encrypt("") == ""
    assert ring.decrypt("") == ""
    assert ring.blind_index("") == ""


def test_encrypt_rejects_non_str(ring: KeyRing) -> None:
    with pytest.raises(TypeError):
        ring.encrypt(b"bytes")  # type: ignore[arg-type]


def test_random_nonce_but_equal_blind_index(ring: KeyRing) -> None:
    value = ID_NUMBERS[0]
    first, second = ring.encrypt(value), ring.encrypt(value)
    assert first != second
    assert _blob(first)[:12] != _blob(second)[:12]
    assert ring.decrypt(first) == ring.decrypt(second) == value
    assert ring.blind_index(value) == ring.blind_index(value)


def test_blind_index_format(ring: KeyRing) -> None:
    index = ring.blind_index(ID_NUMBERS[0])
    assert len(index) == 64
    assert int(index, 16) >= 0
    assert index == index.lower()
    assert ring.blind_index(ID_NUMBERS[1]) != index


def test_different_secrets(ring: KeyRing) -> None:
    other = KeyRing.from_secret(SECRET + "-other")
    value = ID_NUMBERS[0]
    assert other.blind_index(value) != ring.blind_index(value)
    assert other.token_digest(value) != ring.token_digest(value)
    assert other.chain_hash("0" * 64, b"row") != ring.chain_hash("0" * 64, b"row")
    with pytest.raises(DecryptionError):
        other.decrypt(ring.encrypt(value))


def test_str_and_bytes_secret_are_equivalent() -> None:
    a = KeyRing.from_secret("密钥-secret")
    b = KeyRing.from_secret("密钥-secret".encode())
    assert a.blind_index("x") == b.blind_index("x")
    assert b.decrypt(a.encrypt("x")) == "x"


def test_empty_secret_rejected() -> None:
    with pytest.raises(ImproperKey):
        KeyRing.from_secret("")
    with pytest.raises(ImproperKey):
        KeyRing.from_secret(b"")


def test_repr_does_not_leak_keys(ring: KeyRing) -> None:
    assert repr(ring) == "<KeyRing>"


def test_every_byte_is_authenticated(ring: KeyRing) -> None:
    blob = _blob(ring.encrypt(ID_NUMBERS[0]))
    for position in range(len(blob)):  # nonce, ciphertext and tag
        tampered = bytearray(blob)
        tampered[position] ^= 0x01
        with pytest.raises(DecryptionError):
            ring.decrypt(_token(bytes(tampered)))


def test_truncated_and_extended_tokens_fail(ring: KeyRing) -> None:
    blob = _blob(ring.encrypt(ID_NUMBERS[0]))
    for broken in (blob[:-1], blob[1:], blob + b"\x00", blob[:27], b""):
        with pytest.raises(DecryptionError):
            ring.decrypt(_token(broken))


@pytest.mark.parametrize(
    "token",
    [
        "11010519491231002X",  # plaintext left in the column
        "sm4gcm2:AAAA",  # unknown version
        "sm4gcm1:",  # nothing after the prefix
        "sm4gcm1:not base64!",
        "sm4gcm1:AAA",  # bad padding
        "sm4gcm1:" + "+" * 64,  # standard (non URL-safe) alphabet
        "SM4GCM1:" + "A" * 64,
    ],
)
def test_malformed_tokens(ring: KeyRing, token: str) -> None:
    with pytest.raises(DecryptionError):
        ring.decrypt(token)


def test_decrypt_rejects_non_str(ring: KeyRing) -> None:
    with pytest.raises(DecryptionError):
        ring.decrypt(None)  # type: ignore[arg-type]


def test_prefix_is_authenticated(ring: KeyRing) -> None:
    """Re-encrypting the same bytes without the prefix as AAD must not verify."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    key = _hkdf_sm3(SECRET.encode(), b"dangjian/field-encryption/v1", 16)
    nonce = b"\x01" * 12
    encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    ciphertext = encryptor.update(b"abc") + encryptor.finalize()
    with pytest.raises(DecryptionError):
        ring.decrypt(_token(nonce + ciphertext + encryptor.tag))

    encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(TOKEN_PREFIX.encode())
    ciphertext = encryptor.update(b"abc") + encryptor.finalize()
    assert ring.decrypt(_token(nonce + ciphertext + encryptor.tag)) == "abc"


def test_golden_token_still_decrypts() -> None:
    """Stored data must stay readable: the token format and key derivation are frozen."""
    ring = KeyRing.from_secret("golden-test-secret")
    token = "sm4gcm1:ILDOVjHKb0lmZhL0VlFKLxfaBBXj4UpwHxCNQ-IX2G_EaOixyxltnxfbuDDumA=="
    assert ring.decrypt(token) == "11010519491231002X"


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_round_trip_property(plaintext: str) -> None:
    ring = KeyRing.from_secret(SECRET)
    token = ring.encrypt(plaintext)
    assert ring.decrypt(token) == plaintext
    assert (token == "") == (plaintext == "")
    assert ring.blind_index(plaintext) == ring.blind_index(plaintext)


# -- keyed hashes and key derivation ---------------------------------------------------------


def test_subkeys_match_hkdf_sm3_spec(ring: KeyRing) -> None:
    master = SECRET.encode()
    value = "13812345678"
    index_key = _hkdf_sm3(master, b"dangjian/blind-index/v1", 32)
    chain_key = _hkdf_sm3(master, b"dangjian/audit-chain/v1", 32)
    token_key = _hkdf_sm3(master, b"dangjian/api-token/v1", 32)
    assert ring.blind_index(value) == hmac.new(index_key, value.encode(), "sm3").hexdigest()
    assert ring.chain_hash("ab", b"row") == hmac.new(chain_key, b"ab\nrow", "sm3").hexdigest()
    assert ring.token_digest(value) == hmac.new(token_key, value.encode(), "sm3").hexdigest()


def test_subkeys_are_independent(ring: KeyRing) -> None:
    # chain_hash("", b"x") and blind_index("\nx") MAC the very same bytes.
    assert ring.chain_hash("", b"x") != ring.blind_index("\nx")
    assert ring.token_digest("\nx") != ring.blind_index("\nx")
    assert ring.token_digest("\nx") != ring.chain_hash("", b"x")
    keys = {
        ring._field_key,
        ring._blind_index_key,
        ring._audit_chain_key,
        ring._api_token_key,
    }
    assert len(keys) == 4
    assert len(ring._field_key) == 16
    assert {len(k) for k in keys - {ring._field_key}} == {32}


def test_django_secret_key(ring: KeyRing) -> None:
    key = ring.django_secret_key()
    assert key == KeyRing.from_secret(SECRET).django_secret_key()
    assert key == _hkdf_sm3(SECRET.encode(), b"dangjian/django-secret-key/v1", 48).hex()
    # Django's check W009: at least 50 characters, 5 distinct, no "django-insecure-" prefix.
    assert len(key) >= 50
    assert len(set(key)) >= 5
    assert not key.startswith("django-insecure-")
    assert key != KeyRing.from_secret(SECRET + "-other").django_secret_key()
    derived = {
        ring._field_key.hex(),
        ring._blind_index_key.hex(),
        ring._audit_chain_key.hex(),
        ring._api_token_key.hex(),
    }
    assert not any(part in key for part in derived)


def test_chain_hash(ring: KeyRing) -> None:
    genesis = "0" * 64
    first = ring.chain_hash(genesis, b'{"event": "login"}')
    assert len(first) == 64
    assert first == ring.chain_hash(genesis, b'{"event": "login"}')
    assert ring.chain_hash("1" + "0" * 63, b'{"event": "login"}') != first
    assert ring.chain_hash(genesis, b'{"event": "logout"}') != first
    second = ring.chain_hash(first, b'{"event": "logout"}')
    assert second != ring.chain_hash(genesis, b'{"event": "logout"}')


def test_token_digest(ring: KeyRing) -> None:
    digest = ring.token_digest("tok_abc")
    assert len(digest) == 64
    assert hmac.compare_digest(digest, ring.token_digest("tok_abc"))
    assert digest != ring.token_digest("tok_abd")


# -- load_master_secret ----------------------------------------------------------------------


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_key_file_env_has_precedence(tmp_path: Path) -> None:
    key_file = tmp_path / "field.key"
    key_file.write_bytes(b"from-file\n")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "secret.key").write_bytes(b"from-data-dir")
    env = {"DANGJIAN_FIELD_KEY_FILE": str(key_file), "DANGJIAN_SECRET_KEY": "from-env"}
    assert load_master_secret(env=env, data_dir=tmp_path / "data") == b"from-file"


def test_secret_env_beats_data_dir_file(tmp_path: Path) -> None:
    (tmp_path / "secret.key").write_bytes(b"from-data-dir")
    env = {"DANGJIAN_SECRET_KEY": "from-env"}
    assert load_master_secret(env=env, data_dir=tmp_path) == b"from-env"


def test_data_dir_file_is_used(tmp_path: Path) -> None:
    (tmp_path / "secret.key").write_bytes(b"  from-data-dir \n")
    assert load_master_secret(env={}, data_dir=tmp_path) == b"from-data-dir"


def test_empty_env_values_are_ignored(tmp_path: Path) -> None:
    (tmp_path / "secret.key").write_bytes(b"from-data-dir")
    env = {"DANGJIAN_FIELD_KEY_FILE": "", "DANGJIAN_SECRET_KEY": "  "}
    assert load_master_secret(env=env, data_dir=tmp_path) == b"from-data-dir"


def test_missing_key_file_is_an_error(tmp_path: Path) -> None:
    env = {"DANGJIAN_FIELD_KEY_FILE": str(tmp_path / "nope.key"), "DANGJIAN_SECRET_KEY": "x"}
    with pytest.raises(ImproperKey, match="DANGJIAN_FIELD_KEY_FILE.*does not exist"):
        load_master_secret(env=env, data_dir=tmp_path)
    assert not (tmp_path / "secret.key").exists()


@pytest.mark.parametrize("content", [b"", b"\n", b"  \n\t"])
def test_empty_key_file_is_an_error(tmp_path: Path, content: bytes) -> None:
    key_file = tmp_path / "field.key"
    key_file.write_bytes(content)
    with pytest.raises(ImproperKey, match="empty"):
        load_master_secret(env={"DANGJIAN_FIELD_KEY_FILE": str(key_file)}, data_dir=tmp_path)


def test_key_file_pointing_at_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ImproperKey, match="directory"):
        load_master_secret(env={"DANGJIAN_FIELD_KEY_FILE": str(tmp_path)}, data_dir=tmp_path)


def test_empty_data_dir_key_file_is_not_silently_replaced(tmp_path: Path) -> None:
    (tmp_path / "secret.key").write_bytes(b"")
    with pytest.raises(ImproperKey, match="empty"):
        load_master_secret(env={}, data_dir=tmp_path)
    assert (tmp_path / "secret.key").read_bytes() == b""


def test_generates_key_with_mode_0600(tmp_path: Path) -> None:
    data_dir = tmp_path / "var" / "nested"  # parent directories are created
    secret = load_master_secret(env={}, data_dir=data_dir)
    key_file = data_dir / "secret.key"
    assert len(secret) == 96
    assert bytes.fromhex(secret.decode("ascii"))  # 48 random bytes, hex-encoded
    assert key_file.read_bytes().strip() == secret
    assert _mode(key_file) == 0o600
    assert [p.name for p in data_dir.iterdir()] == ["secret.key"]  # no temp files left
    # A second call reads the same key back.
    assert load_master_secret(env={}, data_dir=data_dir) == secret
    # And a fresh directory gets a different key.
    assert load_master_secret(env={}, data_dir=tmp_path / "other") != secret


def test_generated_mode_ignores_permissive_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        load_master_secret(env={}, data_dir=tmp_path)
    finally:
        os.umask(old)
    assert _mode(tmp_path / "secret.key") == 0o600


def test_existing_key_is_never_overwritten(tmp_path: Path) -> None:
    key_file = tmp_path / "secret.key"
    key_file.write_bytes(b"winner")
    assert crypto._create_key_file(key_file, b"loser") == b"winner"
    assert key_file.read_bytes() == b"winner"


def test_concurrent_first_start_agrees_on_one_key(tmp_path: Path) -> None:
    barrier = threading.Barrier(8)
    results: list[bytes] = []

    def worker() -> None:
        barrier.wait()
        results.append(load_master_secret(env={}, data_dir=tmp_path))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 8
    assert len(set(results)) == 1
    assert (tmp_path / "secret.key").read_bytes().strip() == results[0]


def test_loaded_secret_builds_a_keyring(tmp_path: Path) -> None:
    ring = KeyRing.from_secret(load_master_secret(env={}, data_dir=tmp_path))
    again = KeyRing.from_secret(load_master_secret(env={}, data_dir=tmp_path))
    assert again.decrypt(ring.encrypt("张三")) == "张三"


def test_docstring_warns_operators() -> None:
    doc = load_master_secret.__doc__ or ""
    assert "unreadable" in doc
    assert "never commit" in doc


# -- default_keyring -------------------------------------------------------------------------


@pytest.fixture
def fake_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[SimpleNamespace]:
    django_conf = pytest.importorskip("django.conf")
    fake = SimpleNamespace(DANGJIAN_MASTER_SECRET=SECRET)
    monkeypatch.setattr(django_conf, "settings", fake)
    reset_default_keyring()
    yield fake
    reset_default_keyring()


def test_default_keyring_is_cached(fake_settings: SimpleNamespace, ring: KeyRing) -> None:
    first = default_keyring()
    assert default_keyring() is first
    assert first.blind_index("x") == ring.blind_index("x")
    reset_default_keyring()
    assert default_keyring() is not first


def test_default_keyring_follows_setting_changes(fake_settings: SimpleNamespace) -> None:
    first = default_keyring()
    fake_settings.DANGJIAN_MASTER_SECRET = b"another-secret"
    second = default_keyring()
    assert second is not first
    assert second.blind_index("x") == KeyRing.from_secret(b"another-secret").blind_index("x")


@pytest.mark.parametrize("value", [None, "", b""])
def test_default_keyring_requires_setting(
    fake_settings: SimpleNamespace, value: object, monkeypatch
) -> None:
    import dangjian.crypto

    # Without the provider that generates a key for an empty database (tests/core/test_keys.py).
    monkeypatch.setattr(dangjian.crypto, "_secret_provider", None)
    fake_settings.DANGJIAN_MASTER_SECRET = value
    with pytest.raises(ImproperKey, match="DANGJIAN_MASTER_SECRET"):
        default_keyring()


def test_module_imports_without_django_settings() -> None:
    import subprocess
    import sys

    code = "import sys, dangjian.crypto; assert 'django' not in sys.modules"
    env = {**os.environ, "PYTHONPATH": str(Path(crypto.__file__).parents[1])}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    subprocess.run([sys.executable, "-c", code], check=True, env=env)  # noqa: S603


# -- self_test -------------------------------------------------------------------------------


def test_self_test_passes() -> None:
    self_test()


def test_self_test_detects_wrong_sm3(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(crypto, "_SM3_KAT_DIGEST", "0" * 64)
    with pytest.raises(RuntimeError, match="SM3"):
        self_test()


def test_self_test_detects_wrong_sm4(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(crypto, "_SM4_KAT_CT", bytes(16))
    with pytest.raises(RuntimeError, match="SM4"):
        self_test()


def test_self_test_detects_missing_sm3(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_sm3(name: str, *args: object, **kwargs: object) -> object:
        raise ValueError(f"unsupported hash type {name}")

    monkeypatch.setattr(crypto.hashlib, "new", no_sm3)
    with pytest.raises(RuntimeError, match="lacks SM3"):
        self_test()


def test_sm3_vector_independently() -> None:
    assert hashlib.new("sm3", b"abc").hexdigest() == crypto._SM3_KAT_DIGEST
