"""The organizations as they were in a year (issue 12, docs/organization-history.md): each
organization's kind on every month's reading day, or None on a day it did not exist, and the
rules judged with them.

The rule (docs/fidelity.md, "Organizations as they were"): every period of a rule is judged
with the organization as it was on the period's reading day — the last day of its last month,
or `as_of` when that is earlier (`reading.month_ends`), the day the members and posts are read
on. A period binds an organization only if it existed that day with a kind the rule binds:

- a month, with the kind on the month's last day (so a change of kind on 1 July judges June by
  the old kind and July by the new one; dissolved on 1 May, April is the last month judged;
  founded on 1 September, September is the first);
- a quarter or the year, with the kind on its last day: the organization that exists at the
  end of a period answers for it; one dissolved during it does not.

The minimums are never pro-rated: every frequency rule asks for at least one meeting per
period, and a partial period either binds or not.

Most organizations never changed in the year: their kind on every reading day is today's
(`Organization.kind`), `OrgInfo.kinds_by_month` stays None and nothing below runs for them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.db.models import Q

from dangjian.meetings.findings.applicability import plan_for
from dangjian.meetings.findings.committee_rules import (
    MonthsMemo,
    committee_results,
    month_results,
    note_broken,
    with_months,
)
from dangjian.meetings.findings.report import OrgInfo, Result
from dangjian.orgs.models import OrganizationSpell
from dangjian.regulations.engine import RuleSet

__all__ = ["committee_as_was", "plan_as_was", "read_kinds", "year_kind"]

# The month (0-based) whose reading day is a period's, per period kind: its last month.
_PERIOD_MONTHS = {
    "month": tuple(range(12)),
    "quarter": (2, 5, 8, 11),
    "year": (11,),
}


def read_kinds(
    where: Callable[[str], Q], ends: list[dt.date], orgs: list[OrgInfo]
) -> dict[int, OrgInfo]:
    """Each organization's kind on every reading day of `ends` (`OrgInfo.kinds_by_month`, None
    on a day it did not exist) for those whose kind or existence changed in the year; their
    `kind` becomes the kind on the last reading day (or, dissolved by then, the last one they
    had in the year). An organization that existed on none of them is dropped from `orgs`,
    except the first (the root of a subtree read): the year's report does not list it. One
    query: the spells of the organizations with a spell that ended or
    began after the first reading day (a founding, a change of kind or a dissolution), read by
    the same path prefix as the rest. An organization with no spell at all (a record made
    without the service) has no history to read and keeps today's kind. Returns every
    organization read by id, those dropped included (their records may still be read)."""
    by_id = {o.id: o for o in orgs}
    spells = OrganizationSpell.objects.filter(where("organization__"))
    moved = spells.filter(Q(ended_on__isnull=False) | Q(started_on__gt=ends[0])).values(
        "organization_id"
    )
    held: dict[int, list[tuple[str, dt.date, dt.date | None]]] = {}
    for org_id, kind, started, ended in spells.filter(organization_id__in=moved).values_list(
        "organization_id", "kind", "started_on", "ended_on"
    ):
        held.setdefault(org_id, []).append((kind, started, ended))
    if not held:
        return by_id
    absent = set()
    for org in orgs:
        own = held.get(org.id)
        if own is None:
            continue
        kinds = tuple(
            next((k for k, s, e in own if s <= day and (e is None or e >= day)), None)
            for day in ends
        )
        if all(k == org.kind for k in kinds):
            continue
        org.kinds_by_month = kinds
        existing = [k for k in kinds if k is not None]
        if existing:
            org.kind = existing[-1]
        elif org is not orgs[0]:
            absent.add(org.id)
    if absent:
        orgs[:] = [o for o in orgs if o.id not in absent]
    return by_id


def year_kind(org: OrgInfo) -> str | None:
    """The organization's kind on the year's reading day (the year period's, as `plan_as_was`
    reads it), or None when it did not exist that day: what a finding of the whole year — the
    other apps' columns (`contributors`) — judges it as, and whether it judges it at all. So an
    organization dissolved during the year, or one a page shows for a year before its founding
    or after its dissolution (the report's root, kept though it existed on no reading day), has
    no study-hours, dues or other year-end column, as it has no yearly meetings' finding."""
    kinds = org.kinds_by_month
    return org.kind if kinds is None else kinds[_PERIOD_MONTHS["year"][-1]]


def plan_as_was(
    rules: RuleSet,
    kinds: tuple[str | None, ...],
    has_committee: bool,
    months: tuple[bool, ...] | None,
) -> list[tuple]:
    """`applicability.plan_for` for an organization whose kind or existence changed in the
    year: each rule bound in the periods whose reading day found the organization with a kind
    the rule binds (and, for a committee's monthly rule, in the months `months` flags). The
    last item of each entry flags the periods bound, or is None for every period."""
    by_kind = {
        kind: {entry[0].id: entry for entry in plan_for(rules, kind, has_committee, months)}
        for kind in set(kinds) - {None}
    }
    plan = []
    for freq in rules.rules:
        template = next((p[freq.id] for p in by_kind.values() if freq.id in p), None)
        if template is None:
            continue
        flags = []
        for index, month in enumerate(_PERIOD_MONTHS[freq.period]):
            kind = kinds[month]
            entry = by_kind[kind].get(freq.id) if kind is not None else None
            bound = entry is not None and (entry[4] is None or entry[4][index])
            flags.append(bound)
        if any(flags):
            plan.append((*template[:4], None if all(flags) else tuple(flags)))
    return plan


def committee_as_was(
    memo: MonthsMemo,
    kinds: tuple[str | None, ...],
    monthly: tuple[tuple, ...] | None,
    full_members: int,
    members: int,
    committee_size: int,
    term_ends_on: dt.date | None,
    term_started_on: dt.date | None,
    deputies: int,
    officers: int,
    subtree_members: int | None,
) -> tuple[Result, ...]:
    """`committee_rules.committee_year` for an organization whose kind or existence changed in
    the year: each month it existed judged with its kind and figures on the month's last day
    (the months it did not exist are not judged), a rule broken in some months one finding
    naming them; the term judged on the period's last day if it existed then."""
    judged = memo.months
    figures = (full_members, members, committee_size, deputies, officers, subtree_members)
    by_month = monthly or (figures,) * judged
    final_kind = kinds[11]
    broken: dict[str, list[tuple[int, Result]]] = {}
    last: tuple[Result, ...] = ()
    existed = 0
    for month, month_figures in enumerate(by_month, start=1):
        kind = kinds[month - 1]
        if kind is None:
            continue
        existed += 1
        last = month_results(memo, kind, month_figures, month)
        note_broken(broken, month, last)
    if final_kind is not None:
        final = committee_results(
            final_kind,
            full_members,
            members,
            committee_size,
            term_ends_on,
            term_started_on,
            deputies,
            officers,
            subtree_members,
            memo.as_of,
        )
    else:
        # Dissolved before the period's last day: its last month's committee findings, no term.
        final = tuple(r for r in last if r.column == "committee")
    return with_months(memo, broken, existed, final)
