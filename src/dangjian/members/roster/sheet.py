"""An opened roster: the chosen sheet, its header, and its member rows on demand."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

from .errors import RosterFileError
from .headers import Header, is_blank, is_repeated_header, is_summary


@dataclass(frozen=True)
class RawRow:
    """One member row: its row number as Excel shows it, and the raw value of each field."""

    row_number: int
    values: dict[str, object]


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
        header: Header,
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
                if value is not None and (
                    not isinstance(value, str) or (value.isprintable() and value.strip())
                ):
                    blank = False  # what is_blank says of these, without the call (every cell)
                elif is_blank(value):
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
            if is_summary(cells, name_value):
                self.skipped.append((index + 1, "合计或表尾说明"))
                continue
            if is_repeated_header(values):
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
