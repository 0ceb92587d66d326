"""The page shape every list endpoint answers with: count, page, page_size, items."""

from __future__ import annotations


def page_of(qs, page: int, size: int) -> dict:
    """One page of `qs`. A page before the first is the first; a page past the last is empty (the
    database is never asked for an offset it cannot represent, such as page 200000000000000000)."""
    page = max(page, 1)
    count = qs.count()
    start = (page - 1) * size
    items = list(qs[start : start + size]) if start < count else []
    return {"count": count, "page": page, "page_size": size, "items": items}
