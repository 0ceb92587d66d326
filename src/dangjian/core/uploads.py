"""Uploaded files: type by content, size and zip-bomb checks, safe storage, access-checked serving.

Every app that accepts files (meeting attachments, work-item evidence, the materials library,
later dossier files) goes through here, so the rules for what a file is and how it is kept and
served are written once:

- `sniff(handle)` tells a file's kind by its content (magic bytes and structure), never by its
  name: pdf, png, jpeg, gif, webp, docx, xlsx, pptx, zip, damaged-zip, doc, encrypted, ole, txt,
  or None.
- An app describes what it accepts as a `Policy` (kinds with their content type and extensions,
  the size limit's setting, the Chinese names used in messages). `check` checks one file and
  `check_many` several, raising one `ServiceValidationError` that names each refused file.
- `random_name` gives the stored name: the uploader's file name never reaches the file system
  (it is kept in the row, for the download). `removing_on_failure` deletes the files a failed
  transaction stored.
- `file_response` serves a stored file, after the caller's access check (files are never on a
  public URL), with headers that keep a browser from running anything in it.
"""

from __future__ import annotations

import hashlib
import uuid
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import IO, Any

from django.conf import settings
from django.http import FileResponse, Http404

from dangjian.core.errors import ServiceValidationError

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Names of OLE2 streams, as they appear (UTF-16LE) in the compound file's directory.
ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
WORD_DOCUMENT = "WordDocument".encode("utf-16-le")
# Zip bombs: a zip whose parts unpack to more than this, or squeeze more than this ratio.
MAX_UNPACKED = 200 * 1024 * 1024
MAX_RATIO = 100
MAX_ENTRIES = 5000

# What each sniffed kind is called in a refusal ("内容为…").
KIND_NAMES = {
    "pdf": "PDF 文件",
    "png": "图片",
    "jpeg": "图片",
    "gif": "图片",
    "webp": "图片",
    "docx": "Word 文档",
    "doc": "Word 97-2003 或 WPS 文档",
    "txt": "文本文件",
    "zip": "压缩包",
    "xlsx": "Excel 表格",
    "pptx": "PowerPoint 演示文稿",
    "ole": "Office 文档",
    "encrypted": "加密的 Office 文档",
}


@dataclass(frozen=True)
class Policy:
    """What one kind of upload accepts.

    `kinds` maps a sniffed kind to (content type, extensions a file of that kind may carry);
    `aliases` reads a sniffed kind as another one (an old compound Office file as a .doc);
    `refusals` gives a kind its own reason instead of "unsupported" (an encrypted file);
    `name_content` says, when a kind is refused, what the content was.
    """

    kinds: Mapping[str, tuple[str, frozenset[str]]]
    allowed_text: str
    max_mb_setting: str  # the size limit's setting, in MB
    max_mb_default: int  # when the settings module does not define it
    default_name: str = "附件"
    aliases: Mapping[str, str] = field(default_factory=dict)
    refusals: Mapping[str, str] = field(default_factory=dict)
    name_content: bool = False
    # Check zip-based Office files for zip bombs, and compute each file's SHA-256.
    check_zip: bool = False
    digest: bool = False

    def max_bytes(self) -> int:
        return int(getattr(settings, self.max_mb_setting, self.max_mb_default)) * 1024 * 1024


# Meeting attachments and work-item evidence: PDF, images and Word documents.
ATTACHMENTS = Policy(
    kinds={
        "pdf": ("application/pdf", frozenset({".pdf"})),
        "png": ("image/png", frozenset({".png"})),
        "jpeg": ("image/jpeg", frozenset({".jpg", ".jpeg"})),
        "gif": ("image/gif", frozenset({".gif"})),
        "webp": ("image/webp", frozenset({".webp"})),
        "docx": (DOCX_TYPE, frozenset({".docx"})),
        "doc": ("application/msword", frozenset({".doc"})),
    },
    allowed_text="PDF、图片（JPG、PNG、GIF、WebP）和 Word 文档（.docx、.doc）",
    max_mb_setting="DANGJIAN_ATTACHMENT_MAX_MB",
    max_mb_default=20,
    # Attachments are only stored and served, never read: any compound Office file is a .doc.
    aliases={"ole": "doc", "encrypted": "doc"},
)
# Content types a browser may show in place (the rest are downloads).
INLINE_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp"})


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed its policy's checks: what it is, how big, its content hash."""

    handle: Any
    original_name: str
    kind: str
    content_type: str
    extension: str
    size: int
    sha256: str = ""


class Refused(ValueError):
    """One file refused; the message names the file."""


def clean_name(name: object, default: str = "附件") -> str:
    """The uploader's file name without any folder, at most 255 characters."""
    return PurePath(str(name or "").replace("\\", "/")).name.strip()[:255] or default


# ---- what a file is ----------------------------------------------------------------------------


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


def _image(head: bytes) -> str | None:
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


def _zip_kind(handle: IO[bytes]) -> str:
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
        return _zip_kind(handle)
    image = _image(head)
    if image:
        return image
    if _looks_like_text(head):
        return "txt"
    return None


def check_zip(handle: IO[bytes], field_name: str = "file", what: str = "Word 文档") -> None:
    """Refuse a zip-based file that would unpack to a zip bomb (the sizes in the directory are
    enforced by Python's zipfile when reading, so they bound what extraction can produce)."""
    try:
        with zipfile.ZipFile(handle) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise ServiceValidationError({field_name: f"{what}已损坏，无法读取"}) from None
    finally:
        handle.seek(0)
    if len(infos) > MAX_ENTRIES:
        raise ServiceValidationError({field_name: f"{what}结构异常（内部文件过多），已拒绝"})
    total = 0
    for info in infos:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if total > MAX_UNPACKED or (info.file_size > 1024 * 1024 and ratio > MAX_RATIO):
            raise ServiceValidationError(
                {field_name: f"{what}解压后异常庞大（疑似“压缩炸弹”），已拒绝"}
            )


# ---- checking ----------------------------------------------------------------------------------


def _size_of(handle: IO[bytes]) -> int:
    handle.seek(0, 2)
    size = handle.tell()
    handle.seek(0)
    return size


def _sha256(handle: IO[bytes]) -> str:
    digest = hashlib.sha256()
    handle.seek(0)
    for block in iter(lambda: handle.read(1 << 20), b""):
        digest.update(block)
    handle.seek(0)
    return digest.hexdigest()


def check_one(handle: Any, name: object, policy: Policy, size: int | None = None) -> CheckedFile:
    """Size, type (by content) and name of one file; `Refused` names the file and the reason."""
    original = clean_name(name, policy.default_name)
    size = _size_of(handle) if size is None else int(size)
    limit = policy.max_bytes()
    if size <= 0:
        raise Refused(f"{original}：文件为空")
    if size > limit:
        raise Refused(
            f"{original}：文件过大（{size / 1024 / 1024:.1f} MB），不能超过 {limit // 1024 // 1024} MB"
        )
    sniffed = sniff(handle)
    kind = policy.aliases.get(sniffed or "", sniffed)
    if kind in policy.refusals:
        raise Refused(f"{original}：{policy.refusals[kind]}")
    if kind not in policy.kinds:
        what = KIND_NAMES.get(kind or "", "") if policy.name_content else ""
        detail = f"（内容为{what}）" if what else ""
        raise Refused(f"{original}：不支持的文件类型{detail}，仅限{policy.allowed_text}")
    content_type, extensions = policy.kinds[kind]
    extension = PurePath(original).suffix.lower()
    if extension not in extensions:
        raise Refused(f"{original}：文件内容与扩展名不符（内容为{KIND_NAMES[kind]}）")
    if policy.check_zip and kind == "docx":
        try:
            check_zip(handle)
        except ServiceValidationError as exc:
            raise Refused(next(iter(exc.errors.values()))) from None
    return CheckedFile(
        handle,
        original,
        kind,
        content_type,
        extension or f".{kind}",
        size,
        _sha256(handle) if policy.digest else "",
    )


def check(
    handle: Any, name: object, policy: Policy, size: int | None = None, field_name: str = "file"
) -> CheckedFile:
    """One file, or a ServiceValidationError on `field_name` naming it."""
    try:
        return check_one(handle, name, policy, size)
    except Refused as exc:
        raise ServiceValidationError({field_name: str(exc)}) from None


def check_many(
    uploads: Iterable[Any], policy: Policy, field_name: str = "attachments"
) -> list[CheckedFile]:
    """Each of Django's uploaded files; one ServiceValidationError names every refused file."""
    checked: list[CheckedFile] = []
    problems: list[str] = []
    for upload in uploads:
        try:
            checked.append(check_one(upload, upload.name, policy, int(upload.size or 0)))
        except Refused as exc:
            problems.append(str(exc))
    if problems:
        raise ServiceValidationError({field_name: "；".join(problems)})
    return checked


# ---- storing -----------------------------------------------------------------------------------


def random_name(extension: str, folder: str = "") -> str:
    """A stored file's name: random, with the checked extension (never the uploader's name)."""
    return f"{folder}{uuid.uuid4().hex}{extension}"


def save_to(file_field: Any, checked: CheckedFile) -> str:
    """Save a checked file into a model's FileField (under its upload_to); the stored name."""
    checked.handle.seek(0)
    file_field.save(random_name(checked.extension), checked.handle, save=False)
    return str(file_field.name)


@contextmanager
def removing_on_failure(storage: Any) -> Iterator[list[str]]:
    """Names appended to the yielded list are deleted from `storage` if the block fails (use it
    around the transaction that stores them, so no file outlives a rolled-back row)."""
    stored: list[str] = []
    try:
        yield stored
    except BaseException:
        for name in stored:
            storage.delete(name)
        raise


# ---- serving -----------------------------------------------------------------------------------


def file_response(
    open_file: Callable[[], IO[bytes]],
    *,
    content_type: str,
    filename: str,
    missing: str,
    inline: bool = False,
) -> FileResponse:
    """A stored file, after the caller's access check. Shown in place only when `inline` (and
    then sandboxed, with images from this site only); otherwise a download. Nothing in it runs:
    no content sniffing by the browser, no scripts, no plugins. A file gone from storage is a
    404 with `missing` as its reason."""
    try:
        handle = open_file()
    except FileNotFoundError:
        raise Http404(missing) from None
    response = FileResponse(
        handle, content_type=content_type, as_attachment=not inline, filename=filename
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = (
        "default-src 'none'; img-src 'self'; sandbox" if inline else "default-src 'none'; sandbox"
    )
    return response
