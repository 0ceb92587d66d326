"""The demo's dues: assessments from the rules, payments, a few in arrears, idempotent."""

from __future__ import annotations

import pytest

from dangjian.core.clock import today
from dangjian.dues.arrears import streaks
from dangjian.dues.demo import ensure_dues
from dangjian.dues.models import Assessment, Payment
from dangjian.members.models import Member

pytestmark = pytest.mark.django_db


def test_the_demo_dues_are_made_once_with_some_members_in_arrears(demo):
    created = ensure_dues(today=today(), out=lambda *_: None)
    assert created > 0 and Payment.objects.count() == created
    assert ensure_dues(today=today(), out=lambda *_: None) == 0
    members = list(Member.objects.current())
    assert Assessment.objects.values("member_id").distinct().count() == len(members)
    unpaid = streaks(members, today())
    assert max(unpaid.values()) >= 6
    assert any(4 <= n < 6 for n in unpaid.values())
    assert all(a.base_encrypted and a.amount >= 0 for a in Assessment.objects.all()[:50])
