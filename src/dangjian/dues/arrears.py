"""Unpaid streaks for many members at once (the tick job and the findings column): two queries
whatever the number of members.

A member's due months run without a gap from the first month owed (`dues_start`, and no earlier
than the first assessment) to last month, so the trailing unpaid run is the months after the
last month paid, less the months an approved exemption covers (they are not due): the same count as `regulations.dues.trailing_unpaid` gives for that list
(tests/dues/test_tick.py and test_findings.py check both paths agree with the account page).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import OuterRef, Subquery

from dangjian.dues.models import Assessment, Payment, Relief, ReliefKind, ReliefStatus
from dangjian.dues.queries import dues_start
from dangjian.members.models import Member
from dangjian.regulations.dates import add_months
from dangjian.regulations.dues import month_start, months_between


def streaks(members: Iterable[Member], today: dt.date, *, among=None) -> dict[int, int]:
    """Member id → consecutive unpaid months before the current month (members not yet
    assessed owe nothing the platform knows of and are left out).

    `among`, a queryset of the same members, filters the grouped queries as a subquery (a whole
    tree's 60,000 ids as parameters cost more than the grouping itself).
    """
    by_id = {m.pk: m for m in members}
    if not by_id:
        return {}
    current = month_start(today)
    chosen = among if among is not None else Member.objects.filter(pk__in=list(by_id))
    # Each member's first assessment and last month paid as the first row of an index
    # ((member, effective_from) and (member, month), both unique): one seek per member, where
    # grouping read every payment of every member (a province's three years are 2 million).
    first = Assessment.objects.filter(member=OuterRef("pk")).order_by("effective_from")
    last = Payment.objects.filter(member=OuterRef("pk"), month__lt=current).order_by("-month")
    first_assessed: dict[int, dt.date] = {}
    last_paid: dict[int, dt.date] = {}
    for member_id, assessed_from, paid in (
        chosen.order_by()
        .annotate(
            first=Subquery(first.values("effective_from")[:1]),
            last=Subquery(last.values("month")[:1]),
        )
        .values_list("pk", "first", "last")
    ):
        if assessed_from is not None:
            first_assessed[member_id] = assessed_from
        if paid is not None:
            last_paid[member_id] = paid
    # Approved exemptions are few: read them all (no subquery over the members) and keep those
    # of these members decided by the branch that holds them now.
    exempt: dict[int, list[Relief]] = {}
    for relief in Relief.objects.filter(
        status=ReliefStatus.APPROVED,
        kind=ReliefKind.EXEMPT,
        last_month__gte=min(first_assessed.values(), default=current),
    ):
        member = by_id.get(relief.member_id)
        if member is not None and relief.organization_id == member.organization_id:
            exempt.setdefault(relief.member_id, []).append(relief)
    out: dict[int, int] = {}
    now = current.year * 12 + current.month
    for member_id, assessed_from in first_assessed.items():
        if member_id not in exempt:
            # The common case in whole months as integers (year * 12 + month): the same
            # arithmetic as below without a date per step (60,000 members in a whole tree).
            member = by_id[member_id]
            begun = max(member.admitted_on, member.org_since)
            first_month = max(
                begun.year * 12 + begun.month, assessed_from.year * 12 + assessed_from.month
            )
            paid = last_paid.get(member_id)
            if paid is not None and paid.year * 12 + paid.month >= first_month:
                first_month = paid.year * 12 + paid.month + 1
            out[member_id] = max(0, now - first_month)
            continue
        start = max(dues_start(by_id[member_id]), month_start(assessed_from))
        paid = last_paid.get(member_id)
        if paid is not None and paid >= start:
            start = add_months(paid, 1)
        count = max(0, months_between(start, current))
        for relief in exempt.get(member_id, []):
            first = max(start, relief.effective_from or current)
            last = min(relief.last_month, add_months(current, -1))
            count -= max(0, months_between(first, last) + 1)
        out[member_id] = max(0, count)
    return out
