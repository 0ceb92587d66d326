"""Unpaid streaks for many members at once (the tick job and the findings column): two queries
whatever the number of members.

A member's due months run without a gap from the first month owed (`queries.dues_start`, and
no earlier than the first assessment) to last month, so the trailing unpaid run is the months
after the last month paid, less the months an approved exemption covers (they are not due): the
same count as `regulations.dues.trailing_unpaid` gives for that list (tests/dues/test_tick.py,
test_findings.py and test_streaks_records.py check both paths agree with the account page).
Counted in whole months as integers (year * 12 + month), which the database reads off the
dates: a whole tree is 60,000 members, and a date per row and per step cost more than the
reading itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import connection
from django.db.models import (
    Case,
    CharField,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.expressions import CombinedExpression
from django.db.models.functions import Cast, Coalesce, Substr

from dangjian.dues.models import Assessment, Payment, Relief, ReliefKind, ReliefStatus
from dangjian.members.models import Member, MembershipSpell, SpellEvent
from dangjian.regulations.dues import month_start


def _month_number(field: str) -> CombinedExpression:
    """year * 12 + month of a date column, read by the database off its ISO text (CAST(date AS
    text) is YYYY-MM-DD on SQLite, PostgreSQL and MariaDB alike): no date per row in Python."""
    text = Cast(field, CharField(max_length=10))
    year = Cast(Substr(text, 1, 4), IntegerField())
    return year * Value(12) + Cast(Substr(text, 6, 2), IntegerField())


def _as_month(number: int) -> dt.date:
    """The first day of the month `_month_number` numbers."""
    year, month = divmod(number - 1, 12)
    return dt.date(year, month + 1, 1)


def unpaid_months(chosen: QuerySet[Member], today: dt.date) -> dict[int, tuple[int, int]]:
    """Member id → (organization id, consecutive unpaid months before the current month), for
    the members of `chosen` who are assessed, in the organization that holds them today: two
    queries whatever their number.

    One row per member read through a plain cursor, every month as a whole number (year * 12 +
    month): when dues begin (the later of admission and arrival in the organization), the
    first assessment and the last month paid before the current one, each of the last two
    the first row of an index ((member, effective_from) and (member, month), both unique): one
    seek per member, where grouping read every payment of every member (a province's three
    years are 2 million). Assessments and payments are months (their first days)."""
    current = month_start(today)
    first, last = _first_and_last(OuterRef("pk"), current)
    begun = Case(
        When(admitted_on__gt=F("org_since"), then=_month_number("admitted_on")),
        default=_month_number("org_since"),
    )
    rows = (
        chosen.order_by()
        .annotate(begun=begun, first=first, last=last)
        .values_list("pk", "organization_id", "begun", "first", "last")
    )
    return _count(_fetch(rows), current)


# What opens a stay in an organization (the other starts — a confirmation, an extension of
# probation, a corrected date — only cut the status within one stay).
ARRIVALS = (
    SpellEvent.ADMITTED,
    SpellEvent.MOVED,
    SpellEvent.TRANSFERRED_IN,
    SpellEvent.RESTORED,
)


def unpaid_months_on(organization_ids: Iterable[int], as_of: dt.date) -> dict[int, tuple[int, int]]:
    """`unpaid_months` of the members of these organizations on `as_of` (a day before today:
    a past year's last day), from the membership history: each member in the organization
    that held them that day (the spell covering it), with dues beginning at the later of
    admission and their arrival in it then (the start of that stay: the spell opened by
    admission, a move, a transfer in or a restoration), and the month of `as_of` as the
    current month. Members who left or moved away since count where they were; members who
    arrived since do not count. Two queries, as `unpaid_months`.

    A member whose stay goes on today begins at today's `org_since` (for most records the day
    the record entered the platform, where the history presumes a stay since admission): the
    same begin as the report computed on `as_of` itself, and as the current year's."""
    current = month_start(as_of)
    first, last = _first_and_last(OuterRef("member_id"), current)
    stay = (
        MembershipSpell.objects.filter(
            member=OuterRef("member_id"), started_on__lte=as_of, start_reason__in=ARRIVALS
        )
        .order_by("-started_on")
        .annotate(n=_month_number("started_on"))
    )
    # Where the member's stay goes on today (the same organization, `org_since` not after the
    # day: it has not moved since), today's `org_since` is the arrival then, as for the current
    # year: nearly every row, and no seek. Otherwise the stay's start from the history: the
    # spell itself when an arrival opened it, or the member's last arrival before the day (one
    # seek on (member, started_on); a confirmation or an extension only cut the status).
    arrived = Case(
        When(
            member__organization_id=F("organization_id"),
            member__org_since__lte=as_of,
            then=_month_number("member__org_since"),
        ),
        When(start_reason__in=ARRIVALS, then=_month_number("started_on")),
        default=Coalesce(Subquery(stay.values("n")[:1]), _month_number("started_on")),
    )
    rows = (
        MembershipSpell.objects.filter(
            Q(ended_on__isnull=True) | Q(ended_on__gte=as_of),
            organization_id__in=sorted(set(organization_ids)),
            started_on__lte=as_of,
        )
        .order_by()
        .annotate(
            admitted=_month_number("member__admitted_on"),
            arrived=arrived,
            first=first,
            last=last,
        )
        .values_list("member_id", "organization_id", "admitted", "arrived", "first", "last")
    )
    fetched = [
        (member_id, org_id, max(admitted, arrived), first_n, last_n)
        for member_id, org_id, admitted, arrived, first_n, last_n in _fetch(rows)
    ]
    return _count(fetched, current)


def _first_and_last(member: OuterRef, current: dt.date) -> tuple[Subquery, Subquery]:
    """The month of the member's first assessment and of the last payment before `current`,
    as whole numbers: each the first row of a unique index."""
    first = (
        Assessment.objects.filter(member=member)
        .order_by("effective_from")
        .annotate(n=_month_number("effective_from"))
    )
    last = (
        Payment.objects.filter(member=member, month__lt=current)
        .order_by("-month")
        .annotate(n=_month_number("month"))
    )
    return Subquery(first.values("n")[:1]), Subquery(last.values("n")[:1])


def _fetch(rows: QuerySet) -> list[tuple]:
    """The rows through a plain cursor, those of members not assessed left out (their first
    assessment, the second-last column, is null)."""
    sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row for row in cursor.fetchall() if row[-2] is not None]


def _count(fetched: list[tuple], current: dt.date) -> dict[int, tuple[int, int]]:
    """(member, organization, begun, first, last) rows → member id → (organization id, unpaid
    months before `current`)."""
    now = current.year * 12 + current.month
    # Approved exemptions are few: read them all (no subquery over the members) and keep those
    # of these members decided by the branch that holds them (in the rows).
    org_of = {row[0]: row[1] for row in fetched}
    exempt: dict[int, list[Relief]] = {}
    for relief in Relief.objects.filter(
        status=ReliefStatus.APPROVED,
        kind=ReliefKind.EXEMPT,
        last_month__gte=_as_month(min((row[3] for row in fetched), default=now)),
    ):
        if org_of.get(relief.member_id, -1) == relief.organization_id:
            exempt.setdefault(relief.member_id, []).append(relief)
    out: dict[int, tuple[int, int]] = {}
    for member_id, org_id, begun_n, first_n, last_n in fetched:
        # In whole months as integers: the months from when dues begin (no earlier than the
        # first assessment) after the last month paid, up to last month.
        start = max(begun_n, first_n)
        if last_n is not None and last_n >= start:
            start = last_n + 1
        count = max(0, now - start)
        for relief in exempt.get(member_id, ()):
            # The months an approved exemption covers are not due.
            covered_from = max(start, _number(relief.effective_from or current))
            covered_to = min(_number(relief.last_month), now - 1)
            count -= max(0, covered_to - covered_from + 1)
        out[member_id] = (org_id, max(0, count))
    return out


def _number(month: dt.date) -> int:
    return month.year * 12 + month.month


def streaks(members: Iterable[Member], today: dt.date, *, among=None) -> dict[int, int]:
    """Member id → consecutive unpaid months before the current month (members not yet
    assessed owe nothing the platform knows of and are left out).

    `among`, a queryset of the same members, filters the grouped queries as a subquery (a whole
    tree's 60,000 ids as parameters cost more than the grouping itself).
    """
    ids = {m.pk for m in members}
    if not ids:
        return {}
    chosen = among if among is not None else Member.objects.filter(pk__in=sorted(ids))
    return {
        member_id: unpaid
        for member_id, (_, unpaid) in unpaid_months(chosen, today).items()
        if member_id in ids
    }
