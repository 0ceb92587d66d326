"""Unpaid streaks for many members at once (the tick job and the findings column): a fixed
number of queries whatever the number of members."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from dangjian.dues.models import Assessment, Payment
from dangjian.dues.queries import dues_start
from dangjian.members.models import Member
from dangjian.regulations.dates import add_months
from dangjian.regulations.dues import month_start, trailing_unpaid

# Streaks longer than this are reported as this (the lapse is at six months).
HORIZON_MONTHS = 13


def streaks(members: Iterable[Member], today: dt.date) -> dict[int, int]:
    """Member id → consecutive unpaid months before the current month (members not yet
    assessed owe nothing the platform knows of and are left out)."""
    by_id = {m.pk: m for m in members}
    if not by_id:
        return {}
    first_assessed: dict[int, dt.date] = {}
    for member_id, since in (
        Assessment.objects.filter(member_id__in=by_id)
        .order_by("member_id", "effective_from")
        .values_list("member_id", "effective_from")
    ):
        first_assessed.setdefault(member_id, since)
    horizon = add_months(month_start(today), -HORIZON_MONTHS)
    paid: dict[int, list[dt.date]] = {}
    for member_id, month in Payment.objects.filter(
        member_id__in=list(first_assessed), month__gte=horizon
    ).values_list("member_id", "month"):
        paid.setdefault(member_id, []).append(month)
    current = month_start(today)
    out: dict[int, int] = {}
    for member_id, assessed_from in first_assessed.items():
        start = max(dues_start(by_id[member_id]), assessed_from, horizon)
        due, month = [], start
        while month < current:
            due.append(month)
            month = add_months(month, 1)
        out[member_id] = trailing_unpaid(due, paid.get(member_id, []), today)
    return out
