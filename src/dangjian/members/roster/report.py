"""What a roster import reports: the counts, the rows rejected and why, the moves it found; and
the rule of strict mode."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

MAX_REPORTED_ERRORS = 5000


class Mode:
    STRICT = "strict"
    PARTIAL = "partial"


STRICT_REFUSED = "严格模式下存在错误行或未确认的调动，不能导入；请修正后重新上传，或改用部分导入"


def strict_blocks(mode: str, rejected: int, unconfirmed_moves: int = 0) -> bool:
    """The strict-mode rule, for the page, the CLI and the import alike: in strict mode one
    rejected row (a move not confirmed is one) means nothing is written."""
    return mode == Mode.STRICT and rejected + unconfirmed_moves > 0


@dataclass
class RowProblem:
    row: int
    column: str
    message: str


@dataclass
class MovePlan:
    row: int
    name: str
    member_id: int
    from_org: str
    to_org: str


@dataclass
class PersonPlan:
    """Who a row adds or updates: the row and the name only (never the ID number), so the
    secretary sees who, not just how many (issue 18)."""

    row: int
    name: str
    kind: str  # "create" or "update"


@dataclass
class ImportReport:
    filename: str
    sheet: str = ""
    sheets: list[str] = field(default_factory=list)
    header_row: int = 0
    unknown_columns: list[str] = field(default_factory=list)
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    moved: int = 0
    rejected: int = 0
    moves: list[MovePlan] = field(default_factory=list)
    people: list[PersonPlan] = field(default_factory=list)
    errors: list[RowProblem] = field(default_factory=list)
    warnings: list[RowProblem] = field(default_factory=list)
    written: bool = False
    mode: str = Mode.STRICT

    @property
    def rejected_rows(self) -> set[int]:
        return {e.row for e in self.errors}

    def as_json(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "moved": self.moved,
            "rejected": self.rejected,
            "rows": self.rows,
            "written": self.written,
            "mode": self.mode,
            "sheet": self.sheet,
            "sheets": self.sheets,
            "header_row": self.header_row,
            "unknown_columns": self.unknown_columns,
            "errors": [asdict(e) for e in self.errors[:MAX_REPORTED_ERRORS]],
            "warnings": [asdict(w) for w in self.warnings[:MAX_REPORTED_ERRORS]],
            "moves": [asdict(m) for m in self.moves[:MAX_REPORTED_ERRORS]],
            "people": [asdict(p) for p in self.people[:MAX_REPORTED_ERRORS]],
        }
