"""Issue 12: votes, quorums and committee rules count the people the regulations name, on the
meeting's day (the membership history), not the planner's list or today's roster; terms are
checked by kind. One test per example of the issue, through the services and the findings."""

from __future__ import annotations

import datetime as dt

import pytest

from dangjian.audit.services import Actor
from dangjian.core.errors import ServiceValidationError
from dangjian.meetings import findings as compliance
from dangjian.meetings import services
from dangjian.meetings.models import Meeting, Vote
from dangjian.meetings.queries import entitled_voters, expected_attendees
from dangjian.members import services as member_services
from dangjian.members.models import Member, MemberStatus
from dangjian.orgs.models import COMMITTEE_POSTS, Organization, OrgKind, Post
from dangjian.orgs.services import create_organization
from tests.conftest import TODAY, member_payload
from tests.meetings import plan

VIOLATED, OK = "violated", "ok"


@pytest.fixture(autouse=True)
def no_cache(settings):
    settings.DANGJIAN_COMPLIANCE_CACHE_SECONDS = 0
    compliance.clear_cache()
    yield
    compliance.clear_cache()


@pytest.fixture
def secretary(demo):
    return Actor(user=demo.users["secretary"])


def full_members(branch: Organization) -> list[Member]:
    return list(
        Member.objects.current()
        .filter(organization=branch, status=MemberStatus.FULL)
        .order_by("pk")
    )


def seated(branch: Organization) -> list[Member]:
    posts = Post.objects.filter(
        organization=branch, kind__in=COMMITTEE_POSTS, ended_on__isnull=True
    )
    return list(Member.objects.filter(pk__in=posts.values("member_id")).order_by("pk"))


def year_finding(org: Organization, rule_id: str, year: int = 2026):
    report = compliance.compute(org, year, today=TODAY)
    return report.finding(org.pk, rule_id, str(year))


# ---- 第十一条: the voting denominator is the branch's full members, not the planner's list ----


def test_a_narrowed_list_does_not_shrink_the_voting_denominator(demo, secretary):
    voters = full_members(demo.branch)
    assert len(voters) >= 7  # 3 present is then not more than half
    meeting = plan(secretary.user, demo.branch, attendees=[m.pk for m in voters[:4]])
    assert expected_attendees(meeting).count() == 4
    assert set(entitled_voters(meeting)) == set(voters)

    with pytest.raises(ServiceValidationError) as exc:
        services.record_meeting(
            secretary,
            meeting,
            attendance={voters[0].pk: ("absent", "")},
            votes=[{"subject": "接收预备党员", "yes": 3}],
        )

    assert exc.value.errors["votes"].startswith(
        f"支部党员大会应到有表决权的党员{len(voters)}人，实到3人，未超过半数"
    )
    assert not Vote.objects.filter(meeting=meeting).exists()


def test_a_vote_passes_on_the_branchs_full_members_and_probationers_do_not_count(demo, secretary):
    voters = full_members(demo.branch)
    everyone = list(Member.objects.current().filter(organization=demo.branch))
    probationers = [m for m in everyone if m.status == MemberStatus.PROBATIONARY]
    present = len(voters) // 2 + 1
    absent = {m.pk: ("absent", "") for m in voters[present:]}
    meeting = plan(secretary.user, demo.branch)

    services.record_meeting(
        secretary,
        meeting,
        attendance=absent,
        votes=[{"subject": "接收甲为预备党员", "yes": present}],
    )

    meeting.refresh_from_db()
    (vote,) = Vote.objects.filter(meeting=meeting)
    assert (vote.voting_members, vote.present_voting) == (len(voters), present)
    assert (meeting.quorum_base, meeting.quorum_present) == (len(voters), present)
    # Probationary members are present for the meeting but have no vote.
    assert meeting.present_count == present + len(probationers)
    assert vote.quorate and vote.passed


def test_a_member_on_leave_stays_in_the_denominator(demo, secretary):
    voters = full_members(demo.branch)
    # Half of them (rounded up) on leave: those present are not more than half.
    on_leave = {m.pk: ("on_leave", "外出培训") for m in voters[: (len(voters) + 1) // 2]}
    meeting = plan(secretary.user, demo.branch)

    with pytest.raises(ServiceValidationError) as exc:
        services.record_meeting(
            secretary, meeting, attendance=on_leave, votes=[{"subject": "事项", "yes": 1}]
        )
    assert f"应到有表决权的党员{len(voters)}人" in exc.value.errors["votes"]


# ---- 第十二条: a 支委会's quorum counts the 委员 seated that day, only 委员 -----------------------


def test_two_of_five_committee_members_expected_and_present_is_no_quorum(demo, secretary):
    committee = seated(demo.branch)
    assert len(committee) == 5
    meeting = plan(
        secretary.user,
        demo.branch,
        "committee_meeting",
        attendees=[m.pk for m in committee[:2]],
    )

    services.record_meeting(secretary, meeting, attendance={})

    meeting.refresh_from_db()
    assert (meeting.expected_count, meeting.present_count) == (2, 2)
    assert (meeting.quorum_base, meeting.quorum_present) == (5, 2)
    found = year_finding(demo.branch, "committee_meeting_quorum")
    assert found.status == VIOLATED
    assert meeting.pk in found.facts["meeting_ids"]
    assert "应到委员5人，实到2人" in found.message
    assert found.citation == "《中国共产党支部工作条例（试行）》第十二条"


def test_one_committee_member_and_five_guests_is_no_quorum(demo, secretary):
    committee = seated(demo.branch)
    guests = [m for m in full_members(demo.branch) if m not in committee][:5]
    assert len(guests) == 5
    meeting = plan(
        secretary.user,
        demo.branch,
        "committee_meeting",
        attendees=[committee[0].pk, *(g.pk for g in guests)],
    )

    with pytest.raises(ServiceValidationError) as exc:
        services.record_meeting(
            secretary, meeting, attendance={}, votes=[{"subject": "确定发展对象", "yes": 1}]
        )
    assert exc.value.errors["votes"].startswith("支部委员会会议应到委员5人，实到1人")
    assert "须过半数委员到会" in exc.value.errors["votes"]

    services.record_meeting(secretary, meeting, attendance={})
    meeting.refresh_from_db()
    assert (meeting.present_count, meeting.quorum_base, meeting.quorum_present) == (6, 5, 1)
    found = year_finding(demo.branch, "committee_meeting_quorum")
    assert found.status == VIOLATED and meeting.pk in found.facts["meeting_ids"]


def test_a_committee_member_who_left_the_committee_no_longer_counts(demo, secretary):
    committee = seated(demo.branch)
    post = Post.objects.filter(
        organization=demo.branch, member=committee[-1], ended_on__isnull=True
    ).first()
    day = TODAY - dt.timedelta(days=1)
    post.ended_on = day - dt.timedelta(days=1)  # no longer seated on the meeting's day
    post.save(update_fields=["ended_on"])
    meeting = plan(secretary.user, demo.branch, "committee_meeting")
    assert committee[-1].pk not in {m.pk for m in entitled_voters(meeting)}
    assert entitled_voters(meeting).count() == 4


# ---- past periods use the roster as it was -------------------------------------------------


def _branch_with_a_seventh_member_confirmed_in_2026() -> Organization:
    actor = Actor.system("test")
    parent = Organization.objects.get(code="FGW-JGDW")
    branch = create_organization(
        actor,
        parent,
        name="测试七人党支部",
        kind=OrgKind.BRANCH,
        code="T-SEVEN",
        founded_on=dt.date(2020, 1, 1),
    )
    for i in range(6):
        member_services.create_member(actor, branch, member_payload(name=f"测试{i}", seed=100 + i))
    member_services.create_member(
        actor,
        branch,
        member_payload(
            name="测试七",
            seed=199,
            admitted_on="2024-12-20",
            confirmed_on="2026-01-10",
        ),
    )
    return branch


def test_a_branch_with_six_full_members_in_2025_needed_no_committee_that_year(demo):
    branch = _branch_with_a_seventh_member_confirmed_in_2026()

    past = compliance.compute(branch, 2025, today=TODAY)
    past_rules = {f.rule_id: f for f in past.findings_for(branch.pk)}
    assert "committee_meeting_freq" not in past_rules
    assert past_rules["no_committee"].status == OK
    assert "正式党员6人" in past_rules["no_committee"].message

    now = compliance.compute(branch, 2026, today=TODAY)
    now_rules = {f.rule_id: f for f in now.findings_for(branch.pk)}
    assert "committee_meeting_freq" in now_rules
    assert now_rules["committee_threshold"].status == VIOLATED
    assert now_rules["committee_threshold"].severity == "error"


def test_past_findings_do_not_move_when_today_does(demo):
    branch = _branch_with_a_seventh_member_confirmed_in_2026()
    before = compliance.report_json(compliance.compute(branch, 2025, today=TODAY))
    later = compliance.report_json(compliance.compute(branch, 2025, today=dt.date(2027, 6, 1)))
    assert before == later


# ---- terms by kind ---------------------------------------------------------------------------


def test_a_2023_term_typed_as_ending_in_2030_is_found_expired(demo):
    branch = demo.branch
    Organization.objects.filter(pk=branch.pk).update(
        term_started_on=dt.date(2023, 1, 1), term_ends_on=dt.date(2030, 1, 1)
    )
    report = compliance.compute(branch, 2026, today=TODAY)
    terms = [f for f in report.findings_for(branch.pk) if f.rule_id == "committee_term"]
    assert terms and all(f.status == VIOLATED for f in terms)
    assert all(f.severity == "warning" for f in terms)  # 一般为3年: explainable
    messages = " ".join(f.message for f in terms)
    assert "任期已于2026年1月1日届满" in messages
    assert "换届延期一般不超过1年" in messages


def test_meeting_rows_keep_the_quorum_figures_only_for_quorum_kinds(demo, secretary):
    meeting = plan(secretary.user, demo.branch, "theme_day")
    services.record_meeting(secretary, meeting, attendance={})
    meeting = Meeting.objects.get(pk=meeting.pk)
    assert (meeting.quorum_base, meeting.quorum_present) == (None, None)


def test_the_migration_fills_the_figures_and_corrects_old_votes(demo, secretary):
    import importlib

    from django.apps import apps

    migration = importlib.import_module(
        "dangjian.meetings.migrations.0004_quorum_counts_from_history"
    )
    voters = full_members(demo.branch)
    meeting = plan(secretary.user, demo.branch, attendees=[m.pk for m in voters[:4]])
    services.record_meeting(secretary, meeting, attendance={})
    # A record made before issue 12: the figures counted the planner's list of 4.
    Meeting.objects.filter(pk=meeting.pk).update(quorum_base=None, quorum_present=None)
    Vote.objects.create(
        meeting=meeting, subject="旧表决", voting_members=4, present_voting=4, yes=3
    )

    migration.forwards(apps, None)

    meeting.refresh_from_db()
    vote = Vote.objects.get(meeting=meeting)
    assert (meeting.quorum_base, meeting.quorum_present) == (len(voters), 4)
    assert (vote.voting_members, vote.present_voting) == (len(voters), 4)
    assert not vote.quorate and not vote.passed


# ---- the findings cache follows the history ----------------------------------------------------


def test_a_history_change_refreshes_every_branch_the_member_belonged_to(demo, settings):
    settings.DANGJIAN_COMPLIANCE_CACHE_SECONDS = 600
    actor = Actor.system("test")
    parent = Organization.objects.get(code="FGW-JGDW")
    old, new = (
        create_organization(
            actor,
            parent,
            name=f"测试{c}党支部",
            kind=OrgKind.BRANCH,
            code=c,
            founded_on=dt.date(2020, 1, 1),
        )
        for c in ("T-OLD", "T-NEW")
    )

    def data(confirmed_on: str) -> dict:
        return member_payload(
            name="测试调动", seed=301, admitted_on="2024-09-01", confirmed_on=confirmed_on
        )

    member, _ = member_services.create_member(actor, old, data("2025-12-15"))
    member = member_services.move_member(actor, member, new, reason="调动", on=dt.date(2026, 3, 1))
    root = demo.organ_committee
    before = compliance.cached_report(root, 2025, today=TODAY)
    assert (before.by_id[old.pk].members, before.by_id[old.pk].full_members) == (1, 1)

    # The confirmation date corrected to 2026: at the end of 2025 the old branch (not the
    # member's branch now) had one full member fewer.
    member_services.update_member(actor, member, data("2026-01-10"))
    after = compliance.cached_report(root, 2025, today=TODAY)

    assert after is not before
    assert (after.by_id[old.pk].members, after.by_id[old.pk].full_members) == (1, 0)
    assert _figures(after) == _figures(compliance.compute(root, 2025, today=TODAY))


def _figures(report) -> list:
    return [(o.id, o.members, o.full_members, o.committee_size) for o in report.orgs]


def test_the_quorum_column_cites_both_articles(demo):
    report = compliance.compute(demo.branch, 2026, today=TODAY)
    column = next(c for c in report.columns if c.key == "quorum")
    assert column.citation == "《中国共产党支部工作条例（试行）》第十一条、第十二条"
    found = report.finding(demo.branch.pk, "general_meeting_quorum", "2026")
    if found is not None:
        assert found.citation == "《中国共产党支部工作条例（试行）》第十一条"


def test_meetings_written_in_bulk_get_the_same_figures_as_the_service(demo):
    from dangjian.meetings.models import ATTENDED, Attendance
    from dangjian.members import history

    held = Meeting.objects.filter(
        organization=demo.branch, kind="committee_meeting", status="held"
    ).order_by("held_on")
    assert held.exists()
    for meeting in held:
        seats = set(
            history.committee_on(demo.branch, meeting.held_on).values_list("member_id", flat=True)
        )
        present = Attendance.objects.filter(
            meeting=meeting, member_id__in=seats, status__in=ATTENDED
        ).count()
        assert (meeting.quorum_base, meeting.quorum_present) == (len(seats), present)


def test_the_record_page_shows_the_branchs_voters_for_a_narrowed_list(demo, client_for):
    from django.urls import reverse

    voters = full_members(demo.branch)
    meeting = plan(demo.users["secretary"], demo.branch, attendees=[m.pk for m in voters[:4]])
    page = client_for(demo.users["secretary"]).get(reverse("meetings:record", args=[meeting.pk]))
    text = page.content.decode()
    assert f"有表决权的党员（正式党员）应到 <strong>{len(voters)}</strong> 人" in text
    assert '现到会 <strong id="count-voting-present">4</strong> 人' in text


def test_a_members_page_shows_their_membership_history(demo, client_for):
    from django.urls import reverse

    actor = Actor.system("test")
    member, _ = member_services.create_member(
        actor,
        demo.branch,
        member_payload(
            name="测试履历", seed=401, admitted_on="2024-09-01", confirmed_on="2025-10-01"
        ),
    )
    member_services.move_member(
        actor, member, demo.sibling_branch, reason="调动", on=dt.date(2026, 3, 1)
    )
    page = client_for(demo.users["organ"]).get(reverse("members:detail", args=[member.pk]))
    text = page.content.decode()
    assert "党籍变动" in text
    assert text.index("2024年9月1日") < text.index("2025年10月1日") < text.index("2026年3月1日")
    assert demo.sibling_branch.name in text and "转为正式党员" in text and "至今" in text
