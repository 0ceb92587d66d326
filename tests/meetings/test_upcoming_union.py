"""A member's upcoming meetings (the work desk and "my meetings") as the UNION of the indexed
parts of `_expected_meeting_parts` (issue 19): the same meetings as their OR."""

from __future__ import annotations

from dangjian.core import clock
from dangjian.meetings.models import Meeting, MeetingStatus
from dangjian.meetings.queries import _expected_meeting_q, upcoming_for_member
from dangjian.regulations.periods import TZ
from tests.meetings import plan


def test_the_union_lists_what_the_or_of_the_parts_does(demo):
    today = clock.today()
    for days in (1, 3, 10):
        plan(demo.users["secretary"], demo.branch, days=days)
    plan(demo.users["organ"], demo.organ_committee, "party_lecture", days=5)
    for persona in ("member", "secretary", "organ"):
        member = demo.users[persona].member
        upcoming = list(upcoming_for_member(member, today).values_list("pk", flat=True))
        reference = [
            pk
            for pk, starts_at in Meeting.objects.filter(
                _expected_meeting_q(member), status=MeetingStatus.PLANNED
            )
            .order_by("starts_at", "pk")
            .values_list("pk", "starts_at")
            if starts_at.astimezone(TZ).date() >= today
        ]
        assert upcoming == reference
    assert upcoming_for_member(demo.users["member"].member, today).count() >= 4


def test_each_part_is_asked_by_itself(demo):
    sql = str(upcoming_for_member(demo.users["member"].member, clock.today()).query)

    assert "UNION" in sql.upper()
