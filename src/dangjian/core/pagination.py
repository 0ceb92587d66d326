"""The page shape every list endpoint answers with: count, page, page_size, items."""

from __future__ import annotations


def page_of(qs, page: int, size: int) -> dict:
    page = max(page, 1)
    return {
        "count": qs.count(),
        "page": page,
        "page_size": size,
        "items": list(qs[(page - 1) * size : page * size]),
    }
