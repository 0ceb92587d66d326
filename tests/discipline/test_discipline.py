"""Discipline records: who writes and sees them, what the audit log keeps, and their use by
transfers (no transfer under review) and recruitment (no sponsor under 留党察看 or
probationary on the step's day). Boundaries: the day before, of and after a review's end and a
留党察看 period's end."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection

from dangjian.audit.models import AuditEvent
from dangjian.core.errors import ServiceValidationError
from dangjian.discipline import queries, services
from dangjian.discipline.models import DisciplineRecord, RecordKind
from dangjian.members.models import Member
from dangjian.regulations import discipline as rules
from dangjian.transfers import services as transfer_services
from dangjian.transfers.models import Transfer, TransferStep
from tests.recruitment.helpers import full_members, march, open_file, step
from tests.transfers.helpers import as_, start

D = dt.date
SECRET = "涉嫌违规收受礼金XYZ"


def review(demo, member=None, *, since=None, until=None, user="inspector"):
    row = services.open_review(
        as_(demo.users[user]), member or demo.member_in_branch, since or D(2026, 10, 1), SECRET
    )
    if until is not None:
        row = services.end_review(as_(demo.users[user]), row, until)
    return row


def test_the_inspector_and_the_organ_committee_record_a_review(demo) -> None:
    row = review(demo, until=D(2026, 11, 2))
    services.decide(as_(demo.users["organ"]), demo.member_in_branch, "warning", D(2026, 11, 2))
    assert [r.kind for r in queries.for_member(demo.member_in_branch.pk)] == ["warning", "review"]
    assert row.reason == SECRET
    # The reason is encrypted at rest, and the audit log says only that there is one.
    with connection.cursor() as cursor:
        cursor.execute("SELECT reason_encrypted FROM discipline_disciplinerecord")
        stored = " ".join(r[0] for r in cursor.fetchall())
    assert SECRET not in stored
    events = AuditEvent.objects.filter(object_type="discipline.disciplinerecord")
    assert events.count() == 3
    for event in events:
        text = f"{event.changes} {event.message} {event.object_repr}"
        assert SECRET not in text and demo.member_in_branch.name not in text
    assert events.order_by("seq").first().changes["reason"] == [None, "已填写"]


@pytest.mark.parametrize("user", ["secretary"])
def test_a_branch_secretary_may_not_record(demo, user) -> None:
    with pytest.raises(PermissionDenied):
        review(demo, user=user)
    assert not DisciplineRecord.objects.exists()


def test_bad_input_writes_nothing(demo) -> None:
    organ = as_(demo.users["organ"])
    member = demo.member_in_branch
    with pytest.raises(ServiceValidationError, match="一年或二年"):
        services.decide(organ, member, "probation", D(2026, 1, 5), months=18)
    with pytest.raises(ServiceValidationError, match="处分类别"):
        services.decide(organ, member, "review", D(2026, 1, 5))
    with pytest.raises(ServiceValidationError, match="不能晚于今天"):
        services.open_review(organ, member, D(2999, 1, 1))
    row = review(demo)
    with pytest.raises(ServiceValidationError, match="未结束的审查"):
        review(demo)
    with pytest.raises(ServiceValidationError, match="不能早于审查开始日期"):
        services.end_review(organ, row, D(2026, 9, 30))
    assert DisciplineRecord.objects.count() == 1


@pytest.mark.parametrize(
    ("persona", "status"),
    [("inspector", 200), ("organ", 200), ("secretary", 404), ("member", 404), ("auditor", 404)],
)
def test_the_pages_are_seen_by_the_inspector_and_the_organ_committee_only(
    demo, client_for, persona, status
) -> None:
    client = client_for(demo.users[persona])
    member = demo.member_in_branch
    assert client.get(f"/discipline/member/{member.pk}/").status_code == status
    assert client.get("/discipline/").status_code == status
    response = client.post(
        f"/discipline/member/{member.pk}/",
        {"action": "decide", "kind": "probation", "months": "12", "started_on": "2026-03-01"},
    )
    assert response.status_code == (302 if status == 200 else 404)
    assert DisciplineRecord.objects.count() == (1 if status == 200 else 0)


def test_a_department_not_covered_answers_404(demo, client_for) -> None:
    client = client_for(demo.users["inspector"])
    other = demo.member_in_other_dept
    assert client.get(f"/discipline/member/{other.pk}/").status_code == 404


# ---- transfers ------------------------------------------------------------------------------


# The review runs 1 October to 2 November 2026 (both under review); applied on the day:
@pytest.mark.parametrize(
    ("applied_on", "refused"),
    [(D(2026, 11, 1), True), (D(2026, 11, 2), True), (D(2026, 11, 3), False)],
)
def test_no_transfer_is_started_under_review(demo, applied_on, refused) -> None:
    review(demo, until=D(2026, 11, 2))
    if refused:
        with pytest.raises(ServiceValidationError, match="正在接受纪律审查"):
            start(demo, applied_on=applied_on)
        assert not Transfer.objects.exists() and not TransferStep.objects.exists()
    else:
        assert start(demo, applied_on=applied_on).pk


def test_an_open_review_refuses_the_transfer_whatever_the_day(demo) -> None:
    review(demo, since=D(2026, 11, 20))
    with pytest.raises(ServiceValidationError, match="正在接受纪律审查"):
        start(demo, applied_on=D(2026, 11, 2))


def test_no_transfer_is_approved_under_review(demo) -> None:
    transfer = start(demo, applied_on=D(2026, 11, 2))
    review(demo, since=D(2026, 11, 3))
    with pytest.raises(ServiceValidationError, match="正在接受纪律审查"):
        transfer_services.approve(as_(demo.users["organ"]), transfer, D(2026, 11, 5))
    transfer.refresh_from_db()
    assert transfer.status == "applied" and transfer.letter_number == ""
    assert transfer.steps.count() == 1


def test_a_bulk_move_with_a_member_under_review_is_refused(demo) -> None:
    from dangjian.core.clock import today

    review(demo, since=today() - dt.timedelta(days=3))
    with pytest.raises(ServiceValidationError, match="正在接受纪律审查"):
        transfer_services.bulk_move(
            as_(demo.users["organ"]), demo.branch, demo.sibling_branch, today(), "合并"
        )
    assert Member.objects.filter(pk=demo.member_in_branch.pk, organization=demo.branch).exists()


# ---- sponsors -------------------------------------------------------------------------------


# Step 9 is on 15 April 2024; 留党察看 for a year decided on the day: its last day is the
# decision's anniversary.
@pytest.mark.parametrize(
    ("decided_on", "refused"),
    [(D(2023, 4, 14), False), (D(2023, 4, 15), True), (D(2023, 4, 16), True)],
)
def test_a_sponsor_under_party_probation_is_refused(demo, decided_on, refused) -> None:
    applicant = march(demo, open_file(demo), 8)
    sponsors = full_members(demo.branch, 2)
    services.decide(as_(demo.users["organ"]), sponsors[0], "probation", decided_on, months=12)
    if refused:
        with pytest.raises(ServiceValidationError, match="留党察看"):
            step(demo, applicant, 9, D(2024, 4, 15), people=sponsors)
        assert applicant.steps.filter(step=9).count() == 0
    else:
        step(demo, applicant, 9, D(2024, 4, 15), people=sponsors)


@pytest.mark.parametrize(
    ("confirmed_on", "refused"),
    [(D(2024, 4, 14), False), (D(2024, 4, 15), False), (D(2024, 4, 16), True)],
)
def test_a_sponsor_probationary_on_the_day_is_refused(demo, confirmed_on, refused) -> None:
    applicant = march(demo, open_file(demo), 8)
    sponsors = full_members(demo.branch, 2)
    Member.objects.filter(pk=sponsors[0].pk).update(confirmed_on=confirmed_on)
    sponsors[0].refresh_from_db()
    if refused:
        with pytest.raises(ServiceValidationError, match="预备党员不能作入党介绍人"):
            step(demo, applicant, 9, D(2024, 4, 15), people=sponsors)
    else:
        step(demo, applicant, 9, D(2024, 4, 15), people=sponsors)


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [(D(2024, 2, 29), 12, D(2025, 2, 28)), (D(2024, 2, 29), 24, D(2026, 2, 28)),
     (D(2023, 8, 31), 12, D(2024, 8, 31))],
)  # fmt: skip
def test_party_probation_ends_on_the_corresponding_day(start, months, end) -> None:
    assert rules.probation_ends(start, months) == end


def test_party_probation_covers_its_last_day_only(demo) -> None:
    member = demo.member_in_branch
    services.decide(as_(demo.users["organ"]), member, "probation", D(2024, 2, 29), months=12)
    ids = [member.pk]
    assert queries.on_party_probation(ids, D(2024, 2, 28)) == set()
    assert queries.on_party_probation(ids, D(2025, 2, 28)) == {member.pk}
    assert queries.on_party_probation(ids, D(2025, 3, 1)) == set()
    assert RecordKind.PROBATION == "probation"


def test_the_navigation_and_the_member_page_link_for_handlers_only(demo, client_for) -> None:
    member = demo.member_in_branch
    for persona, shown in (("inspector", True), ("organ", True), ("secretary", False)):
        html = client_for(demo.users[persona]).get(f"/members/{member.pk}/").content.decode()
        assert ('id="discipline-link"' in html) is shown, persona
        assert ("纪律审查与处分</a>" in html) is shown, persona


# ---- 开除党籍 ends the membership --------------------------------------------------------------


def test_expulsion_recorded_by_the_inspector_ends_the_membership(demo) -> None:
    from dangjian.members import history
    from dangjian.orgs.models import Post

    member = demo.member_in_branch
    post = Post.objects.create(
        organization=demo.branch,
        member=member,
        kind="organization_officer",
        started_on=D(2024, 1, 1),
    )
    before = AuditEvent.objects.count()
    services.decide(as_(demo.users["inspector"]), member, "expulsion", D(2026, 11, 2))
    member.refresh_from_db()
    assert (member.left_on, member.left_reason) == (D(2026, 11, 2), "expelled")
    assert not Member.objects.current().filter(pk=member.pk).exists()
    # counted the day before, not from the decision's day; the post ends the day before
    assert history.members_on(demo.branch, D(2026, 11, 1)).filter(pk=member.pk).exists()
    assert not history.members_on(demo.branch, D(2026, 11, 2)).filter(pk=member.pk).exists()
    post.refresh_from_db()
    assert post.ended_on == D(2026, 11, 1)
    assert not Post.objects.filter(member=member, ended_on__isnull=True).exists()
    events = AuditEvent.objects.order_by("seq")[before:]
    ended = [e for e in events if e.object_type == "members.member"]
    assert [e.message for e in ended] == ["开除党籍"]
    assert ended[0].actor_id == demo.users["inspector"].pk


def test_expulsion_after_suspension_changes_the_reason_only(demo) -> None:
    from dangjian.members import services_lifecycle as lifecycle

    member = demo.member_in_branch
    lifecycle.end_membership(as_(demo.users["organ"]), member, D(2026, 3, 1), "suspended")
    with pytest.raises(ServiceValidationError, match="停止党籍之后"):
        services.decide(as_(demo.users["inspector"]), member, "expulsion", D(2026, 2, 1))
    services.decide(as_(demo.users["inspector"]), member, "expulsion", D(2026, 11, 2))
    member.refresh_from_db()
    assert (member.left_on, member.left_reason) == (D(2026, 3, 1), "expelled")


def test_someone_who_died_cannot_be_expelled_and_nothing_is_written(demo) -> None:
    from dangjian.members import services_lifecycle as lifecycle

    member = demo.member_in_branch
    lifecycle.end_membership(as_(demo.users["organ"]), member, D(2026, 3, 1), "died")
    with pytest.raises(ServiceValidationError, match="已不在册"):
        services.decide(as_(demo.users["inspector"]), member, "expulsion", D(2026, 11, 2))
    assert not DisciplineRecord.objects.exists()
    member.refresh_from_db()
    assert member.left_reason == "died"
