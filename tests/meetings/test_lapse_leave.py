"""党章 第九条 through the records: a member on approved leave for every meeting is a warning
naming the leaves for the secretary to judge; unexcused absence stays an error (issue 12)."""

from __future__ import annotations

import datetime as dt

import pytest

from dangjian.meetings import findings as compliance
from dangjian.meetings.models import Attendance, AttendanceStatus
from dangjian.members.models import Member
from tests.conftest import TODAY


@pytest.fixture(autouse=True)
def rules(settings):
    settings.DANGJIAN_RULE_PACKS = ["bundled:sample_local"]
    settings.DANGJIAN_COMPLIANCE_CACHE_SECONDS = 0
    compliance.clear_cache()
    yield
    compliance.clear_cache()


def _on_leave_member(demo) -> Member:
    # The demo's last member of the branch has been on leave (外出学习培训) for five months.
    return Member.objects.filter(organization=demo.branch).order_by("pk").last()


def _lapse_of(demo, member: Member, today: dt.date):
    signals = compliance.member_signals(demo.branch, today=today, streaks=False)
    (found,) = [s for s in signals.lapses if s.member_id == member.pk]
    return found


@pytest.mark.parametrize(
    ("days_later", "unexcused", "severity", "words"),
    [
        # Seven months without attendance, every meeting on leave: the secretary judges.
        (60, False, "warning", "请假是否属于正当理由，由党支部研判"),
        # The same months, the leaves recorded as absences without leave: the error.
        (60, True, "error", "没有正当理由的，按照党章第九条被认为是自行脱党"),
        # Six whole months after the last leave with nothing since: the error again.
        (240, False, "error", "没有正当理由的，按照党章第九条被认为是自行脱党"),
    ],
)
def test_leave_and_absence_through_the_records(demo, days_later, unexcused, severity, words):
    member = _on_leave_member(demo)
    leaves = Attendance.objects.filter(member=member, status=AttendanceStatus.ON_LEAVE)
    held = sorted(set(leaves.values_list("meeting__held_on", flat=True)))  # one per day
    assert held, "the demo story has the member on leave"
    if unexcused:
        leaves.update(status=AttendanceStatus.ABSENT, reason="")

    found = _lapse_of(demo, member, TODAY + dt.timedelta(days=days_later))

    assert found.severity == severity
    assert words in found.message
    assert found.citation == "《中国共产党章程》第九条"
    assert found.facts["months_without"] >= 6
    if unexcused:
        assert found.facts["leaves"] == [] and "请假" not in found.message
    else:
        counted = [d for d in held if d > dt.date.fromisoformat(found.facts["counted_from"])]
        assert found.facts["leaves"] == [d.isoformat() for d in counted]
        missed = leaves.filter(meeting__held_on__gt=found.facts["counted_from"]).count()
        assert found.facts["leave_count"] == missed
        assert f"其间经批准请假{missed}次（" in found.message
        # Least disclosure: the dates, never the reason given for the leave.
        assert "外出学习培训" not in found.message


def test_the_secretarys_page_shows_the_leaves(demo, client_for):
    from django.urls import reverse

    member = _on_leave_member(demo)
    page = client_for(demo.users["secretary"]).get(
        reverse("compliance:org", kwargs={"pk": demo.branch.pk})
    )

    body = page.content.decode()
    assert page.status_code == 200
    assert f"{member.name}已连续" in body and "其间经批准请假" in body
    assert "外出学习培训" not in body
