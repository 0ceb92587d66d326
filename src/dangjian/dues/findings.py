"""The dues column of the compliance report (`meetings.findings.contributors`): per branch, how
many members are in the early-warning window or past the 党章第九条 six months, on the report's
day (`scope.as_of`: a past year's last day, with the members of that day). Counts only: the
names go to the branch's secretary and committee through the tick job's notices."""

from __future__ import annotations

from dangjian.dues.arrears import unpaid_months, unpaid_months_on
from dangjian.dues.models import Payment, Relief
from dangjian.meetings.findings.contributors import Column, Contributor, Result, Scope, register
from dangjian.members.models import Member
from dangjian.orgs.models import OrgKind
from dangjian.regulations.base import Severity
from dangjian.regulations.dues import LAPSE_RULE, LapseState, lapse_state
from dangjian.regulations.meetings import FindingStatus

COLUMN = "dues_arrears"


def _columns(rules) -> list[Column]:
    return [Column(COLUMN, "党费收缴", (LAPSE_RULE.id,), LAPSE_RULE.citation)]


def _evaluate(scope: Scope) -> dict[int, list[Result]]:
    branches = {o.id for o in scope.orgs if o.kind == OrgKind.BRANCH}
    if not branches:
        return {}
    # By the ids the report already read: no join on organizations (the report's cache re-reads
    # only the organizations a write touched, and counts those reads). The assessed members'
    # streaks in one row each, as plain integers: a whole tree is 60,000 members. A past year
    # reads the members each branch had on its last day (the membership history), as the
    # member counts do: who left or moved away since still counts there, who arrived since
    # does not. The current year reads today's roster (the same people: the spells covering
    # today are today's roster).
    if scope.as_of < scope.today:
        streaks = unpaid_months_on(branches, scope.as_of)
    else:
        chosen = Member.objects.current().filter(organization_id__in=sorted(branches))
        streaks = unpaid_months(chosen, scope.as_of)
    params = scope.rules.dues
    tally: dict[int, list[int]] = {}
    for org_id, unpaid in streaks.values():
        state = lapse_state(unpaid, params)
        counts = tally.setdefault(org_id, [0, 0])
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
