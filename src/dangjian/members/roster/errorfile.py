"""The rejected rows of an import as a file to fix and import again, and the opening of the
file both read from."""

from __future__ import annotations

from typing import BinaryIO

from dangjian.members.roster.layout import write_roster
from dangjian.members.roster.reader import Roster, open_roster
from dangjian.members.roster.report import ImportReport


def open_source(source: str | bytes | BinaryIO, filename: str, sheet: str | None) -> Roster:
    if hasattr(source, "read"):
        source = source.read()
    return open_roster(source, filename, sheet=sheet or None)


def write_errors(
    source: str | bytes,
    filename: str,
    report: ImportReport,
    out: BinaryIO | str,
    sheet: str | None = None,
) -> int:
    """The rejected rows in the template layout with a 错误原因 column, ready to fix and re-import."""
    reasons: dict[int, list[str]] = {}
    for e in report.errors:
        reasons.setdefault(e.row, []).append(f"{e.column}：{e.message}")
    written = 0

    def rows():
        nonlocal written
        with open_source(source, filename, sheet or report.sheet) as roster:
            for raw in roster.iter_rows():
                if raw.row_number in reasons:
                    values = {k: ("" if v is None else v) for k, v in raw.values.items()}
                    values["错误原因"] = "；".join(reasons[raw.row_number])
                    values["_row"] = raw.row_number
                    written += 1
                    yield values

    write_roster(rows(), out, with_errors=True)
    return written
