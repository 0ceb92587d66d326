"""Reads on dues: the branch ledger for a month, a member's own account, branch totals.

Callers have already checked access (views through `accounts.access`, services themselves);
these functions only read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, Sum

from dangjian.dues.models import Assessment, Payment, Relief, ReliefKind, ReliefStatus
from dangjian.members.models import Member
from dangjian.orgs.models import Organization
from dangjian.regulations.dues import FEN, month_start, trailing_unpaid


@dataclass
class LedgerRow:
    member: Member
    assessment: Assessment | None
    payment: Payment | None
    relief: Relief | None = None  # an approved reduction or exemption covering the month

    @property
    def expected(self) -> Decimal | None:
        """What is owed for the month: the assessed amount, or less under an approved relief
        (0.00 when exempted); None when not assessed."""
        if self.assessment is None:
            return None
        if self.relief is not None:
            return self.relief.owed(self.assessment.amount)
        return self.assessment.amount


def dues_start(member: Member) -> dt.date:
    """The first month owed here: the month of the branch meeting that admitted the member
    (预备党员 pay from that day), or the month the branch's record of the member begins."""
    return month_start(max(member.admitted_on, member.org_since))


def _in_force(assessments: list[Assessment], month: dt.date) -> Assessment | None:
    found = None
    for row in assessments:  # ordered by effective_from
        if row.effective_from <= month:
            found = row
    return found


def approved_reliefs(
    member_ids, first: dt.date, last: dt.date, branch: Organization
) -> dict[int, list[Relief]]:
    """Member id → approved reliefs decided by `branch` that may cover a month between `first`
    and `last`. A relief belongs to the branch that decided it: after a transfer the new branch
    decides (and the upper 党委 approves) again."""
    out: dict[int, list[Relief]] = {}
    rows = Relief.objects.filter(
        member_id__in=member_ids,
        organization=branch,
        status=ReliefStatus.APPROVED,
        first_month__lte=last,
        last_month__gte=first,
    )
    for row in rows:
        out.setdefault(row.member_id, []).append(row)
    return out


def relief_for(reliefs: list[Relief], month: dt.date) -> Relief | None:
    return next((r for r in reliefs if r.covers(month)), None)


def ledger(branch: Organization, month: dt.date) -> list[LedgerRow]:
    """Every current member of the branch owing for `month`, with the amount and the payment.
    Four queries whatever the branch's size."""
    month = month_start(month)
    members = [
        m
        for m in Member.objects.current().filter(organization=branch).order_by("name_pinyin", "pk")
        if dues_start(m) <= month
    ]
    ids = [m.pk for m in members]
    by_member: dict[int, list[Assessment]] = {}
    for row in Assessment.objects.filter(member_id__in=ids, effective_from__lte=month):
        by_member.setdefault(row.member_id, []).append(row)
    payments = {p.member_id: p for p in Payment.objects.filter(member_id__in=ids, month=month)}
    reliefs = approved_reliefs(ids, month, month, branch)
    return [
        LedgerRow(
            m,
            _in_force(by_member.get(m.pk, []), month),
            payments.get(m.pk),
            relief_for(reliefs.get(m.pk, []), month),
        )
        for m in members
    ]


def _months(first: dt.date, last: dt.date) -> list[dt.date]:
    out, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        out.append(dt.date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


@dataclass
class Account:
    """A member's own view: amount in force and how it was set, paid months, what is owed."""

    assessment: Assessment | None
    payments: list[Payment]
    owed: list[tuple[dt.date, Decimal]]
    unpaid_streak: int
    reliefs: list[Relief]  # every relief asked for, approved or not, newest first
    relief: Relief | None  # the approved one covering the current month

    @property
    def expected(self) -> Decimal | None:
        """What the member owes for the current month."""
        if self.assessment is None:
            return None
        if self.relief is not None:
            return self.relief.owed(self.assessment.amount)
        return self.assessment.amount

    @property
    def owed_total(self) -> Decimal:
        return sum((amount for _, amount in self.owed), Decimal("0.00"))


def account(member: Member, today: dt.date) -> Account:
    assessments = list(Assessment.objects.filter(member=member).order_by("effective_from"))
    payments = list(Payment.objects.filter(member=member).order_by("-month"))
    reliefs = list(Relief.objects.filter(member=member).order_by("-first_month", "-pk"))
    approved = [
        r
        for r in reliefs
        if r.status == ReliefStatus.APPROVED and r.organization_id == member.organization_id
    ]
    paid = {p.month for p in payments}
    current = month_start(today)
    due: list[dt.date] = []
    owed: list[tuple[dt.date, Decimal]] = []
    for month in _months(dues_start(member), current):
        row = _in_force(assessments, month)
        if row is None:
            continue
        relief = relief_for(approved, month)
        amount = relief.owed(row.amount) if relief is not None else row.amount
        if amount == 0:
            continue  # exempted: not due, so it neither adds to nor ends an unpaid run
        due.append(month)
        if month not in paid and month < current:
            owed.append((month, amount))
    return Account(
        assessment=_in_force(assessments, current),
        payments=payments,
        owed=owed,
        unpaid_streak=trailing_unpaid(due, paid, today),
        reliefs=reliefs,
        relief=relief_for(approved, current),
    )


@dataclass(frozen=True)
class BranchTotal:
    branch: Organization
    payments: int
    amount: Decimal


def totals(orgs, month: dt.date) -> list[BranchTotal]:
    """Paid count and amount per branch for a month (no member named, no ranking)."""
    month = month_start(month)
    agg = (
        Payment.objects.filter(organization__in=orgs, month=month)
        .values("organization_id")
        .annotate(n=Count("pk"), total=Sum("amount", filter=Q()))
    )
    by_org = {row["organization_id"]: row for row in agg}
    # SQLite sums decimals as floating point and Django hands the result back with 15
    # significant digits (2816.76000000000 on the page); money is shown in fen.
    return [
        BranchTotal(
            org,
            by_org.get(org.pk, {}).get("n", 0),
            (by_org.get(org.pk, {}).get("total") or Decimal(0)).quantize(FEN),
        )
        for org in orgs
    ]


@dataclass
class PublicationRow:
    """One member's year in the branch's publication: the amount paid per month (None: not
    paid; 0.00 shown as 免交 when an approved exemption covers the month)."""

    member: Member
    months: list[Decimal | None]
    exempt: list[bool]

    @property
    def paid_months(self) -> int:
        return sum(1 for amount in self.months if amount is not None)

    @property
    def total(self) -> Decimal:
        return sum((a for a in self.months if a is not None), Decimal("0.00"))


def publication(branch: Organization, year: int) -> list[PublicationRow]:
    """Every member who paid to the branch in `year` or belongs to it now, with the months paid
    and the amounts (for the yearly publication; the caller masks the names)."""
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 1)
    paid: dict[int, dict[int, Decimal]] = {}
    for p in Payment.objects.filter(organization=branch, month__gte=first, month__lte=last):
        paid.setdefault(p.member_id, {})[p.month.month] = p.amount
    members = Member.objects.filter(
        Q(pk__in=list(paid)) | Q(pk__in=Member.objects.current().filter(organization=branch))
    ).order_by("name_pinyin", "pk")
    members = list(members)
    reliefs = approved_reliefs([m.pk for m in members], first, last, branch)
    out = []
    for m in members:
        by_month = paid.get(m.pk, {})
        exempt = [
            (r := relief_for(reliefs.get(m.pk, []), dt.date(year, n, 1))) is not None
            and r.kind == ReliefKind.EXEMPT
            for n in range(1, 13)
        ]
        out.append(PublicationRow(m, [by_month.get(n) for n in range(1, 13)], exempt))
    return out
