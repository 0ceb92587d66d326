"""CSV rosters: the encoding (UTF-8, GB18030, UTF-16) checked end to end, the delimiter chosen by
the header it gives, then the records read lazily."""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable, Iterator
from typing import Final

from .cells import clean_text
from .errors import (
    MB,
    MSG_EMPTY,
    MSG_HTML,
    MSG_NO_HEADER,
    MSG_NOT_SPREADSHEET,
    MSG_UNRECOGNIZED,
    RosterFileError,
)
from .headers import HEADER_SCAN_ROWS, Header, detect_header
from .sheet import Roster
from .sniff import Source

_SAMPLE_BYTES: Final = 256 * 1024
_DELIMITERS: Final = (",", "\t", ";")
_CONTROL: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NOT_CONTENT: Final = re.compile(r'[\s,;"]+')
_MARKUP: Final = re.compile(r"<(?:html|table|\?xml|!doctype|head|body)\b", re.IGNORECASE)


def _detect_encoding(source: Source) -> tuple[str, int]:
    """The text encoding of the whole file, checked end to end, and its number of lines."""
    with source.open() as fh:
        head = fh.read(4)
    if head.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8", "gb18030"]
    for encoding in candidates:
        decoder = codecs.getincrementaldecoder(encoding)()
        lines = 0
        try:
            with source.open() as fh:
                while chunk := fh.read(MB):
                    lines += decoder.decode(chunk).count("\n")
                lines += decoder.decode(b"", final=True).count("\n")
        except UnicodeDecodeError:
            continue
        return encoding, lines + 1
    raise RosterFileError(MSG_UNRECOGNIZED, code="unrecognized")


def _csv_rows(
    source: Source, encoding: str, delimiter: str
) -> Callable[[], Iterator[tuple[int, list[object]]]]:
    def rows() -> Iterator[tuple[int, list[object]]]:
        with source.open() as fh:
            text = io.TextIOWrapper(fh, encoding=encoding, newline="")
            reader = csv.reader(text, delimiter=delimiter)
            index = 0
            try:
                for index, record in enumerate(reader):  # noqa: B007 - index reported on error
                    yield index, list(record)
            except csv.Error as exc:
                raise RosterFileError(
                    f"CSV 文件第 {index + 2} 行无法解析（引号不成对或单元格过长），请检查后重新导出",
                    code="damaged",
                ) from exc
            finally:
                text.detach()

    return rows


def _first_records(sample: str, delimiter: str) -> list[list[object]]:
    """The records at the top of the sample, up to a line the csv module cannot parse."""
    reader = csv.reader(io.StringIO(sample), delimiter=delimiter)
    head: list[list[object]] = []
    try:
        for record in reader:
            head.append(list(record))
            if len(head) >= HEADER_SCAN_ROWS:
                break
    except csv.Error:
        pass  # reported with its line number when the rows are read
    return head


def open_csv(source: Source, filename: str, sheet: str | None) -> Roster:
    if sheet:
        raise RosterFileError(f"CSV 文件没有工作表「{sheet}」", code="no_sheet")
    with source.open() as fh:
        raw = fh.read(_SAMPLE_BYTES)
    if b"\x00" in raw and not raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise RosterFileError(MSG_UNRECOGNIZED, code="unrecognized")
    encoding, lines = _detect_encoding(source)
    sample = codecs.getincrementaldecoder(encoding)(errors="ignore").decode(raw, final=False)
    if len(raw) == _SAMPLE_BYTES and "\n" in sample:
        sample = sample[: sample.rindex("\n") + 1]  # whole lines only
    if len(_CONTROL.findall(sample)) > max(2, len(sample) // 200):
        raise RosterFileError(MSG_UNRECOGNIZED, code="unrecognized")
    if sample.lstrip().startswith("<") and _MARKUP.search(sample[:4096]):
        raise RosterFileError(MSG_HTML, code="html")
    if not clean_text(_NOT_CONTENT.sub("", sample)):
        raise RosterFileError(MSG_EMPTY, code="empty")
    best: tuple[Header, str] | None = None
    for delimiter in _DELIMITERS:
        head = _first_records(sample, delimiter)
        header = detect_header(head)
        if header is not None and (best is None or header.score > best[0].score):
            best = (header, delimiter)
    if best is None:
        if not filename.casefold().endswith(".csv"):
            # Text that is no table, sent under another name (a .txt, a .doc saved as text):
            # say it is not a spreadsheet rather than that a header is missing (issue 18).
            raise RosterFileError(MSG_NOT_SPREADSHEET, code="unrecognized")
        raise RosterFileError(MSG_NO_HEADER, code="no_header")
    header, delimiter = best
    return Roster(
        filename=filename,
        format="csv",
        sheets=[],
        sheet_name="",
        header=header,
        column_offset=0,
        rows=_csv_rows(source, encoding, delimiter),
        row_count=lines - (header.index + header.height),
        encoding=encoding,
        delimiter=delimiter,
    )
