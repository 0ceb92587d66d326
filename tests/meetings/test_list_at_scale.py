"""The meetings list (page and API) as a UNION of indexed parts (issue 19): the same meetings as
the plain OR of the scope and the member's own meetings, in a bounded number of queries."""

from __future__ import annotations

import pytest

from dangjian.meetings.models import Meeting
from dangjian.meetings.queries import (
    MeetingFilter,
    meeting_list,
    month_bounds,
    visible_meetings,
)

PERSONAS = ["member", "secretary", "organ", "inspector", "sysadmin", "auditor"]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(
    "flt",
    [
        MeetingFilter(),
        MeetingFilter(year=2026),
        MeetingFilter(year=2026, month=3),
        MeetingFilter(kind="party_lecture"),
        MeetingFilter(status="planned"),
    ],
    ids=["all", "year", "month", "kind", "status"],
)
def test_the_union_lists_what_the_or_of_the_parts_does(demo, persona, flt):
    user = demo.users[persona]
    reference = visible_meetings(user)
    if flt.kind:
        reference = reference.filter(kind=flt.kind)
    if flt.status:
        reference = reference.filter(status=flt.status)
    if flt.year and flt.month:
        start, end = month_bounds(flt.year, flt.month)
        reference = reference.filter(starts_at__gte=start, starts_at__lt=end)
    elif flt.year:
        start, end = month_bounds(flt.year, 1)[0], month_bounds(flt.year + 1, 1)[0]
        reference = reference.filter(starts_at__gte=start, starts_at__lt=end)
    listed = list(meeting_list(user, flt).values_list("pk", flat=True))
    assert len(listed) == len(set(listed))
    assert listed == list(reference.order_by("starts_at", "pk").values_list("pk", flat=True))
    everything = meeting_list(user, MeetingFilter())
    if persona in ("member", "secretary", "organ"):
        assert everything.exists(), "the demo gives these personas meetings"


def test_a_members_list_includes_their_branch_plans_and_attended_meetings(demo):
    member = demo.users["member"].member
    listed = set(meeting_list(demo.users["member"], MeetingFilter()).values_list("pk", flat=True))
    attended = set(Meeting.objects.filter(attendance__member=member).values_list("pk", flat=True))
    assert attended and attended <= listed


@pytest.mark.parametrize("persona", ["member", "secretary", "organ"])
def test_the_api_list_takes_a_bounded_number_of_queries(
    demo, client_for, persona, django_assert_max_num_queries
):
    client = client_for(demo.users[persona])
    client.get("/api/v1/meetings", {"year": 2026})
    with django_assert_max_num_queries(12):
        response = client.get("/api/v1/meetings", {"year": 2026})
    assert response.status_code == 200
    assert response.json()["count"] >= 0
