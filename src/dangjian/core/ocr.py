"""Text of scanned pages, by Debian's tesseract with its Simplified Chinese model
(`tesseract-ocr` and `tesseract-ocr-chi-sim`), when the server has them installed.

A scanned PDF is one image per page: each page's images are taken out with pypdf (Pillow
decodes them), written as PNG into a temporary folder that is removed afterwards, and read by
`tesseract IMAGE - -l chi_sim` run as a subprocess (no shell) with a timeout per page, on one
thread (the server's cores are shared). Pages without an image give no text; a page tesseract
fails on, or that times out, gives none either and the others still count.

Without tesseract or its chi_sim model, `available()` is False and callers keep the scan as it
is (无文字层). OCR is slow (seconds a page): callers run it in the background, never in a request.
"""

from __future__ import annotations

import io
import logging
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

TIMEOUT_SECONDS = 120  # per page image
LANGUAGE = "chi_sim"

log = logging.getLogger(__name__)

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef"
# tesseract's chi_sim may put a space between two Chinese characters; Chinese has none.
_CJK_SPACE = re.compile(f"(?<=[{_CJK}])[ \t]+(?=[{_CJK}])")


def program() -> str | None:
    return shutil.which("tesseract")


@lru_cache(maxsize=4)
def _has_language(binary: str) -> bool:
    try:
        listed = subprocess.run(  # noqa: S603 (a fixed program and arguments, no shell)
            [binary, "--list-langs"], check=False, capture_output=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    names = (listed.stdout + listed.stderr).decode("utf-8", errors="replace").split()
    return LANGUAGE in names


def available() -> bool:
    """tesseract is on the PATH and has the Simplified Chinese model."""
    binary = program()
    return binary is not None and _has_language(binary)


@dataclass
class Result:
    texts: list[str]  # one per page read, "" for a page that gave nothing
    pages_read: int
    truncated: bool  # the PDF has more pages than were read


def clean(text: str) -> str:
    """tesseract's output: form feeds and spaces inside Chinese dropped, blank runs shortened."""
    text = text.replace("\f", "\n").replace("\x00", "")
    text = _CJK_SPACE.sub("", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def image_text(path: Path, timeout: int = TIMEOUT_SECONDS) -> str:
    """The text tesseract reads in one image file; "" when it fails or times out."""
    binary = program()
    if binary is None:
        return ""
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    try:
        done = subprocess.run(  # noqa: S603 (a fixed program and arguments, no shell)
            [binary, str(path), "-", "-l", LANGUAGE],
            check=False,
            capture_output=True,
            timeout=timeout,
            env=env,
        )
    except (OSError, subprocess.TimeoutExpired):
        log.warning("OCR of a page failed or timed out")
        return ""
    if done.returncode != 0:
        log.warning("OCR of a page failed (tesseract exit %s)", done.returncode)
        return ""
    return clean(done.stdout.decode("utf-8", errors="replace"))


def _page_images(page) -> list:
    try:
        return [image.image for image in page.images if image.image is not None]
    except Exception:  # an image pypdf or Pillow cannot decode gives no text
        return []


def pdf_text(data: bytes, max_pages: int, timeout: int = TIMEOUT_SECONDS) -> Result | None:
    """The text of the first `max_pages` pages of a scanned PDF; None without tesseract or
    when the PDF cannot be read."""
    if not available():
        return None
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            return None
        count = len(reader.pages)
    except Exception:
        return None
    texts: list[str] = []
    with tempfile.TemporaryDirectory(prefix="dangjian-ocr-") as folder:
        for index in range(min(count, max_pages)):
            try:
                images = _page_images(reader.pages[index])
            except Exception:
                images = []
            parts = []
            for number, image in enumerate(images):
                path = Path(folder, f"p{index}-{number}.png")
                try:
                    image.save(path, format="PNG")
                except Exception:
                    log.warning("a page image could not be written for OCR")
                    continue
                parts.append(image_text(path, timeout))
                path.unlink(missing_ok=True)
            texts.append("\n".join(p for p in parts if p))
    return Result(texts, len(texts), count > max_pages)
