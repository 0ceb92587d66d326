"""Assessment source from the responsibility system: work items completed on time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.urls import reverse

from dangjian.core.indicators import MAX_INPUTS, Explained, Source, TargetIndex, capped, register
from dangjian.core.indicators import share as pct
from dangjian.duties.models import WorkItem, WorkStatus
from dangjian.orgs.models import Organization


def work_on_time(
    targets: Sequence[Organization], year: int, as_of: dt.date
) -> dict[int, Explained]:
    """Items addressed to the target's subtree due in the year (up to `as_of`), not withdrawn:
    accepted with a completion date on or before the deadline count as on time (one query)."""
    index = TargetIndex(targets)
    where = index.where("organization__")
    end = min(as_of, dt.date(year, 12, 31))
    rows = (
        WorkItem.objects.filter(where, deadline__gte=dt.date(year, 1, 1), deadline__lte=end)
        .exclude(status=WorkStatus.WITHDRAWN)
        .order_by("deadline", "pk")
        .values_list("pk", "title", "deadline", "status", "completed_on", "organization__path")
    )
    tallies = {t.pk: [0, 0] for t in targets}
    inputs: dict[int, list[dict]] = {t.pk: [] for t in targets}
    link = reverse("duties:detail", args=[999999999]).replace("999999999", "{}")
    for pk, title, deadline, status, completed_on, path in rows:
        target = index.target_of(path)
        if target is None:
            continue
        on_time = (
            status == WorkStatus.ACCEPTED
            and completed_on is not None
            and (completed_on <= deadline)
        )
        tallies[target][1] += 1
        tallies[target][0] += on_time
        if len(inputs[target]) < MAX_INPUTS:
            label = WorkStatus(status).label
            if completed_on is not None:
                label += f"，{completed_on:%Y-%m-%d}完成"
            inputs[target].append(
                {
                    "label": f"{title}（截止{deadline:%Y-%m-%d}，{label}）",
                    "link": link.format(pk),
                    "ok": on_time,
                }
            )
    return {
        pk: Explained(
            value=pct(done, due),
            method=f"本年到期的工作事项{due}项，按期完成并验收{done}项",
            inputs=capped(inputs[pk], due),
        )
        for pk, (done, due) in tallies.items()
    }


register(
    Source(
        "work_on_time",
        "工作事项按期完成率",
        "本年截止的上级交办工作事项中，在截止日期前完成并通过验收的比例（撤回的不计）",
        work_on_time,
        order=20,
    )
)
