"""The shared upload rules (core/uploads.py): kinds by content, policies, refusals."""

from __future__ import annotations

import io
import zipfile

import pytest

from dangjian.core import uploads
from dangjian.core.errors import ServiceValidationError


def _zip(names: list[str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "<x/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (b"%PDF-1.7\n", "pdf"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 16, "png"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 16, "jpeg"),
        (b"GIF89a" + b"\x00" * 16, "gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "webp"),
        (_zip(["[Content_Types].xml", "word/document.xml"]), "docx"),
        (_zip(["[Content_Types].xml", "xl/workbook.xml"]), "xlsx"),
        (_zip(["a.txt"]), "zip"),
        (b"PK\x03\x04garbage", "damaged-zip"),
        (uploads.OLE2 + "WordDocument".encode("utf-16-le"), "doc"),
        (uploads.OLE2 + "EncryptedPackage".encode("utf-16-le"), "encrypted"),
        (uploads.OLE2 + b"\x00" * 64, "ole"),
        ("会议纪要\n".encode(), "txt"),
        (b"\x7fELF\x00\x01\x02", None),
    ],
)
def test_sniff_by_content(content, kind):
    assert uploads.sniff(io.BytesIO(content)) == kind


def test_attachments_policy_reads_any_compound_file_as_doc():
    checked = uploads.check_one(
        io.BytesIO(uploads.OLE2 + b"\x00" * 64), "旧.doc", uploads.ATTACHMENTS
    )
    assert (checked.kind, checked.content_type, checked.extension) == (
        "doc",
        "application/msword",
        ".doc",
    )


def test_check_many_names_every_refused_file():
    class Upload(io.BytesIO):
        def __init__(self, name: str, data: bytes):
            super().__init__(data)
            self.name, self.size = name, len(data)

    with pytest.raises(ServiceValidationError) as caught:
        uploads.check_many(
            [
                Upload("a.pdf", b"\x89PNG\r\n\x1a\n1234"),
                Upload("../b.pdf", b""),
                Upload("c.pdf", b"%PDF-1.4"),
            ],
            uploads.ATTACHMENTS,
        )
    message = caught.value.errors["attachments"]
    assert "a.pdf：文件内容与扩展名不符（内容为图片）" in message
    assert "b.pdf：文件为空" in message
    assert "c.pdf" not in message
