"""Assessment source from study hours: the share of members who met the year's hours."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db.models import Q
from django.urls import reverse

from dangjian.core.indicators import Explained, Source, TargetIndex, register
from dangjian.core.indicators import share as pct
from dangjian.members.models import MembershipSpell
from dangjian.orgs.models import Organization
from dangjian.study.hours import BULK_MEMBERS, Judge, cadre_months, totals


def study_coverage(
    targets: Sequence[Organization], year: int, as_of: dt.date
) -> dict[int, Explained]:
    """Members of the target's subtree on `as_of` (the membership history: a past year's
    last day, or today) who met their hours for the year, by the same rules as the study pages
    (regulations/study.py), each counted in the branch that held them that day, as the
    findings' study-hours column counts them; counts per branch, no names (the levels above
    see counts only). A fixed number of queries."""
    index = TargetIndex(targets)
    where = index.where("organization__")
    spells = MembershipSpell.objects.filter(
        Q(ended_on__isnull=True) | Q(ended_on__gte=as_of), where, started_on__lte=as_of
    )
    people = list(
        spells.values_list(
            "member_id", "member__admitted_on", "organization_id", "organization__path"
        )
    )
    ids = spells.order_by().values("member_id")
    sums = totals(ids, year, only={p[0] for p in people} if len(people) > BULK_MEMBERS else None)
    months = cadre_months(ids, year)
    names = dict(
        Organization.objects.filter(pk__in={p[2] for p in people}).values_list("pk", "name")
    )
    per_org: dict[int, list] = {}
    # Each distinct input judged once, as the study pages do (the requirement depends on the
    # admission's month within the year only).
    judge = Judge(year)
    for pk, admitted_on, org_id, path in people:
        target = index.target_of(path)
        if target is None:
            continue
        met = judge(admitted_on, months.get(pk, 0), sums.get(pk))[1].met
        entry = per_org.setdefault(org_id, [target, 0, 0])
        entry[1] += 1
        entry[2] += met
    tallies = {t.pk: [0, 0] for t in targets}
    inputs: dict[int, list[dict]] = {t.pk: [] for t in targets}
    link = reverse("study_hours:org_hours", args=[999999999]).replace("999999999", "{}")
    for org_id, (target, count, met) in sorted(per_org.items(), key=lambda kv: names[kv[0]]):
        tallies[target][0] += met
        tallies[target][1] += count
        inputs[target].append(
            {
                "label": f"{names[org_id]}：党员{count}人，学时达标{met}人",
                "link": link.format(org_id) + f"?year={year}",
                "ok": met == count,
            }
        )
    return {
        pk: Explained(
            value=pct(met, count),
            method=f"党员{count}人，本年学时达标{met}人（学时来自会议出勤和培训记录）",
            inputs=inputs[pk],
        )
        for pk, (met, count) in tallies.items()
    }


register(
    Source(
        "study_coverage",
        "党员学时达标率",
        "本年学时达到要求的党员占党员总数的比例；学时只来自会议出勤和培训记录，从不计算阅读或在线时间",
        study_coverage,
        order=30,
    )
)
