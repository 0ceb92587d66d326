"""Periodic jobs of the study app, run by `dangjian tick`."""

from __future__ import annotations

import datetime as dt

from dangjian.core.jobs import job
from dangjian.study import services_ocr

PER_TICK = 3  # scans recognised by one tick at most (OCR takes seconds a page)


@job("study.ocr", report_order=70, counters={"library_ocr": "扫描件文字识别 {} 份"})
def recognise_left_over(now: dt.datetime) -> dict[str, int]:
    """Scans whose background task never ran or whose worker died: recognised here."""
    done = 0
    for pk in services_ocr.queued(now)[:PER_TICK]:
        if services_ocr.recognise(pk):
            done += 1
    return {"library_ocr": done}
