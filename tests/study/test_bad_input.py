"""Bad files: each refused (or accepted, for a scan) with one clear Chinese message, and a
refused file leaves nothing behind: no material, no stored file, no audit event."""

from __future__ import annotations

import io
import os
import stat
import zipfile

import pytest
from pypdf import PdfWriter

from dangjian.audit.services import Actor
from dangjian.core.errors import ServiceValidationError
from dangjian.study import services
from dangjian.study.models import Material, MaterialText
from dangjian.study.samples import make_docx, make_pdf, make_txt
from tests.helpers import last_seq
from tests.study.helpers import publish, stored_files

PARAGRAPHS = ["机关党支部要把理论学习摆在突出位置，切实提高机关党建工作质量。"] * 10


def _refused(org, data: bytes, name: str) -> str:
    """The message a refused upload gets; asserts it left no trace."""
    count = Material.objects.count()
    files_before = stored_files()
    last = last_seq()
    with pytest.raises(ServiceValidationError) as caught:
        publish(org, data, name)
    assert Material.objects.count() == count
    assert MaterialText.objects.count() == count
    assert stored_files() == files_before
    assert last_seq() == last
    assert set(caught.value.errors) == {"file"}
    return caught.value.errors["file"]


def _encrypted_pdf(password: str) -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(make_pdf(PARAGRAPHS)))
    writer.encrypt(user_password=password, owner_password="owner-secret", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_pdf_with_an_open_password_is_refused(demo):
    message = _refused(demo.branch, _encrypted_pdf("user-secret"), "加密.pdf")
    assert "已加密" in message and "取消密码" in message


def test_a_pdf_with_only_an_owner_password_opens_and_is_searchable(demo):
    material = publish(demo.branch, _encrypted_pdf(""), "限制打印.pdf")
    assert material.has_text
    assert "理论学习" in material.text.text


def test_an_encrypted_word_document_is_refused(demo):
    # Office keeps a password-protected .docx in an OLE2 container with an EncryptedPackage.
    data = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\x00" * 504
        + "EncryptedPackage".encode("utf-16-le")
        + os.urandom(2048)
    )
    assert "已加密" in _refused(demo.branch, data, "加密.docx")


def test_a_damaged_pdf_is_refused(demo):
    data = make_pdf(PARAGRAPHS)
    broken = data[:60] + os.urandom(400)
    assert "PDF 文件已损坏" in _refused(demo.branch, broken, "损坏.pdf")


def test_a_damaged_word_document_is_refused(demo):
    good = make_docx(PARAGRAPHS)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "word/document.xml":
                data = data[: len(data) // 2]  # cut in the middle of the XML
            target.writestr(info, data)
    assert "Word 文档已损坏" in _refused(demo.branch, out.getvalue(), "损坏.docx")
    truncated = good[: len(good) // 2]
    assert "损坏" in _refused(demo.branch, truncated, "截断.docx")


def test_a_zip_bomb_is_refused(demo):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"<w:document/>")
        archive.writestr("word/media/image1.png", b"\0" * (8 * 1024 * 1024))
    data = out.getvalue()
    assert len(data) < 100_000
    assert "压缩炸弹" in _refused(demo.branch, data, "炸弹.docx")


def test_a_200_mb_file_is_refused_before_it_is_read(demo, tmp_path):
    path = tmp_path / "大文件.pdf"
    with path.open("wb") as handle:
        handle.write(b"%PDF-1.7\n")
        handle.truncate(200 * 1024 * 1024)  # sparse: no 200 MB written to the disk
    count = Material.objects.count()
    files_before = stored_files()
    with path.open("rb") as handle, pytest.raises(ServiceValidationError) as caught:
        services.publish(
            Actor.system("test"), demo.branch, handle, path.name, size=path.stat().st_size
        )
    assert caught.value.errors["file"] == "大文件.pdf：文件过大（200.0 MB），不能超过 50 MB"
    assert Material.objects.count() == count
    assert stored_files() == files_before


def test_the_size_limit_is_a_setting(demo, settings):
    settings.DANGJIAN_MATERIAL_MAX_MB = 1
    data = make_txt(["党" * 400_000])  # 1.2 MB
    assert "不能超过 1 MB" in _refused(demo.branch, data, "长文.txt")


def test_an_empty_file_is_refused(demo):
    assert _refused(demo.branch, b"", "空白.docx") == "空白.docx：文件为空"


@pytest.mark.parametrize(
    ("data", "name", "said"),
    [
        (make_pdf(PARAGRAPHS), "伪装.docx", "内容与扩展名不符（内容为PDF 文件）"),
        (make_txt(PARAGRAPHS), "伪装.pdf", "内容与扩展名不符（内容为文本文件）"),
        (make_docx(PARAGRAPHS), "伪装.txt", "内容与扩展名不符（内容为Word 文档）"),
        (b"\x89PNG\r\n\x1a\n" + os.urandom(200), "照片.pdf", "不支持的文件类型（内容为图片）"),
        (b"\x7fELF" + os.urandom(300), "程序.txt", "不支持的文件类型"),
    ],
)
def test_content_decides_the_type_not_the_name(demo, data, name, said):
    assert said in _refused(demo.branch, data, name)


def test_a_spreadsheet_named_docx_is_refused(demo):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
    assert "内容为Excel 表格" in _refused(demo.branch, out.getvalue(), "表格.docx")


def test_a_doc_file_without_libreoffice_gets_a_clear_message(demo, monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504 + "WordDocument".encode("utf-16-le")
    message = _refused(demo.branch, data + b"\0" * 1024, "旧格式.doc")
    assert "未安装 LibreOffice" in message and "另存为" in message


def test_a_wps_file_is_converted_when_libreoffice_is_installed(demo, monkeypatch, tmp_path):
    """A stand-in `soffice` on PATH writes the .docx LibreOffice would: the conversion path
    (arguments, output folder, reading the result) is the real one."""
    converted = tmp_path / "converted.docx"
    converted.write_bytes(make_docx(["由 WPS 文字转换而来的学习资料，内容关于主题党日。"]))
    program = tmp_path / "bin" / "soffice"
    program.parent.mkdir()
    program.write_text(
        "#!/bin/sh\n"
        'while [ "$1" != "--outdir" ]; do shift; done\n'
        f'mkdir -p "$2" && cp {converted} "$2/source.docx"\n'
    )
    program.chmod(program.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{program.parent}:{os.environ['PATH']}")
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504 + "WordDocument".encode("utf-16-le")
    material = publish(demo.branch, data + b"\0" * 1024, "通知.wps")
    assert material.format == "wps"
    assert "主题党日" in material.text.text
    assert material.content_type == "application/msword"


def test_a_scanned_pdf_is_accepted_and_marked_without_text_layer(demo, client_for):
    material = publish(demo.branch, make_pdf(PARAGRAPHS, image_only=True), "扫描件.pdf")
    assert material.has_text is False
    assert material.pages == 1
    page = client_for(demo.users["secretary"]).get(f"/library/{material.pk}/")
    assert "无文字层" in page.content.decode()
    listing = client_for(demo.users["secretary"]).get("/library/")
    assert "无文字层" in listing.content.decode()


def test_a_gbk_text_file_is_read(demo):
    material = publish(demo.branch, make_txt(PARAGRAPHS, encoding="gb18030"), "国标编码.txt")
    assert "理论学习" in material.text.text


def test_the_same_file_twice_is_refused_for_the_same_organization(demo):
    data = make_txt(PARAGRAPHS)
    first = publish(demo.branch, data, "一.txt")
    message = _refused(demo.branch, data, "二.txt")
    assert f"该文件已发布过（《{first.title}》）" in message
    # Another organization may publish the same document to its own subtree.
    assert publish(demo.sibling_branch, data, "二.txt").pk != first.pk


def test_a_failure_while_saving_removes_the_stored_file(demo, monkeypatch):
    from dangjian.study import services as study_services

    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    files_before = stored_files()
    monkeypatch.setattr(study_services, "record", fail)
    with pytest.raises(RuntimeError):
        publish(demo.branch, make_txt(PARAGRAPHS), "失败.txt")
    assert not Material.objects.filter(title="失败").exists()
    assert stored_files() == files_before


def test_field_errors_and_the_file_error_come_together(demo):
    with pytest.raises(ServiceValidationError) as caught:
        publish(demo.branch, b"", "空.txt", title="题" * 201, author="作" * 101)
    assert set(caught.value.errors) == {"file", "title", "author"}
    assert caught.value.errors["title"] == "标题不能超过200个字"
