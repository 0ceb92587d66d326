"""Uploaded library files: what the materials library accepts, on the platform's upload rules.

The checks (type by content, size, zip bombs), storage and serving are `dangjian.core.uploads`';
this module says what the library takes (Word, PDF, text; .doc and .wps when LibreOffice can
read them) and where its files are kept: `check`, `store`, `remove`, `response`.
"""

from __future__ import annotations

from typing import IO

from django.core.files import File
from django.core.files.storage import default_storage
from django.http import FileResponse

from dangjian.core import uploads
from dangjian.core.uploads import DOCX_TYPE, CheckedFile, clean_name

__all__ = ["CheckedFile", "clean_name", "check", "check_zip", "max_bytes", "store", "remove"]

MATERIALS = uploads.Policy(
    kinds={
        "docx": (DOCX_TYPE, frozenset({".docx"})),
        "pdf": ("application/pdf", frozenset({".pdf"})),
        "txt": ("text/plain; charset=utf-8", frozenset({".txt", ".text", ""})),
        # WPS 文字's .wps is the same compound Word format as .doc.
        "doc": ("application/msword", frozenset({".doc", ".wps"})),
    },
    allowed_text="Word 文档（.docx，以及装有 LibreOffice 时的 .doc、.wps）、PDF 和文本文件（.txt）",
    max_mb_setting="DANGJIAN_MATERIAL_MAX_MB",
    max_mb_default=50,
    default_name="资料",
    refusals={
        "encrypted": "文件已加密（设置了打开密码），请取消密码后再上传",
        "damaged-zip": "文件已损坏，无法读取",
    },
    name_content=True,
    check_zip=True,
    digest=True,
)


def max_bytes() -> int:
    return MATERIALS.max_bytes()


def check(handle: IO[bytes], name: str, size: int | None = None) -> CheckedFile:
    """Size, type (by content) and name of one file; a ServiceValidationError names the file."""
    return uploads.check(handle, name, MATERIALS, size, "file")


def check_zip(handle: IO[bytes]) -> None:
    """Refuse a .docx (also one LibreOffice made from a .doc) that would unpack to a zip bomb."""
    uploads.check_zip(handle, "file", "Word 文档")


def store(checked: CheckedFile) -> str:
    """Save the file under a random name (the uploader's name never reaches the file system)."""
    checked.handle.seek(0)
    name = uploads.random_name(checked.extension)
    return default_storage.save(f"study/{name[:2]}/{name}", File(checked.handle))


def remove(name: str) -> None:
    if name:
        default_storage.delete(name)


def response(name: str, content_type: str, filename: str) -> FileResponse:
    """The file as a download, with headers that keep a browser from running anything in it."""
    return uploads.file_response(
        lambda: default_storage.open(name, "rb"),
        content_type=content_type,
        filename=filename,
        missing="资料文件不存在",
    )
