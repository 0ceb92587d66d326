"""The demo's organizational life: three years of meetings with attendance, the stories the
demo tells, and the province-scale generator on a small scale."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Count, Q

from dangjian.accounts.models import Role, RoleAssignment, User
from dangjian.audit.models import AuditEvent
from dangjian.demo import PROVINCE_USER, ensure_province
from dangjian.meetings import findings as compliance
from dangjian.meetings.models import Attendance, Meeting, MeetingSeries, MeetingStatus
from dangjian.members.models import Member
from dangjian.orgs.models import Organization, OrgKind, Post
from dangjian.regulations.periods import TZ
from tests.conftest import TODAY


@pytest.fixture(autouse=True)
def rules(settings):
    settings.DANGJIAN_RULE_PACKS = ["bundled:sample_local"]


def test_the_demo_holds_three_years_of_meetings_with_attendance(demo):
    held = Meeting.objects.filter(status=MeetingStatus.HELD)
    by_year = {year: held.filter(held_on__year=year).count() for year in (2023, 2024, 2025, 2026)}

    assert by_year[2023] == 0
    assert min(by_year[2024], by_year[2025]) > 500
    assert by_year[2026] > 400
    assert not held.filter(held_on__gt=TODAY).exists()
    planned = Meeting.objects.filter(status=MeetingStatus.PLANNED)
    assert planned.exists()
    assert not planned.filter(
        starts_at__lte=dt.datetime.combine(TODAY, dt.time(23, 59), TZ)
    ).exists()
    # Every held branch meeting has one attendance row per expected member, and its figures.
    sample = held.filter(organization=demo.branch, kind="theme_day").annotate(
        rows=Count("attendance"),
        present=Count("attendance", filter=Q(attendance__status="present")),
    )
    members = Member.objects.filter(organization=demo.branch).count()
    assert sample.count() >= 34
    assert {(m.rows, m.expected_count) for m in sample} == {(members, members)}
    assert all(m.present == m.present_count for m in sample)
    assert Attendance.objects.filter(status="on_leave").exclude(reason="").exists()
    assert Attendance.objects.filter(status="absent").exists()
    # 主题党日 on a fixed day of the month, as a series.
    assert MeetingSeries.objects.filter(organization=demo.branch, kind="theme_day").count() == 1


def test_most_branches_keep_their_calendar_and_some_do_not(demo):
    report = compliance.compute(Organization.objects.get(code="GW"), 2025, today=TODAY)
    frequency = {r.id for r in report.rules.rules}
    statuses = [
        f.status
        for org in report.orgs
        if org.kind == OrgKind.BRANCH
        for f in report.findings_for(org.id)
        if f.rule_id in frequency
    ]
    violated = statuses.count("violated")

    assert violated > 0
    assert violated / len(statuses) < 0.1
    clean = [
        org.code
        for org in report.orgs
        if org.kind == OrgKind.BRANCH
        and not any(
            f.status == "violated" and f.rule_id in frequency for f in report.findings_for(org.id)
        )
    ]
    assert len(clean) >= 7
    assert "FGW-B02" not in clean  # the sibling branch has real gaps


def test_the_secretarys_branch_missed_one_general_meeting_this_year(demo):
    report = compliance.compute(demo.branch, 2026, today=TODAY)
    frequency = {r.id for r in report.rules.rules}

    problems = [
        (f.rule_id, f.period_key)
        for f in report.findings_for(demo.branch.pk)
        if f.rule_id in frequency and f.status == "violated"
    ]

    assert problems == [("general_meeting_freq", "2026-Q3")]


def test_the_demo_meetings_leave_one_summary_audit_event(demo):
    events = AuditEvent.objects.filter(object_type="meetings.meeting", object_repr="演示数据")

    assert events.count() == 1
    assert events.get().message.startswith("生成演示会议记录：")
    assert (
        f"{Meeting.objects.filter(created_by__isnull=True).count()} 次会议" in events.get().message
    )


def test_the_province_generator_builds_a_valid_tree_with_meetings(demo):
    before = AuditEvent.objects.count()

    assert ensure_province(today=TODAY, departments=2, branches=6, members=120) is True

    added = Organization.objects.filter(code__startswith="S0")
    assert added.filter(kind=OrgKind.LEADING_GROUP).count() == 2
    assert added.filter(kind=OrgKind.BRANCH).count() == 6
    assert Organization.objects.find_problems() == ([], [], [], [], [])
    root = Organization.objects.get(code="GW")
    assert root.numchild == Organization.objects.filter(depth=2).count() == 5
    people = Member.objects.filter(organization__code__startswith="S0")
    assert 100 <= people.count() <= 140
    assert Post.objects.filter(organization__code__startswith="S0", kind="secretary").exists()
    meetings = Meeting.objects.filter(organization__code__startswith="S0")
    assert meetings.filter(status=MeetingStatus.HELD, held_on__year=2024).exists()
    assert Attendance.objects.filter(meeting__in=meetings).exists()
    # Each 党组 has four seats, held by people who already sit on a committee, and holds its
    # 民主生活会 with them expected (issue 12), as the demo organ's 党组 do.
    for group in added.filter(kind=OrgKind.LEADING_GROUP):
        seats = Post.objects.filter(organization=group, ended_on__isnull=True)
        assert seats.count() == 4
        assert seats.filter(kind="secretary").count() == 1
        seated = set(seats.values_list("member_id", flat=True))
        assert len(seated) == 4
        for post in seats:
            elsewhere = Post.objects.filter(member_id=post.member_id).exclude(organization=group)
            assert elsewhere.filter(started_on__lte=post.started_on).exists()
        sheets = Meeting.objects.filter(
            organization=group, kind="democratic_life_meeting", status=MeetingStatus.HELD
        )
        assert sheets.exists()
        for meeting in sheets:
            assert meeting.expected_count == meeting.present_count == 4
            assert set(meeting.attendance.values_list("member_id", flat=True)) == seated
    # One summary event per bulk step (organizations, members, posts, meetings).
    messages = list(
        AuditEvent.objects.filter(seq__gt=before, actor__isnull=True).values_list(
            "message", flat=True
        )
    )
    assert len([m for m in messages if m.startswith("批量生成演示")]) == 3
    assert len([m for m in messages if m.startswith("生成演示会议记录")]) == 1
    # The 机关工委 account sees the whole tree.
    gongwei = User.objects.get(username=PROVINCE_USER[0])
    assert RoleAssignment.objects.filter(
        user=gongwei, role=Role.ORGAN_COMMITTEE, organization=root
    ).exists()
    # Explicit ids were given to the meetings: a new one still gets a fresh id.
    branch = added.filter(kind=OrgKind.BRANCH).first()
    fresh = Meeting.objects.create(
        organization=branch,
        kind="theme_day",
        topic="新会议",
        starts_at=dt.datetime(2026, 12, 1, tzinfo=TZ),
    )
    assert fresh.pk > meetings.exclude(pk=fresh.pk).order_by("-pk").first().pk
    # Once is enough.
    assert ensure_province(today=TODAY, departments=2, branches=6, members=120) is False
