"""Where a roster comes from (a path or bytes, opened afresh for each pass) and what it is, told
by its content: a zip (.xlsx), an OLE2 compound file (.xls, or an encrypted Office file: looked
into with olefile and msoffcrypto-tool), or text (.csv)."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path
from typing import IO, Final

import msoffcrypto
import olefile

from .errors import MB, MSG_ENCRYPTED, MSG_UNRECOGNIZED, MSG_ZIP_BOMB, RosterFileError

MAX_COMPRESSION_RATIO: Final = 100


class Source:
    """Bytes or a path, opened afresh for each pass."""

    def __init__(self, source: str | os.PathLike[str] | bytes | bytearray | memoryview | IO[bytes]):
        self.path: Path | None = None
        self.data: bytes | None = None
        if isinstance(source, bytes | bytearray | memoryview):
            self.data = bytes(source)
        elif isinstance(source, str | os.PathLike):
            self.path = Path(source)
        elif hasattr(source, "read"):
            self.data = source.read()
        else:
            raise TypeError(f"unsupported roster source: {type(source).__name__}")

    @property
    def size(self) -> int:
        if self.data is not None:
            return len(self.data)
        assert self.path is not None  # noqa: S101
        try:
            return self.path.stat().st_size
        except OSError as exc:
            raise RosterFileError(
                f"无法读取文件：{exc.strerror or exc}", code="unreadable"
            ) from exc

    def open(self) -> IO[bytes]:
        if self.data is not None:
            return io.BytesIO(self.data)
        assert self.path is not None  # noqa: S101
        return open(self.path, "rb")  # noqa: SIM115 - closed by the caller


def size_text(n: int) -> str:
    if n >= MB:
        text = f"{n / MB:.1f}".removesuffix(".0")
        return f"{text} MB"
    return f"{max(1, round(n / 1024))} KB"


_ZIP_MAGIC: Final = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_CFB_MAGIC: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_BINARY_MAGIC: Final = (
    b"%PDF",
    b"\x89PNG",
    b"GIF8",
    b"\xff\xd8\xff",
    b"Rar!",
    b"7z\xbc\xaf",
    b"\x1f\x8b",
)


def _sniff_compound(fh: IO[bytes]) -> str:
    """An OLE2 file: a password-protected .xlsx (EncryptedPackage) or .xls (FILEPASS), a
    workbook, or something else (a .doc). One that does not hold together goes to calamine,
    which reports it damaged."""
    try:
        ole = olefile.OleFileIO(fh)
    except (OSError, ValueError, IndexError, TypeError):
        return "xls"
    try:
        names = {"/".join(entry).casefold() for entry in ole.listdir(streams=True, storages=True)}
    except (OSError, ValueError, IndexError, TypeError):
        return "xls"
    finally:
        ole.close()
    if "encryptedpackage" in names or "encryptioninfo" in names:
        raise RosterFileError(MSG_ENCRYPTED, code="encrypted")
    if names and not names & {"workbook", "book"}:
        raise RosterFileError(MSG_UNRECOGNIZED, code="unrecognized")
    if "workbook" in names:
        fh.seek(0)
        try:
            encrypted = msoffcrypto.OfficeFile(fh).is_encrypted()
        except Exception:  # noqa: BLE001 - a damaged workbook stream: calamine has its say
            encrypted = False
        if encrypted:
            raise RosterFileError(MSG_ENCRYPTED, code="encrypted")
    return "xls"


def sniff(source: Source) -> str:
    """ "zip", "xls" or "text"; raises for what is plainly no spreadsheet or is encrypted."""
    with source.open() as fh:
        head = fh.read(8)
        if head.startswith(_ZIP_MAGIC):
            return "zip"
        if head.startswith(_CFB_MAGIC):
            fh.seek(0)
            return _sniff_compound(fh)
        if head.startswith(_BINARY_MAGIC):
            raise RosterFileError(MSG_UNRECOGNIZED, code="unrecognized")
    return "text"


def check_zip(zf: zipfile.ZipFile, max_uncompressed: int) -> None:
    total = packed = 0
    for info in zf.infolist():
        total += info.file_size
        packed += info.compress_size
    if total > max_uncompressed or (total > MB and total > MAX_COMPRESSION_RATIO * max(packed, 1)):
        raise RosterFileError(MSG_ZIP_BOMB, code="zip_bomb")
