"""The dues column of the compliance report (`meetings.findings.contributors`): per branch, how
many members are in the early-warning window or past the 党章第九条 six months. Counts only: the
names go to the branch's secretary and committee through the tick job's notices."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from dangjian.dues.arrears import streaks
from dangjian.dues.models import Assessment, Payment, Relief
from dangjian.meetings.findings.contributors import Column, Contributor, Result, Scope, register
from dangjian.members.models import Member
from dangjian.orgs.models import OrgKind
from dangjian.regulations.base import Severity
from dangjian.regulations.dues import LAPSE_RULE, LapseState, lapse_state
from dangjian.regulations.meetings import FindingStatus

COLUMN = "dues_arrears"


class _Row(NamedTuple):
    pk: int
    admitted_on: dt.date
    org_since: dt.date
    organization_id: int


def _columns(rules) -> list[Column]:
    return [Column(COLUMN, "党费收缴", (LAPSE_RULE.id,), LAPSE_RULE.citation)]


def _evaluate(scope: Scope) -> dict[int, list[Result]]:
    branches = {o.id for o in scope.orgs if o.kind == OrgKind.BRANCH}
    if not branches:
        return {}
    # By the ids the report already read: no join on organizations (the report's cache re-reads
    # only the organizations a write touched, and counts those reads).
    chosen = Member.objects.current().filter(organization_id__in=sorted(branches))
    # Plain rows, not model instances: a whole tree is 60,000 members.
    members = [
        _Row(*values)
        for values in chosen.filter(pk__in=Assessment.objects.values("member_id")).values_list(
            "pk", "admitted_on", "org_since", "organization_id"
        )
    ]
    unpaid = streaks(members, scope.as_of, among=chosen)
    params = scope.rules.dues
    tally: dict[int, list[int]] = {}
    for member in members:
        state = lapse_state(unpaid.get(member.pk, 0), params)
        counts = tally.setdefault(member.organization_id, [0, 0])
        if state is LapseState.LAPSED:
            counts[1] += 1
        elif state is LapseState.WARNING:
            counts[0] += 1
    out: dict[int, list[Result]] = {}
    for org_id, (warned, lapsed) in tally.items():
        if lapsed:
            result = Result(
                LAPSE_RULE.id,
                COLUMN,
                FindingStatus.VIOLATED,
                Severity.ERROR,
                f"{lapsed}名党员连续{params.lapse_months}个月未交纳党费，支部应核实并依党章第九条处理",
                LAPSE_RULE.citation,
                {"lapsed": lapsed, "warned": warned},
            )
        elif warned:
            result = Result(
                LAPSE_RULE.id,
                COLUMN,
                FindingStatus.AT_RISK,
                Severity.WARNING,
                f"{warned}名党员连续{params.warn_after_months}个月以上未交纳党费",
                LAPSE_RULE.citation,
                {"lapsed": 0, "warned": warned},
            )
        else:
            result = Result(
                LAPSE_RULE.id, COLUMN, FindingStatus.OK, None, "按月交纳", LAPSE_RULE.citation, {}
            )
        out[org_id] = [result]
    return out


register(
    Contributor(
        key="dues",
        columns=_columns,
        evaluate=_evaluate,
        # An approved exemption changes who is in arrears: its branch is re-read too.
        owners={
            "dues.payment": (Payment, "organization_id"),
            "dues.relief": (Relief, "organization_id"),
        },
    )
)
