"""Issue 12's missing rules in the findings: 民主生活会 到会 (its own column), 谈心谈话 once a
year (a frequency column), at most one 副书记 and the 党组's size (班子设置)."""

from __future__ import annotations

import datetime as dt

import pytest

from dangjian.audit.services import Actor
from dangjian.meetings import findings as compliance
from dangjian.meetings import services
from dangjian.meetings.models import Meeting
from dangjian.members.models import Member
from dangjian.orgs.models import COMMITTEE_POSTS, Organization, Post, PostKind
from dangjian.regulations.periods import TZ
from tests.conftest import TODAY
from tests.meetings import plan

SYSTEM = Actor.system("test")


@pytest.fixture(autouse=True)
def no_cache(settings):
    settings.DANGJIAN_COMPLIANCE_CACHE_SECONDS = 0
    compliance.clear_cache()
    yield
    compliance.clear_cache()


def year_finding(org: Organization, rule_id: str, year: int = 2026):
    report = compliance.compute(org, year, today=TODAY)
    return report.finding(org.pk, rule_id, str(year))


def leading_group(demo) -> Organization:
    return Organization.objects.get(code="FGW-DZ")


def some_members(demo, n: int) -> list[Member]:
    members = list(Member.objects.current().filter(organization=demo.branch).order_by("pk")[:n])
    assert len(members) == n
    return members


@pytest.mark.parametrize(("expected", "absent", "status"), [(9, 3, "ok"), (9, 4, "violated")])
def test_a_democratic_life_meeting_needs_two_thirds_present(demo, expected, absent, status):
    group = leading_group(demo)
    # A 党组 cannot plan meetings on the pages yet (MEETING_ORG_KINDS): its 民主生活会 records
    # arrive as the demo writes them, with their 应到/实到 kept on the record.
    day = TODAY.replace(month=3, day=10)
    meeting = Meeting.objects.create(
        organization=group,
        kind="democratic_life_meeting",
        topic="年度民主生活会",
        starts_at=dt.datetime.combine(day, dt.time(9), tzinfo=TZ),
        status="held",
        held_on=day,
        expected_count=expected,
        present_count=expected - absent,
    )
    found = year_finding(group, "dlm_quorum")
    assert found is not None and found.status == status
    assert found.citation == "《县以上党和国家机关党员领导干部民主生活会若干规定》"
    report = compliance.compute(group, 2026, today=TODAY)
    column = next(c for c in report.columns if c.key == "dlm_quorum")
    assert (column.label, column.citation) == ("民主生活会到会", found.citation)
    if status == "violated":
        assert found.severity == "error"
        assert meeting.pk in found.facts["meeting_ids"]
        assert f"应到{expected}人，实到{expected - absent}人，至少应到会6人" in found.message


def test_a_branch_without_a_heart_talk_this_year_is_warned_and_one_talk_clears_it(demo):
    before = year_finding(demo.branch, "heart_talk")
    meeting = plan(None, demo.branch, "heart_to_heart_talk")
    services.record_meeting(SYSTEM, meeting, attendance={})
    after = year_finding(demo.branch, "heart_talk")
    assert after.status == "ok"
    assert after.citation == "《中国共产党支部工作条例（试行）》"
    if before.status != "ok":
        assert before.severity == "warning"


def test_a_second_deputy_in_a_branch_committee_is_an_error(demo):
    branch = demo.branch
    seated = set(
        Post.objects.filter(
            organization=branch, kind__in=COMMITTEE_POSTS, ended_on__isnull=True
        ).values_list("member_id", flat=True)
    )
    deputies = Post.objects.filter(
        organization=branch, kind=PostKind.DEPUTY_SECRETARY, ended_on__isnull=True
    ).count()
    others = [m for m in some_members(demo, 12) if m.pk not in seated]
    for member in others[: 2 - deputies]:
        Post.objects.create(
            organization=branch,
            member=member,
            kind=PostKind.DEPUTY_SECRETARY,
            started_on=TODAY.replace(month=1, day=1),
        )
    found = year_finding(branch, "committee_deputies")
    assert found is not None and (found.status, found.severity) == ("violated", "error")
    assert found.message == "党支部委员会副书记至多设1名，现有副书记2名"
    assert found.citation == "《中国共产党支部工作条例（试行）》"


@pytest.mark.parametrize(("size", "status"), [(3, "ok"), (7, "ok"), (8, "violated")])
def test_a_party_groups_size_is_held_to_three_to_seven(demo, size, status):
    group = leading_group(demo)
    Post.objects.filter(organization=group).delete()
    for index, member in enumerate(some_members(demo, size)):
        Post.objects.create(
            organization=group,
            member=member,
            kind=PostKind.SECRETARY if index == 0 else PostKind.COMMITTEE_MEMBER,
            started_on=TODAY.replace(month=1, day=1),
        )
    found = year_finding(group, "dangzu_size")
    assert found is not None and found.status == status
    assert found.citation == "《中国共产党党组工作条例（试行）》第七条"
    if status == "violated":
        assert found.severity == "warning"
        assert "党组成员一般设3至7人" in found.message and f"现有{size}人" in found.message


def test_organ_thresholds_count_the_whole_subtree_and_follow_a_write_below(demo, settings):
    from dangjian.members import services as member_services

    assert demo.branch.path.startswith(demo.organ_committee.path)
    committee, general = demo.organ_committee, Organization.objects.get(code="FGW-ZZ")

    def members_under(org: Organization) -> int:
        return Member.objects.current().filter(organization__path__startswith=org.path).count()

    report = compliance.compute(committee, 2026, today=TODAY)
    assert report.by_id[committee.pk].subtree_members == members_under(committee)
    assert report.by_id[general.pk].subtree_members == members_under(general)
    # An organization's own page (one level) counts the subtree with a query of its own.
    own = compliance.compute(general, 2026, today=TODAY, max_depth=general.depth)
    assert own.by_id[general.pk].subtree_members == members_under(general)

    for org, rule_id, low in (
        (committee, "organ_committee", 100),
        (general, "organ_general_branch", 50),
    ):
        found = report.finding(org.pk, rule_id, "2026")
        n = members_under(org)
        assert found is not None
        assert found.status == ("violated" if n < low else "ok")

    # The cached findings page: a member moved out of a branch under the 总支 changes its
    # count, though only the two branches' records changed.
    settings.DANGJIAN_COMPLIANCE_CACHE_SECONDS = 600
    compliance.clear_cache()
    before = compliance.cached_report(committee, 2026, today=TODAY)
    count = members_under(general)
    assert before.by_id[general.pk].subtree_members == count
    mover = Member.objects.current().filter(organization__path__startswith=general.path).first()
    yesterday = TODAY - dt.timedelta(days=1)
    member_services.move_member(SYSTEM, mover, demo.branch, reason="调动", on=yesterday)
    assert members_under(general) == count - 1
    after = compliance.cached_report(committee, 2026, today=TODAY)
    assert after.by_id[general.pk].subtree_members == members_under(general)
    assert after.by_id[committee.pk].subtree_members == members_under(committee)
