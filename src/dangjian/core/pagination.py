"""The page shape every list endpoint answers with: count, page, page_size, items."""

from __future__ import annotations


def page_of(qs, page: int, size: int) -> dict:
    """One page of `qs`. A page before the first is the first; a page past the last is empty (the
    database is never asked for an offset it cannot represent, such as page 200000000000000000).

    The first page is read first: when it is not full it is the whole list, and its length is
    the count without a second query (a member's meetings, a small branch's members)."""
    page = max(page, 1)
    if page == 1:
        items = list(qs[:size])
        count = len(items) if len(items) < size else qs.count()
        return {"count": count, "page": page, "page_size": size, "items": items}
    count = qs.count()
    start = (page - 1) * size
    items = list(qs[start : start + size]) if start < count else []
    return {"count": count, "page": page, "page_size": size, "items": items}
