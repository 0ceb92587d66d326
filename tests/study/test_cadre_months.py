"""Months in post read by the database (`hours.cadre_months`, month numbers from the dates'
ISO text) agree with `regulations.study.months_in_year` on the year's boundaries, for a few
members and for everyone (the whole tree's path)."""

from __future__ import annotations

import datetime as dt

import pytest

from dangjian.members.models import Member
from dangjian.orgs.models import COMMITTEE_POSTS, Post, PostKind
from dangjian.regulations.study import months_in_year
from dangjian.study import hours

pytestmark = pytest.mark.django_db
YEAR = 2026
D = dt.date

# (posts as (started, ended)), months of YEAR in post (the longest post counts).
CASES = [
    ([(D(2025, 3, 1), None)], 12),
    ([(D(2026, 1, 31), None)], 12),
    ([(D(2026, 12, 1), None)], 1),
    ([(D(2026, 12, 31), None)], 1),
    ([(D(2025, 3, 1), D(2026, 4, 30))], 4),
    ([(D(2025, 3, 1), D(2026, 1, 1))], 1),
    ([(D(2026, 5, 15), D(2026, 5, 20))], 1),
    ([(D(2026, 3, 1), D(2027, 2, 1))], 10),
    ([(D(2026, 3, 1), D(2026, 12, 31))], 10),
    ([(D(2025, 1, 1), D(2025, 12, 31))], 0),
    ([(D(2027, 1, 1), None)], 0),
    ([(D(2026, 2, 1), D(2026, 3, 31)), (D(2026, 6, 1), D(2026, 11, 30))], 6),
]


def test_months_in_post_agree_with_the_rule(demo):
    members = list(Member.objects.filter(organization=demo.branch).order_by("pk")[: len(CASES)])
    assert len(members) == len(CASES)
    Post.objects.filter(member__in=members).delete()
    for member, (posts, _) in zip(members, CASES, strict=True):
        for started, ended in posts:
            Post.objects.create(
                organization=demo.branch,
                member=member,
                kind=PostKind.COMMITTEE_MEMBER,
                started_on=started,
                ended_on=ended,
            )
    ids = [m.pk for m in members]
    few = hours.cadre_months(ids, YEAR)
    everyone = hours.cadre_months(None, YEAR)
    for member, (_, months) in zip(members, CASES, strict=True):
        assert few.get(member.pk, 0) == months, member.pk
        assert everyone.get(member.pk, 0) == months, member.pk
    # Every committee post of the demo, by the rule in Python, for everyone at once.
    expected: dict[int, int] = {}
    for member_id, started, ended in Post.objects.filter(
        kind__in=list(COMMITTEE_POSTS)
    ).values_list("member_id", "started_on", "ended_on"):
        months = months_in_year(YEAR, started, ended)
        if months > expected.get(member_id, 0):
            expected[member_id] = months
    assert everyone == expected
    assert sum(1 for m in expected.values() if m == 12) > 1, "the demo's committees in post"
