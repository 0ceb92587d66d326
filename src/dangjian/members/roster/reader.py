"""Open a roster file (.xlsx, .xls or .csv), find its header, and yield its rows lazily.

The format is told by the content, not the name (`sniff`). Files that cannot be used at all
(empty, too large, a zip bomb, password-protected, not a spreadsheet, no recognisable header)
raise RosterFileError with a Chinese message; everything about single cells is left to the field
parsers in `cells`, so rows carry the raw values the spreadsheet holds (an ID number typed into
a numeric cell stays a float, for the ID parser to reject).

Spreadsheets are read by python-calamine, which loads a sheet whole; an .xlsx sheet of more than
STREAM_ROWS rows is instead streamed by openpyxl's parser (`streamed`), giving the same rows in
bounded memory. The header is found in `headers`, the rows come out of `sheet.Roster`.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any, Final, Literal

import python_calamine
from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

from .cells import clean_text
from .csvfile import open_csv
from .errors import (
    MB,
    MSG_DAMAGED,
    MSG_EMPTY,
    MSG_ENCRYPTED,
    MSG_HTML,
    MSG_NO_HEADER,
    MSG_UNRECOGNIZED,
    MSG_ZIP_BOMB,
    RosterFileError,
)
from .headers import COLUMN_ALIASES, HEADER_SCAN_ROWS, detect_header, header_field, is_blank
from .sheet import RawRow, Roster
from .sniff import Source, check_zip, size_text, sniff
from .streamed import StreamBook, streamed_head, streamed_rows
from .xlsx_scan import SheetScan, scan_sheet, sheet_parts, worksheet_parts

__all__ = [
    "COLUMN_ALIASES",
    "MSG_DAMAGED",
    "MSG_EMPTY",
    "MSG_ENCRYPTED",
    "MSG_HTML",
    "MSG_NO_HEADER",
    "MSG_UNRECOGNIZED",
    "MSG_ZIP_BOMB",
    "STREAM_ROWS",
    "RawRow",
    "Roster",
    "RosterFileError",
    "header_field",
    "open_roster",
]

# Sheets spanning more rows than this are streamed (read here, so tests may lower it).
STREAM_ROWS: Final = 100_000


# --- calamine workbooks -------------------------------------------------------------------------


def _calamine_error(exc: BaseException) -> RosterFileError:
    if isinstance(exc, python_calamine.PasswordError) or "password" in str(exc).lower():
        return RosterFileError(MSG_ENCRYPTED, code="encrypted")
    return RosterFileError(MSG_DAMAGED, code="damaged")


def _is_calamine_failure(exc: BaseException) -> bool:
    # A Rust panic inside calamine surfaces as pyo3's PanicException, a BaseException.
    return isinstance(exc, Exception) or type(exc).__name__ == "PanicException"


def _sheet_rows(sheet: Any) -> Callable[[], Iterator[tuple[int, list[object]]]]:
    def rows() -> Iterator[tuple[int, list[object]]]:
        try:
            # iter_rows() pads the empty rows above the data, so the index is the sheet row.
            yield from enumerate(sheet.iter_rows())
        except BaseException as exc:
            # A date or duration cell far out of range: calamine panics or Python overflows.
            if _is_calamine_failure(exc):
                raise RosterFileError(MSG_DAMAGED, code="damaged") from exc
            raise

    return rows


def _calamine_book(source: Source, fh: IO[bytes], fmt: Literal["xlsx", "xls"]) -> Any:
    fh.seek(0)
    try:
        # calamine picks the reader by extension for a path and by content for a file
        # object, which it copies into memory first: use the path when the two agree.
        suffixes = {"xlsx": (".xlsx", ".xlsm"), "xls": (".xls",)}[fmt]
        if source.path is not None and source.path.suffix.lower() in suffixes:
            return CalamineWorkbook.from_path(str(source.path))
        return CalamineWorkbook.from_filelike(fh)
    except BaseException as exc:
        if _is_calamine_failure(exc):
            raise _calamine_error(exc) from exc
        raise


@dataclass
class _Sheet:
    """A sheet ready to read: its rows on demand, the first rows (for the header), where it
    ends, and what the Roster needs to place its cells."""

    rows: Callable[..., Iterator[tuple[int, list[object]]]]
    head: list[list[object]]
    last_row: int  # 0-based
    offset: int  # the sheet column of the first cell in a row list
    merges: Any
    closer: Callable[[], None] | None
    streamed: bool


class _Workbook:
    """An .xlsx or .xls, its sheets read by calamine, or streamed when they are large."""

    def __init__(self, source: Source, fh: IO[bytes], fmt: Literal["xlsx", "xls"]):
        self.source, self.fh, self.fmt = source, fh, fmt
        self.zf = zipfile.ZipFile(fh) if fmt == "xlsx" else None
        self.parts = sheet_parts(self.zf) if self.zf is not None else {}
        self.book: Any = _calamine_book(source, fh, fmt)
        self.stream_book: StreamBook | None = None
        worksheets = [
            meta
            for meta in self.book.sheets_metadata
            if meta.typ == SheetTypeEnum.WorkSheet and meta.name in self.book.sheet_names
        ]
        self.visible = [m.name for m in worksheets if m.visible == SheetVisibleEnum.Visible]
        self.hidden = [m.name for m in worksheets if m.visible != SheetVisibleEnum.Visible]

    def close(self) -> None:
        if self.zf is not None:
            self.zf.close()

    def candidates(self, sheet: str | None) -> list[str]:
        """The sheet asked for, or every worksheet (the visible ones first)."""
        if sheet is None:
            return self.visible + self.hidden
        wanted = _match_sheet(sheet, self.visible + self.hidden)
        if wanted is None:
            raise RosterFileError(
                f"工作表「{sheet}」不存在，可选：{'、'.join(self.visible) or '（无）'}",
                code="no_sheet",
            )
        return [wanted]

    def sheet(self, name: str) -> _Sheet | None:
        """The sheet, or None when it holds nothing."""
        part = self.parts.get(name)
        scan = None
        if self.zf is not None:
            for checked in [part] if part else worksheet_parts(self.zf):
                scan = scan_sheet(self.zf, checked)
        if self.zf is not None and part and scan is not None and scan.rows > STREAM_ROWS:
            return self._streamed(part, scan) if scan.last_row else None
        return self._loaded(name)

    def _streamed(self, part: str, scan: SheetScan) -> _Sheet:
        assert self.zf is not None
        if self.stream_book is None:
            if self.book is not None:  # its copy of the shared strings goes before ours comes
                self.book.close()
                self.book = None
            self.stream_book = StreamBook.load(self.zf)
        rows = streamed_rows(self.source, part, self.stream_book)
        last_row = scan.last_row - 1
        head = streamed_head(rows, min(HEADER_SCAN_ROWS, last_row + 1))
        return _Sheet(rows, head, last_row, 0, scan.merges, None, streamed=True)

    def _loaded(self, name: str) -> _Sheet | None:
        if self.book is None:
            self.book = _calamine_book(self.source, self.fh, self.fmt)
        try:
            loaded = self.book.get_sheet_by_name(name)
        except BaseException as exc:
            if _is_calamine_failure(exc):
                raise _calamine_error(exc) from exc
            raise
        if loaded.start is None or loaded.end is None:  # an empty sheet
            return None  # (iter_rows would fail on it)
        rows = _sheet_rows(loaded)
        head = []
        for _index, row in rows():
            head.append(list(row))
            if len(head) >= HEADER_SCAN_ROWS:
                break
        return _Sheet(
            rows,
            head,
            loaded.end[0],
            loaded.start[1],
            loaded.merged_cell_ranges,
            self.book.close,
            streamed=False,
        )


def _open_workbook(
    source: Source,
    filename: str,
    fmt: Literal["xlsx", "xls"],
    sheet: str | None,
) -> Roster:
    """The first candidate sheet with a recognised header."""
    fh = source.open()
    workbook: _Workbook | None = None
    try:
        workbook = _Workbook(source, fh, fmt)
        candidates = workbook.candidates(sheet)
        found_content = False
        for name in candidates:
            read = workbook.sheet(name)
            if read is None:
                continue
            head = read.head
            found_content = (
                found_content
                or read.last_row >= len(head)
                or any(not is_blank(c) for r in head for c in r)
            )
            header = detect_header(head)
            if header is None:
                continue
            if read.streamed and workbook.book is not None:
                workbook.book.close()  # calamine has nothing more to give
            return Roster(
                filename=filename,
                format=fmt,
                sheets=workbook.visible,
                sheet_name=name,
                header=header,
                column_offset=read.offset,
                rows=read.rows,
                row_count=read.last_row + 1 - (header.index + header.height),
                merges=read.merges or (),
                closer=read.closer,
                streamed=read.streamed,
            )
        if not found_content:
            if sheet is not None:
                raise RosterFileError(f"工作表「{candidates[0]}」为空", code="empty")
            raise RosterFileError(MSG_EMPTY, code="empty")
        raise RosterFileError(MSG_NO_HEADER, code="no_header")
    except zipfile.BadZipFile as exc:
        raise RosterFileError(MSG_DAMAGED, code="damaged") from exc
    finally:
        if workbook is not None:
            workbook.close()
        fh.close()


def _match_sheet(wanted: str, names: list[str]) -> str | None:
    if wanted in names:
        return wanted
    key = clean_text(wanted).replace(" ", "").casefold()
    for name in names:
        if clean_text(name).replace(" ", "").casefold() == key:
            return name
    return None


# --- entry point --------------------------------------------------------------------------------


def open_roster(
    source: str | os.PathLike[str] | bytes | IO[bytes],
    filename: str,
    *,
    sheet: str | None = None,
    max_bytes: int = 50 * MB,
    max_uncompressed: int = 500 * MB,
) -> Roster:
    """Open a roster from a path or bytes; `filename` is the name the user gave it (for messages).

    With `sheet=None` the first visible sheet with a recognised header is used (then hidden
    ones); `Roster.sheets` lists the visible sheets for the user to pick from.
    """
    src = Source(source)
    size = src.size
    if size == 0:
        raise RosterFileError(MSG_EMPTY, code="empty")
    if size > max_bytes:
        raise RosterFileError(
            f"文件过大（{size_text(size)}），上限为 {size_text(max_bytes)}", code="too_large"
        )
    kind = sniff(src)
    if kind == "zip":
        with src.open() as fh:
            try:
                with zipfile.ZipFile(fh) as zf:
                    check_zip(zf, max_uncompressed)
                    names = {n.casefold() for n in zf.namelist()}
            except zipfile.BadZipFile as exc:
                raise RosterFileError(MSG_UNRECOGNIZED, code="unrecognized") from exc
        if "xl/workbook.xml" not in names:
            raise RosterFileError(MSG_UNRECOGNIZED, code="unrecognized")
        return _open_workbook(src, filename, "xlsx", sheet)
    if kind == "xls":
        return _open_workbook(src, filename, "xls", sheet)
    return open_csv(src, filename, sheet)
