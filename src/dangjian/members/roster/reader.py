"""Open a roster file (.xlsx, .xls or .csv), find its header, and yield its rows lazily.

The format is told by the content, not the name. Files that cannot be used at all (empty, too
large, a zip bomb, password-protected, not a spreadsheet, no recognisable header) raise
RosterFileError with a Chinese message; everything about single cells is left to the field
parsers in `cells`, so rows carry the raw values the spreadsheet holds (an ID number typed into
a numeric cell stays a float, for the ID parser to reject).

Spreadsheets are read by python-calamine, which loads a sheet whole; an .xlsx sheet of more than
STREAM_ROWS rows is instead parsed from its XML a row at a time, giving the same rows in bounded
memory.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import math
import os
import posixpath
import re
import struct
import zipfile
import zlib
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import IO, Any, Final, Literal
from xml.etree import ElementTree as ET

import python_calamine
from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

from .cells import clean_text

__all__ = [
    "COLUMN_ALIASES",
    "RawRow",
    "Roster",
    "RosterFileError",
    "header_field",
    "open_roster",
]

MB: Final = 1024 * 1024
HEADER_SCAN_ROWS: Final = 30
# A calamine sheet is a dense grid in memory (about 32 bytes a cell, empty or not), sized by the
# outermost cells; one stray cell at XFD1048576 would ask for 550 GB. Checked before loading.
MAX_CELLS: Final = 20_000_000
MAX_COMPRESSION_RATIO: Final = 100


class RosterFileError(Exception):
    """The whole file cannot be used; `message` is the Chinese text shown to the user.

    `code` says why, for callers and tests: empty, too_large, zip_bomb, encrypted, unrecognized,
    html, damaged, no_header, no_sheet, too_many_cells.
    """

    def __init__(self, message: str, *, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


MSG_EMPTY: Final = "文件为空"
MSG_UNRECOGNIZED: Final = "无法识别的文件格式，请上传 .xlsx、.xls 或 .csv 文件"
MSG_ENCRYPTED: Final = "文件已设置密码保护，请取消密码后再导入"
MSG_ZIP_BOMB: Final = "文件解压后过大，疑似异常文件"
MSG_DAMAGED: Final = "文件已损坏，无法读取；请用 Excel 打开后另存为 .xlsx 再导入"
MSG_NO_HEADER: Final = "未找到表头：表格中应有「姓名」和「身份证号」列"
MSG_HTML: Final = (
    "文件实际是网页或 XML 格式（常见于其他系统导出的“Excel”文件），"
    "请用 Excel 打开后另存为 .xlsx 再导入"
)

# Canonical field → the header texts that name it (compared after header_key()).
COLUMN_ALIASES: Final[dict[str, tuple[str, ...]]] = {
    "name": ("姓名", "名字", "党员姓名"),
    "id_number": (
        "身份证号", "身份证号码", "公民身份号码", "身份证", "公民身份证号", "公民身份证号码",
        "身份证件号码",
    ),
    "gender": ("性别",),
    "ethnicity": ("民族",),
    "education": ("学历", "文化程度", "最高学历"),
    "phone": ("手机", "手机号", "手机号码", "联系电话", "联系方式", "移动电话"),
    "organization": (
        "所在支部", "党支部", "所在党支部", "支部名称", "所属支部", "组织名称", "所在党组织",
        "所属党支部", "所属党组织", "党组织名称",
    ),
    "party_group": ("党小组", "所在党小组", "所属党小组"),
    "status": ("党员状态", "党员类型", "人员状态", "正式或预备"),
    "category": ("人员类别", "人员类型", "在职情况"),
    "admitted_on": ("入党时间", "入党日期", "加入党组织日期", "入党年月", "加入党组织时间"),
    "confirmed_on": ("转正时间", "转正日期", "转为正式党员日期", "转正年月", "转为正式党员时间"),
    "job_title": ("工作岗位", "职务", "岗位", "工作单位及职务"),
    "birth_date": ("出生日期", "出生年月", "出生年月日"),
}  # fmt: skip

# Columns that carry no member data and are not worth reporting as unknown: a running number,
# and the reasons column of our own error file when it is fixed and imported again.
IGNORED_HEADERS: Final = ("序号", "错误原因")
_IGNORED: Final = "_ignored"

# A row whose first filled cell starts with one of these is a footer, not a member.
SUMMARY_PREFIXES: Final = (
    "合计", "总计", "小计", "共计", "制表", "填表", "填报", "审核", "备注", "说明", "注:", "联系人",
    "负责人",
)  # fmt: skip

_OPEN_BRACKETS: Final = "([【〔「『<《"
_CLOSE_BRACKETS: Final = ")]】〕」』>》"
_BRACKET_GROUP: Final = re.compile(
    f"[{re.escape(_OPEN_BRACKETS)}][^{re.escape(_CLOSE_BRACKETS)}]*[{re.escape(_CLOSE_BRACKETS)}]"
)
_BRACKET_CHAR: Final = re.compile(f"[{re.escape(_OPEN_BRACKETS + _CLOSE_BRACKETS)}]")
_DECORATION: Final = "*※:★ "


def _header_keys(text: str) -> list[str]:
    """Ways to read a header cell: as written, without "(必填)"-like groups, without brackets."""
    key = "".join(clean_text(text).split()).casefold().strip(_DECORATION)
    keys = [key]
    for variant in (_BRACKET_GROUP.sub("", key), _BRACKET_CHAR.sub("", key)):
        variant = variant.strip(_DECORATION)
        if variant and variant not in keys:
            keys.append(variant)
    return keys


_ALIAS_INDEX: Final[dict[str, str]] = {}
for _field, _aliases in COLUMN_ALIASES.items():
    for _alias in _aliases:
        _key = _header_keys(_alias)[0]
        assert _key not in _ALIAS_INDEX, f"header alias {_alias} names two fields"  # noqa: S101
        _ALIAS_INDEX[_key] = _field
for _alias in IGNORED_HEADERS:
    _ALIAS_INDEX[_header_keys(_alias)[0]] = _IGNORED


def header_field(text: object) -> str | None:
    """The canonical field a header cell names, or None."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    if not isinstance(text, str) or len(text) > 60:
        return None
    for key in _header_keys(text):
        found = _ALIAS_INDEX.get(key)
        if found is not None:
            return None if found == _IGNORED else found
    return None


def _is_ignored_header(text: str) -> bool:
    return any(_ALIAS_INDEX.get(key) == _IGNORED for key in _header_keys(text))


# --- rows ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RawRow:
    """One member row: its row number as Excel shows it, and the raw value of each field."""

    row_number: int
    values: dict[str, object]


def _blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        stripped = value.strip()
        if not stripped:
            return True
        if stripped.isprintable():
            return False
        return not clean_text(value)
    return False


@dataclass
class _Header:
    index: int  # 0-based row of the (first) header row
    height: int  # 1, or 2 for a two-row header
    fields: dict[str, int]  # field → 0-based column within the row lists
    titles: dict[str, str]
    unknown: list[str]
    duplicates: list[str]

    @property
    def score(self) -> int:
        return len(self.fields)

    @property
    def usable(self) -> bool:
        return "name" in self.fields and "id_number" in self.fields


def _header_from(cells: list[tuple[object, object]]) -> _Header:
    """Columns named by a header; `cells` holds (text from the lower row, from the upper row)."""
    fields: dict[str, int] = {}
    titles: dict[str, str] = {}
    unknown: list[str] = []
    duplicates: list[str] = []
    for col, (lower, upper) in enumerate(cells):
        found = None
        title = ""
        for text in (lower, upper):
            if _blank(text):
                continue
            found = header_field(text)
            if found:
                title = clean_text(text)
                break
        if found is None:
            shown = next((clean_text(t) for t in (lower, upper) if not _blank(t)), "")
            if shown and not _is_ignored_header(shown):
                unknown.append(shown)
            continue
        if found in fields:
            duplicates.append(title)
            continue
        fields[found] = col
        titles[found] = title
    return _Header(0, 1, fields, titles, unknown, duplicates)


def _detect_header(rows: list[list[object]]) -> _Header | None:
    """The header among the first rows: the one naming most fields, with 姓名 and 身份证号.

    A two-row header (a group title merged across columns above its sub-headers, or a field
    merged down over both rows) is read column by column, the lower row first; it is taken only
    when it names more fields than either of its rows alone.
    """
    singles: list[_Header] = []
    for index, row in enumerate(rows):
        header = _header_from([(cell, None) for cell in row])
        header.index = index
        singles.append(header)
    best: _Header | None = None
    for header in singles:
        if header.usable and (best is None or header.score > best.score):
            best = header
    for index in range(len(rows) - 1):
        upper, lower = rows[index], rows[index + 1]
        width = max(len(upper), len(lower))
        pair = _header_from(
            [
                (lower[c] if c < len(lower) else None, upper[c] if c < len(upper) else None)
                for c in range(width)
            ]
        )
        pair.index, pair.height = index, 2
        if not pair.usable or pair.score <= max(singles[index].score, singles[index + 1].score):
            continue
        if best is None or pair.score > best.score:
            best = pair
    return best


_SUMMARY_STARTS: Final = frozenset(prefix[0] for prefix in SUMMARY_PREFIXES)
_NAME_HEADER_STARTS: Final = frozenset(
    {key[0] for key, f in _ALIAS_INDEX.items() if f == "name"}
    | set(_DECORATION + _OPEN_BRACKETS)
    | {"（", "【"}
)


def _starts_with_one_of(value: object, starts: frozenset[str]) -> bool:
    """A cheap first-character filter before the full comparison (run on every row)."""
    if not isinstance(value, str):
        return False
    first = value.lstrip()[:1]
    if first in starts:
        return True
    # ASCII and unified ideographs are left alone by clean_text: no need to look further.
    stable = (first.isascii() and first.isprintable()) or "\u4e00" <= first <= "\u9fff"
    return not stable


def _is_summary(cells: list[object], name_value: object) -> bool:
    first = next((cell for cell in cells if not _blank(cell)), None)
    for value in (first, name_value):
        if _starts_with_one_of(value, _SUMMARY_STARTS):
            text = clean_text(value).replace(" ", "")
            if text.startswith(SUMMARY_PREFIXES):
                return True
    return False


def _is_repeated_header(values: dict[str, object]) -> bool:
    name = values["name"]
    return (
        _starts_with_one_of(name, _NAME_HEADER_STARTS)
        and header_field(name) == "name"
        and header_field(values["id_number"]) == "id_number"
    )


class Roster:
    """An opened roster: the chosen sheet, its header, and its rows on demand.

    `columns` maps each recognised field to its 0-based column in the sheet (A = 0), `titles` to
    the header text as written; `unknown_columns` are header texts that name no field and
    `duplicate_columns` those naming a field an earlier column already names (ignored).
    `skipped` lists (row number, reason) for summary and repeated header rows, filled while
    iterating. `row_count` is an upper bound on the data rows, for progress bars.

    iter_rows() may be called more than once (each call reads the sheet from its start); close()
    drops the workbook. Use as a context manager. `streamed` tells a large .xlsx sheet read row by
    row from its XML (see STREAM_ROWS) from one loaded whole by calamine; the rows are the same.
    """

    def __init__(
        self,
        *,
        filename: str,
        format: Literal["xlsx", "xls", "csv"],
        sheets: list[str],
        sheet_name: str,
        header: _Header,
        column_offset: int,
        rows: Callable[[], Iterator[tuple[int, list[object]]]],
        row_count: int,
        merges: Iterable[tuple[tuple[int, int], tuple[int, int]]] = (),
        closer: Callable[[], None] | None = None,
        encoding: str = "",
        delimiter: str = "",
        streamed: bool = False,
    ) -> None:
        self.filename = filename
        self.format = format
        self.sheets = sheets
        self.sheet_name = sheet_name
        self.header_row = header.index + 1
        self.header_rows = header.height
        self.first_data_row = header.index + header.height + 1
        self.columns = {f: c + column_offset for f, c in header.fields.items()}
        self.titles = dict(header.titles)
        self.unknown_columns = list(header.unknown)
        self.duplicate_columns = list(header.duplicates)
        self.row_count = max(0, row_count)
        self.encoding = encoding
        self.delimiter = delimiter
        self.streamed = streamed
        self.skipped: list[tuple[int, str]] = []
        self._fields = dict(header.fields)
        self._column_offset = column_offset
        self._rows = rows
        self._closer = closer
        self._fills = self._vertical_merges(merges)

    def _vertical_merges(self, merges) -> dict[int, list[tuple[int, int]]]:
        """Cells merged down a column inside the data (a branch name over its members)."""
        first = self.first_data_row - 1
        by_column = {c: f for f, c in self._fields.items()}
        fills: dict[int, list[tuple[int, int]]] = {}
        for (r0, c0), (r1, _c1) in merges or ():
            col = c0 - self._column_offset
            if r1 > r0 and r0 >= first and col in by_column:
                fills.setdefault(r0, []).append((col, r1))
        return fills

    def iter_rows(self) -> Iterator[RawRow]:
        """Each member row in order, lazily; blank, summary and repeated header rows are skipped."""
        if self._rows is None:
            raise RosterFileError("文件已关闭", code="closed")
        first = self.first_data_row - 1
        fields = list(self._fields.items())
        active: dict[int, tuple[int, object]] = {}  # column → (last row, value) of a merge
        self.skipped = []
        for index, cells in self._rows():
            if index < first:
                continue
            for col, last in self._fills.get(index, ()):
                active[col] = (last, cells[col] if col < len(cells) else None)
            values: dict[str, object] = {}
            blank = True
            for name, col in fields:
                value = cells[col] if col < len(cells) else None
                if _blank(value):
                    # Only the cells of the row itself decide whether it is blank: a merged
                    # cell running past the last member does not make a member of an empty row.
                    value = None
                    fill = active.get(col)
                    if fill is not None and index <= fill[0]:
                        value = fill[1]
                else:
                    blank = False
                values[name] = value
            if blank:
                continue
            name_value = values["name"]
            if _is_summary(cells, name_value):
                self.skipped.append((index + 1, "合计或表尾说明"))
                continue
            if _is_repeated_header(values):
                self.skipped.append((index + 1, "重复的表头"))
                continue
            yield RawRow(index + 1, values)

    def close(self) -> None:
        self._rows = None  # type: ignore[assignment]
        if self._closer is not None:
            closer, self._closer = self._closer, None
            closer()

    def __enter__(self) -> Roster:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Roster {self.filename!r} sheet={self.sheet_name!r} header_row={self.header_row}>"


# --- sources ------------------------------------------------------------------------------------


class _Source:
    """Bytes or a path, opened afresh for each pass."""

    def __init__(self, source: str | os.PathLike[str] | bytes | bytearray | memoryview | IO[bytes]):
        self.path: Path | None = None
        self.data: bytes | None = None
        if isinstance(source, bytes | bytearray | memoryview):
            self.data = bytes(source)
        elif isinstance(source, str | os.PathLike):
            self.path = Path(source)
        elif hasattr(source, "read"):
            self.data = source.read()
        else:
            raise TypeError(f"unsupported roster source: {type(source).__name__}")

    @property
    def size(self) -> int:
        if self.data is not None:
            return len(self.data)
        assert self.path is not None  # noqa: S101
        try:
            return self.path.stat().st_size
        except OSError as exc:
            raise RosterFileError(
                f"无法读取文件：{exc.strerror or exc}", code="unreadable"
            ) from exc

    def open(self) -> IO[bytes]:
        if self.data is not None:
            return io.BytesIO(self.data)
        assert self.path is not None  # noqa: S101
        return open(self.path, "rb")  # noqa: SIM115 - closed by the caller


def _size_text(n: int) -> str:
    if n >= MB:
        text = f"{n / MB:.1f}".removesuffix(".0")
        return f"{text} MB"
    return f"{max(1, round(n / 1024))} KB"


# --- format detection ---------------------------------------------------------------------------

_ZIP_MAGIC: Final = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_CFB_MAGIC: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_BINARY_MAGIC: Final = (
    b"%PDF",
    b"\x89PNG",
    b"GIF8",
    b"\xff\xd8\xff",
    b"Rar!",
    b"7z\xbc\xaf",
    b"\x1f\x8b",
)


_CFB_MAX_DIR: Final = 4096  # directory sectors (a workbook has a handful)


class _Cfb:
    """Just enough of an OLE2 compound file [MS-CFB] (the container of .xls) to look inside.

    Lists the directory and reads the start of a stream, following the FAT (or the mini FAT for
    small streams). Every chain walk is bounded by the sector count, so a damaged or hostile
    file cannot loop. `entries` is empty when the structure does not hold together.
    """

    def __init__(self, fh: IO[bytes], size: int) -> None:
        self.fh = fh
        self.entries: dict[str, tuple[int, int, int]] = {}  # casefolded name → (kind, start, size)
        fh.seek(0)
        header = fh.read(512)
        if len(header) < 512 or not header.startswith(_CFB_MAGIC):
            return
        shift = struct.unpack_from("<H", header, 0x1E)[0]
        if shift not in (9, 12):
            return
        self.sector_size = 1 << shift
        self.sector_count = max(0, (size - 512) // self.sector_size + 1)
        self.mini_size = 64  # the only mini sector size [MS-CFB] allows
        mini_usable = struct.unpack_from("<H", header, 0x20)[0] == 6
        num_fat, first_dir = struct.unpack_from("<II", header, 0x2C)
        self.mini_cutoff, first_minifat, num_minifat = struct.unpack_from("<III", header, 0x38)
        first_difat, num_difat = struct.unpack_from("<II", header, 0x44)
        fat_sectors = [
            s for s in struct.unpack_from("<109I", header, 0x4C) if s < self.sector_count
        ]
        # A FAT never needs more sectors than it takes to map the file; a hostile header that
        # claims more (or a DIFAT chain that loops) stops there.
        num_fat = min(num_fat, self.sector_count // (self.sector_size // 4) + 1)
        sid, seen = first_difat, 0
        while sid < self.sector_count and seen < num_difat and len(fat_sectors) < num_fat:
            data = self._sector(sid)
            entries = struct.unpack_from(f"<{self.sector_size // 4}I", data)
            fat_sectors.extend(s for s in entries[:-1] if s < self.sector_count)
            sid, seen = entries[-1], seen + 1
        self.fat: list[int] = []
        for sector in fat_sectors[:num_fat]:
            self.fat.extend(struct.unpack_from(f"<{self.sector_size // 4}I", self._sector(sector)))
        directory = b"".join(self._sector(s) for s in self._chain(first_dir, limit=_CFB_MAX_DIR))
        for offset in range(0, len(directory) - 127, 128):
            length = struct.unpack_from("<H", directory, offset + 64)[0]
            kind = directory[offset + 66]
            start, stream_size = struct.unpack_from("<IQ", directory, offset + 116)
            if kind in (1, 2, 5) and 2 <= length <= 64:
                name = directory[offset : offset + length - 2].decode("utf-16-le", "replace")
                self.entries.setdefault(name.casefold(), (kind, start, stream_size & 0xFFFFFFFF))
        root = self.entries.get("root entry")
        self.minifat: list[int] = []
        self.mini_stream: list[int] = []
        if root is not None and num_minifat and mini_usable:
            for sector in self._chain(first_minifat, limit=num_minifat):
                data = self._sector(sector)
                self.minifat.extend(struct.unpack_from(f"<{self.sector_size // 4}I", data))
            self.mini_stream = self._chain(root[1])

    def _sector(self, sid: int) -> bytes:
        self.fh.seek((sid + 1) * self.sector_size)
        return self.fh.read(self.sector_size).ljust(self.sector_size, b"\0")

    def _chain(
        self, sid: int, table: list[int] | None = None, limit: int | None = None
    ) -> list[int]:
        table = self.fat if table is None else table
        chain: list[int] = []
        while 0 <= sid < len(table) and len(chain) < min(limit or len(table), len(table)):
            chain.append(sid)
            sid = table[sid]
        return chain

    def read_start(self, name: str, limit: int = 4096) -> bytes:
        """The first `limit` bytes of a stream, or b"" when there is no such stream."""
        found = self.entries.get(name.casefold())
        if found is None or found[0] != 2:
            return b""
        _kind, start, size = found
        if size < self.mini_cutoff:
            per_sector = self.sector_size // self.mini_size
            data = b""
            for mini in self._chain(start, self.minifat, limit // self.mini_size + 1):
                index, offset = divmod(mini, per_sector)
                if index >= len(self.mini_stream):
                    break
                sector = self._sector(self.mini_stream[index])
                data += sector[offset * self.mini_size : (offset + 1) * self.mini_size]
        else:
            sectors = self._chain(start, limit=limit // self.sector_size + 1)
            data = b"".join(self._sector(s) for s in sectors)
        return data[: min(size, limit)]


def _biff_has_filepass(stream: bytes) -> bool:
    """Whether an .xls workbook stream starts with an encryption record (FILEPASS, 0x002F)."""
    offset = 0
    for _ in range(32):
        if offset + 4 > len(stream):
            return False
        record_type, length = struct.unpack_from("<HH", stream, offset)
        if record_type == 0x002F:
            return True
        if offset and record_type == 0x0809:  # the next substream: encryption comes before it
            return False
        offset += 4 + length
    return False


def _sniff(source: _Source, size: int) -> str:
    with source.open() as fh:
        head = fh.read(8)
        if head.startswith(_ZIP_MAGIC):
            return "zip"
        if head.startswith(_CFB_MAGIC):
            try:
                cfb = _Cfb(fh, size)
            except (struct.error, ValueError, OverflowError):
                return "xls"  # a structure that does not hold together: calamine has its say
            if "encryptedpackage" in cfb.entries:
                raise RosterFileError(MSG_ENCRYPTED, code="encrypted")
            names = set(cfb.entries)
            if names and not names & {"workbook", "book"}:
                raise RosterFileError(MSG_UNRECOGNIZED, code="unrecognized")
            try:
                stream = cfb.read_start("workbook") or cfb.read_start("book")
            except struct.error:
                stream = b""
            if _biff_has_filepass(stream):
                raise RosterFileError(MSG_ENCRYPTED, code="encrypted")
            return "xls"
        if head.startswith(_BINARY_MAGIC):
            raise RosterFileError(MSG_UNRECOGNIZED, code="unrecognized")
    return "text"


# --- xlsx ---------------------------------------------------------------------------------------

_SHEET_TAG: Final = re.compile(rb"<(?:\w+:)?sheet\s[^>]*>")
_ATTR: Final = re.compile(rb'([\w:]+)\s*=\s*"([^"]*)"')
_RELATIONSHIP_TAG: Final = re.compile(rb"<(?:\w+:)?Relationship\s[^>]*>")
# Simple patterns on purpose: they run over every cell of the sheet before calamine does. Only
# cells carry a letters-and-digits r="..." reference; rows carry digits only. A reference the
# patterns miss (odd whitespace) counts as a cell without one: the check errs on the safe side.
_CELL_REF: Final = re.compile(rb' r="[A-Za-z]+([0-9]+)"')
_WIDE_CELL_REF: Final = re.compile(rb' r="([A-Za-z]{2,})[0-9]')
_ROW_REF: Final = re.compile(rb'<(?:\w+:)?row\s[^>]*?\br="([0-9]+)"')
# For the streamed read: the sheet's namespace prefix, the nearest reference before a value
# (a cell's r="B12" or a row's r="12"), and merged ranges.
_ROOT_TAG: Final = re.compile(rb"<([A-Za-z_][\w.-]*:)?worksheet[\s>/]")
_ANY_ROW_REF: Final = re.compile(rb'\sr="[A-Za-z]*([0-9]+)"')
_LOOKBACK: Final = 16 * 1024
_MERGE_REF: Final = re.compile(rb"<(?:\w+:)?mergeCell\s[^>]*?\bref\s*=\s*[\"']([^\"']*)")
_RANGE: Final = re.compile(rb"([A-Za-z]{1,3})([0-9]{1,7})(?::([A-Za-z]{1,3})([0-9]{1,7}))?")


def _check_zip(zf: zipfile.ZipFile, max_uncompressed: int) -> None:
    total = packed = 0
    for info in zf.infolist():
        total += info.file_size
        packed += info.compress_size
    if total > max_uncompressed or (total > MB and total > MAX_COMPRESSION_RATIO * max(packed, 1)):
        raise RosterFileError(MSG_ZIP_BOMB, code="zip_bomb")


def _xlsx_sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → worksheet part, from xl/workbook.xml and its relationships."""
    try:
        workbook = zf.read("xl/workbook.xml")
        rels = zf.read("xl/_rels/workbook.xml.rels")
    except KeyError:
        return {}
    targets: dict[str, str] = {}
    for tag in _RELATIONSHIP_TAG.findall(rels):
        attrs = {k.decode(): unescape(v.decode("utf-8", "replace")) for k, v in _ATTR.findall(tag)}
        target = attrs.get("Target", "")
        # Targets are relative to xl/ unless absolute within the package.
        part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        targets[attrs.get("Id", "")] = posixpath.normpath(part)
    parts: dict[str, str] = {}
    for tag in _SHEET_TAG.findall(workbook):
        attrs = {k.decode(): unescape(v.decode("utf-8", "replace")) for k, v in _ATTR.findall(tag)}
        rel = next((v for k, v in attrs.items() if k.endswith(":id")), "")
        if "name" in attrs and rel in targets:
            parts[attrs["name"]] = targets[rel]
    return parts


def _worksheet_parts(zf: zipfile.ZipFile) -> list[str]:
    return [n for n in zf.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")]


def _column_number(letters: bytes) -> int:
    number = 0
    for ch in letters.upper():
        number = number * 26 + (ch - 64)
    return number


@dataclass
class _SheetScan:
    """What one pass over a sheet's XML tells before the sheet is read.

    `rows`: the rows the sheet spans (its largest row reference, or its number of <row>
    elements when they carry none). `last_row`: the 1-based row of the last cell holding a
    value, 0 when no cell does (from the reference nearest before the last value; `rows` when
    there is none to go by, so it can only err upwards). `merges`: the merged ranges, as
    ((first row, first column), (last row, last column)), 0-based like calamine's.
    """

    rows: int
    last_row: int
    merges: list[tuple[tuple[int, int], tuple[int, int]]]


def _scan_sheet(zf: zipfile.ZipFile, part: str) -> _SheetScan | None:
    """Reject a sheet whose outermost cells would make calamine allocate a huge grid.

    Streams the sheet XML once: the largest row and column among the cell references, plus
    the cells written without a reference (calamine places them after the previous one). The
    same pass measures the sheet for a streamed read (see _SheetScan); None without the part.
    """
    try:
        info = zf.getinfo(part)
    except KeyError:
        return None
    max_row = 0
    max_col = 26
    unreferenced = 0
    row_tags = 0
    merges: list[tuple[tuple[int, int], tuple[int, int]]] = []
    prefix: bytes | None = None
    row_tag, value_tags = b"<row", _value_tags(b"")
    has_value = False
    recent: list[bytes] = []  # the last pieces read: the last value is near the end
    carry = b""
    try:
        with zf.open(info) as stream:
            while True:
                chunk = stream.read(MB)
                data = carry + chunk
                cut = data.rfind(b">") + 1 if chunk else len(data)
                data, carry = data[:cut], data[cut:]
                if prefix is None:  # "x:" when the sheet is written <x:worksheet>
                    root = _ROOT_TAG.search(data, 0, _XML_HEAD)
                    prefix = (root.group(1) if root else None) or b""
                    row_tag, value_tags = b"<" + prefix + b"row", _value_tags(prefix)
                refs = _CELL_REF.findall(data)
                rows = set(refs)
                cells = data.count(b"<c ") + data.count(b"<c>") + data.count(b"<c/>")
                if cells > len(refs):
                    unreferenced += cells - len(refs)
                    rows.update(_ROW_REF.findall(data))
                    row_tags += data.count(row_tag)  # rows without a reference either
                if rows:
                    max_row = max(max_row, max(map(int, rows)))
                for letters in set(_WIDE_CELL_REF.findall(data)):
                    max_col = max(max_col, _column_number(letters))
                has_value = has_value or any(tag in data for tag in value_tags)
                if b"mergeCell" in data:
                    for ref in _MERGE_REF.findall(data):
                        merge = _merged_range(ref)
                        if merge is not None:
                            merges.append(merge)
                recent = [*recent[-2:], data]
                if not chunk:
                    break
    except (zipfile.BadZipFile, NotImplementedError, OSError, EOFError) as exc:
        raise RosterFileError(MSG_DAMAGED, code="damaged") from exc
    columns = max_col + unreferenced
    if max_row * columns > MAX_CELLS:
        raise RosterFileError(
            f"表格范围过大（约 {max_row} 行 × {columns} 列），疑似异常文件；"
            "请删除多余的空白行和列后再导入",
            code="too_many_cells",
        )
    spanned = max(max_row, row_tags)
    last_row = 0
    if has_value:
        tail = b"".join(recent)
        at = max(tail.rfind(tag) for tag in value_tags)
        found = _ANY_ROW_REF.findall(tail, max(0, at - _LOOKBACK), at) if at >= 0 else []
        last_row = int(found[-1]) if found else spanned
    return _SheetScan(rows=spanned, last_row=last_row, merges=merges)


def _value_tags(prefix: bytes) -> tuple[bytes, ...]:
    return tuple(b"<" + prefix + tag for tag in (b"v>", b"v ", b"is>"))


def _merged_range(ref: bytes) -> tuple[tuple[int, int], tuple[int, int]] | None:
    match = _RANGE.fullmatch(ref)
    if match is None:
        return None
    first_col, first_row, last_col, last_row = match.groups()
    if last_col is None:
        last_col, last_row = first_col, first_row
    if int(first_row) < 1 or int(last_row) < 1:
        return None
    return (
        (int(first_row) - 1, _column_number(first_col) - 1),
        (int(last_row) - 1, _column_number(last_col) - 1),
    )


# --- streamed xlsx sheets -----------------------------------------------------------------------
#
# calamine builds the whole sheet in memory before the first row comes out: about 1 KB a row for
# a 12-column roster, 250 MB for 200,000 rows. A sheet spanning more than STREAM_ROWS rows is
# read instead by parsing its XML as it is unzipped, a row at a time, with the rules calamine
# applies (cell types, number formats, dates, shared and rich strings), so both give the same
# rows; only the rows in hand are in memory. calamine stays for the rest: it is faster.

STREAM_ROWS: Final = 100_000

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
_PROLOGUE: Final = re.compile(rb"(?:\xef\xbb\xbf)?(?:\s+|<\?.*?\?>|<!--.*?-->)*", re.DOTALL)
_XML_HEAD: Final = 64 * 1024
_MS_PER_DAY: Final = 86_400_000
_EXCEL_EPOCH: Final = dt.datetime(1899, 12, 30)
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
            return dt.datetime(year, month, day, hour, minute, *_seconds(second, fraction))
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


def _namespace(tag: str) -> str:
    return tag[: tag.index("}") + 1] if tag.startswith("{") else ""


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


class _Prefixed:
    """A stream with its first bytes read ahead."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self.head, self.rest = head, rest

    def read(self, size: int = -1) -> bytes:
        if self.head:
            data, self.head = self.head, b""
            return data
        return self.rest.read(size)


def _checked_xml(stream: IO[bytes]) -> _Prefixed:
    """The part, refused when it declares a DTD: entities are not expanded, XML bombs or not.

    Workbook XML never has one (calamine does not read one either).
    """
    head = stream.read(_XML_HEAD)
    match = _PROLOGUE.match(head)
    start = match.end() if match else 0
    if head[start : start + 1] != b"<" or head[start + 1 : start + 2] in (b"!", b"?", b""):
        raise _damaged()
    return _Prefixed(head, stream)


def _xml_events(stream: IO[bytes]) -> Iterator[tuple[str, ET.Element]]:
    # Parsing untrusted XML is safe once a DTD is refused (_checked_xml): nothing else expands.
    return ET.iterparse(_checked_xml(stream), events=("start", "end"))  # noqa: S314


def _zip_name(zf: zipfile.ZipFile, path: str) -> str | None:
    """The member named `path`, ignoring ASCII case as calamine does."""
    if path in zf.NameToInfo:
        return path
    wanted = path.lower()
    return next((n for n in zf.namelist() if n.lower() == wanted), None)


def _damaged() -> RosterFileError:
    return RosterFileError(MSG_DAMAGED, code="damaged")


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


@dataclass
class _StreamBook:
    """What a streamed sheet needs from the rest of the workbook."""

    strings: _SharedStrings
    formats: list[str]  # by cell style: "", "datetime" or "timedelta"
    is_1904: bool

    @classmethod
    def load(cls, zf: zipfile.ZipFile) -> _StreamBook:
        try:
            return cls(_shared_strings(zf), _cell_formats(zf), _is_1904(zf))
        except (ET.ParseError, zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
            raise _damaged() from exc


def _shared_strings(zf: zipfile.ZipFile) -> _SharedStrings:
    strings = _SharedStrings()
    name = _zip_name(zf, "xl/sharedStrings.xml")
    if name is None:
        return strings
    with zf.open(name) as stream:
        events = _xml_events(stream)
        _event, root = next(events)
        ns = _namespace(root.tag)
        si_tag, t_tag, r_tag = f"{ns}si", f"{ns}t", f"{ns}r"
        for event, element in events:
            if event == "end" and element.tag == si_tag:
                strings.append(_string_of(element, t_tag, r_tag))
                root.clear()  # drop what has been read
    return strings


def _cell_formats(zf: zipfile.ZipFile) -> list[str]:
    name = _zip_name(zf, "xl/styles.xml")
    if name is None:
        return []
    custom: dict[str, str] = {}
    formats: list[str] = []
    with zf.open(name) as stream:
        tree = ET.parse(_checked_xml(stream))  # noqa: S314 - see _xml_events
    for element in tree.iter():
        container = _local(element.tag)
        if container == "numFmts":
            for number_format in element:
                code = number_format.get("formatCode", "")
                if _local(number_format.tag) == "numFmt" and code:
                    custom[number_format.get("numFmtId", "")] = code
        elif container == "cellXfs":
            for xf in element:
                if _local(xf.tag) != "xf":
                    continue
                format_id = xf.get("numFmtId")
                if format_id is None:
                    formats.append("")
                elif format_id in custom:
                    formats.append(_number_format_kind(custom[format_id]))
                elif format_id in _BUILTIN_DATETIME_IDS:
                    formats.append(_DATETIME)
                else:
                    formats.append(_TIMEDELTA if format_id in _BUILTIN_TIMEDELTA_IDS else "")
    return formats


def _is_1904(zf: zipfile.ZipFile) -> bool:
    name = _zip_name(zf, "xl/workbook.xml")
    tag = _WORKBOOK_PR.search(zf.read(name)) if name else None
    flag = _DATE1904.search(tag.group(1)) if tag else None
    return flag is not None and flag.group(1) in (b"1", b"true")


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
        column = _column_number(letters.encode()) - 1
        if len(letters) <= 3:
            _COLUMNS[letters] = column
    return column


def _parse_number(text: str) -> float:
    # As Rust parses it: no surrounding spaces, no digit-group underscores, ASCII only.
    if not text.isascii() or "_" in text or text[0].isspace() or text[-1].isspace():
        raise ValueError(text)
    return float(text)


def _sheet_values(
    stream: IO[bytes], book: _StreamBook, until: int | None = None
) -> Iterator[tuple[int, list[object]]]:
    """(0-based row, cells from column A) for each <row> of a worksheet, None for empty cells;
    up to the first row from `until` on, which is not read."""
    strings, formats, is_1904 = book.strings, book.formats, book.is_1904
    events = _xml_events(stream)
    _event, root = next(events)
    ns = _namespace(root.tag)
    row_tag, c_tag, v_tag, is_tag, f_tag = (f"{ns}{n}" for n in ("row", "c", "v", "is", "f"))
    t_tag, r_tag, sheet_data_tag = f"{ns}t", f"{ns}r", f"{ns}sheetData"
    sheet_data: ET.Element | None = None
    next_row = 0
    for event, element in events:
        if event == "start":
            if element.tag == sheet_data_tag:
                sheet_data = element
            continue
        if element.tag == sheet_data_tag:
            return
        if element.tag != row_tag:
            continue
        number = element.get("r")
        if number is None and len(element) and (first := element[0].get("r")):
            number = first[len(first.rstrip("0123456789")) :]
        try:
            index = int(number) - 1 if number is not None else next_row
        except ValueError as exc:
            raise _damaged() from exc
        if index < 0:
            raise _damaged()
        if until is not None and index >= until:
            return
        next_row = index + 1
        cells: list[object] = []
        column = 0
        for cell in element:
            if cell.tag != c_tag and _local(cell.tag) != "c":
                continue
            ref = cell.get("r")
            if ref is not None:
                column = _column_index(ref)
            kind = cell.get("t")
            value: object = None
            for part in cell:
                tag = part.tag
                if tag != v_tag and tag != is_tag and tag != f_tag:
                    tag = f"{ns}{_local(tag)}"
                if tag == v_tag:
                    text = part.text
                    if kind is None or kind == "n":
                        if not text:
                            value = None
                            continue
                        try:
                            number_value = _parse_number(text)
                        except ValueError as exc:
                            if kind is None:  # no type: a number if it reads as one
                                value = text
                                continue
                            raise _damaged() from exc
                        style = cell.get("s")
                        if style is None:
                            value = number_value
                            continue
                        try:
                            position = int(style) if style.isascii() and style.isdigit() else 0
                            style_format = formats[position]
                        except IndexError:
                            style_format = ""
                        value = (
                            _excel_number(number_value, style_format, is_1904)
                            if style_format
                            else number_value
                        )
                    elif kind == "s":
                        if not text:
                            value = None
                            continue
                        position = int(text) if text.isascii() and text.isdigit() else 0
                        if position >= len(strings):
                            raise _damaged()
                        value = strings[position]
                    elif kind == "str":
                        value = _unescape(text) if text and "_x" in text else (text or "")
                    elif kind == "inlineStr" or kind == "is":
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
                elif tag == is_tag:
                    value = _string_of(part, t_tag, r_tag)
                elif tag == f_tag:
                    value = None  # a formula: only its cached value (<v>) counts
                else:
                    raise _damaged()
            if value is not None:
                width = len(cells)
                if column == width:
                    cells.append(value)
                elif column > width:
                    cells.extend([None] * (column - width))
                    cells.append(value)
                else:
                    cells[column] = value
            column += 1
        yield index, cells
        (sheet_data if sheet_data is not None else element).clear()


def _streamed_rows(
    source: _Source, part: str, book: _StreamBook
) -> Callable[..., Iterator[tuple[int, list[object]]]]:
    def rows(until: int | None = None) -> Iterator[tuple[int, list[object]]]:
        try:
            with source.open() as fh, zipfile.ZipFile(fh) as zf:
                name = _zip_name(zf, part)
                if name is None:
                    raise _damaged()
                with zf.open(name) as stream:
                    yield from _sheet_values(stream, book, until)
        except (ET.ParseError, zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
            raise _damaged() from exc

    return rows


def _streamed_head(
    rows: Callable[[int], Iterator[tuple[int, list[object]]]], count: int
) -> list[list[object]]:
    """The first `count` rows of the sheet (row i at index i), as calamine's head would be."""
    head: list[list[object]] = [[] for _ in range(count)]
    for index, cells in rows(count):
        head[index] = cells
    return head


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


def _calamine_book(source: _Source, fh: IO[bytes], fmt: Literal["xlsx", "xls"]) -> Any:
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


def _open_workbook(
    source: _Source,
    filename: str,
    fmt: Literal["xlsx", "xls"],
    sheet: str | None,
) -> Roster:
    zf: zipfile.ZipFile | None = None
    parts: dict[str, str] = {}
    fh = source.open()
    try:
        if fmt == "xlsx":
            zf = zipfile.ZipFile(fh)
            parts = _xlsx_sheet_parts(zf)
        book = _calamine_book(source, fh, fmt)
        worksheets = [
            meta
            for meta in book.sheets_metadata
            if meta.typ == SheetTypeEnum.WorkSheet and meta.name in book.sheet_names
        ]
        visible = [m.name for m in worksheets if m.visible == SheetVisibleEnum.Visible]
        hidden = [m.name for m in worksheets if m.visible != SheetVisibleEnum.Visible]
        if sheet is not None:
            wanted = _match_sheet(sheet, visible + hidden)
            if wanted is None:
                raise RosterFileError(
                    f"工作表「{sheet}」不存在，可选：{'、'.join(visible) or '（无）'}",
                    code="no_sheet",
                )
            candidates = [wanted]
        else:
            candidates = visible + hidden
        found_content = False
        stream_book: _StreamBook | None = None
        for name in candidates:
            part = parts.get(name)
            scan = None
            if zf is not None:
                for checked in [part] if part else _worksheet_parts(zf):
                    scan = _scan_sheet(zf, checked)
            streamed = bool(zf and part and scan and scan.rows > STREAM_ROWS)
            if zf is not None and part and scan is not None and streamed:
                if not scan.last_row:  # an empty sheet
                    continue
                if stream_book is None:
                    if book is not None:  # its copy of the shared strings goes before ours comes
                        book.close()
                        book = None
                    stream_book = _StreamBook.load(zf)
                rows = _streamed_rows(source, part, stream_book)
                last_row = scan.last_row - 1
                head = _streamed_head(rows, min(HEADER_SCAN_ROWS, last_row + 1))
                offset, merges, closer = 0, scan.merges, None
            else:
                if book is None:
                    book = _calamine_book(source, fh, fmt)
                try:
                    loaded = book.get_sheet_by_name(name)
                except BaseException as exc:
                    if _is_calamine_failure(exc):
                        raise _calamine_error(exc) from exc
                    raise
                if loaded.start is None or loaded.end is None:  # an empty sheet
                    continue  # (iter_rows would fail on it)
                rows = _sheet_rows(loaded)
                head = []
                for _index, row in rows():
                    head.append(list(row))
                    if len(head) >= HEADER_SCAN_ROWS:
                        break
                last_row = loaded.end[0]
                offset, merges, closer = loaded.start[1], loaded.merged_cell_ranges, book.close
            found_content = (
                found_content
                or last_row >= len(head)
                or any(not _blank(c) for r in head for c in r)
            )
            header = _detect_header(head)
            if header is None:
                continue
            if streamed and book is not None:
                book.close()  # calamine has nothing more to give
            return Roster(
                filename=filename,
                format=fmt,
                sheets=visible,
                sheet_name=name,
                header=header,
                column_offset=offset,
                rows=rows,
                row_count=last_row + 1 - (header.index + header.height),
                merges=merges or (),
                closer=closer,
                streamed=streamed,
            )
        if not found_content:
            if sheet is not None:
                raise RosterFileError(f"工作表「{candidates[0]}」为空", code="empty")
            raise RosterFileError(MSG_EMPTY, code="empty")
        raise RosterFileError(MSG_NO_HEADER, code="no_header")
    except zipfile.BadZipFile as exc:
        raise RosterFileError(MSG_DAMAGED, code="damaged") from exc
    finally:
        if zf is not None:
            zf.close()
        fh.close()


def _match_sheet(wanted: str, names: list[str]) -> str | None:
    if wanted in names:
        return wanted
    key = clean_text(wanted).replace(" ", "").casefold()
    for name in names:
        if clean_text(name).replace(" ", "").casefold() == key:
            return name
    return None


# --- csv ----------------------------------------------------------------------------------------

_SAMPLE_BYTES: Final = 256 * 1024
_DELIMITERS: Final = (",", "\t", ";")
_CONTROL: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NOT_CONTENT: Final = re.compile(r'[\s,;"]+')
_MARKUP: Final = re.compile(r"<(?:html|table|\?xml|!doctype|head|body)\b", re.IGNORECASE)


def _detect_encoding(source: _Source) -> tuple[str, int]:
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
    source: _Source, encoding: str, delimiter: str
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


def _open_csv(source: _Source, filename: str, sheet: str | None) -> Roster:
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
    best: tuple[_Header, str] | None = None
    for delimiter in _DELIMITERS:
        head = _first_records(sample, delimiter)
        header = _detect_header(head)
        if header is not None and (best is None or header.score > best[0].score):
            best = (header, delimiter)
    if best is None:
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
    src = _Source(source)
    size = src.size
    if size == 0:
        raise RosterFileError(MSG_EMPTY, code="empty")
    if size > max_bytes:
        raise RosterFileError(
            f"文件过大（{_size_text(size)}），上限为 {_size_text(max_bytes)}", code="too_large"
        )
    kind = _sniff(src, size)
    if kind == "zip":
        with src.open() as fh:
            try:
                with zipfile.ZipFile(fh) as zf:
                    _check_zip(zf, max_uncompressed)
                    names = {n.casefold() for n in zf.namelist()}
            except zipfile.BadZipFile as exc:
                raise RosterFileError(MSG_UNRECOGNIZED, code="unrecognized") from exc
        if "xl/workbook.xml" not in names:
            raise RosterFileError(MSG_UNRECOGNIZED, code="unrecognized")
        return _open_workbook(src, filename, "xlsx", sheet)
    if kind == "xls":
        return _open_workbook(src, filename, "xls", sheet)
    return _open_csv(src, filename, sheet)
