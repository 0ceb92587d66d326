"""谈心谈话 coverage (issue 12): the text names every pair (委员–委员, 委员–党员, 党员–党员); the
platform checks what a talk's sign-in sheet can prove broken: a member in fewer talks than the
pack's minimum, a 委员 who never talked with another 委员. Judged after the year; pending
before."""

from __future__ import annotations

import datetime as dt

import pytest

from dangjian.audit.services import Actor
from dangjian.meetings import findings as compliance
from dangjian.meetings.models import Attendance, Meeting, MeetingStatus
from dangjian.members import history
from dangjian.members.models import Member
from dangjian.orgs.models import Organization
from dangjian.regulations.base import Severity
from dangjian.regulations.meetings import heart_talk_coverage_violation
from dangjian.regulations.periods import TZ
from tests.conftest import TODAY

SYSTEM = Actor.system("test")
RULE = "heart_talk_coverage"
CITATION = "《中国共产党支部工作条例（试行）》"


@pytest.fixture(autouse=True)
def no_cache(settings):
    settings.DANGJIAN_COMPLIANCE_CACHE_SECONDS = 0
    compliance.clear_cache()
    yield
    compliance.clear_cache()


@pytest.mark.parametrize(
    ("members", "missed", "seats", "seats_missed", "minimum", "found"),
    [
        (10, 0, 3, 0, 1, False),
        (10, 1, 3, 0, 1, True),  # one member in no talk
        (10, 0, 3, 1, 1, True),  # one 委员 never with another 委员
        (10, 0, 1, 1, 1, False),  # a lone secretary has no 委员 to talk with
        (10, 10, 0, 0, 2, True),
    ],
)
def test_coverage_boundaries(members, missed, seats, seats_missed, minimum, found):
    violation = heart_talk_coverage_violation(members, missed, seats, seats_missed, minimum)
    assert (violation is not None) == found
    if violation is not None:
        assert violation.severity is Severity.WARNING  # "一般不少于1次"
        assert violation.citation == CITATION  # article L: the title alone
        assert f"谈心谈话一般不少于{minimum}次" in violation.message


@pytest.mark.parametrize("bad", [(-1, 0, 0, 0, 1), (3, 4, 0, 0, 1), (3, 0, 2, 3, 1)])
def test_coverage_refuses_impossible_counts(bad):
    with pytest.raises(ValueError):
        heart_talk_coverage_violation(*bad)


def _talk(org: Organization, day: dt.date, present: list[Member]) -> Meeting:
    meeting = Meeting.objects.create(
        organization=org,
        kind="heart_to_heart_talk",
        topic="谈心谈话",
        starts_at=dt.datetime.combine(day, dt.time(15), tzinfo=TZ),
        status=MeetingStatus.HELD,
        held_on=day,
        expected_count=len(present),
        present_count=len(present),
    )
    Attendance.objects.bulk_create(
        [Attendance(meeting=meeting, member=m, status="present") for m in present]
    )
    return meeting


def _coverage(branch: Organization, year: int, today: dt.date = TODAY):
    return compliance.compute(branch, year, today=today).finding(branch.pk, RULE, str(year))


def _fresh_year(branch: Organization, year: int) -> tuple[list[Member], list[Member]]:
    Meeting.objects.filter(
        organization__path__startswith=branch.path, kind="heart_to_heart_talk", held_on__year=year
    ).delete()
    seated = set(
        history.committee_on(branch, dt.date(year, 12, 31)).values_list("member_id", flat=True)
    )
    members = list(history.members_on(branch, dt.date(year, 12, 31)).order_by("pk"))
    return [m for m in members if m.pk in seated], [m for m in members if m.pk not in seated]


def test_every_member_on_the_sheet_is_ok(demo):
    committee, others = _fresh_year(demo.branch, 2025)
    _talk(demo.branch, dt.date(2025, 9, 3), committee + others)
    found = _coverage(demo.branch, 2025)
    assert found.status == "ok" and found.citation == CITATION


def test_a_member_in_no_talk_is_a_warning_after_the_year_and_pending_before(demo):
    committee, others = _fresh_year(demo.branch, 2025)
    _talk(demo.branch, dt.date(2025, 9, 3), committee + others[:-1])
    found = _coverage(demo.branch, 2025)
    assert (found.status, found.severity) == ("violated", "warning")
    assert found.facts["missed"] == 1
    assert found.message.startswith(f"1名党员（共{len(committee) + len(others)}名）")
    # The same year seen on 30 December: still time, pending.
    during = _coverage(demo.branch, 2025, today=dt.date(2025, 12, 30))
    assert during.status == "pending" and during.message.startswith("截至2025年12月30日：")
    # Computed later, the same.
    assert _coverage(demo.branch, 2025, today=dt.date(2028, 1, 2)).status == "violated"


def test_committee_members_must_talk_with_each_other(demo):
    committee, others = _fresh_year(demo.branch, 2025)
    assert len(committee) >= 3
    # Each 委员 talks with members, never two 委员 together: 委员–委员 is not covered.
    for index, seat in enumerate(committee):
        _talk(demo.branch, dt.date(2025, 9, 3 + index), [seat, *others])
    found = _coverage(demo.branch, 2025)
    assert found.status == "violated"
    assert found.facts["seats_missed"] == len(committee)
    # One talk of two 委员 covers those two only.
    _talk(demo.branch, dt.date(2025, 10, 8), committee[:2])
    assert _coverage(demo.branch, 2025).facts["seats_missed"] == len(committee) - 2


def test_a_party_groups_talk_counts_for_its_branch(demo):
    group = Organization.objects.get(code="FGW-B01-G1")
    committee, others = _fresh_year(demo.branch, 2025)
    Meeting.objects.filter(organization=group, kind="heart_to_heart_talk").delete()
    _talk(demo.branch, dt.date(2025, 9, 3), committee + others[:-1])
    assert _coverage(demo.branch, 2025).status == "violated"
    _talk(group, dt.date(2025, 9, 10), others[-1:] + committee[:1])
    assert _coverage(demo.branch, 2025).status == "ok"


def test_the_demo_gives_the_column_a_story(demo):
    report = compliance.compute(Organization.objects.get(code="GW"), 2025, today=TODAY)
    assert "heart_talk_coverage" in [c.key for c in report.columns]
    by_code = {o.code: o.id for o in report.orgs}
    short = report.finding(by_code["CZJ-B02"], RULE, "2025")
    assert short.status == "violated" and short.facts["missed"] >= 2


def test_a_refresh_and_an_own_page_count_talks_as_the_whole_subtree_does(demo):
    """An organization's own page and the findings page's refresh read the sheets of their
    own people only: a talk held elsewhere (here by the 机关党委) still counts."""
    from dangjian.meetings.findings.cache import _refresh

    committee, others = _fresh_year(demo.branch, 2025)
    _talk(demo.branch, dt.date(2025, 9, 3), committee + others[:-1])
    parent = Organization.objects.get_parent(demo.branch)
    elsewhere = _talk(parent, dt.date(2025, 11, 5), others[-1:])
    whole = _coverage(demo.branch, 2025)
    assert whole.status == "ok"  # the last member's only talk is the 机关党委's
    own = compliance.compute(
        demo.branch, 2025, today=TODAY, max_depth=compliance.own_depth(demo.branch)
    ).finding(demo.branch.pk, RULE, "2025")
    assert (own.status, own.message, own.facts) == (whole.status, whole.message, whole.facts)
    report = compliance.compute(parent, 2025, today=TODAY)
    refreshed = _refresh(report, {demo.branch.pk}, False)
    assert refreshed is not None and refreshed.cell(demo.branch.pk, RULE).status == "ok"
    elsewhere.delete()
    refreshed = _refresh(report, {demo.branch.pk}, False)
    assert refreshed is not None and refreshed.cell(demo.branch.pk, RULE).status == "violated"
    assert _coverage(demo.branch, 2025).facts["missed"] == 1
