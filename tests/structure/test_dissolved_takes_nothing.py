"""A dissolved organization takes nothing new: the dissolution is refused while a member, a post
or a meeting belongs to it on or after its day (docs/organization-history.md), so the services
that would put one back afterwards refuse too (members, posts, transfers in, meetings and a series' top-up)."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.urls import reverse

from dangjian.audit.models import AuditEvent
from dangjian.audit.services import Actor
from dangjian.core.errors import ServiceValidationError
from dangjian.duties import services as duty_services
from dangjian.duties.models import WorkItem
from dangjian.meetings import services as meeting_services
from dangjian.meetings.models import Meeting, MeetingSeries
from dangjian.members import services as member_services
from dangjian.members import services_lifecycle as lifecycle
from dangjian.members.models import LeaveReason, Member
from dangjian.orgs import services as org_services
from dangjian.orgs.models import Organization, OrgKind, Post, PostKind
from dangjian.orgs.services import create_organization
from dangjian.recruitment import services as recruitment_services
from dangjian.recruitment.models import Applicant
from dangjian.regulations.synth import make_id_number
from dangjian.structure.services import dissolve_organization
from dangjian.transfers import services as transfer_services
from dangjian.transfers.models import Transfer
from tests.conftest import TODAY, member_payload
from tests.helpers import last_seq

ACTOR = Actor.system("test")
DISSOLVED = dt.date(2026, 6, 1)


def founded(
    parent: Organization,
    name: str,
    code: str,
    kind: str = OrgKind.BRANCH,
    dissolved_on: dt.date | None = DISSOLVED,
) -> Organization:
    """An organization founded in 2020 under `parent`, dissolved on `dissolved_on` (unless None)."""
    org = create_organization(
        ACTOR, parent, name=name, kind=kind, code=code, founded_on=dt.date(2020, 1, 1)
    )
    if dissolved_on is not None:
        dissolve_organization(ACTOR, org, dissolved_on)
        org.refresh_from_db()
    return org


@pytest.fixture
def dissolved(demo) -> Organization:
    return founded(Organization.objects.get(code="FGW-JGDW"), "测试撤销党支部", "T-GONE")


def _someone_elsewhere(demo) -> Member:
    return Member.objects.filter(organization=demo.sibling_branch, status="full").first()


def test_no_member_is_registered_or_moved_into_a_dissolved_branch(demo, dissolved):
    with pytest.raises(ServiceValidationError) as created:
        member_services.create_member(ACTOR, dissolved, member_payload(name="测试新", seed=801))
    assert (
        created.value.errors["organization"] == "测试撤销党支部已于2026年6月1日撤销，不能再接收党员"
    )

    person = _someone_elsewhere(demo)
    with pytest.raises(ServiceValidationError) as moved:
        member_services.move_member(ACTOR, person, dissolved, reason="调动")
    assert "organization" in moved.value.errors
    assert not Member.objects.filter(organization=dissolved).exists()
    person.refresh_from_db()
    assert person.organization_id == demo.sibling_branch.pk


def test_no_post_is_taken_in_a_dissolved_organization(demo, dissolved):
    person = _someone_elsewhere(demo)
    with pytest.raises(ServiceValidationError) as refused:
        org_services.add_post(ACTOR, dissolved, person, PostKind.SECRETARY, TODAY)
    assert refused.value.errors["organization"] == "测试撤销党支部已于2026年6月1日撤销，不能再任职"
    assert not Post.objects.filter(organization=dissolved).exists()


def test_an_organization_that_exists_still_takes_them(demo):
    branch = demo.sibling_branch
    member, _ = member_services.create_member(
        ACTOR, branch, member_payload(name="测试在", seed=802)
    )
    post = org_services.add_post(ACTOR, branch, member, PostKind.COMMITTEE_MEMBER, TODAY)
    assert (member.organization_id, post.organization_id) == (branch.pk, branch.pk)


def test_no_meeting_is_planned_on_or_after_the_dissolution(demo, dissolved):
    for day in ("2026-06-01 15:00", "2026-12-05 15:00"):
        with pytest.raises(ServiceValidationError) as refused:
            meeting_services.plan_meeting(
                ACTOR, dissolved, {"kind": "theme_day", "starts_at": day, "topic": "主题党日"}
            )
        assert refused.value.errors == {
            "starts_at": "测试撤销党支部已于2026年6月1日撤销，会议时间应早于撤销日期"
        }
    # A meeting held while it existed can still be entered (a 补录).
    before = meeting_services.plan_meeting(
        ACTOR,
        dissolved,
        {"kind": "theme_day", "starts_at": "2026-05-31 15:00", "topic": "主题党日"},
    )
    assert before.organization_id == dissolved.pk

    with pytest.raises(ServiceValidationError) as series:
        meeting_services.plan_series(ACTOR, dissolved, {"day_of_month": 10, "start_time": "15:00"})
    assert "organization" in series.value.errors
    assert not MeetingSeries.objects.filter(organization=dissolved).exists()


def test_a_series_is_not_topped_up_after_its_organization_is_dissolved(demo):
    org = create_organization(
        ACTOR,
        Organization.objects.get(code="FGW-JGDW"),
        name="测试续排党支部",
        kind=OrgKind.BRANCH,
        code="T-SERIES",
        founded_on=dt.date(2020, 1, 1),
    )
    series, planned = meeting_services.plan_series(
        ACTOR, org, {"day_of_month": 10, "start_time": "15:00"}, on=dt.date(2025, 6, 1)
    )
    assert len(planned) == 12
    dissolve_organization(ACTOR, org, dt.date(2026, 6, 1))

    series.refresh_from_db()
    assert not series.active  # stopped by the dissolution (the tick tops up active ones only)
    series.active = True  # and were it still active, nothing would be planned
    series.save(update_fields=["active"])
    assert meeting_services.extend_series(ACTOR, series, on=TODAY) == []
    assert not Meeting.objects.filter(organization=org, starts_at__date__gte=dt.date(2026, 6, 1))


def test_the_dissolution_cancels_the_meetings_planned_from_its_day_and_stops_the_series(demo):
    org = create_organization(
        ACTOR,
        Organization.objects.get(code="FGW-JGDW"),
        name="测试取消党支部",
        kind=OrgKind.BRANCH,
        code="T-CANCEL",
        founded_on=dt.date(2020, 1, 1),
    )
    series, planned = meeting_services.plan_series(
        ACTOR, org, {"day_of_month": 10, "start_time": "15:00"}, on=dt.date(2026, 1, 1)
    )
    assert len(planned) == 12  # 10 January to 10 December 2026
    start = last_seq()

    dissolve_organization(ACTOR, org, dt.date(2026, 6, 1))

    statuses = {m.starts_at.month: m.status for m in Meeting.objects.filter(organization=org)}
    assert {month for month, status in statuses.items() if status == "cancelled"} == set(
        range(6, 13)
    )
    assert {month for month, status in statuses.items() if status == "planned"} == set(
        range(1, 6)
    )  # before the dissolution: still the branch's to record
    series.refresh_from_db()
    assert not series.active
    events = AuditEvent.objects.filter(seq__gt=start)
    cancelled = events.filter(object_type="meetings.meeting")
    assert cancelled.count() == 7
    assert all("组织撤销" in e.message for e in cancelled)
    assert events.filter(object_type="meetings.meetingseries", object_id=str(series.pk)).exists()


def test_no_transfer_into_a_dissolved_branch_is_started_or_registered(demo, dissolved):
    with pytest.raises(ServiceValidationError) as started:
        transfer_services.start(
            ACTOR,
            _someone_elsewhere(demo),
            kind="within",
            reason="工作调动",
            applied_on=TODAY,
            to_organization=dissolved,
        )
    assert started.value.errors == {
        "to_organization": "测试撤销党支部已于2026年6月1日撤销，不能转入"
    }
    with pytest.raises(ServiceValidationError) as registered:
        transfer_services.register_incoming(
            ACTOR,
            dissolved,
            person_name="转入党员",
            from_name="外省某党支部",
            letter_number="外字第13号",
            issued_on=dt.date(2026, 11, 1),
            valid_until=dt.date(2026, 12, 1),
        )
    assert "to_organization" in registered.value.errors
    assert not Transfer.objects.filter(to_organization=dissolved).exists()


def test_no_meeting_is_recorded_as_held_on_or_after_the_dissolution(demo, dissolved):
    before = meeting_services.plan_meeting(
        ACTOR,
        dissolved,
        {"kind": "theme_day", "starts_at": "2026-05-20 15:00", "topic": "主题党日"},
    )
    with pytest.raises(ServiceValidationError) as refused:
        meeting_services.record_meeting(
            ACTOR,
            before,
            attendance={},
            minutes={"starts_at": "2026-06-02 15:00", "backfill_reason": "纸质记录整理后补录"},
        )
    assert refused.value.errors == {
        "starts_at": "测试撤销党支部已于2026年6月1日撤销，此后的会议不能记录为已召开"
    }
    meeting_services.record_meeting(
        ACTOR, before, attendance={}, minutes={"backfill_reason": "纸质记录整理后补录"}
    )
    before.refresh_from_db()
    assert before.status == "held"


def test_no_work_item_is_sent_to_a_dissolved_organization(demo, dissolved):
    """ "Every branch" means the branches that exist: a dissolved one would carry the item to
    its deadline and then count it overdue, with nobody to do it. Named, it is refused."""
    actor = Actor(user=demo.users["organ"])
    data = {"title": "测试任务", "deadline": TODAY + dt.timedelta(days=20)}
    sent = duty_services.send_down(actor, demo.organ_committee, data, all_branches=True)
    receivers = {child.organization_id for child in sent.children}
    assert dissolved.pk not in receivers and demo.branch.pk in receivers

    before = WorkItem.objects.count()
    with pytest.raises(ServiceValidationError) as refused:
        duty_services.send_down(actor, demo.organ_committee, data, targets=["FGW-B01", "T-GONE"])
    assert refused.value.errors["targets"] == "测试撤销党支部已于2026年6月1日撤销，不能再接收任务"
    assert WorkItem.objects.count() == before


def test_no_recruitment_file_is_opened_in_a_dissolved_branch(demo, dissolved):
    with pytest.raises(ServiceValidationError) as refused:
        recruitment_services.open_file(
            ACTOR,
            dissolved,
            name="申请人乙",
            id_number=make_id_number(random.Random(811), dt.date(2000, 5, 3), "male"),
            received_on=dt.date(2026, 5, 1),
        )
    assert (
        refused.value.errors["organization"]
        == "测试撤销党支部已于2026年6月1日撤销，不能再接收入党申请"
    )
    assert not Applicant.objects.filter(organization=dissolved).exists()


def test_no_member_is_restored_into_a_dissolved_branch(demo):
    """A member who left a branch (停止党籍) is restored after the branch was dissolved: not
    into the dissolved branch (the default, their last one), into one that exists."""
    branch = create_organization(
        ACTOR,
        demo.organ_committee,
        name="测试将撤销党支部",
        kind=OrgKind.BRANCH,
        code="T-LATER",
        founded_on=dt.date(2020, 1, 1),
    )
    person, _ = member_services.create_member(
        ACTOR, branch, member_payload(name="测试复", seed=812)
    )
    lifecycle.end_membership(ACTOR, person, dt.date(2026, 3, 1), LeaveReason.SUSPENDED)
    dissolve_organization(ACTOR, branch, DISSOLVED)

    with pytest.raises(ServiceValidationError) as refused:
        lifecycle.restore_membership(ACTOR, person, TODAY)
    assert refused.value.errors["organization"] == (
        "测试将撤销党支部已于2026年6月1日撤销，不能再接收党员"
    )
    person.refresh_from_db()
    assert person.left_on == dt.date(2026, 3, 1)

    lifecycle.restore_membership(ACTOR, person, TODAY, demo.branch)
    person.refresh_from_db()
    assert (person.left_on, person.organization_id) == (None, demo.branch.pk)


def test_no_member_is_placed_in_a_dissolved_party_group(demo):
    group = founded(demo.branch, "测试撤销党小组", "T-GONE-G", OrgKind.PARTY_GROUP)
    with pytest.raises(ServiceValidationError) as refused:
        member_services.create_member(
            ACTOR, demo.branch, member_payload(name="测试组", seed=813), party_group=group
        )
    assert refused.value.errors["party_group"] == (
        "测试撤销党小组已于2026年6月1日撤销，不能再接收党员"
    )
    assert not Member.objects.filter(party_group=group).exists()


def test_the_send_form_does_not_offer_a_dissolved_organization(demo, dissolved, client_for):
    page = client_for(demo.users["organ"]).get(
        reverse("duties:create"), {"org": demo.organ_committee.code}
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert 'value="FGW-B01"' in html and 'value="T-GONE"' not in html


def test_a_dissolved_organ_committee_plans_nothing_new(demo):
    """Study topics, trainings, duty lists and assessment schemes are the organization's own
    plans: none is made for one that no longer exists."""
    from dangjian.assessment import services as assessment_services
    from dangjian.duties.services import save_duty
    from dangjian.study.services import save_topic
    from dangjian.study.services_training import plan_training

    committee = founded(
        Organization.objects.get_parent(demo.organ_committee),
        "测试撤销机关党委",
        "T-GONE-C",
        OrgKind.ORGAN_COMMITTEE,
    )
    general = founded(demo.organ_committee, "测试撤销党总支", "T-GONE-Z", OrgKind.GENERAL_BRANCH)
    seq = last_seq()
    attempts = {
        "安排学习主题": lambda: save_topic(ACTOR, committee, {}),
        "安排培训": lambda: plan_training(ACTOR, committee, {}),
        "修改责任清单": lambda: save_duty(ACTOR, committee, {}),
        "制定考核方案": lambda: assessment_services.create_scheme(
            Actor(user=demo.users["organ"]),
            general,
            year=2026,
            title="考核",
            target_kind="branch",
            party_weight=70,
            business_weight=30,
            grades=[["好", "90"], ["差", "0"]],
        ),
    }
    for doing, attempt in attempts.items():
        with pytest.raises(ServiceValidationError) as refused:
            attempt()
        assert refused.value.errors["organization"].endswith(f"已于2026年6月1日撤销，不能再{doing}")
    assert last_seq() == seq


def test_a_scheme_assesses_the_branches_that_existed_in_its_year(demo):
    from tests.assessment.helpers import draft

    branch = founded(
        demo.organ_committee, "测试去年撤销党支部", "T-GONE-25", dissolved_on=dt.date(2025, 3, 1)
    )

    this_year = draft(demo, year=2026)
    last_year = draft(demo, year=2025)
    assert not this_year.targets.filter(organization=branch).exists()
    assert this_year.targets.filter(organization=demo.branch).exists()
    assert last_year.targets.filter(organization=branch).exists()
