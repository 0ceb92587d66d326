"""/api/v1/dues: the caller's own account; totals per branch without a name."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from dangjian.audit.services import Actor
from dangjian.dues import services
from dangjian.members.models import Member
from tests.dues.helpers import assessed, months_ago, settle
from tests.matrix_helpers import client_as

pytestmark = pytest.mark.django_db


def test_mine_shows_the_amount_how_it_was_set_and_what_is_owed(demo):
    own = settle(demo.own_member, months_ago(3))
    assessed(demo, own, "10000.01", months_ago(3))
    data = client_as(demo.users["member"], api=True).get(reverse("api:my_dues")).json()
    assert Decimal(data["monthly_amount"]) == Decimal("200.00")
    assert data["kind"] == "salaried" and "2%" in data["bracket"]
    assert len(data["owed"]) == 3 and Decimal(data["owed_total"]) == Decimal("600.00")
    assert data["unpaid_months"] == 3
    assert "base" not in str(data)


def test_totals_count_and_sum_per_branch_and_name_nobody(demo):
    members = list(Member.objects.current().filter(organization=demo.branch))
    for m in members:
        settle(m, months_ago(24))
        assessed(demo, m, "3000", months_ago(12))
    services.record_month(Actor(user=demo.users["secretary"]), demo.branch, months_ago(1))
    response = client_as(demo.users["organ"], api=True).get(
        reverse("api:dues_totals"),
        {"org": demo.organ_committee.code, "month": f"{months_ago(1):%Y-%m}"},
    )
    rows = {r["organization_code"]: r for r in response.json()}
    assert rows[demo.branch.code]["payments"] == len(members)
    assert Decimal(rows[demo.branch.code]["amount"]) == Decimal("15.00") * len(members)
    assert rows[demo.sibling_branch.code]["payments"] == 0
    assert not any(m.name in response.content.decode() for m in members)
