"""Development files through the 25 steps: order, dates, prerequisites, and the membership
history written at admission and confirmation."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from dangjian.core.errors import ServiceValidationError
from dangjian.meetings.models import MeetingKind
from dangjian.members.history import counts_on
from dangjian.members.models import MembershipSpell
from dangjian.recruitment.models import Applicant, StepRecord
from tests.helpers import events_since, last_seq
from tests.recruitment.helpers import D, full_members, march, meeting, open_file, step, vote


def test_opening_a_file_records_step_one_encrypted_and_audited_without_the_name(demo) -> None:
    seq = last_seq()
    applicant = open_file(demo)
    assert applicant.stage == "applicant" and applicant.next_step == 2
    assert list(applicant.steps.values_list("step", flat=True)) == [1]
    assert applicant.id_number not in applicant.id_number_encrypted
    events = events_since(seq)
    assert len(events) == 1
    assert "申请人甲" not in str(events[0].object_repr) + str(events[0].changes)
    assert applicant.id_number not in str(events[0].changes)


def test_an_applicant_under_18_is_refused(demo) -> None:
    with pytest.raises(ServiceValidationError, match="未满18周岁"):
        open_file(demo, birth=D(2008, 6, 15), received_on=D(2026, 6, 14))
    assert not Applicant.objects.exists()
    assert open_file(demo, birth=D(2008, 6, 15), received_on=D(2026, 6, 15)).pk


def test_steps_must_follow_in_order(demo) -> None:
    applicant = open_file(demo)
    with pytest.raises(ServiceValidationError, match="下一步应为第2步「党组织派人谈话」"):
        step(demo, applicant, 3, D(2023, 4, 1))


def test_a_step_cannot_be_dated_before_the_previous_one(demo) -> None:
    applicant = open_file(demo)
    with pytest.raises(ServiceValidationError, match="不能早于上一步骤的日期"):
        step(demo, applicant, 2, D(2023, 2, 28))
    assert applicant.steps.count() == 1


def test_a_late_talk_is_recorded_and_shown_late(demo) -> None:
    from dangjian.recruitment.queries import timeline

    applicant = open_file(demo)
    step(demo, applicant, 2, D(2023, 4, 3))  # due 1 April (a Saturday) → Monday 3 April
    assert timeline(applicant, D(2026, 11, 25))[1].status == "done"
    other = open_file(demo, seed=5)
    step(demo, other, 2, D(2023, 4, 4))
    assert timeline(other, D(2026, 11, 25))[1].status == "late"


def test_activist_selection_needs_the_branch_committee_meeting(demo) -> None:
    applicant = march(demo, open_file(demo), 2)
    with pytest.raises(ServiceValidationError, match="请选择作为依据的会议记录"):
        step(demo, applicant, 3, D(2023, 4, 10))
    wrong = meeting(demo.branch, MeetingKind.GENERAL_MEETING, D(2023, 4, 10))
    with pytest.raises(ServiceValidationError, match="支部委员会会议"):
        step(demo, applicant, 3, D(2023, 4, 10), meeting=wrong)
    elsewhere = meeting(demo.sibling_branch, MeetingKind.COMMITTEE_MEETING, D(2023, 4, 10))
    with pytest.raises(ServiceValidationError, match="本支部"):
        step(demo, applicant, 3, D(2023, 4, 10), meeting=elsewhere)


def test_filing_upward_is_done_by_the_organ_committee_not_the_branch(demo) -> None:
    applicant = march(demo, open_file(demo), 3)
    with pytest.raises(PermissionDenied):
        step(demo, applicant, 4, D(2023, 4, 20), "secretary")
    step(demo, applicant, 4, D(2023, 4, 20), "organ")


def test_cultivators_are_one_or_two_full_members(demo) -> None:
    applicant = march(demo, open_file(demo), 4)
    with pytest.raises(ServiceValidationError, match="一至两名正式党员"):
        step(demo, applicant, 5, D(2023, 4, 20), people=full_members(demo.branch, 3))


@pytest.mark.parametrize(("day", "ok"), [(D(2024, 4, 9), False), (D(2024, 4, 10), True)])
def test_a_candidate_after_a_full_year_as_activist(demo, day, ok) -> None:
    applicant = march(demo, open_file(demo), 6)
    call = lambda: step(  # noqa: E731
        demo, applicant, 7, day, meeting=meeting(demo.branch, MeetingKind.COMMITTEE_MEETING, day)
    )
    if ok:
        call()
    else:
        with pytest.raises(ServiceValidationError, match="2024年4月10日起"):
            call()


def test_a_probationary_sponsor_is_refused(demo) -> None:
    from dangjian.members.models import Member

    applicant = march(demo, open_file(demo), 8)
    probationary = Member.objects.filter(status="probationary", left_on__isnull=True).first()
    assert probationary is not None
    with pytest.raises(ServiceValidationError, match="预备党员不能作入党介绍人"):
        step(
            demo,
            applicant,
            9,
            D(2024, 4, 15),
            people=[full_members(demo.branch, 1)[0], probationary],
        )


@pytest.mark.parametrize(("days", "hours", "ok"), [(2, 23, False), (2, 24, True), (3, 0, True)])
def test_training_three_days_or_24_hours(demo, days, hours, ok) -> None:
    applicant = march(demo, open_file(demo), 10)
    kw = {"training_days": days, "training_hours": hours}
    if ok:
        step(demo, applicant, 11, D(2024, 5, 20), "organ", **kw)
    else:
        with pytest.raises(ServiceValidationError, match="不足三天"):
            step(demo, applicant, 11, D(2024, 5, 20), "organ", **kw)


def test_a_vote_without_a_majority_of_those_who_should_attend_is_refused(demo) -> None:
    applicant = march(demo, open_file(demo), 14)
    day = D(2024, 7, 1)
    full = counts_on(demo.branch, day)[demo.branch.pk].full
    short = vote(demo.branch, day, yes=full // 2)
    with pytest.raises(ServiceValidationError, match="未超过应到会有表决权党员"):
        step(demo, applicant, 15, day, vote=short)
    assert not StepRecord.objects.filter(applicant=applicant, step=15).exists()


def test_one_vote_cannot_admit_two_candidates(demo) -> None:
    first = march(demo, open_file(demo), 14)
    second = march(demo, open_file(demo, seed=9), 14)
    shared = vote(demo.branch, D(2024, 7, 1))
    step(demo, first, 15, D(2024, 7, 1), vote=shared)
    with pytest.raises(ServiceValidationError, match="逐个表决"):
        step(demo, second, 15, D(2024, 7, 1), vote=shared)


def test_leaving_within_three_months_needs_a_reason(demo) -> None:
    applicant = march(demo, open_file(demo, leaves_on=D(2024, 9, 30)), 14)
    v = vote(demo.branch, D(2024, 7, 1))
    with pytest.raises(ServiceValidationError, match="请记录理由"):
        step(demo, applicant, 15, D(2024, 7, 1), vote=v)
    step(demo, applicant, 15, D(2024, 7, 1), vote=v, warning_reason="随单位整体划转，组织关系不变")


def test_approval_admits_a_probationary_member_from_the_branch_meeting_date(demo) -> None:
    applicant = march(demo, open_file(demo), 16)
    before = counts_on(demo.branch, D(2024, 7, 1))[demo.branch.pk]
    march(demo, applicant, 17)
    member = applicant.member
    assert member is not None and member.status == "probationary"
    assert member.admitted_on == D(2024, 7, 1)
    after = counts_on(demo.branch, D(2024, 7, 1))[demo.branch.pk]
    assert after.members == before.members + 1 and after.full == before.full
    assert counts_on(demo.branch, D(2024, 6, 30))[demo.branch.pk].members == before.members


def test_confirmation_before_probation_ends_is_refused(demo) -> None:
    applicant = march(demo, open_file(demo), 22)
    early = vote(demo.branch, D(2025, 6, 30))
    with pytest.raises(ServiceValidationError, match="2025年7月1日届满"):
        step(demo, applicant, 23, D(2025, 6, 30), vote=early, publicity_from=D(2025, 6, 20))


def test_the_whole_development_ends_with_a_full_member_from_the_end_of_probation(demo) -> None:
    applicant = march(demo, open_file(demo), 25)
    member = applicant.member
    member.refresh_from_db()
    assert member.status == "full" and member.confirmed_on == D(2025, 7, 1)
    statuses = list(
        MembershipSpell.objects.filter(member=member)
        .order_by("started_on")
        .values_list("status", "started_on")
    )
    assert statuses == [("probationary", D(2024, 7, 1)), ("full", D(2025, 7, 1))]
    assert applicant.closed_on == D(2025, 8, 1) and applicant.steps.count() == 25
    with pytest.raises(ServiceValidationError, match="已结束"):
        step(demo, applicant, 25, D(2025, 8, 2))


def test_applicants_count_in_no_member_figure(demo) -> None:
    day = D(2026, 11, 25)
    before = counts_on(demo.branch, day)[demo.branch.pk]
    march(demo, open_file(demo), 16)
    assert counts_on(demo.branch, day)[demo.branch.pk] == before


def test_the_committee_review_waits_for_the_publicity_of_the_local_pack(demo, settings) -> None:
    # sample_local: 公示 of 5 working days. From Friday 7 June 2024 (10 June is 端午) the five
    # are 7, 11, 12, 13, 14 June: the review may be held from Saturday 15 June on.
    settings.DANGJIAN_RULE_PACKS = ["bundled:sample_local"]
    applicant = march(demo, open_file(demo), 11)
    with pytest.raises(ServiceValidationError, match="公示期5个工作日，至2024年6月14日结束"):
        step(
            demo,
            applicant,
            12,
            D(2024, 6, 14),
            meeting=meeting(demo.branch, MeetingKind.COMMITTEE_MEETING, D(2024, 6, 14)),
            publicity_from=D(2024, 6, 7),
        )
    step(
        demo,
        applicant,
        12,
        D(2024, 6, 15),
        meeting=meeting(demo.branch, MeetingKind.COMMITTEE_MEETING, D(2024, 6, 15)),
        publicity_from=D(2024, 6, 7),
    )
