"""Text recognition (OCR) of scanned materials, in the background.

Publishing a PDF without a text layer while tesseract (with chi_sim) is installed queues the
material (`ocr_state` pending) and enqueues `study.tasks.recognise_scan` once the publishing
transaction commits; the database task worker runs it, never the request. The run claims the
material with a conditional update (two workers never read one scan twice; a claim older than
`STALE_CLAIM` is taken again, after a worker died), reads at most `DANGJIAN_OCR_MAX_PAGES`
pages outside any transaction, then writes the text, preview, search terms and keywords in one
transaction with its audit event. The material then reads as 文字由识别得到 (the text may
contain recognition errors); when nothing readable comes out it stays 无文字层.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor, record
from dangjian.core import ocr
from dangjian.study import extract
from dangjian.study import text as textlib
from dangjian.study.models import Material, MaterialKeyword, MaterialText, OcrState

STALE_CLAIM = dt.timedelta(hours=1)
DEFAULT_MAX_PAGES = 30


def max_pages() -> int:
    return max(1, int(getattr(settings, "DANGJIAN_OCR_MAX_PAGES", DEFAULT_MAX_PAGES)))


def wanted(extracted: extract.Extracted, kind: str) -> bool:
    """Whether a material being published should be queued for recognition."""
    return kind == "pdf" and not extracted.has_text and ocr.available()


def enqueue(pk: int) -> None:
    """Recognise the material in the background once the current transaction commits."""
    from dangjian.study.tasks import recognise_scan

    transaction.on_commit(lambda: recognise_scan.enqueue(pk))


def _claim(pk: int) -> bool:
    now = timezone.now()
    return bool(
        Material.objects.filter(pk=pk)
        .filter(
            Q(ocr_state=OcrState.PENDING)
            | Q(ocr_state=OcrState.RUNNING, ocr_claimed_at__lt=now - STALE_CLAIM)
        )
        .update(ocr_state=OcrState.RUNNING, ocr_claimed_at=now)
    )


def _read(material: Material) -> extract.Extracted | None:
    try:
        with default_storage.open(str(material.file.name), "rb") as handle:
            data = handle.read()
    except OSError:
        return None
    result = ocr.pdf_text(data, max_pages())
    if result is None:
        return None
    texts = [textlib.reflow(t).strip() for t in result.texts]
    return extract.from_pages(texts, result.pages_read, result.truncated)


def recognise(pk: int) -> str:
    """Recognise one queued scan; returns its state afterwards ("" when it was not queued or
    another worker holds it)."""
    if not _claim(pk):
        return ""
    extracted = _read(Material.objects.get(pk=pk))
    with transaction.atomic():
        material = (
            Material.objects.select_for_update().filter(pk=pk, ocr_state=OcrState.RUNNING).first()
        )
        if material is None:  # withdrawn meanwhile
            return ""
        found = extracted is not None and extracted.has_text
        material.ocr_state = OcrState.DONE if found else OcrState.FAILED
        material.ocr_claimed_at = None
        fields = ["ocr_state", "ocr_claimed_at", "updated_at"]
        if extracted is not None and found:
            _index(material, extracted)
            material.has_text = True
            material.char_count = len(extracted.text.replace("\f", ""))
            material.text_truncated = extracted.truncated
            fields += ["has_text", "char_count", "text_truncated"]
        material.save(update_fields=fields)
        record(
            Actor.system("library ocr"),
            AuditAction.UPDATE,
            material,
            changes={
                "ocr_state": [OcrState.RUNNING, material.ocr_state],
                "has_text": [False, found],
            },
            message="扫描件文字识别完成" if found else "扫描件文字识别未得到文字（仍为无文字层）",
        )
    return material.ocr_state


def _index(material: Material, extracted: extract.Extracted) -> None:
    from dangjian.study.services import index_keywords

    word_list = textlib.words(extracted.text[: textlib.INDEX_CHARS])
    MaterialText.objects.filter(pk=material.pk).update(
        text=extracted.text,
        preview=extracted.preview,
        body_terms=textlib.terms(textlib.expand(word_list)),
    )
    MaterialKeyword.objects.filter(material=material).delete()
    index_keywords(material, word_list)


def queued(now: dt.datetime | None = None) -> list[int]:
    """Materials waiting for recognition, and claims a dead worker left behind."""
    now = now or timezone.now()
    return list(
        Material.objects.filter(
            Q(ocr_state=OcrState.PENDING)
            | Q(ocr_state=OcrState.RUNNING, ocr_claimed_at__lt=now - STALE_CLAIM)
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
