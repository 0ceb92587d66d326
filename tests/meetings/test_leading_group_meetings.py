"""A 党组 plans and records its 民主生活会 (issue 12): its members (the seats) are 应到, the
record's figures feed the 民主生活会到会 column, and the demo's 党组 hold theirs with sheets."""

from __future__ import annotations

import pytest

from dangjian.audit.services import Actor
from dangjian.core.errors import ServiceValidationError
from dangjian.meetings import findings as compliance
from dangjian.meetings import services
from dangjian.meetings.models import Attendance, Meeting, MeetingStatus
from dangjian.meetings.queries import MEETING_ORG_KINDS, default_attendees, expected_attendees
from dangjian.orgs.models import COMMITTEE_POSTS, Organization, OrgKind, Post
from tests.conftest import TODAY
from tests.meetings import plan

SYSTEM = Actor.system("test")
DLM = "democratic_life_meeting"


@pytest.fixture(autouse=True)
def no_cache(settings):
    settings.DANGJIAN_COMPLIANCE_CACHE_SECONDS = 0
    compliance.clear_cache()
    yield
    compliance.clear_cache()


def seats(group: Organization) -> set[int]:
    return set(
        Post.objects.filter(
            organization=group, kind__in=COMMITTEE_POSTS, ended_on__isnull=True
        ).values_list("member_id", flat=True)
    )


def test_a_leading_group_holds_democratic_life_meetings_and_lectures():
    assert set(MEETING_ORG_KINDS[OrgKind.LEADING_GROUP]) == {DLM, "party_lecture"}


def test_its_members_are_expected(demo):
    group = Organization.objects.get(code="FGW-DZ")
    assert len(seats(group)) == 4  # the demo's 党组: a secretary and three members
    assert set(default_attendees(group, DLM).values_list("pk", flat=True)) == seats(group)
    meeting = plan(None, group, DLM, topic="年度民主生活会")
    assert set(expected_attendees(meeting).values_list("pk", flat=True)) == seats(group)


def test_a_leading_group_cannot_hold_a_branch_meeting(demo):
    group = Organization.objects.get(code="FGW-DZ")
    with pytest.raises(ServiceValidationError) as exc:
        plan(None, group, "general_meeting")
    assert exc.value.errors["kind"] == "部门党组（党委）不能组织“支部党员大会”"


@pytest.mark.parametrize(("away", "status"), [(1, "ok"), (2, "violated")])
def test_recorded_democratic_life_meeting_is_judged_two_thirds(demo, away, status):
    """4 expected: 3 present is 2/3 or more (≥ 2.67), 2 is not."""
    group = Organization.objects.get(code="FGW-DZ")
    Meeting.objects.filter(organization=group, kind=DLM, held_on__year=2026).delete()
    meeting = plan(None, group, DLM, topic="年度民主生活会")
    members = sorted(seats(group))
    services.record_meeting(
        SYSTEM,
        meeting,
        attendance={pk: ("on_leave", "因公出差") for pk in members[:away]},
    )
    meeting.refresh_from_db()
    assert (meeting.expected_count, meeting.present_count) == (4, 4 - away)
    found = compliance.compute(group, 2026, today=TODAY).finding(group.pk, "dlm_quorum", "2026")
    assert found is not None and found.status == status
    assert meeting.pk in found.facts["meeting_ids"]


def test_the_demo_fills_the_democratic_life_meeting_column(demo):
    held = Meeting.objects.filter(kind=DLM, status=MeetingStatus.HELD, held_on__year=2025)
    assert held.count() == 3  # one per 党组
    for meeting in held:
        assert meeting.expected_count == 4
        assert Attendance.objects.filter(meeting=meeting).count() == 4
    report = compliance.compute(Organization.objects.get(code="GW"), 2025, today=TODAY)
    assert "dlm_quorum" in [c.key for c in report.columns]
    by_code = {o.code: o.id for o in report.orgs}
    statuses = {
        code: report.finding(by_code[code], "dlm_quorum", "2025").status
        for code in ("FGW-DZ", "CZJ-DZ", "JYJ-DZ")
    }
    # CZJ-DZ's 2025 meeting had two of its four away on duty: short of 2/3.
    assert statuses == {"FGW-DZ": "ok", "CZJ-DZ": "violated", "JYJ-DZ": "ok"}
