"""Coverage of a large subtree (issue 19): the attendance read from the year's meetings
(above BULK_MEMBERS members) gives the figures and names the per-member path gives, and both
agree with each member's own status; the query count does not depend on the path."""

from __future__ import annotations

import pytest

from dangjian.members.models import Member
from dangjian.study import hours

YEAR = 2026


def _as_data(result):
    cov, cadres = result
    return cov, [
        (c.member.pk, c.org.pk if c.org else None, c.posts, c.met, c.trained, c.inducted)
        for c in cadres
    ]


@pytest.mark.parametrize("year", [2025, 2026])
def test_both_paths_give_the_same_coverage(demo, monkeypatch, year):
    user, org = demo.users["organ"], demo.organ_committee
    by_member = _as_data(hours.coverage(user, org, year))
    monkeypatch.setattr(hours, "BULK_MEMBERS", 0)
    by_meeting = _as_data(hours.coverage(user, org, year))
    assert by_meeting == by_member
    cov, cadres = by_member
    assert cov.members == Member.objects.filter(organization__path__startswith=org.path).count()
    assert cadres, "the demo's committees give cadres"


def test_the_counts_agree_with_each_members_status(demo, monkeypatch):
    user, org = demo.users["organ"], demo.organ_committee
    monkeypatch.setattr(hours, "BULK_MEMBERS", 0)
    cov, cadres = hours.coverage(user, org, YEAR)
    members = Member.objects.filter(organization__path__startswith=org.path)
    each = {s.member.pk: s for s in hours.statuses(members, YEAR)}
    assert cov.members_met == sum(s.status.met for s in each.values())
    assert cov.cadres == sum(s.cadre for s in each.values())
    assert all(each[c.member.pk].status.met == c.met for c in cadres)


def test_the_query_count_is_the_same_on_both_paths(
    demo, monkeypatch, django_assert_max_num_queries
):
    user, org = demo.users["organ"], demo.organ_committee
    hours.coverage(user, org, YEAR)  # rule packs, once per process
    with django_assert_max_num_queries(12) as by_member:
        hours.coverage(user, org, YEAR)
    monkeypatch.setattr(hours, "BULK_MEMBERS", 0)
    with django_assert_max_num_queries(len(by_member.captured_queries)):
        hours.coverage(user, org, YEAR)


@pytest.mark.parametrize("year", [2025, 2026])
def test_the_hours_per_member_are_the_same_read_from_the_meetings(demo, year):
    members = Member.objects.filter(organization__path__startswith=demo.organ_committee.path)
    ids = members.values("pk")
    by_member = hours.totals(ids, year)
    by_meeting = hours.totals(ids, year, only=set(members.values_list("pk", flat=True)))
    assert dict(by_meeting) == dict(by_member)
    assert sum(t.hours for t in by_member.values()) > 0
