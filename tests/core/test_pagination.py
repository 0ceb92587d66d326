"""`page_of`: the count and items of every page, and the first page's count without a query
when the page is not full."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.core.pagination import page_of
from dangjian.members.models import Member


def _page(qs, page: int, size: int):
    with CaptureQueriesContext(connection) as queries:
        result = page_of(qs, page, size)
    return result, len(queries)


def test_every_page_has_the_lists_count_and_its_slice(demo):
    qs = Member.objects.order_by("pk")
    ids = list(qs.values_list("pk", flat=True))
    total = len(ids)
    assert total > 7
    for size in (5, 7, total, total + 1, total + 50):
        pages = -(-total // size)
        for page in range(0, pages + 3):
            result, _ = _page(qs, page, size)
            first = max(page, 1)
            assert result["count"] == total
            assert (result["page"], result["page_size"]) == (first, size)
            assert [m.pk for m in result["items"]] == ids[(first - 1) * size : first * size]


def test_a_first_page_that_is_not_full_is_counted_without_a_second_query(demo):
    qs = Member.objects.order_by("pk")
    total = qs.count()

    result, queries = _page(qs, 1, total + 1)
    assert (result["count"], len(result["items"]), queries) == (total, total, 1)

    result, queries = _page(qs, 1, total)  # full: the count is asked
    assert (result["count"], len(result["items"]), queries) == (total, total, 2)

    result, queries = _page(qs.none(), 1, 10)
    assert (result["count"], result["items"]) == (0, [])


def test_a_page_far_past_the_last_asks_no_offset(demo):
    result, queries = _page(Member.objects.order_by("pk"), 200000000000000000, 50)
    assert (result["items"], queries) == ([], 1)
