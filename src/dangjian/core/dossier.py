"""The inspection dossier's (台账) registry: each app contributes its sections.

An app declares, in its own `dossier.py` (found by `import_app_modules`, like `jobs.py`):

    register(Section("meetings", "组织生活", order=30, build=meeting_tables))

`build(org, start, end)` reads the app's records of the subtree of `org` in the period (a fixed
number of queries) and returns `Table`s: plain rows of text and numbers, no personal data beyond
what the section needs (names of people only where the record is about them acting, never ID
numbers or phones). The dossier job writes each section as .docx and .xlsx, hashes what it wrote
and the rows it was written from, and the verification page rebuilds the rows to compare.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from dangjian.core.plugins import import_app_modules


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    note: str = ""


@dataclass(frozen=True)
class Section:
    key: str  # file names and the manifest: orgs, members, meetings
    title: str  # 组织生活
    build: Callable[[Any, dt.date, dt.date], list[Table]]
    order: int = 100
    # Files to put in the .zip beside the tables: (name inside the zip, an open()-able file field)
    attachments: Callable[[Any, dt.date, dt.date], list[tuple[str, Any]]] | None = None


_sections: dict[str, Section] = {}
_discovered = False


def register(section: Section) -> None:
    known = _sections.get(section.key)
    if known is not None and known.build.__module__ != section.build.__module__:
        raise ImproperlyConfigured(f"dossier section {section.key!r} registered by two apps")
    _sections[section.key] = section


def sections() -> list[Section]:
    global _discovered
    if not _discovered:
        import_app_modules("dossier")
        _discovered = True
    return sorted(_sections.values(), key=lambda s: (s.order, s.key))


def _plain(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if value is None or isinstance(value, (int, str, float)):
        return value
    return str(value)


def plain_rows(tables: list[Table]) -> list[dict[str, Any]]:
    """The tables as JSON-ready data (dates as ISO text): what is hashed and compared."""
    return [
        {
            "title": t.title,
            "columns": t.columns,
            "rows": [[_plain(v) for v in row] for row in t.rows],
            "note": t.note,
        }
        for t in tables
    ]


def records_hash(tables: list[Table]) -> str:
    """SHA-256 of the section's rows: equal exactly when the records read are unchanged."""
    text = json.dumps(plain_rows(tables), ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()
