"""Assessment sources from organizational life: the share of required meetings held (the
compliance report's frequency findings for the year)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from os.path import commonprefix

from django.urls import reverse

from dangjian.core.indicators import MAX_INPUTS, Explained, Source, TargetIndex, capped, register
from dangjian.core.indicators import share as pct
from dangjian.meetings.findings.evaluation import frequency_verdicts
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
    """Reads the compliance report's per-period frequency verdicts directly (no Finding
    objects: a province has 180,000 of them), judged as the report judges them but without its
    other columns; unmet periods are listed first among the inputs."""
    out: dict[int, Explained] = {}
    if not targets:
        return out
    orgs, frequency = frequency_verdicts(_root(targets), year, today=as_of)
    index = TargetIndex(targets)
    tallies: dict[int, list[int]] = {t.pk: [0, 0] for t in targets}
    # Unmet periods first, then met ones; at most MAX_INPUTS of each kept while reading.
    inputs: dict[int, tuple[list[dict], list[dict]]] = {t.pk: ([], []) for t in targets}
    # The verdicts of one rule are shared by every organization with the same counts: what
    # they say (met or not, the text after the organization's name, how many were met and
    # due) is worked out once per shared verdict list.
    said: dict[tuple[int, int], tuple[list[tuple[bool, str]], int, int]] = {}
    labels: dict[object, str] = {}  # a period's label, worked out once
    link = reverse("compliance:org", args=[999999999]).replace("999999999", "{}")
    for info in orgs:
        target = index.target_of(info.path)
        if target is None:
            continue
        judged_rules = frequency.get(info.id)
        if not judged_rules:
            continue
        tally = tallies[target]
        unmet, met = inputs[target]
        url = None
        for freq, judged, _rows, _extra in judged_rules:
            found = said.get((id(freq), id(judged)))
            if found is None:
                items = []
                for verdict in judged.findings:
                    if verdict.status not in (OK, VIOLATED):
                        continue
                    period = labels.get(verdict.period)
                    if period is None:
                        period = labels[verdict.period] = verdict.period.label
                    items.append(
                        (
                            verdict.status == OK,
                            f"{period}{freq.noun}：召开{verdict.held}次，应不少于{verdict.required}次",
                        )
                    )
                found = said[(id(freq), id(judged))] = (
                    items,
                    sum(ok for ok, _ in items),
                    len(items),
                )
            items, held_count, due_count = found
            tally[0] += held_count
            tally[1] += due_count
            if len(unmet) >= MAX_INPUTS and len(met) >= MAX_INPUTS:
                continue  # both lists full: nothing more is shown
            if url is None:
                url = link.format(info.id) + f"?year={year}"
            for held, text in items:
                kept = met if held else unmet
                if len(kept) < MAX_INPUTS:
                    kept.append({"label": f"{info.name} {text}", "link": url, "ok": held})
    for pk, (held, due) in tallies.items():
        unmet, met = inputs[pk]
        listed = (unmet + met)[:MAX_INPUTS]
        out[pk] = Explained(
            value=pct(held, due),
            method=f"应召开的会议期次{due}个，按期召开{held}个（频次依据见各组织的组织生活检查页）",
            inputs=capped(listed, due),
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
