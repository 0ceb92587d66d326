"""Assessment sources from organizational life: the share of required meetings held (the
compliance report's frequency findings for the year)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from os.path import commonprefix

from django.urls import reverse

from dangjian.core.indicators import MAX_INPUTS, Explained, Source, TargetIndex, capped, register
from dangjian.core.indicators import share as pct
from dangjian.meetings.findings.evaluation import compute
from dangjian.meetings.findings.report import OK, VIOLATED
from dangjian.orgs.models import Organization


def _root(targets: Sequence[Organization]) -> Organization:
    """The nearest organization whose subtree holds every target (one query)."""
    steplen = Organization.steplen
    common = commonprefix([t.path for t in targets])
    common = common[: len(common) - len(common) % steplen] or targets[0].path[:steplen]
    return Organization.objects.get(path=common)


def meetings_held(
    targets: Sequence[Organization], year: int, as_of: dt.date
) -> dict[int, Explained]:
    out: dict[int, Explained] = {}
    if not targets:
        return out
    report = compute(_root(targets), year, today=as_of)
    frequency_ids = {r.id for r in report.rules.rules}
    index = TargetIndex(targets)
    tallies: dict[int, list[int]] = {t.pk: [0, 0] for t in targets}
    inputs: dict[int, list[dict]] = {t.pk: [] for t in targets}
    for info in report.orgs:
        target = index.target_of(info.path)
        if target is None:
            continue
        link = reverse("compliance:org", args=[info.id]) + f"?year={year}"
        for finding in report.findings_for(info.id):
            if finding.rule_id not in frequency_ids or finding.status not in (OK, VIOLATED):
                continue
            tallies[target][1] += 1
            held = finding.status == OK
            tallies[target][0] += held
            if len(inputs[target]) < MAX_INPUTS:
                inputs[target].append(
                    {
                        "label": f"{info.name} {finding.period_label}："
                        f"{finding.message}（{finding.citation}）",
                        "link": link,
                        "ok": held,
                    }
                )
    for pk, (held, due) in tallies.items():
        out[pk] = Explained(
            value=pct(held, due),
            method=f"应召开的会议期次{due}个，按期召开{held}个",
            inputs=capped(inputs[pk], due),
        )
    return out


register(
    Source(
        "meetings_held",
        "应召开会议按期召开率",
        "按《中国共产党支部工作条例（试行）》等规定的频次，统计本年已到期的各期会议中按期召开的比例"
        "（取自“三会一课”合规检查，含下属党小组）",
        meetings_held,
        order=10,
    )
)
