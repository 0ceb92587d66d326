"""Study hours from attendance only, who sees what, and constant queries (issue 13)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangjian.audit.services import Actor
from dangjian.meetings.models import Attendance, AttendanceStatus, Meeting, MeetingStatus
from dangjian.members.models import Member
from dangjian.regulations.study import BEIJING
from dangjian.study import hours
from dangjian.study import services_training as svc
from dangjian.study.models import MeetingMaterial
from tests.helpers import assert_audited, last_seq

pytestmark = pytest.mark.django_db
YEAR = 2026


def meeting(org, kind, when: dt.datetime, *, status=MeetingStatus.HELD) -> Meeting:
    return Meeting.objects.create(
        organization=org,
        kind=kind,
        topic="学习测试",
        starts_at=when,
        status=status,
        held_on=when.astimezone(BEIJING).date(),
    )


def attend(m: Meeting, member: Member, status=AttendanceStatus.PRESENT) -> None:
    Attendance.objects.create(meeting=m, member=member, status=status)


def total(member: Member, year: int = YEAR) -> Decimal:
    return hours.member_status(member, year).status.hours


def at(month: int, day: int, hour: int = 15, minute: int = 0, year: int = YEAR) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=BEIJING)


def test_present_gives_hours_leave_and_absence_none(demo):
    member = demo.member_in_branch
    others = list(Member.objects.filter(organization=demo.branch).exclude(pk=member.pk)[:3])
    before = {m.pk: total(m) for m in [member, *others]}
    lecture = meeting(demo.branch, "party_lecture", at(3, 2))
    attend(lecture, member)
    attend(lecture, others[0], AttendanceStatus.ON_LEAVE)
    attend(lecture, others[1], AttendanceStatus.ABSENT)
    attend(lecture, others[2], AttendanceStatus.CHECKED_IN)
    assert total(member) - before[member.pk] == 2
    assert total(others[0]) == before[others[0].pk]
    assert total(others[1]) == before[others[1].pk]
    assert total(others[2]) - before[others[2].pk] == 2


def test_only_held_meetings_of_counting_kinds(demo):
    member = demo.member_in_branch
    before = total(member)
    attend(meeting(demo.branch, "general_meeting", at(3, 3)), member)
    attend(meeting(demo.branch, "party_lecture", at(3, 4), status=MeetingStatus.PLANNED), member)
    attend(meeting(demo.branch, "party_lecture", at(3, 5), status=MeetingStatus.CANCELLED), member)
    assert total(member) == before


def test_theme_day_counts_only_with_study(demo, django_user_model):
    member = demo.member_in_branch
    before = total(member)
    plain = meeting(demo.branch, "theme_day", at(4, 1))
    attend(plain, member)
    assert total(member) == before
    studied = meeting(demo.branch, "theme_day", at(4, 2))
    attend(studied, member)
    from tests.study.helpers import publish

    material = publish(demo.branch, "学习内容。".encode(), "a.txt", title="学习资料")
    MeetingMaterial.objects.create(meeting=studied, material=material)
    assert total(member) - before == 2


def test_session_at_2330_on_31_december_beijing_counts_for_that_year(demo):
    member = demo.member_in_branch
    before_2026, before_2027 = total(member, 2026), total(member, 2027)
    attend(meeting(demo.branch, "party_lecture", at(12, 31, 23, 30)), member)
    assert total(member, 2026) - before_2026 == 2
    assert total(member, 2027) == before_2027
    sessions = [s for s in hours.sessions(member, 2026) if s.day == dt.date(2026, 12, 31)]
    assert len(sessions) == 1


def test_meeting_end_overrides_default_hours_and_is_audited(demo):
    member = demo.member_in_branch
    before = total(member)
    m = meeting(demo.branch, "central_group_study", at(5, 6, 9))
    attend(m, member)
    assert total(member) - before == 3
    seq = last_seq()
    actor = Actor(user=demo.users["secretary"])
    assert svc.set_meeting_hours(actor, m, at(5, 6, 13, 40)) == Decimal("4.5")
    assert_audited(seq, "update", object_type="meetings.meeting", object_id=str(m.pk))
    assert total(member) - before == Decimal("4.5")
    svc.set_meeting_hours(actor, m, None)
    assert total(member) - before == 3


def test_meeting_end_refused_before_start_and_outside_scope(demo):
    from django.core.exceptions import PermissionDenied

    from dangjian.core.errors import ServiceValidationError

    m = meeting(demo.branch, "party_lecture", at(5, 7))
    with pytest.raises(ServiceValidationError) as err:
        svc.set_meeting_hours(Actor(user=demo.users["secretary"]), m, at(5, 7, 14))
    assert err.value.errors == {"ends_at": "结束时间应晚于开始时间"}
    other = meeting(demo.sibling_branch, "party_lecture", at(5, 7))
    with pytest.raises(PermissionDenied):
        svc.set_meeting_hours(Actor(user=demo.users["secretary"]), other, at(5, 7, 17))


def plain_member(demo) -> Member:
    """A member of the branch who holds no committee post."""
    return (
        Member.objects.filter(organization=demo.branch, posts__isnull=True).order_by("pk").first()
    )


def test_mid_year_joiner_is_pro_rata(demo):
    member = plain_member(demo)
    Member.objects.filter(pk=member.pk).update(admitted_on=dt.date(YEAR, 7, 10))
    member.refresh_from_db()
    status = hours.member_status(member, YEAR)
    assert status.requirement.hours == 16
    assert not status.requirement.cadre


def test_constant_queries_for_member_and_branch(demo):
    member = demo.member_in_branch
    secretary = demo.users["secretary"]
    with CaptureQueriesContext(connection) as small:
        hours.member_status(member, YEAR)
    for day in range(1, 6):
        attend(meeting(demo.branch, "party_lecture", at(6, day)), member)
    with CaptureQueriesContext(connection) as large:
        hours.member_status(member, YEAR)
    assert len(small) == len(large)
    hours.branch_roster(secretary, demo.branch, YEAR)  # caches the user's roles
    with CaptureQueriesContext(connection) as branch_small:
        hours.branch_roster(secretary, demo.branch, YEAR)
    for other in Member.objects.filter(organization=demo.branch)[:5]:
        attend(meeting(demo.branch, "party_lecture", at(6, 20 + other.pk % 5)), other)
    with CaptureQueriesContext(connection) as branch_large:
        hours.branch_roster(secretary, demo.branch, YEAR)
    assert len(branch_small) == len(branch_large) <= 6


def test_branch_roster_is_in_roster_order_never_by_hours(demo):
    secretary = demo.users["secretary"]
    members = list(Member.objects.filter(organization=demo.branch).order_by(*hours.ROSTER_ORDER))
    last = members[-1]
    for day in range(1, 20):
        attend(meeting(demo.branch, "party_lecture", at(7, day)), last)
    rows = hours.branch_roster(secretary, demo.branch, YEAR)
    assert [r.member.pk for r in rows] == [m.pk for m in members]


def test_who_sees_what(demo, client_for):
    member, secretary, organ = (demo.users[n] for n in ("member", "secretary", "organ"))
    own = demo.own_member
    other = demo.member_in_branch
    assert client_for(member).get(reverse("study_hours:hours_mine")).status_code == 200
    url = reverse("study_hours:member_hours", args=[other.pk])
    assert client_for(member).get(url).status_code == 404
    assert client_for(secretary).get(url).status_code == 200
    # The 机关党委 reads the member but sees no individual hours of non-cadres.
    assert client_for(organ).get(url).status_code == 403
    roster = reverse("study_hours:org_hours", args=[demo.branch.pk])
    page = client_for(secretary).get(roster)
    assert page.status_code == 200 and "roster" in page.content.decode()
    upper = client_for(organ).get(roster)
    body = upper.content.decode()
    assert 'id="coverage"' in body and 'id="roster"' not in body
    assert own.name not in body or own.posts.exists()
    assert client_for(member).get(roster).status_code == 404
    sibling = reverse("study_hours:org_hours", args=[demo.sibling_branch.pk])
    assert client_for(secretary).get(sibling).status_code == 404


def test_no_page_or_api_orders_people_by_hours(demo, client_for):
    """Every hours page lists people in roster order; none takes a sort parameter."""
    secretary = demo.users["secretary"]
    members = list(Member.objects.filter(organization=demo.branch).order_by(*hours.ROSTER_ORDER))
    for day in range(1, 10):
        attend(meeting(demo.branch, "party_lecture", at(8, day)), members[-1])
    url = reverse("study_hours:org_hours", args=[demo.branch.pk])
    for query in ("", "?sort=hours", "?order=-hours", "?ordering=hours"):
        body = client_for(secretary).get(url + query).content.decode()
        positions = [body.index(m.name) for m in members]
        assert positions == sorted(positions)
    api = client_for(secretary).get(f"/api/v1/study/orgs/{demo.branch.pk}/hours?ordering=-hours")
    assert api.status_code == 200
    assert [r["member_id"] for r in api.json()["members"]] == [m.pk for m in members]


def test_nothing_stores_who_read_what():
    """No study model ties a material to a member (reading is never recorded per person),
    and no hours row has a reading-time or log-in field."""
    from django.apps import apps

    for model in apps.get_app_config("study").get_models():
        related = {
            f.related_model._meta.label
            for f in model._meta.get_fields()
            if f.is_relation and f.concrete and f.related_model is not None
        }
        assert not ({"study.Material", "members.Member"} <= related), model
        names = {f.name for f in model._meta.get_fields()}
        assert not names & {"read_seconds", "reading_time", "opened_by", "last_login"}, model


def test_meeting_page_sets_the_end_time(demo, client_for):
    m = meeting(demo.branch, "party_lecture", at(9, 1, 14))
    client = client_for(demo.users["secretary"])
    page = client.get(reverse("study:meeting_materials", args=[m.pk]))
    assert 'name="ends_at"' in page.content.decode()
    response = client.post(
        reverse("study_hours:meeting_hours", args=[m.pk]), {"ends_at": "2026-09-01T17:00"}
    )
    assert response.status_code == 302
    assert m.study_hours.hours == 3
    page = client.get(reverse("study:meeting_materials", args=[m.pk]))
    assert "计 3.0 学时" in page.content.decode()
