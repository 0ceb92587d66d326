"""One quick pass over an .xlsx sheet's XML before it is read: the grid it spans (calamine
allocates the whole grid, so an outlying cell is refused here), the last row holding a value,
and the merged ranges (neither reader gives those for a streamed sheet).

Simple byte patterns on purpose: they run over every cell of the sheet.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass
from html import unescape
from typing import Final

from .errors import MB, MSG_DAMAGED, RosterFileError

# A calamine sheet is a dense grid in memory (about 32 bytes a cell, empty or not), sized by the
# outermost cells; one stray cell at XFD1048576 would ask for 550 GB. Checked before loading.
MAX_CELLS: Final = 20_000_000
_XML_HEAD: Final = 64 * 1024
# No spreadsheet program writes a DTD; one could define entities that expand without bound.
_DOCTYPE: Final = re.compile(rb"<!DOCTYPE", re.IGNORECASE)

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


def sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
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


def worksheet_parts(zf: zipfile.ZipFile) -> list[str]:
    return [n for n in zf.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")]


def column_number(letters: bytes) -> int:
    number = 0
    for ch in letters.upper():
        number = number * 26 + (ch - 64)
    return number


@dataclass
class SheetScan:
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


def scan_sheet(zf: zipfile.ZipFile, part: str) -> SheetScan | None:
    """Reject a sheet whose outermost cells would make calamine allocate a huge grid.

    Streams the sheet XML once: the largest row and column among the cell references, plus
    the cells written without a reference (calamine places them after the previous one). The
    same pass measures the sheet for a streamed read (see SheetScan); None without the part.
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
                    if _DOCTYPE.search(data, 0, _XML_HEAD):
                        raise RosterFileError(MSG_DAMAGED, code="damaged")
                    root = _ROOT_TAG.search(data, 0, _XML_HEAD)
                    prefix = (root.group(1) if root else None) or b""
                    row_tag, value_tags = b"<" + prefix + b"row", _value_tags(prefix)
                refs = _CELL_REF.findall(data)
                rows = set(refs)
                # Every cell tag starts "<c": when there are no more of those than references,
                # no cell lacks one (one pass over the chunk instead of three).
                cells = data.count(b"<c")
                if cells > len(refs):
                    cells = data.count(b"<c ") + data.count(b"<c>") + data.count(b"<c/>")
                if cells > len(refs):
                    unreferenced += cells - len(refs)
                    rows.update(_ROW_REF.findall(data))
                    row_tags += data.count(row_tag)  # rows without a reference either
                if rows:
                    max_row = max(max_row, max(map(int, rows)))
                for letters in set(_WIDE_CELL_REF.findall(data)):
                    max_col = max(max_col, column_number(letters))
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
    return SheetScan(rows=spanned, last_row=last_row, merges=merges)


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
        (int(first_row) - 1, column_number(first_col) - 1),
        (int(last_row) - 1, column_number(last_col) - 1),
    )
