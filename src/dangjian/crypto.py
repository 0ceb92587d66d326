"""Field encryption (SM4-GCM) and keyed hashes (HMAC-SM3) built on Chinese national algorithms.

Long: every subkey's derivation and use stays in this one module, so their labels and purposes
are read together (the key ring, the master secret's sources, the passphrase seal, the self-test).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import logging
import os
import re
import secrets
import stat
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = [
    "FILE_MAGIC",
    "TOKEN_PREFIX",
    "CryptoError",
    "DecryptionError",
    "ImproperKey",
    "KeyRing",
    "default_keyring",
    "load_master_secret",
    "reset_default_keyring",
    "locate_master_secret",
    "open_with_passphrase",
    "seal_with_passphrase",
    "self_test",
]

logger = logging.getLogger(__name__)

#: Version prefix of every ciphertext token produced by :meth:`KeyRing.encrypt`.
TOKEN_PREFIX = "sm4gcm1:"  # noqa: S105 - a format marker, not a secret
#: First bytes of every file produced by :meth:`KeyRing.encrypt_file`.
FILE_MAGIC = b"DJSM4GCM1\n"

# HKDF "info" labels. Each label yields an independent subkey; never reuse a label
# for a different purpose, and bump the version suffix if the derivation changes.
_INFO_FIELD_ENCRYPTION = b"dangjian/field-encryption/v1"
_INFO_BLIND_INDEX = b"dangjian/blind-index/v1"
_INFO_AUDIT_CHAIN = b"dangjian/audit-chain/v1"
_INFO_API_TOKEN = b"dangjian/api-token/v1"
_INFO_IMPORT_DIGEST = b"dangjian/import-digest/v1"
_INFO_DJANGO_SECRET_KEY = b"dangjian/django-secret-key/v1"
_INFO_KEY_CHECK = b"dangjian/key-check/v1"

_NONCE_BYTES = 12  # 96-bit GCM nonce, the recommended size (NIST SP 800-38D, RFC 8998).
_TAG_BYTES = 16  # Full-length GCM tag; never truncated.
_HMAC_DIGEST = "sm3"  # hashlib name used by hmac.new().


def _keyed_state(key: bytes) -> Any:
    """An HMAC-SM3 state keyed once, to `copy()`, `update()` and `hexdigest()` per message.

    The OpenSSL HMAC object itself where the `hmac` module wraps one (it does whenever OpenSSL
    has SM3): its wrapper's copy, update and hexdigest are Python calls around the same C ones,
    about a third of the cost of hashing a short value (a re-import hashes two a row)."""
    mac = hmac.new(key, digestmod=_HMAC_DIGEST)
    return getattr(mac, "_hmac", None) or mac


_URLSAFE_B64 = re.compile(r"(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-]{2}==|[A-Za-z0-9_-]{3}=)?")

# Names used by load_master_secret().
ENV_KEY_FILE = "DANGJIAN_FIELD_KEY_FILE"
ENV_SECRET_KEY = "DANGJIAN_SECRET_KEY"  # noqa: S105 - an environment variable name
KEY_FILE_NAME = "secret.key"
_GENERATED_SECRET_BYTES = 48


class CryptoError(Exception):
    """Base class for errors raised by this module."""


class DecryptionError(CryptoError):
    """A token could not be decrypted: wrong key, tampered data or malformed token."""


class ImproperKey(CryptoError):
    """The master secret is missing, empty or cannot be read."""


def _to_bytes(secret: str | bytes) -> bytes:
    if isinstance(secret, str):
        return secret.encode("utf-8")
    if isinstance(secret, (bytes, bytearray, memoryview)):
        return bytes(secret)
    raise TypeError(f"master secret must be str or bytes, not {type(secret).__name__}")


def _derive(master: bytes, info: bytes, length: int) -> bytes:
    return HKDF(algorithm=hashes.SM3(), length=length, salt=None, info=info).derive(master)


class KeyRing:
    """Purpose-specific subkeys derived from one master secret with HKDF-SM3.

    * field encryption: 16-byte SM4 key, used in GCM mode;
    * blind index: 32-byte HMAC-SM3 key for equality lookups on encrypted columns;
    * audit chain: 32-byte HMAC-SM3 key for the tamper-evident audit hash chain;
    * API token: 32-byte HMAC-SM3 key; only digests of API tokens are stored;
    * Django ``SECRET_KEY``: 48 bytes, hex-encoded (sessions, CSRF, signing).

    The subkeys are independent: knowing one output never helps with another.
    """

    __slots__ = (
        "_api_token_key",
        "_audit_chain_key",
        "_audit_chain_mac",
        "_blind_index_key",
        "_blind_index_mac",
        "_check_value",
        "_django_secret_key",
        "_field_key",
        "_import_digest_key",
        "_import_digest_mac",
        "_retired_audit_keys",
        "_sm4",
    )

    def __init__(self, secret: str | bytes) -> None:
        master = _to_bytes(secret)
        if not master:
            raise ImproperKey("The master secret is empty; refusing to derive keys from it.")
        self._field_key = _derive(master, _INFO_FIELD_ENCRYPTION, 16)
        self._sm4 = algorithms.SM4(self._field_key)  # built once: imports encrypt 2 fields a row
        self._blind_index_key = _derive(master, _INFO_BLIND_INDEX, 32)
        self._audit_chain_key = _derive(master, _INFO_AUDIT_CHAIN, 32)
        self._api_token_key = _derive(master, _INFO_API_TOKEN, 32)
        self._import_digest_key = _derive(master, _INFO_IMPORT_DIGEST, 32)
        self._django_secret_key = _derive(master, _INFO_DJANGO_SECRET_KEY, 48).hex()
        # Keyed HMAC states, copied for each message: the key schedule is done once, not once
        # per value (an import hashes four values a row). Same output as hmac.new(key, msg).
        self._blind_index_mac = _keyed_state(self._blind_index_key)
        self._audit_chain_mac = _keyed_state(self._audit_chain_key)
        self._import_digest_mac = _keyed_state(self._import_digest_key)
        self._check_value = _derive(master, _INFO_KEY_CHECK, 32).hex()
        # (last seq, key) of audit-chain keys retired by key rotations, oldest first.
        self._retired_audit_keys: tuple[tuple[int, bytes], ...] = ()

    @classmethod
    def from_secret(cls, secret: str | bytes) -> KeyRing:
        """Build a key ring from a master secret (a ``str`` is UTF-8 encoded)."""
        return cls(secret)

    def __repr__(self) -> str:  # never leak key material into logs or tracebacks
        return f"<{type(self).__name__}>"

    def django_secret_key(self) -> str:
        """Return a value for Django's ``SECRET_KEY`` (96 hex chars), stable for this secret.

        It is derived separately, so Django's signing never shares a key with the
        field-encryption or HMAC subkeys.
        """
        return self._django_secret_key

    # -- field encryption --------------------------------------------------------------

    def encrypt(self, plaintext: str) -> str:
        """Encrypt ``plaintext`` with SM4-GCM under a fresh random nonce.

        Returns ``"sm4gcm1:" + urlsafe_b64(nonce || ciphertext || tag)``, an ASCII string.
        The empty string is returned unchanged so that blank fields stay blank.
        """
        if not isinstance(plaintext, str):
            raise TypeError(f"plaintext must be str, not {type(plaintext).__name__}")
        if plaintext == "":
            return ""
        nonce = secrets.token_bytes(_NONCE_BYTES)
        encryptor = Cipher(self._sm4, modes.GCM(nonce)).encryptor()
        # The version prefix is authenticated so a token cannot be relabelled.
        encryptor.authenticate_additional_data(TOKEN_PREFIX.encode("ascii"))
        ciphertext = encryptor.update(plaintext.encode("utf-8")) + encryptor.finalize()
        blob = nonce + ciphertext + encryptor.tag
        return TOKEN_PREFIX + base64.urlsafe_b64encode(blob).decode("ascii")

    def decrypt(self, token: str) -> str:
        """Reverse :meth:`encrypt`. ``""`` gives ``""``.

        Raises :class:`DecryptionError` on a wrong key, tampering or a malformed token.
        """
        if not isinstance(token, str):
            raise DecryptionError(f"token must be str, not {type(token).__name__}")
        if token == "":
            return ""
        if not token.startswith(TOKEN_PREFIX):
            raise DecryptionError("not an SM4-GCM token (unknown or missing version prefix)")
        body = token[len(TOKEN_PREFIX) :]
        if not _URLSAFE_B64.fullmatch(body):
            raise DecryptionError("token is not valid URL-safe base64")
        try:
            blob = base64.urlsafe_b64decode(body)
        except (binascii.Error, ValueError) as exc:
            raise DecryptionError("token is not valid URL-safe base64") from exc
        if len(blob) < _NONCE_BYTES + _TAG_BYTES:
            raise DecryptionError("token is too short")
        nonce = blob[:_NONCE_BYTES]
        ciphertext = blob[_NONCE_BYTES:-_TAG_BYTES]
        tag = blob[-_TAG_BYTES:]
        decryptor = Cipher(algorithms.SM4(self._field_key), modes.GCM(nonce, tag)).decryptor()
        decryptor.authenticate_additional_data(TOKEN_PREFIX.encode("ascii"))
        try:
            plaintext = decryptor.update(ciphertext) + decryptor.finalize()
        except InvalidTag as exc:
            raise DecryptionError("authentication failed (wrong key or tampered data)") from exc
        try:
            return plaintext.decode("utf-8")
        except UnicodeDecodeError as exc:  # pragma: no cover - authenticated data is ours
            raise DecryptionError("decrypted data is not valid UTF-8") from exc

    # -- file encryption ---------------------------------------------------------------

    def encrypt_file(self, data: bytes) -> bytes:
        """Encrypt a file's content (e.g. an uploaded roster kept until it is imported) with
        SM4-GCM under the field key and a fresh nonce: ``FILE_MAGIC || nonce || ct || tag``.

        The magic (format and version) is authenticated, as a field token's prefix is.
        """
        nonce = secrets.token_bytes(_NONCE_BYTES)
        encryptor = Cipher(algorithms.SM4(self._field_key), modes.GCM(nonce)).encryptor()
        encryptor.authenticate_additional_data(FILE_MAGIC)
        ciphertext = encryptor.update(bytes(data)) + encryptor.finalize()
        return FILE_MAGIC + nonce + ciphertext + encryptor.tag

    def decrypt_file(self, blob: bytes) -> bytes:
        """Reverse :meth:`encrypt_file`; raises :class:`DecryptionError` on a wrong key,
        tampering or anything that is not such a file."""
        if (
            not blob.startswith(FILE_MAGIC)
            or len(blob) < len(FILE_MAGIC) + _NONCE_BYTES + _TAG_BYTES
        ):
            raise DecryptionError("not an SM4-GCM encrypted file")
        nonce = blob[len(FILE_MAGIC) : len(FILE_MAGIC) + _NONCE_BYTES]
        ciphertext, tag = blob[len(FILE_MAGIC) + _NONCE_BYTES : -_TAG_BYTES], blob[-_TAG_BYTES:]
        decryptor = Cipher(algorithms.SM4(self._field_key), modes.GCM(nonce, tag)).decryptor()
        decryptor.authenticate_additional_data(FILE_MAGIC)
        try:
            return decryptor.update(ciphertext) + decryptor.finalize()
        except InvalidTag as exc:
            raise DecryptionError("authentication failed (wrong key or tampered data)") from exc

    # -- keyed hashes -----------------------------------------------------------------

    def blind_index(self, value: str) -> str:
        """Return the hex HMAC-SM3 (64 chars) of ``value`` for equality lookups.

        Callers must normalise the value first (e.g. upper-case ``X`` in ID numbers,
        strip ``+86`` from phone numbers); the index is exact-match only.
        The empty string gives ``""``.
        """
        if value == "":
            return ""
        mac = self._blind_index_mac.copy()
        mac.update(value.encode("utf-8"))
        return mac.hexdigest()

    def import_digest(self, message: bytes) -> str:
        """Hex HMAC-SM3 under its own subkey: the roster import's per-member row digest."""
        mac = self._import_digest_mac.copy()
        mac.update(message)
        return mac.hexdigest()

    def chain_hash(self, prev_hash: str, payload: bytes, *, seq: int | None = None) -> str:
        """Return hex HMAC-SM3 over ``prev_hash`` (ASCII) + ``b"\\n"`` + ``payload``.

        Used for the audit-log hash chain ``h_n = HMAC-SM3(k, h_{n-1} || row)``. With ``seq``,
        an event from before a key rotation is hashed with the key of its time (see
        :meth:`with_retired_audit_keys`); new events always use the current key.
        """
        message = prev_hash.encode("ascii") + b"\n" + bytes(payload)
        if seq is not None:
            for last_seq, retired in self._retired_audit_keys:
                if seq <= last_seq:
                    return hmac.new(retired, message, _HMAC_DIGEST).hexdigest()
        mac = self._audit_chain_mac.copy()
        mac.update(message)
        return mac.hexdigest()

    # -- key management ------------------------------------------------------------------

    def check_value(self) -> str:
        """A value the database keeps to recognise this master secret (hex, 64 chars).

        It is one more independent HKDF output: it tells nothing about the secret or the other
        subkeys, and a wrong or missing key is caught before any data is touched.
        """
        return self._check_value

    def fingerprint(self) -> str:
        """The first 8 hex digits of the check value, to name a key in messages."""
        return self._check_value[:8]

    def audit_chain_key(self) -> bytes:
        """The audit-chain subkey, for a key rotation to keep (wrapped) for older events."""
        return self._audit_chain_key

    def with_retired_audit_keys(self, retired: list[tuple[int, bytes]]) -> KeyRing:
        """A copy that verifies events up to each ``last_seq`` with that retired chain key."""
        ring = object.__new__(KeyRing)
        for name in KeyRing.__slots__:
            setattr(ring, name, getattr(self, name))
        ring._retired_audit_keys = tuple(sorted(retired))
        return ring

    def wrap(self, key: bytes) -> str:
        """``key`` encrypted under this ring's field key (to store a retired subkey)."""
        return self.encrypt(key.hex())

    def unwrap(self, token: str) -> bytes:
        return bytes.fromhex(self.decrypt(token))

    def token_digest(self, token: str) -> str:
        """Return the hex HMAC-SM3 of an API token; store only this digest.

        Compare digests with :func:`hmac.compare_digest`.
        """
        return hmac.new(self._api_token_key, token.encode("utf-8"), _HMAC_DIGEST).hexdigest()


# -- master secret ---------------------------------------------------------------------


def _read_key_file(path: Path, *, source: str) -> bytes:
    try:
        data = path.read_bytes().strip()
    except FileNotFoundError as exc:
        raise ImproperKey(f"{source}: key file {path} does not exist.") from exc
    except IsADirectoryError as exc:
        raise ImproperKey(f"{source}: {path} is a directory, not a key file.") from exc
    except OSError as exc:
        raise ImproperKey(f"{source}: cannot read key file {path}: {exc}") from exc
    if not data:
        raise ImproperKey(
            f"{source}: key file {path} is empty. Restore it from the key backup; "
            "do not replace it with a new key, or existing encrypted data becomes unreadable."
        )
    try:
        mode = path.stat().st_mode
    except OSError:  # pragma: no cover - we have just read it
        mode = 0
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        logger.warning(
            "Key file %s is accessible by group/others (mode %o); run: chmod 600 %s",
            path,
            stat.S_IMODE(mode),
            path,
        )
    return data


def _create_key_file(path: Path, secret: bytes) -> bytes:
    """Atomically create ``path`` holding ``secret`` (mode 0600) unless it exists.

    Returns the secret actually stored, which is another process's key if it won a race
    (e.g. several application workers starting for the first time).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".secret-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), 0o600)
            handle.write(secret + b"\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp_name, path)  # fails if the file exists: never overwrite a key
        except FileExistsError:
            return _read_key_file(path, source=f"{path}")
        except OSError:
            # Filesystem without hard links: fall back to an exclusive create.
            try:
                out = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                return _read_key_file(path, source=f"{path}")
            with os.fdopen(out, "wb") as handle:
                os.fchmod(handle.fileno(), 0o600)
                handle.write(secret + b"\n")
                handle.flush()
                os.fsync(handle.fileno())
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
    return secret


def load_master_secret(*, env: Mapping[str, str], data_dir: Path) -> bytes:
    """Return the master secret used to build the :class:`KeyRing`.

    Sources, first match wins:

    1. ``DANGJIAN_FIELD_KEY_FILE``: path of a file holding the key. If the variable is set,
       the file must exist and be non-empty, otherwise :class:`ImproperKey` is raised.
    2. ``DANGJIAN_SECRET_KEY``: the key itself.
    3. ``data_dir / "secret.key"``, if it exists (it must then be non-empty).
    4. Otherwise 48 random bytes are generated, hex-encoded, written to
       ``data_dir / "secret.key"`` with mode 0600 (creating ``data_dir`` if needed) and
       returned. Later calls read the same file.

    Surrounding whitespace (e.g. a trailing newline) is stripped from the key.

    WARNING for operators: the key protects the encrypted personal data (ID numbers,
    phone numbers), the blind indexes, the audit hash chain and the API token digests.
    If the key is lost or changed, encrypted fields become permanently unreadable and
    audit-chain verification fails. Back the key up separately from the database
    backups, keep the file at mode 0600, and never commit it to version control or
    bake it into a container image.
    """
    key_file = (env.get(ENV_KEY_FILE) or "").strip()
    if key_file:
        return _read_key_file(Path(key_file).expanduser(), source=ENV_KEY_FILE)

    secret_key = (env.get(ENV_SECRET_KEY) or "").strip()
    if secret_key:
        return secret_key.encode("utf-8")

    path = Path(data_dir) / KEY_FILE_NAME
    if path.exists():
        return _read_key_file(path, source=f"{path}")

    generated = secrets.token_bytes(_GENERATED_SECRET_BYTES).hex().encode("ascii")
    stored = _create_key_file(path, generated)
    if stored == generated:
        logger.warning(
            "Generated a new master secret in %s. Back it up now: losing it makes "
            "encrypted fields unreadable.",
            path,
        )
    return stored


def locate_master_secret(*, env: Mapping[str, str], data_dir: Path) -> tuple[bytes | None, str]:
    """The configured master secret and where it came from, without ever generating one.

    Same sources and order as :func:`load_master_secret`; ``(None, where it was looked for)``
    when none is configured. Whether a new key may be generated depends on the database (never
    when it already holds encrypted data), which ``dangjian.core.keys`` decides.
    """
    key_file = (env.get(ENV_KEY_FILE) or "").strip()
    if key_file:
        path = Path(key_file).expanduser()
        return _read_key_file(path, source=ENV_KEY_FILE), f"{ENV_KEY_FILE}={path}"
    secret_key = (env.get(ENV_SECRET_KEY) or "").strip()
    if secret_key:
        return secret_key.encode("utf-8"), f"环境变量 {ENV_SECRET_KEY}"
    path = Path(data_dir) / KEY_FILE_NAME
    if path.exists():
        return _read_key_file(path, source=f"{path}"), f"密钥文件 {path}"
    return None, f"密钥文件 {path}"


def create_key_file(path: Path) -> bytes:
    """Write a new random master secret to ``path`` (mode 0600); refuse to overwrite a file."""
    path = Path(path)
    if path.exists():
        raise ImproperKey(f"{path} already exists; refusing to overwrite a key file.")
    generated = secrets.token_bytes(_GENERATED_SECRET_BYTES).hex().encode("ascii")
    return _create_key_file(path, generated)


# -- passphrase sealing (a key copy inside a backup) -------------------------------------------

_SEAL_MAGIC = b"dangjian-sealed-v1\n"
_SEAL_ITERATIONS = 600_000


def seal_with_passphrase(
    data: bytes, passphrase: str, *, iterations: int = _SEAL_ITERATIONS
) -> bytes:
    """``data`` encrypted with a passphrase: PBKDF2-HMAC-SM3 (salted) then SM4-GCM."""
    if not passphrase:
        raise ImproperKey("an empty passphrase cannot protect a key")
    salt = secrets.token_bytes(16)
    key = hashlib.pbkdf2_hmac("sm3", passphrase.encode("utf-8"), salt, iterations, 16)
    nonce = secrets.token_bytes(_NONCE_BYTES)
    encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(_SEAL_MAGIC)
    body = encryptor.update(data) + encryptor.finalize() + encryptor.tag
    header = _SEAL_MAGIC + f"{iterations}\n".encode("ascii")
    return header + base64.b64encode(salt + nonce + body) + b"\n"


def open_with_passphrase(sealed: bytes, passphrase: str) -> bytes:
    """Reverse :func:`seal_with_passphrase`; :class:`DecryptionError` on a wrong passphrase."""
    if not sealed.startswith(_SEAL_MAGIC):
        raise DecryptionError("not a sealed key file")
    try:
        iterations_line, blob_line = sealed[len(_SEAL_MAGIC) :].split(b"\n", 1)
        iterations = int(iterations_line)
        blob = base64.b64decode(blob_line.strip(), validate=True)
    except (ValueError, binascii.Error) as exc:
        raise DecryptionError("sealed key file is damaged") from exc
    salt, nonce, body = blob[:16], blob[16 : 16 + _NONCE_BYTES], blob[16 + _NONCE_BYTES :]
    key = hashlib.pbkdf2_hmac("sm3", passphrase.encode("utf-8"), salt, iterations, 16)
    decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, body[-_TAG_BYTES:])).decryptor()
    decryptor.authenticate_additional_data(_SEAL_MAGIC)
    try:
        return decryptor.update(body[:-_TAG_BYTES]) + decryptor.finalize()
    except InvalidTag as exc:
        raise DecryptionError("wrong passphrase or damaged file") from exc


# -- process-wide key ring ---------------------------------------------------------------

_default_lock = threading.Lock()
_secret_provider = None


def set_secret_provider(provider) -> None:
    """Install the callable that supplies a master secret when none is configured."""
    global _secret_provider
    _secret_provider = provider


_default_keyring: KeyRing | None = None
_default_secret: bytes | None = None
# The settings value the cached ring was built from: the same object means the same ring, with
# no encoding or locking (hot loops such as imports ask for the ring several times a row).
_default_raw: object = None


def default_keyring() -> KeyRing:
    """Return the key ring built from ``settings.DANGJIAN_MASTER_SECRET`` (cached).

    The cache is rebuilt automatically if the setting changes (e.g. ``override_settings``).
    """
    global _default_keyring, _default_secret, _default_raw

    from django.conf import settings

    raw = getattr(settings, "DANGJIAN_MASTER_SECRET", None)
    ring = _default_keyring
    if ring is not None and raw is _default_raw and raw:
        return ring
    if (raw is None or raw == "" or raw == b"") and _secret_provider is not None:
        # No key configured: the provider (dangjian.core.keys) generates one for an empty
        # database or refuses, naming where the key was expected.
        raw = _secret_provider()
    if raw is None or raw == "" or raw == b"":
        raise ImproperKey(
            "settings.DANGJIAN_MASTER_SECRET is not set; load it with "
            "dangjian.crypto.load_master_secret() in the settings module."
        )
    secret = _to_bytes(raw)
    with _default_lock:
        if _default_keyring is None or _default_secret != secret:
            _default_keyring = KeyRing(secret)
            _default_secret = secret
        _default_raw = raw
        return _default_keyring


def reset_default_keyring() -> None:
    """Drop the cached default key ring (for tests)."""
    global _default_keyring, _default_secret, _default_raw
    with _default_lock:
        _default_keyring = None
        _default_secret = None
        _default_raw = None


# -- known-answer tests --------------------------------------------------------------------

# GB/T 32907-2016 Appendix A.1: key = plaintext.
_SM4_KAT_KEY = bytes.fromhex("0123456789abcdeffedcba9876543210")
_SM4_KAT_CT = bytes.fromhex("681edf34d206965e86b3e94f536e4246")
# RFC 8998 Appendix A.1 (SM4-GCM).
_SM4_GCM_KAT_IV = bytes.fromhex("00001234567800000000abcd")
_SM4_GCM_KAT_PT = bytes.fromhex(
    "aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbbccccccccccccccccdddddddddddddddd"
    "eeeeeeeeeeeeeeeeffffffffffffffffeeeeeeeeeeeeeeeeaaaaaaaaaaaaaaaa"
)
_SM4_GCM_KAT_AAD = bytes.fromhex("feedfacedeadbeeffeedfacedeadbeefabaddad2")
_SM4_GCM_KAT_CT = bytes.fromhex(
    "17f399f08c67d5ee19d0dc9969c4bb7d5fd46fd3756489069157b282bb200735"
    "d82710ca5c22f0ccfa7cbf93d496ac15a56834cbcf98c397b4024a2691233b8d"
)
_SM4_GCM_KAT_TAG = bytes.fromhex("83de3541e4c2b58177e065a9bf7b62ec")
# GB/T 32905-2016 Appendix A.1.
_SM3_KAT_MSG = b"abc"
_SM3_KAT_DIGEST = "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"


def self_test() -> None:
    """Check SM4 and SM3 against published test vectors; raise RuntimeError on failure.

    Covers SM4 (GB/T 32907, single block; ECB is used only here), SM4-GCM (RFC 8998),
    SM3 through ``hashlib`` (used by HMAC) and SM3 through ``cryptography`` (used by
    HKDF), which may be linked against different OpenSSL builds.
    """
    try:
        ecb_mode = modes.ECB()  # noqa: S305  # nosec B305 - single-block KAT only
        encryptor = Cipher(algorithms.SM4(_SM4_KAT_KEY), ecb_mode).encryptor()
        ecb = encryptor.update(_SM4_KAT_KEY) + encryptor.finalize()
    except UnsupportedAlgorithm as exc:
        raise RuntimeError("The OpenSSL build used by 'cryptography' lacks SM4.") from exc
    if ecb != _SM4_KAT_CT:
        raise RuntimeError("SM4 known-answer test failed (GB/T 32907 vector).")

    try:
        encryptor = Cipher(algorithms.SM4(_SM4_KAT_KEY), modes.GCM(_SM4_GCM_KAT_IV)).encryptor()
        encryptor.authenticate_additional_data(_SM4_GCM_KAT_AAD)
        gcm = encryptor.update(_SM4_GCM_KAT_PT) + encryptor.finalize()
    except UnsupportedAlgorithm as exc:
        raise RuntimeError("The OpenSSL build used by 'cryptography' lacks SM4-GCM.") from exc
    if gcm != _SM4_GCM_KAT_CT or encryptor.tag != _SM4_GCM_KAT_TAG:
        raise RuntimeError("SM4-GCM known-answer test failed (RFC 8998 vector).")

    try:
        hashlib_digest = hashlib.new("sm3", _SM3_KAT_MSG).hexdigest()
    except ValueError as exc:
        raise RuntimeError("The OpenSSL build used by Python's hashlib lacks SM3.") from exc
    if hashlib_digest != _SM3_KAT_DIGEST:
        raise RuntimeError("SM3 known-answer test failed in hashlib (GB/T 32905 vector).")

    try:
        digest = hashes.Hash(hashes.SM3())
        digest.update(_SM3_KAT_MSG)
        crypto_digest = digest.finalize().hex()
    except UnsupportedAlgorithm as exc:
        raise RuntimeError("The OpenSSL build used by 'cryptography' lacks SM3.") from exc
    if crypto_digest != _SM3_KAT_DIGEST:
        raise RuntimeError("SM3 known-answer test failed in 'cryptography' (GB/T 32905 vector).")
