"""The demo's dues: synthetic bases for the demo organ's members (assessed each January and
re-based for a few in mid-year), payments month by month, and a few members in arrears so the
warning and the six-month finding show. Idempotent: nothing is added once any assessment exists.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.db import transaction

from dangjian.crypto import default_keyring
from dangjian.dues.models import Assessment, Payment, PayMethod
from dangjian.dues.queries import dues_start
from dangjian.meetings.packs import rules_in_force
from dangjian.members.models import Member, MemberCategory
from dangjian.regulations.dates import add_months
from dangjian.regulations.dues import DuesKind, assess, month_start

YEARS = 2  # this year and last


def _base(rng: random.Random, retired: bool) -> Decimal:
    low, high = (2500, 7000) if retired else (2800, 14000)
    return Decimal(rng.randrange(low * 100, high * 100)) / 100


@transaction.atomic
def ensure_dues(
    *, today: dt.date, seed: int = 20261125, members=None, years: int = YEARS, out=print
) -> int:
    """Assessments and payments for `members` (when None: the current members of the whole
    database who have no assessment yet, so a province generated after the demo organ gets its
    dues too); returns the payments created."""
    if members is None:
        members = Member.objects.current().exclude(pk__in=Assessment.objects.values("member_id"))
    rng = random.Random(seed)
    params = rules_in_force(sync=False).dues
    keyring = default_keyring()
    current = month_start(today)
    people = list(members if members is not None else Member.objects.current())
    assessments: list[Assessment] = []
    payments: list[Payment] = []
    for index, member in enumerate(people):
        retired = member.category == MemberCategory.RETIRED
        kind = DuesKind.RETIREE if retired else DuesKind.SALARIED
        first_due = dues_start(member)
        # Arrears for a few: every 37th member stops paying six months ago, every 41st four.
        stop = 7 if index % 37 == 5 else 5 if index % 41 == 7 else 1
        base = _base(rng, retired)
        for year in range(current.year - years + 1, current.year + 1):
            starts = [dt.date(year, 1, 1)]
            if index % 9 == 0:
                starts.append(dt.date(year, 7, 1))  # a raise in mid-year
            for start in starts:
                if start > current:
                    continue
                base = (base * Decimal("1.04")).quantize(Decimal("0.01"))
                result = assess(kind, base, params)
                assessments.append(
                    Assessment(
                        member=member,
                        effective_from=start,
                        kind=kind.value,
                        base_encrypted=keyring.encrypt(f"{base:f}"),
                        amount=result.amount,
                        rate=result.rate,
                        bracket=result.bracket,
                        rule_id=result.rule.id,
                    )
                )
                month = start
                end = dt.date(year, 12, 1) if starts[-1] == start else dt.date(year, 6, 1)
                while month <= end and month <= add_months(current, -stop):
                    if month >= first_due:
                        payments.append(
                            Payment(
                                member=member,
                                organization_id=member.organization_id,
                                month=month,
                                amount=result.amount,
                                paid_on=month + dt.timedelta(days=rng.randrange(3, 25)),
                                method=rng.choice(PayMethod.values),
                            )
                        )
                    month = add_months(month, 1)
    Assessment.objects.bulk_create(assessments, batch_size=2000)
    Payment.objects.bulk_create(payments, batch_size=5000)
    out(f"党费演示数据：核定 {len(assessments)} 条，交纳 {len(payments)} 条")
    return len(payments)
