"""Documents converted by LibreOffice, when the server has it installed.

One home for the headless conversion every app uses: a dossier, a transfer letter or a dues
receipt made as .docx turns into a PDF here, and a library upload in .doc/.wps turns into .docx.
Each run gets a profile folder of its own (two conversions at once would otherwise fight over
the user's profile lock) inside a temporary folder that is removed afterwards, so nothing a
document contains stays on disk.

Without LibreOffice, `available()` is False and `convert` returns None: callers offer the .docx
alone and say why, never fail.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

TIMEOUT_SECONDS = 120


def program() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def available() -> bool:
    return program() is not None


def convert(data: bytes, source_extension: str, target: str) -> bytes | None:
    """`data` (a file ending in `source_extension`, e.g. ".docx") converted to `target` ("pdf",
    "docx"). None when LibreOffice is missing, fails, times out or makes no file."""
    binary = program()
    if binary is None:
        return None
    with tempfile.TemporaryDirectory(prefix="dangjian-office-") as folder:
        work = Path(folder)
        source = work / f"source{source_extension}"
        source.write_bytes(data)
        try:
            subprocess.run(  # noqa: S603 (a fixed program and arguments, no shell)
                [
                    binary,
                    "--headless",
                    "--norestore",
                    f"-env:UserInstallation={(work / 'profile').as_uri()}",
                    "--convert-to",
                    target,
                    "--outdir",
                    str(work / "out"),
                    str(source),
                ],
                check=False,
                capture_output=True,
                timeout=TIMEOUT_SECONDS,
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        converted = work / "out" / f"source.{target}"
        if not converted.exists():
            return None
        return converted.read_bytes()


def docx_to_pdf(data: bytes) -> bytes | None:
    return convert(data, ".docx", "pdf")


# What a page says beside a .docx when the server cannot make the PDF.
PDF_MISSING_NOTE = "服务器未安装 LibreOffice，暂只提供 .docx 文件"


def pdf_or_none(docx: bytes, wanted: str | None) -> bytes | None:
    """The PDF of `docx` when `wanted` is "pdf" and LibreOffice made one, else None (the
    caller then sends the .docx)."""
    if wanted != "pdf" or not available():
        return None
    return docx_to_pdf(docx)
