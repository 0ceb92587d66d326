"""Text and preview out of a checked file: DOCX (python-docx), PDF (pypdf), TXT, and .doc/.wps
through LibreOffice when it is installed.

A refusal is a ServiceValidationError on the field `file` with one Chinese sentence: an
encrypted or damaged document is refused; a PDF without a text layer (a scan) is accepted and
marked. The preview is data (blocks of headings, paragraphs and tables), rendered by the
template with escaping, never HTML taken from the document.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from dataclasses import dataclass, field
from typing import IO, Any

from dangjian.core import office
from dangjian.core.errors import ServiceValidationError
from dangjian.study import text as textlib

MAX_TEXT = 2_000_000  # characters kept of one material's text
MAX_PAGES = 2000  # PDF pages read for text
PREVIEW_PAGES = 3  # PDF pages shown in the page
PREVIEW_CHARS = 6000  # characters shown of a document without pages

logging.getLogger("pypdf").setLevel(logging.ERROR)


@dataclass
class Extracted:
    text: str
    pages: int | None
    has_text: bool = True
    truncated: bool = False
    preview: list[list[dict[str, Any]]] = field(default_factory=list)


def _refuse(message: str) -> ServiceValidationError:
    return ServiceValidationError({"file": message})


def _blocks_of(paragraphs: list[str], limit: int = PREVIEW_CHARS) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    used = 0
    for paragraph in paragraphs:
        if used >= limit:
            break
        blocks.append({"t": "p", "x": paragraph[: limit - used]})
        used += len(paragraph)
    return blocks


def _cap(text: str) -> tuple[str, bool]:
    if len(text) > MAX_TEXT:
        return text[:MAX_TEXT], True
    return text, False


# ---- TXT -----------------------------------------------------------------------------------


def decode_text(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise _refuse("文本文件的编码无法识别，请另存为 UTF-8 或 GBK 编码后再上传")


def extract_txt(handle: IO[bytes]) -> Extracted:
    handle.seek(0)
    raw = decode_text(handle.read(MAX_TEXT * 4)).replace("\x00", "")
    body, truncated = _cap(textlib.reflow(raw).strip())
    if not body.strip():
        raise _refuse("文本文件没有内容")
    preview = [_blocks_of(textlib.paragraphs(body))]
    return Extracted(body, None, True, truncated, preview)


# ---- DOCX ----------------------------------------------------------------------------------


def _docx_pages(handle: IO[bytes]) -> int | None:
    """The page count Word or WPS saved in docProps/app.xml, when it did."""
    try:
        with zipfile.ZipFile(handle) as archive:
            if "docProps/app.xml" not in archive.namelist():
                return None
            with archive.open("docProps/app.xml") as part:
                xml = part.read(200_000).decode("utf-8", errors="replace")
    except (zipfile.BadZipFile, OSError, ValueError, KeyError):
        return None
    finally:
        handle.seek(0)
    match = re.search(r"<(?:\w+:)?Pages>(\d{1,6})</(?:\w+:)?Pages>", xml)
    return int(match.group(1)) or None if match else None


def _heading_style_ids(document) -> set[str]:
    """Ids of the document's title and heading styles (Chinese Word names them 标题 1 or
    heading 1 with ids like "1"), read once: python-docx looks a style up by scanning them all."""
    from docx.oxml.ns import qn

    # Read from the XML: python-docx's style objects cost more than the rest of the document.
    # Its `style.name` differs from the stored w:name only in case ("heading 1" / "Heading 1").
    ids = set()
    for style in document.styles.element.findall(qn("w:style")):
        name_element = style.find(qn("w:name"))
        name = (name_element.get(qn("w:val")) or "") if name_element is not None else ""
        name = name.lower()
        if name == "title" or name.startswith(("heading", "标题")):
            ids.add(style.get(qn("w:styleId")))
    return ids


def _is_heading(paragraph, heading_ids: set[str]) -> bool:
    try:
        return paragraph._p.style in heading_ids
    except (AttributeError, ValueError):
        return False


def _table_rows(table) -> list[list[str]]:
    rows: list[list[str]] = []
    for row in table.rows:
        cells: list[str] = []
        previous = None
        for cell in row.cells:
            # A merged cell appears once per grid column it spans.
            if cell._tc is previous:
                continue
            previous = cell._tc
            cells.append(" ".join(cell.text.split()))
        rows.append(cells)
    return rows


def extract_docx(handle: IO[bytes]) -> Extracted:
    from docx import Document
    from docx.table import Table

    handle.seek(0)
    pages = _docx_pages(handle)
    try:
        document = Document(handle)
        blocks = list(document.iter_inner_content())
        heading_ids = _heading_style_ids(document)
    except Exception:
        raise _refuse("Word 文档已损坏，无法读取") from None
    finally:
        handle.seek(0)
    lines: list[str] = []
    preview: list[dict[str, Any]] = []
    used = 0
    size = 0
    truncated = False
    for block in blocks:
        if isinstance(block, Table):
            rows = _table_rows(block)
            chunk = "\n".join("\t".join(r) for r in rows)
            if used < PREVIEW_CHARS and rows:
                preview.append({"t": "table", "rows": rows[:50]})
                used += len(chunk)
        else:
            chunk = block.text.strip()
            if not chunk:
                continue
            if used < PREVIEW_CHARS:
                preview.append({"t": "h" if _is_heading(block, heading_ids) else "p", "x": chunk})
                used += len(chunk)
        lines.append(chunk)
        size += len(chunk) + 1
        if size > MAX_TEXT:
            truncated = True
            break
    body, capped = _cap("\n".join(lines))
    if not body.strip():
        raise _refuse("Word 文档中没有文字内容")
    return Extracted(body, pages, True, truncated or capped, [preview])


# ---- PDF -----------------------------------------------------------------------------------


def extract_pdf(handle: IO[bytes]) -> Extracted:
    from pypdf import PdfReader

    handle.seek(0)
    try:
        reader = PdfReader(handle, strict=False)
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except Exception:
                opened = 0
            if not opened:
                raise _refuse("PDF 文件已加密（设置了打开密码），请取消密码后再上传")
        count = len(reader.pages)
    except ServiceValidationError:
        raise
    except Exception:
        raise _refuse("PDF 文件已损坏，无法读取") from None
    if count == 0:
        raise _refuse("PDF 文件已损坏或没有页面")
    texts: list[str] = []
    size = 0
    truncated = False
    try:
        for index, page in enumerate(reader.pages):
            if index >= MAX_PAGES or size > MAX_TEXT:
                truncated = True
                break
            try:
                page_text = page.extract_text() or ""
            except Exception:
                page_text = ""  # one unreadable page does not spoil the others
            page_text = textlib.reflow(page_text.replace("\x00", "")).strip()
            texts.append(page_text)
            size += len(page_text)
    except Exception:
        raise _refuse("PDF 文件已损坏，无法读取") from None
    finally:
        handle.seek(0)
    return from_pages(texts, count, truncated)


def from_pages(texts: list[str], count: int, truncated: bool) -> Extracted:
    """A PDF's material from the text of its pages (its text layer, or OCR of a scan): without
    enough visible characters it has no text (无文字层)."""
    visible = sum(len(re.sub(r"\s", "", t)) for t in texts)
    has_text = visible >= 20 or visible >= 5 * count
    if not has_text:
        return Extracted("", count, False, False, [])
    body, capped = _cap("\f".join(texts))
    preview = [_blocks_of(textlib.paragraphs(t), PREVIEW_CHARS // 2) for t in texts[:PREVIEW_PAGES]]
    return Extracted(body, count, True, truncated or capped, preview)


# ---- .doc / .wps through LibreOffice -------------------------------------------------------


def extract_legacy(handle: IO[bytes], extension: str) -> Extracted:
    if not office.available():
        raise _refuse(
            "服务器未安装 LibreOffice，无法读取 .doc、.wps 文件；"
            "请在 Word 或 WPS 中“另存为” .docx 或 PDF 后再上传"
        )
    handle.seek(0)
    data = handle.read()
    handle.seek(0)
    converted = office.convert(data, extension, "docx")
    if converted is None:
        raise _refuse(
            "文件已损坏或已加密，LibreOffice 无法转换或转换超时；请另存为 .docx 或 PDF 后再上传"
        )
    from dangjian.study import files

    docx_handle = io.BytesIO(converted)
    files.check_zip(docx_handle)
    return extract_docx(docx_handle)


def extract(handle: IO[bytes], kind: str, extension: str) -> Extracted:
    if kind == "pdf":
        return extract_pdf(handle)
    if kind == "docx":
        return extract_docx(handle)
    if kind == "txt":
        return extract_txt(handle)
    if kind == "doc":
        return extract_legacy(handle, extension)
    raise _refuse("不支持的文件类型")
