"""Assessment source from party dues: months paid on time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db.models import Count
from django.urls import reverse

from dangjian.core.indicators import Explained, Source, TargetIndex, register
from dangjian.core.indicators import share as pct
from dangjian.dues.models import Payment
from dangjian.orgs.models import Organization
from dangjian.regulations.dates import add_months


def dues_on_time(
    targets: Sequence[Organization], year: int, as_of: dt.date
) -> dict[int, Explained]:
    """Payments recorded for the months of the year in the target's branches: the share paid
    within their month (one query, grouped by branch and month; no member named)."""
    index = TargetIndex(targets)
    where = index.where("organization__")
    # Grouped by payment day too: a branch records a month on one or a few days.
    rows = (
        Payment.objects.filter(where, month__year=year, month__lte=as_of)
        .values("organization_id", "organization__path", "organization__name", "month", "paid_on")
        .annotate(n=Count("pk"))
        .order_by("organization__path", "month")
        .values_list(
            "organization_id", "organization__path", "organization__name", "month", "paid_on", "n"
        )
    )
    months: dict[tuple[int, dt.date], list] = {}
    # The first day after each month, worked out once per month (a province's year is
    # hundreds of thousands of rows, a dozen months).
    month_after: dict[dt.date, dt.date] = {}
    for org_id, path, name, month, paid_on, n in rows:
        key = (org_id, month)
        entry = months.get(key)
        if entry is None:
            entry = months[key] = [path, name, 0, 0]
        entry[2] += n
        after = month_after.get(month)
        if after is None:
            after = month_after[month] = add_months(month, 1)
        if paid_on < after:
            entry[3] += n
    tallies = {t.pk: [0, 0] for t in targets}
    inputs: dict[int, list[dict]] = {t.pk: [] for t in targets}
    link = reverse("dues:totals", args=[999999999]).replace("999999999", "{}")
    for (org_id, month), (path, name, n, in_month) in months.items():
        target = index.target_of(path)
        if target is None:
            continue
        tallies[target][1] += n
        tallies[target][0] += in_month
        inputs[target].append(
            {
                "label": f"{name} {month.year}年{month.month}月：登记{n}笔，当月交纳{in_month}笔",
                "link": link.format(org_id) + f"?month={month:%Y-%m}",
                "ok": in_month == n,
            }
        )
    return {
        pk: Explained(
            value=pct(on_time, total),
            method=f"本年各月登记的党费{total}笔，在所属月份内交纳{on_time}笔",
            inputs=inputs[pk],
        )
        for pk, (on_time, total) in tallies.items()
    }


register(
    Source(
        "dues_on_time",
        "党费按月交纳率",
        "本年各月登记的党费中，在所属月份内交纳的比例（《关于中国共产党党费收缴、使用和管理的规定》"
        "第十二条：按月交纳）",
        dues_on_time,
        order=40,
    )
)
