"""Dues endpoints under /api/v1/dues: the caller's own account, and paid totals per branch of
an organization's subtree (counts and sums, no member named). Same access as the pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from ninja import Query, Router, Schema

from dangjian.accounts.access import get_org_for_user, scope_for
from dangjian.core.clock import today
from dangjian.core.errors import ServiceValidationError
from dangjian.dues import queries
from dangjian.members.models import Member
from dangjian.orgs.models import Organization, OrgKind
from dangjian.regulations.dues import month_start

router = Router(tags=["党费"])


class OwedOut(Schema):
    month: dt.date
    amount: Decimal


class PaidOut(Schema):
    month: dt.date
    amount: Decimal
    paid_on: dt.date
    method: str


class AccountOut(Schema):
    monthly_amount: Decimal | None
    kind: str | None
    bracket: str | None
    effective_from: dt.date | None
    owed: list[OwedOut]
    owed_total: Decimal
    unpaid_months: int
    payments: list[PaidOut]


class TotalOut(Schema):
    organization_code: str
    organization_name: str
    payments: int
    amount: Decimal


class TotalsQuery(Schema):
    org: str
    month: str = ""


@router.get("/mine", response=AccountOut, summary="本人党费：月交纳额、核定依据、欠交与交纳记录")
def my_dues(request):
    member_id = scope_for(request.user).own_member_id
    if not member_id:
        raise PermissionDenied("您没有党员记录")
    account = queries.account(Member.objects.get(pk=member_id), today())
    a = account.assessment
    return {
        "monthly_amount": a.amount if a else None,
        "kind": a.kind if a else None,
        "bracket": a.bracket if a else None,
        "effective_from": a.effective_from if a else None,
        "owed": [{"month": m, "amount": amount} for m, amount in account.owed],
        "owed_total": account.owed_total,
        "unpaid_months": account.unpaid_streak,
        "payments": [
            {"month": p.month, "amount": p.amount, "paid_on": p.paid_on, "method": p.method}
            for p in account.payments
        ],
    }


def parse_month(raw: str) -> dt.date:
    if not raw.strip():
        return month_start(today())
    try:
        year, month = (int(part) for part in raw.split("-", 1))
        return dt.date(year, month, 1)
    except ValueError:
        raise ServiceValidationError({"month": "月份格式应为 2026-01"}) from None


@router.get("/totals", response=list[TotalOut], summary="各支部某月党费收缴合计（不列个人）")
def dues_totals(request, filters: Query[TotalsQuery]):
    org = get_org_for_user(request.user, filters.org.strip().upper(), field_name="code")
    month = parse_month(filters.month)
    branches = list(
        Organization.objects.filter(path__startswith=org.path, kind=OrgKind.BRANCH).order_by("path")
    )
    return [
        {
            "organization_code": t.branch.code,
            "organization_name": t.branch.name,
            "payments": t.payments,
            "amount": t.amount,
        }
        for t in queries.totals(branches, month)
    ]
