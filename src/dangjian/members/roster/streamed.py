"""Large .xlsx sheets read in bounded memory: openpyxl's streaming sheet parser (the one behind
its read-only mode) walks the rows, and each cell is turned into the value python-calamine gives
for it (cell types, number formats, dates and durations, shared and rich strings), so a sheet
reads the same whichever way it is read (tests/members/roster/test_reader_streaming.py).

calamine builds the whole sheet in memory before the first row comes out, about 1 KB a row for a
12-column roster: 250 MB for 200,000 rows. The reader streams sheets of more than STREAM_ROWS
rows (reader.py); calamine stays for the rest, as it is faster.

openpyxl's own cell values differ from calamine's in small ways (whole-number dates come out as
datetimes, numbers as ints, untyped text is refused, string runs are not trimmed), so its parser
is given our cell reading (`_CalamineCells.parse_row`) and our shared strings, packed as UTF-8.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import zipfile
import zlib
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Final
from xml.etree import ElementTree as ET

from defusedxml import DefusedXmlException
from openpyxl.styles.numbers import BUILTIN_FORMATS_MAX_SIZE
from openpyxl.styles.stylesheet import Stylesheet
from openpyxl.worksheet import _reader as openpyxl_reader
from openpyxl.worksheet._reader import WorkSheetParser
from openpyxl.xml.constants import SHEET_MAIN_NS
from openpyxl.xml.functions import fromstring, iterparse

from .errors import MSG_DAMAGED, RosterFileError
from .sniff import Source
from .xlsx_scan import column_number

_NS: Final = f"{{{SHEET_MAIN_NS}}}"
_C, _V, _IS, _F, _T, _R, _SI = (f"{_NS}{n}" for n in ("c", "v", "is", "f", "t", "r", "si"))
# What reading a part can raise when the file is damaged (openpyxl builds objects of a sheet's
# other elements as it passes them: their errors are TypeErrors and ValueErrors).
_READ_ERRORS: Final = (
    ET.ParseError,
    DefusedXmlException,
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    ValueError,
    TypeError,
    KeyError,
)


def _damaged() -> RosterFileError:
    return RosterFileError(MSG_DAMAGED, code="damaged")


_DATETIME: Final = "datetime"
_TIMEDELTA: Final = "timedelta"
# Built-in number formats that are dates or times (ids 27–36 and 50–58: East Asian dates).
_BUILTIN_DATETIME_IDS: Final = frozenset(
    str(i) for i in [*range(14, 23), *range(27, 37), 45, 47, *range(50, 59)]
)
_BUILTIN_TIMEDELTA_IDS: Final = frozenset({"46"})
_CELL_ERRORS: Final = frozenset(
    {"#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!"}
)
_ESCAPED_CHAR: Final = re.compile(r"_x([0-9A-Fa-f]{4})_")
_WORKBOOK_PR: Final = re.compile(rb"<workbookPr\b([^>]*)>")
_DATE1904: Final = re.compile(rb"\bdate1904\s*=\s*[\"']([^\"']*)")
# ISO 8601 as chrono reads it: spaces allowed around the separators, a leap second read as :59.
_ISO_DAY: Final = r"\s*\+?([0-9]{1,4})\s*-\s*([0-9]{1,2})\s*-\s*([0-9]{1,2})"
_ISO_HOUR: Final = r"\s*([0-9]{1,2})\s*:\s*([0-9]{1,2})"
_ISO_SECOND: Final = r"\s*:\s*([0-9]{1,2})(?:\.([0-9]+))?"
_ISO_DATE: Final = re.compile(rf"{_ISO_DAY}\s*")
_ISO_DATETIME: Final = re.compile(rf"{_ISO_DAY}\s*T{_ISO_HOUR}{_ISO_SECOND}\s*")
_ISO_TIME: Final = re.compile(rf"{_ISO_HOUR}(?:{_ISO_SECOND})?\s*")
_XML_SPACE: Final = "{http://www.w3.org/XML/1998/namespace}space"
_XML_WHITESPACE: Final = " \t\r\n"
_MS_PER_DAY: Final = 86_400_000
_EXCEL_EPOCH: Final = dt.datetime(1899, 12, 30)  # noqa: DTZ001 (cells hold wall-clock values)
_I64_MAX: Final = 2**63 - 1


def _days_before_year(year: int) -> int:
    y = year - 1
    return 365 * y + y // 4 - y // 100 + y // 400


# The dates chrono (calamine's date library) can hold, as days from the Excel epoch: a time of
# day is computed from the whole date-time, which must exist.
_EPOCH_ORDINAL: Final = _EXCEL_EPOCH.toordinal()
_MIN_DAY: Final = _days_before_year(-262_144) + 1 - _EPOCH_ORDINAL
_MAX_DAY: Final = _days_before_year(262_144) - _EPOCH_ORDINAL


def _number_format_kind(code: str) -> str:
    """Whether a number format shows dates ("datetime"), durations ("timedelta") or neither.

    calamine's reading of the format (first section only; quoted text, escaped characters and
    [colour] or [condition] brackets do not count; [h], [mm] or [ss] make it a duration).
    """
    escaped = quoted = ampm = elapsed = False
    brackets = 0
    previous = " "
    for ch in code:
        if escaped:
            escaped = False
        elif ch in "_\\*":  # the next character is a literal (or a width, or a fill)
            escaped = True
        elif quoted:
            quoted = ch != '"'
        elif ch == '"':
            quoted = True
        elif ch == ";":
            return ""
        elif ch == "[":
            brackets += 1
        elif ch == "]" and brackets == 1 and elapsed:
            return _TIMEDELTA
        elif ch == "]":
            brackets = max(0, brackets - 1)
        elif ch in "aA" and not ampm and brackets == 0:
            ampm = True
        elif brackets == 0 and ch in ("pmPM/" if ampm else "dmhysDMHYS"):
            return _DATETIME
        elif not (elapsed and ch.lower() == previous.lower()):
            elapsed = previous == "[" and ch in "mhsMHS"
        previous = ch
    return ""


def _round_ms(days: float) -> int:
    """Milliseconds in `days`, rounded half away from zero and clamped to 64 bits (as in Rust)."""
    ms = days * _MS_PER_DAY
    if ms != ms:  # NaN
        return 0
    if ms >= 9.2233720368547758e18:
        return _I64_MAX
    if ms <= -9.2233720368547758e18:
        return -_I64_MAX - 1
    whole = math.floor(abs(ms))
    if abs(ms) - whole >= 0.5:
        whole += 1
    return int(whole) if ms >= 0 else -int(whole)


def _excel_datetime(value: float, is_1904: bool) -> object:
    """A date-formatted number as python-calamine gives it: a time below 1, a date for whole
    numbers, a datetime otherwise, to the millisecond; the number itself when out of range."""
    serial = value + 1462 if is_1904 else value
    if not serial >= 60:  # before 1900-03-01, across Excel's phantom 1900-02-29
        serial += 1
    ms = _round_ms(serial)
    if ms == -_I64_MAX - 1:  # calamine gives up (a panic), as for any damaged cell
        raise _damaged()
    day, in_day = divmod(ms, _MS_PER_DAY)
    if not _MIN_DAY <= day <= _MAX_DAY:
        return value
    if value < 1:
        seconds, millis = divmod(in_day, 1000)
        return dt.time(seconds // 3600, seconds // 60 % 60, seconds % 60, millis * 1000)
    try:
        moment = _EXCEL_EPOCH + dt.timedelta(milliseconds=ms)
    except OverflowError:  # beyond year 9999
        return value
    if value < 18446744073709551616.0 and value == math.floor(value):
        return moment.date()
    return moment


def _excel_number(value: float, kind: str, is_1904: bool) -> object:
    if kind == _DATETIME:
        return _excel_datetime(value, is_1904)
    if kind == _TIMEDELTA:
        try:
            return dt.timedelta(milliseconds=_round_ms(value))
        except OverflowError as exc:  # beyond a billion days
            raise _damaged() from exc
    return value


def _iso_value(text: str) -> object:
    """A cell typed as an ISO 8601 date (t="d"): a date, datetime or time, else the text."""
    try:
        if match := _ISO_DATETIME.fullmatch(text):
            *day_and_hour, second, fraction = match.groups()
            year, month, day, hour, minute = map(int, day_and_hour)
            return dt.datetime(year, month, day, hour, minute, *_seconds(second, fraction))  # noqa: DTZ001
        if match := _ISO_DATE.fullmatch(text):
            return dt.date(*map(int, match.groups()))
        if match := _ISO_TIME.fullmatch(text):
            hour, minute, second, fraction = match.groups()
            return dt.time(int(hour), int(minute), *_seconds(second or "0", fraction))
    except ValueError:  # no such date or time
        pass
    return text


def _seconds(second: str, fraction: str | None) -> tuple[int, int]:
    """Whole seconds and microseconds; a leap second (60) is read as 59, as python-calamine has."""
    whole = int(second)
    return (59 if whole == 60 else whole), int((fraction or "")[:6].ljust(6, "0"))


def _unescape(text: str) -> str:
    """Characters XML cannot hold are written _xHHHH_ (_x000D_ for a carriage return)."""

    def char(match: re.Match[str]) -> str:
        code = int(match.group(1), 16)
        return match.group(0) if 0xD800 <= code <= 0xDFFF else chr(code)

    return _ESCAPED_CHAR.sub(char, text)


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _string_of(element: ET.Element, t_tag: str, r_tag: str) -> str:
    """A shared or inline string: its text runs, without the phonetic guide runs (<rPh>).

    As calamine reads them, each run is trimmed of XML whitespace unless marked
    xml:space="preserve" (as Excel marks text with spaces at either end).
    """
    if len(element) == 1 and element[0].tag == t_tag:
        text = _run_text(element[0])
    else:
        parts: list[str] = []
        for child in element:
            if child.tag == t_tag:
                parts.append(_run_text(child))
            elif child.tag == r_tag:
                parts.extend(_run_text(run) for run in child if run.tag == t_tag)
        text = "".join(parts)
    return _unescape(text) if "_x" in text else text


def _run_text(t: ET.Element) -> str:
    text = t.text or ""
    return text if t.get(_XML_SPACE) == "preserve" else text.strip(_XML_WHITESPACE)


class _SharedStrings:
    """The shared strings table, packed: the strings end to end in UTF-8, and where each ends.

    About 25 bytes a string instead of 80 for a list of str; a 200,000-row roster has half a
    million different strings (ID numbers, names, phone numbers).
    """

    def __init__(self) -> None:
        self._text = bytearray()
        self._ends = array("I", [0])

    def append(self, text: str) -> None:
        self._text += text.encode("utf-8", "surrogatepass")
        self._ends.append(len(self._text))

    def __len__(self) -> int:
        return len(self._ends) - 1

    def __getitem__(self, index: int) -> str:
        ends = self._ends
        return self._text[ends[index] : ends[index + 1]].decode("utf-8", "surrogatepass")


_COLUMNS: dict[str, int] = {}


def _column_index(ref: str) -> int:
    """The 0-based column of a cell reference like "AB12"."""
    letters = ref.rstrip("0123456789")
    if len(letters) == len(ref) or (ref[-1] == "0" and not int(ref[len(letters) :])):
        raise _damaged()  # no row, or row 0
    column = _COLUMNS.get(letters)
    if column is None:
        if not (letters.isascii() and letters.isalpha()):
            raise _damaged()
        column = column_number(letters.encode()) - 1
        if len(letters) <= 3:
            _COLUMNS[letters] = column
    return column


def _parse_number(text: str) -> float:
    # As Rust parses it: no surrounding spaces, no digit-group underscores, ASCII only.
    if not text.isascii() or "_" in text or text[0].isspace() or text[-1].isspace():
        raise ValueError(text)
    return float(text)


# --- the workbook parts a streamed sheet needs --------------------------------------------------


def _zip_name(zf: zipfile.ZipFile, path: str) -> str | None:
    """The member named `path`, ignoring ASCII case as calamine does."""
    if path in zf.NameToInfo:
        return path
    wanted = path.lower()
    return next((n for n in zf.namelist() if n.lower() == wanted), None)


def _shared_strings(zf: zipfile.ZipFile) -> _SharedStrings:
    strings = _SharedStrings()
    name = _zip_name(zf, "xl/sharedStrings.xml")
    if name is None:
        return strings
    with zf.open(name) as stream:
        root = None
        for event, element in iterparse(stream, events=("start", "end")):
            if root is None:
                root = element
            elif event == "end" and element.tag == _SI:
                strings.append(_string_of(element, _T, _R))
                root.clear()  # drop what has been read
    return strings


def _style_kinds(zf: zipfile.ZipFile) -> list[str]:
    """Per cell style (`s="…"`): "", "datetime" or "timedelta", as calamine tells them: by the
    id of a built-in number format, by the code of a custom one (openpyxl renumbers custom
    formats from 164 and gives custom codes equal to a built-in one the built-in's id)."""
    name = _zip_name(zf, "xl/styles.xml")
    if name is None:
        return []
    stylesheet = Stylesheet.from_tree(fromstring(zf.read(name)))
    kinds = []
    for style in stylesheet.cell_styles:
        format_id = style.numFmtId
        if format_id >= BUILTIN_FORMATS_MAX_SIZE:
            code = stylesheet.number_formats[format_id - BUILTIN_FORMATS_MAX_SIZE]
            kinds.append(_number_format_kind(code))
        elif str(format_id) in _BUILTIN_DATETIME_IDS:
            kinds.append(_DATETIME)
        else:
            kinds.append(_TIMEDELTA if str(format_id) in _BUILTIN_TIMEDELTA_IDS else "")
    return kinds


def _is_1904(zf: zipfile.ZipFile) -> bool:
    name = _zip_name(zf, "xl/workbook.xml")
    tag = _WORKBOOK_PR.search(zf.read(name)) if name else None
    flag = _DATE1904.search(tag.group(1)) if tag else None
    return flag is not None and flag.group(1) in (b"1", b"true")


@dataclass
class StreamBook:
    """What a streamed sheet needs from the rest of the workbook."""

    strings: _SharedStrings
    kinds: list[str]  # by cell style: "", "datetime" or "timedelta"
    is_1904: bool

    @classmethod
    def load(cls, zf: zipfile.ZipFile) -> StreamBook:
        try:
            return cls(_shared_strings(zf), _style_kinds(zf), _is_1904(zf))
        except _READ_ERRORS as exc:
            raise _damaged() from exc

    def number(self, text: str | None, kind: str | None, style: str | None) -> object:
        """A <v> of a numeric cell (t="n" or no type)."""
        if not text:
            return None
        try:
            value = _parse_number(text)
        except ValueError as exc:
            if kind is None:  # no type: a number if it reads as one, else the text
                return text
            raise _damaged() from exc
        if style is None:
            return value
        try:
            position = int(style) if style.isascii() and style.isdigit() else 0
            number_kind = self.kinds[position]
        except IndexError:
            number_kind = ""
        return _excel_number(value, number_kind, self.is_1904) if number_kind else value

    def cell(self, cell: ET.Element) -> object:
        """A <c> element's value as calamine gives it; None for an empty cell."""
        kind = cell.get("t")
        value: object = None
        for part in cell:
            tag = part.tag
            if tag == _V:
                text = part.text
                if kind is None or kind == "n":
                    value = self.number(text, kind, cell.get("s"))
                elif kind == "s":
                    if not text:
                        value = None
                        continue
                    position = int(text) if text.isascii() and text.isdigit() else 0
                    if position >= len(self.strings):
                        raise _damaged()
                    value = self.strings[position]
                elif kind == "str":
                    value = _unescape(text) if text and "_x" in text else (text or "")
                elif kind in ("inlineStr", "is"):
                    value = None
                elif kind == "b":
                    value = None if not text else text != "0"
                elif kind == "e":
                    if text and text not in _CELL_ERRORS:
                        raise _damaged()
                    value = "" if text else None  # an error shows as an empty cell
                elif kind == "d":
                    value = _iso_value(text or "")
                else:
                    raise _damaged()
            elif tag == _IS:
                value = _string_of(part, _T, _R)
            elif tag != _F:  # a formula: only its cached value (<v>) counts
                raise _damaged()
        return value


# --- the rows -----------------------------------------------------------------------------------


class _CalamineCells(WorkSheetParser):
    """openpyxl's streaming parser of a worksheet, each row read into calamine's values.

    `parse()` walks the sheet and hands each <row> to `parse_row`; a row's number is its `r`,
    else its first cell's, else the one after the previous row, as in calamine.
    """

    def __init__(self, stream: IO[bytes], book: StreamBook, until: int | None = None):
        super().__init__(stream, [], data_only=True)
        self.book = book
        self.until = until

    def parse(self) -> Iterator[tuple[int, list[object]]]:  # type: ignore[override]
        """openpyxl's `WorkSheetParser.parse`, the same elements handled the same way, except
        that each row read leaves the tree. openpyxl clears a row's cells but leaves the empty
        <row> in <sheetData>: about 90 bytes a row that stay until the sheet ends (18 MB for
        200,000 rows, in the import and in its helper each)."""
        r = openpyxl_reader
        dispatcher = {
            r.COL_TAG: self.parse_column_dimensions,
            r.PROT_TAG: self.parse_sheet_protection,
            r.EXT_TAG: self.parse_extensions,
            r.CF_TAG: self.parse_formatting,
            r.LEGACY_TAG: self.parse_legacy,
            r.ROW_BREAK_TAG: self.parse_row_breaks,
            r.COL_BREAK_TAG: self.parse_col_breaks,
            r.CUSTOM_VIEWS_TAG: self.parse_custom_views,
        }
        properties = {
            r.PRINT_TAG: ("print_options", r.PrintOptions),
            r.MARGINS_TAG: ("page_margins", r.PageMargins),
            r.PAGE_TAG: ("page_setup", r.PrintPageSetup),
            r.HEADER_TAG: ("HeaderFooter", r.HeaderFooter),
            r.FILTER_TAG: ("auto_filter", r.AutoFilter),
            r.VALIDATION_TAG: ("data_validations", r.DataValidationList),
            r.PROPERTIES_TAG: ("sheet_properties", r.WorksheetProperties),
            r.VIEWS_TAG: ("views", r.SheetViewList),
            r.FORMAT_TAG: ("sheet_format", r.SheetFormatProperties),
            r.SCENARIOS_TAG: ("scenarios", r.ScenarioList),
            r.TABLE_TAG: ("tables", r.TablePartList),
            r.HYPERLINK_TAG: ("hyperlinks", r.HyperlinkList),
            r.MERGE_TAG: ("merged_cells", r.MergeCells),
        }
        row_tag, data_tag = r.ROW_TAG, r.DATA_TAG
        data = None  # <sheetData>, the rows' parent, once it has started
        for event, element in iterparse(self.source, events=("start", "end")):
            if event == "start":
                if data is None and element.tag == data_tag:
                    data = element
                continue
            tag = element.tag
            if tag == row_tag:
                row = self.parse_row(element)
                element.clear()
                if data is not None and len(data):
                    del data[:]  # the row just read (and any row outside <sheetData> stays)
                yield row
            elif tag in dispatcher:
                dispatcher[tag](element)
                element.clear()
            elif tag in properties:
                name, kind = properties[tag]
                setattr(self, name, kind.from_tree(element))
                element.clear()

    def parse_row(self, row: ET.Element) -> tuple[int, list[object]]:
        number = row.get("r")
        if number is None and len(row) and (first := row[0].get("r")):
            number = first[len(first.rstrip("0123456789")) :]
        try:
            index = int(number) - 1 if number is not None else self.row_counter
        except ValueError as exc:
            raise _damaged() from exc
        if index < 0:
            raise _damaged()
        self.row_counter = index + 1
        if self.until is not None and index >= self.until:
            return index, []  # the caller stops here: its cells are not read
        cells: list[object] = []
        column = 0
        for cell in row:
            if cell.tag != _C:
                continue
            ref = cell.get("r")
            if ref is not None:
                column = _column_index(ref)
            value = self.book.cell(cell)
            if value is not None:
                if column >= len(cells):
                    cells.extend([None] * (column - len(cells)))
                    cells.append(value)
                else:
                    cells[column] = value
            column += 1
        return index, cells


def streamed_rows(
    source: Source, part: str, book: StreamBook
) -> Callable[..., Iterator[tuple[int, list[object]]]]:
    """(0-based row, cells from column A) for each row of the sheet, read afresh on each call;
    with `until`, up to the first row from that index on (which is not read)."""

    def rows(until: int | None = None) -> Iterator[tuple[int, list[object]]]:
        try:
            with source.open() as fh, zipfile.ZipFile(fh) as zf:
                name = _zip_name(zf, part)
                if name is None:
                    raise _damaged()
                with zf.open(name) as stream:
                    for index, cells in _CalamineCells(stream, book, until).parse():
                        if until is not None and index >= until:
                            return
                        yield index, cells
        except _READ_ERRORS as exc:
            raise _damaged() from exc

    return rows


def streamed_head(
    rows: Callable[[int], Iterator[tuple[int, list[object]]]], count: int
) -> list[list[object]]:
    """The first `count` rows of the sheet (row i at index i), as calamine's head would be."""
    head: list[list[object]] = [[] for _ in range(count)]
    for index, cells in rows(count):
        head[index] = cells
    return head
