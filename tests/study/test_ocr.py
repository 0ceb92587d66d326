"""OCR of scanned PDFs (tesseract with chi_sim, installed on the development machine and in CI):
a scan published through the page is recognised by the background task, then found by a word
of its text and marked 文字由识别得到; without tesseract it stays 无文字层, as before."""

from __future__ import annotations

import io
import shutil

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection

from dangjian.core import ocr
from dangjian.study import services_ocr
from dangjian.study.jobs import recognise_left_over
from dangjian.study.models import Material, OcrState
from dangjian.study.queries import MaterialFilter, search_materials
from tests.study.helpers import publish

pytestmark = pytest.mark.django_db(transaction=connection.vendor == "mysql")

FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
PAGE_ONE = ["机关党员要克服怠学厌学逃学", "认真学习党的创新理论", "提高党性修养和政治能力"]
PAGE_TWO = ["支部组织委员负责培训登记", "集中轮训每年不少于一次"]

needs_tesseract = pytest.mark.skipif(not ocr.available(), reason="tesseract with chi_sim")


def scan_pdf(*pages: list[str]) -> bytes:
    """A PDF of one image per page with the lines drawn in (no text layer), as a scanner makes."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(FONT, 44)
    images = []
    for lines in pages:
        image = Image.new("L", (1240, 1754), 255)
        draw = ImageDraw.Draw(image)
        for row, line in enumerate(lines):
            draw.text((100, 120 + row * 90), line, font=font, fill=0)
        images.append(image)
    out = io.BytesIO()
    images[0].save(out, format="PDF", resolution=150, save_all=True, append_images=images[1:])
    return out.getvalue()


def found(user, word: str) -> set[int]:
    return {r.material.pk for r in search_materials(user, MaterialFilter(q=word)).results}


@pytest.fixture
def immediate_tasks(settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.MEDIA_ROOT = str(tmp_path)


@pytest.fixture
def queued_tasks(settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    settings.MEDIA_ROOT = str(tmp_path)


@pytest.fixture
def no_tesseract(monkeypatch, tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert shutil.which("tesseract") is None


def upload(client, org, data: bytes, name: str):
    return client.post(
        f"/library/new/?org={org.code}",
        {"file": SimpleUploadedFile(name, data, content_type="application/pdf")},
    )


@needs_tesseract
def test_an_uploaded_scan_is_recognised_and_found(
    demo, client_for, immediate_tasks, django_capture_on_commit_callbacks
):
    client = client_for(demo.users["secretary"])
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, demo.branch, scan_pdf(PAGE_ONE), "扫描件.pdf")
    assert response.status_code == 302
    client.get(response.url)  # the message after publishing, shown once
    material = Material.objects.get(original_name="扫描件.pdf")
    assert material.ocr_state == OcrState.DONE
    assert material.has_text
    assert "怠学" in material.text.text
    assert material.keywords.exists()
    assert material.pk in found(demo.users["member"], "怠学")
    page = client.get(f"/library/{material.pk}/").content.decode()
    assert "文字由识别得到" in page
    assert "无文字层" not in page
    assert "创新理论" in page  # the preview shows the recognised text
    listing = client.get("/library/?q=怠学").content.decode()
    assert "文字由识别得到" in listing


@needs_tesseract
def test_the_request_only_queues_and_the_task_or_tick_recognises(
    demo, client_for, queued_tasks, django_capture_on_commit_callbacks
):
    client = client_for(demo.users["secretary"])
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, demo.branch, scan_pdf(PAGE_ONE), "排队.pdf")
    page = client.get(response.url).content.decode()
    assert "已在后台识别文字" in page  # the message after publishing
    assert "正在后台识别文字" in page  # the material's page
    material = Material.objects.get(original_name="排队.pdf")
    assert material.ocr_state == OcrState.PENDING and not material.has_text
    assert material.pk not in found(demo.users["member"], "怠学")
    # A task that never ran is made up by the periodic job.
    assert recognise_left_over(material.created_at) == {"library_ocr": 1}
    material.refresh_from_db()
    assert material.ocr_state == OcrState.DONE
    assert material.pk in found(demo.users["member"], "怠学")
    # Running it again does nothing twice.
    assert services_ocr.recognise(material.pk) == ""
    assert recognise_left_over(material.created_at) == {"library_ocr": 0}


@needs_tesseract
def test_pages_beyond_the_setting_are_not_read(demo, settings, queued_tasks):
    settings.DANGJIAN_OCR_MAX_PAGES = 1
    material = publish(demo.branch, scan_pdf(PAGE_ONE, PAGE_TWO), "两页.pdf")
    assert material.pages == 2
    assert services_ocr.recognise(material.pk) == OcrState.DONE
    material.refresh_from_db()
    assert material.text_truncated
    assert "怠学" in material.text.text
    assert "轮训" not in material.text.text


@needs_tesseract
def test_a_blank_scan_stays_without_text_layer(demo, client_for, queued_tasks):
    material = publish(demo.branch, scan_pdf([]), "空白.pdf")
    assert services_ocr.recognise(material.pk) == OcrState.FAILED
    material.refresh_from_db()
    assert not material.has_text
    assert (
        "无文字层"
        in client_for(demo.users["secretary"]).get(f"/library/{material.pk}/").content.decode()
    )


def test_without_tesseract_a_scan_stays_without_text_layer(
    demo, client_for, no_tesseract, immediate_tasks, django_capture_on_commit_callbacks
):
    assert not ocr.available()
    client = client_for(demo.users["secretary"])
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, demo.branch, scan_pdf(PAGE_ONE), "无识别.pdf")
    material = Material.objects.get(original_name="无识别.pdf")
    assert material.ocr_state == OcrState.NONE
    assert not material.has_text
    assert material.pk not in found(demo.users["member"], "怠学")
    page = client.get(f"/library/{material.pk}/").content.decode()
    assert "不能预览文字，也不能全文检索" in page
    assert "文字由识别得到" not in page


def test_the_import_command_says_what_happens_to_a_scan(demo, tmp_path, no_tesseract):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "扫描.pdf").write_bytes(scan_pdf(PAGE_ONE))
    out = io.StringIO()
    call_command("library", "import", str(folder), "--org", "FGW-JGDW", stdout=out)
    assert "无文字层（扫描件，不能全文检索）：扫描.pdf" in out.getvalue()


@needs_tesseract
def test_the_import_command_queues_a_scan(demo, tmp_path, queued_tasks):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "扫描.pdf").write_bytes(scan_pdf(PAGE_ONE))
    out = io.StringIO()
    call_command("library", "import", str(folder), "--org", "FGW-JGDW", stdout=out)
    assert "已排队由后台任务识别文字" in out.getvalue()
    assert Material.objects.get(original_name="扫描.pdf").ocr_state == OcrState.PENDING
