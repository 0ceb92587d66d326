"""Uploaded library files: type by content, size limit, zip-bomb check, storage, serving.

Everything about the file itself (not its text) is here, behind these few functions, so the
library can move onto the platform's shared upload helpers (`core/uploads.py`, being written)
by changing this one module: `check`, `store`, `remove`, `open_stored` and `response`.
"""

from __future__ import annotations

import hashlib
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import PurePath
from typing import IO, Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404

from dangjian.core.errors import ServiceValidationError

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# Detected kind → (content type, the extensions a file of that kind may carry).
KINDS: dict[str, tuple[str, frozenset[str]]] = {
    "docx": (DOCX_TYPE, frozenset({".docx"})),
    "pdf": ("application/pdf", frozenset({".pdf"})),
    "txt": ("text/plain; charset=utf-8", frozenset({".txt", ".text", ""})),
    # WPS 文字's .wps is the same compound Word format as .doc.
    "doc": ("application/msword", frozenset({".doc", ".wps"})),
}
KIND_NAMES = {
    "docx": "Word 文档",
    "pdf": "PDF 文件",
    "txt": "文本文件",
    "doc": "Word 97-2003 或 WPS 文档",
    "zip": "压缩包",
    "xlsx": "Excel 表格",
    "pptx": "PowerPoint 演示文稿",
    "ole": "Office 文档",
    "encrypted": "加密的 Office 文档",
    "image": "图片",
}
ALLOWED_TEXT = "Word 文档（.docx，以及装有 LibreOffice 时的 .doc、.wps）、PDF 和文本文件（.txt）"
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Names of OLE2 streams, as they appear (UTF-16LE) in the compound file's directory.
ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
WORD_DOCUMENT = "WordDocument".encode("utf-16-le")
# Zip bombs: a .docx whose parts unpack to more than this, or squeeze more than this ratio.
MAX_UNPACKED = 200 * 1024 * 1024
MAX_RATIO = 100
MAX_ENTRIES = 5000


def max_bytes() -> int:
    return int(getattr(settings, "DANGJIAN_MATERIAL_MAX_MB", 50)) * 1024 * 1024


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed the checks: what it is, how big, and its content hash."""

    handle: Any
    original_name: str
    kind: str
    content_type: str
    extension: str
    size: int
    sha256: str


def clean_name(name: str, default: str = "资料") -> str:
    return PurePath(str(name or "").replace("\\", "/")).name.strip()[:255] or default


def _read_head(handle: IO[bytes], size: int = 4096) -> bytes:
    handle.seek(0)
    head = handle.read(size)
    handle.seek(0)
    return head


def _scan(handle: IO[bytes], needles: tuple[bytes, ...], chunk: int = 1 << 20) -> set[bytes]:
    """Which of `needles` occur anywhere in the file (read in chunks, with overlap)."""
    found: set[bytes] = set()
    overlap = max(len(n) for n in needles)
    handle.seek(0)
    tail = b""
    while True:
        block = handle.read(chunk)
        if not block:
            break
        data = tail + block
        found.update(n for n in needles if n in data)
        tail = data[-overlap:]
    handle.seek(0)
    return found


def _looks_like_text(head: bytes) -> bool:
    if head.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return True
    if b"\x00" in head:
        return False
    sample = head[:4096]
    for encoding in ("utf-8", "gb18030"):
        try:
            decoded = sample.decode(encoding)
        except UnicodeDecodeError as exc:
            # A multi-byte character cut at the end of the sample is still text.
            if exc.start < len(sample) - 4:
                continue
            decoded = sample[: exc.start].decode(encoding)
        controls = sum(1 for ch in decoded if ord(ch) < 32 and ch not in "\t\n\r\f")
        return controls <= len(decoded) // 100
    return False


def sniff(handle: IO[bytes]) -> str | None:
    """The file's kind by its content (magic bytes and structure), never by its name."""
    head = _read_head(handle)
    if head.startswith(b"%PDF-") or b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(OLE2):
        found = _scan(handle, (ENCRYPTED_PACKAGE, WORD_DOCUMENT))
        if ENCRYPTED_PACKAGE in found:
            return "encrypted"
        if WORD_DOCUMENT in found:
            return "doc"
        return "ole"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(handle) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError, ValueError, EOFError):
            return "damaged-zip"
        finally:
            handle.seek(0)
        if "word/document.xml" in names:
            return "docx"
        if "xl/workbook.xml" in names:
            return "xlsx"
        if "ppt/presentation.xml" in names:
            return "pptx"
        return "zip"
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8")) or head[8:12] == b"WEBP":
        return "image"
    if _looks_like_text(head):
        return "txt"
    return None


def check_zip(handle: IO[bytes]) -> None:
    """Refuse a .docx that would unpack to a zip bomb (the sizes in the directory are enforced
    by Python's zipfile when reading, so they bound what extraction can produce)."""
    try:
        with zipfile.ZipFile(handle) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise ServiceValidationError({"file": "Word 文档已损坏，无法读取"}) from None
    finally:
        handle.seek(0)
    if len(infos) > MAX_ENTRIES:
        raise ServiceValidationError({"file": "Word 文档结构异常（内部文件过多），已拒绝"})
    total = 0
    for info in infos:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if total > MAX_UNPACKED or (info.file_size > 1024 * 1024 and ratio > MAX_RATIO):
            raise ServiceValidationError(
                {"file": "Word 文档解压后异常庞大（疑似“压缩炸弹”），已拒绝"}
            )


def check(handle: IO[bytes], name: str, size: int | None = None) -> CheckedFile:
    """Size, type (by content) and name of one file; a ServiceValidationError names the file."""
    original = clean_name(name)
    if size is None:
        handle.seek(0, 2)
        size = handle.tell()
        handle.seek(0)
    limit = max_bytes()
    if size <= 0:
        raise ServiceValidationError({"file": f"{original}：文件为空"})
    if size > limit:
        raise ServiceValidationError(
            {
                "file": f"{original}：文件过大（{size / 1024 / 1024:.1f} MB），"
                f"不能超过 {limit // 1024 // 1024} MB"
            }
        )
    kind = sniff(handle)
    extension = PurePath(original).suffix.lower()
    if kind == "encrypted":
        raise ServiceValidationError(
            {"file": f"{original}：文件已加密（设置了打开密码），请取消密码后再上传"}
        )
    if kind == "damaged-zip":
        raise ServiceValidationError({"file": f"{original}：文件已损坏，无法读取"})
    if kind not in KINDS:
        what = KIND_NAMES.get(kind or "", "")
        detail = f"（内容为{what}）" if what else ""
        raise ServiceValidationError(
            {"file": f"{original}：不支持的文件类型{detail}，仅限{ALLOWED_TEXT}"}
        )
    content_type, extensions = KINDS[kind]
    if extension not in extensions:
        raise ServiceValidationError(
            {"file": f"{original}：文件内容与扩展名不符（内容为{KIND_NAMES[kind]}）"}
        )
    if kind == "docx":
        check_zip(handle)
    digest = hashlib.sha256()
    handle.seek(0)
    for block in iter(lambda: handle.read(1 << 20), b""):
        digest.update(block)
    handle.seek(0)
    return CheckedFile(
        handle, original, kind, content_type, extension or ".txt", size, digest.hexdigest()
    )


def store(checked: CheckedFile) -> str:
    """Save the file under a random name (the uploader's name never reaches the file system)."""
    from django.core.files import File

    checked.handle.seek(0)
    name = f"study/{uuid.uuid4().hex[:2]}/{uuid.uuid4().hex}{checked.extension}"
    return default_storage.save(name, File(checked.handle))


def remove(name: str) -> None:
    if name:
        default_storage.delete(name)


def open_stored(name: str) -> IO[bytes]:
    try:
        return default_storage.open(name, "rb")
    except FileNotFoundError:
        raise Http404("资料文件不存在") from None


def response(name: str, content_type: str, filename: str) -> FileResponse:
    """The file as a download, with headers that keep a browser from running anything in it."""
    result = FileResponse(
        open_stored(name), content_type=content_type, as_attachment=True, filename=filename
    )
    result["X-Content-Type-Options"] = "nosniff"
    result["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return result
