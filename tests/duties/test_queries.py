"""Reading the responsibility system: what waits for a user, completion rates per organization
and per post, statistics on request (figures equal direct counts, constant queries), duty lists
and their per-subtree edits."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.accounts.models import Role, RoleAssignment, User
from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor
from dangjian.core import clock
from dangjian.core.errors import ServiceValidationError
from dangjian.duties import queries, services
from dangjian.duties.models import DutyItem, WorkItem
from dangjian.meetings import services as meeting_services
from dangjian.meetings.models import LeaveRequest, LeaveStatus, Meeting, MeetingStatus
from dangjian.members import history
from dangjian.members import services as member_services
from dangjian.members.models import LeaveReason, Member, MemberStatus
from dangjian.members.services_lifecycle import end_membership
from dangjian.notices import services as notice_services
from dangjian.notices.queries import action_counts
from dangjian.orgs.models import Organization, OrgKind, Post
from tests.duties import workday
from tests.helpers import assert_audited, events_since, last_seq
from tests.meetings import plan


def as_(user) -> Actor:
    return Actor(user=user)


def make_writer(username: str, code: str, role: str = Role.BRANCH_SECRETARY) -> User:
    user = User.objects.create_user(username=username)
    RoleAssignment.objects.create(
        user=user, role=role, organization=Organization.objects.get(code=code)
    )
    return user


def send_one(demo, code: str, **data) -> WorkItem:
    payload = {"title": "事项", "deadline": workday(10), **data}
    (item,) = services.send_down(
        as_(demo.users["organ"]), demo.organ_committee, payload, targets=[code]
    ).children
    return item


def overdue(item: WorkItem) -> WorkItem:
    """Move the deadline to yesterday (the services refuse to set one in the past)."""
    WorkItem.objects.filter(pk=item.pk).update(deadline=clock.today() - dt.timedelta(days=1))
    item.refresh_from_db()
    return item


# ---- what waits for the user ---------------------------------------------------------------


def test_action_counts_follow_the_records(demo):
    secretary, organ, member = demo.users["secretary"], demo.users["organ"], demo.users["member"]
    leave_before = LeaveRequest.objects.filter(
        meeting__organization__path__startswith=demo.branch.path,
        status=LeaveStatus.PENDING,
        meeting__status=MeetingStatus.PLANNED,
    ).count()

    first = send_one(demo, "FGW-B01")
    send_one(demo, "FGW-B01")
    send_one(demo, "FGW-B02")
    counts = action_counts(secretary)
    assert (counts["items"], counts["review"], counts["leave"], counts.unread) == (
        2,
        0,
        leave_before,
        2,
    )

    services.submit(as_(secretary), first)
    meeting = plan(secretary, demo.branch, days=3)
    meeting_services.request_leave(as_(member), meeting, demo.own_member, "出差")
    counts = action_counts(secretary)
    assert (counts["items"], counts["review"], counts["leave"]) == (1, 0, leave_before + 1)
    assert (counts.actions, counts.badge) == (
        1 + leave_before + 1,
        1 + leave_before + 1 + 2,
    )
    organ_counts = action_counts(organ)
    # FGW-B02 has no account of its own, so its item falls to the 机关党委 (who was told).
    assert (organ_counts["items"], organ_counts["review"]) == (1, 1)
    assert organ_counts["leave"] >= leave_before + 1  # the 机关党委 may decide FGW-B01's leave too

    services.accept(as_(organ), first)
    notice_services.mark_read(secretary)
    counts = action_counts(secretary)
    assert (counts["items"], counts["review"], counts.unread) == (1, 0, 0)
    assert action_counts(organ)["review"] == 0

    # An ordinary member acts for no organization: only notices could wait for them.
    member_counts = action_counts(member)
    assert (member_counts["items"], member_counts["review"], member_counts["leave"]) == (0, 0, 0)


def test_the_badge_counts_work_the_user_was_told_to_do(demo):
    organ = demo.users["organ"]
    item = send_one(demo, "FGW-B02")  # FGW-B02 has no account: the 机关党委 is told

    assert organ.notices.about(item).filter(kind="received").exists()
    assert action_counts(organ)["items"] == 1


def test_item_list_states_and_the_review_queue(demo):
    today = clock.today()
    secretary, organ = demo.users["secretary"], demo.users["organ"]
    open_item = send_one(demo, "FGW-B01")
    late_item = overdue(send_one(demo, "FGW-B01"))
    submitted = send_one(demo, "FGW-B01")
    services.submit(as_(secretary), submitted)
    sibling = send_one(demo, "FGW-B02")

    def listed(user, state, **kw):
        flt = queries.ItemFilter(state=state, **kw)
        return {i.pk for i in queries.item_list(user, flt, today)}

    assert listed(secretary, "open") == {open_item.pk}
    assert listed(secretary, "overdue") == {late_item.pk}
    assert listed(secretary, "submitted") == {submitted.pk}
    assert listed(secretary, "review") == set()
    assert listed(organ, "review") == {submitted.pk}
    assert sibling.pk in listed(organ, "open") and sibling.pk not in listed(secretary, "open")
    assert listed(organ, "open", org=demo.sibling_branch) >= {sibling.pk}
    assert open_item.pk not in listed(organ, "open", org=demo.sibling_branch)

    (found,) = queries.overdue_items(secretary, today)
    assert (found.pk, found.days_overdue) == (late_item.pk, 1)
    assert queries.overdue_items(demo.users["inspector"], today, demo.sibling_branch) == []


# ---- completion ----------------------------------------------------------------------------


@pytest.fixture
def year_of_work(demo):
    """Received items of this year in every state, hand-counted in the tests below.

    FGW-B01: on time, late (secretary's post)      FGW-B02: overdue, open (组织委员)
    FGW-JW: open                                   FGW-ZZ: open, split to B03 (submitted) and
                                                   B04 (done on time)
    """
    secretary, organ = demo.users["secretary"], demo.users["organ"]
    zz_user = make_writer("zz-secretary", "FGW-ZZ")
    year = clock.today().year
    on_time = send_one(demo, "FGW-B01", plan_year=year, responsible_post="secretary")
    services.submit(as_(secretary), on_time)
    services.accept(as_(organ), on_time)
    late = send_one(demo, "FGW-B01", plan_year=year, responsible_post="secretary")
    services.submit(as_(secretary), late)
    overdue(late)
    services.accept(as_(organ), late)  # submitted today, due yesterday
    overdue(send_one(demo, "FGW-B02", plan_year=year, responsible_post="organization_officer"))
    send_one(demo, "FGW-B02", plan_year=year, responsible_post="organization_officer")
    send_one(demo, "FGW-JW", plan_year=year)
    zz = send_one(demo, "FGW-ZZ", plan_year=year)
    b03, b04 = services.split(as_(zz_user), zz, {}, targets=["FGW-B03", "FGW-B04"]).children
    services.submit(as_(organ), b03)
    services.submit(as_(organ), b04)
    services.accept(as_(zz_user), b04)
    send_one(demo, "FGW-B01", plan_year=year + 1)  # another year: never counted
    return year


def figures(c: queries.Completion) -> tuple:
    return (c.on_time, c.late, c.overdue, c.submitted, c.open, c.total, c.due, c.rate)


def test_completion_by_org_rolls_each_subtree_up(demo, year_of_work):
    rows = queries.row_orgs(demo.organ_committee, "children")
    assert [r.code for r in rows] == ["FGW-B01", "FGW-B02", "FGW-JW", "FGW-ZZ"]

    got = queries.completion_by_org(demo.organ_committee, rows, year_of_work, clock.today())

    by_code = {r.code: figures(got[r.pk]) for r in rows}
    assert by_code == {
        "FGW-B01": (1, 1, 0, 0, 0, 2, 2, 0.5),
        "FGW-B02": (0, 0, 1, 0, 1, 2, 1, 0.0),
        "FGW-JW": (0, 0, 0, 0, 1, 1, 0, None),
        "FGW-ZZ": (1, 0, 0, 1, 1, 3, 1, 1.0),
    }


def test_completion_by_branch_leaves_out_what_no_branch_received(demo, year_of_work):
    rows = queries.row_orgs(demo.organ_committee, "branches")
    assert [r.code for r in rows] == ["FGW-B01", "FGW-B02", "FGW-B03", "FGW-B04"]

    got = queries.completion_by_org(demo.organ_committee, rows, year_of_work, clock.today())

    assert {r.code: figures(got[r.pk]) for r in rows} == {
        "FGW-B01": (1, 1, 0, 0, 0, 2, 2, 0.5),
        "FGW-B02": (0, 0, 1, 0, 1, 2, 1, 0.0),
        "FGW-B03": (0, 0, 0, 1, 0, 1, 0, None),
        "FGW-B04": (1, 0, 0, 0, 0, 1, 1, 1.0),
    }


def test_completion_by_post_names_posts_never_people(demo, year_of_work):
    got = queries.completion_by_post(demo.organ_committee, year_of_work, clock.today())

    assert [(post, figures(c)) for post, c in got] == [
        ("", (1, 0, 0, 1, 2, 4, 1, 1.0)),  # FGW-JW, FGW-ZZ, FGW-B03 (submitted), FGW-B04 (done)
        ("secretary", (1, 1, 0, 0, 0, 2, 2, 0.5)),
        ("organization_officer", (0, 0, 1, 0, 1, 2, 1, 0.0)),
    ]
    assert [queries.post_label(p) for p, _ in got] == ["未指定岗位", "书记", "组织委员"]
    # Within one branch only its own items count.
    (only,) = queries.completion_by_post(demo.sibling_branch, year_of_work, clock.today())
    assert only[0] == "organization_officer" and only[1].total == 2


# ---- statistics on request -----------------------------------------------------------------

ALL_FIGURES = list(queries.FIGURES)


def test_statistics_equal_direct_counts_of_members_and_held_meetings(demo, year_of_work):
    year = year_of_work
    table = queries.statistics(demo.organ_committee, "children", ALL_FIGURES, year, clock.today())

    assert table.figures == ALL_FIGURES
    assert [r.code for r in table.rows] == ["FGW-B01", "FGW-B02", "FGW-JW", "FGW-ZZ"]
    for row in table.rows:
        values = table.values[row.pk]
        members = Member.objects.current().filter(organization__path__startswith=row.path)
        assert values.get("members_full", 0) == members.filter(status=MemberStatus.FULL).count()
        assert (
            values.get("members_probationary", 0)
            == members.filter(status=MemberStatus.PROBATIONARY).count()
        )
        held = Meeting.objects.filter(
            organization__path__startswith=row.path, status=MeetingStatus.HELD, held_on__year=year
        )
        for kind in queries.STAT_MEETING_KINDS:
            assert values.get(f"meetings_{kind.value}", 0) == held.filter(kind=kind).count()
        assert (
            values["branches"]
            == Organization.objects.filter(path__startswith=row.path, kind=OrgKind.BRANCH).count()
        )
    # The demo's FGW-B01 holds meetings: the comparison is not of zeros.
    assert table.values[demo.branch.pk]["meetings_theme_day"] > 0
    assert table.values[demo.branch.pk]["members_full"] > 0

    b01, zz = table.values[demo.branch.pk], table.values[demo.org["FGW-ZZ"].pk]
    assert (b01["items_total"], b01["items_on_time"], b01["items_late"], b01["items_rate"]) == (
        2,
        1,
        1,
        0.5,
    )
    assert table.values[demo.org["FGW-JW"].pk]["items_rate"] is None
    assert table.values[demo.sibling_branch.pk]["items_overdue"] == 1
    assert zz["items_rate"] == 1.0
    for name in ALL_FIGURES:
        if name != "items_rate":
            assert table.total[name] == sum(
                int(table.values[r.pk].get(name, 0)) for r in table.rows
            )
    assert table.total["items_rate"] == 0.5  # 2 on time of 4 due
    # The page writes every rate one way; nothing due is a dash, not 0%.
    shown = table.shown(None)[ALL_FIGURES.index("items_rate")]
    assert shown == "50.0%"
    assert table.shown(demo.org["FGW-JW"].pk)[ALL_FIGURES.index("items_rate")] == "—"
    assert table.headings[0] == "党支部数"
    assert table.cells(None)[ALL_FIGURES.index("items_total")] == 8


def test_statistics_of_the_whole_city_count_every_member_and_branch(demo):
    root = Organization.objects.get(code="GW")
    year = 2025

    table = queries.statistics(root, "children", ALL_FIGURES, year, clock.today())

    # 2025's members: those of its last day, with that day's status (the membership history).
    year_end = dt.date(year, 12, 31)
    counts = history.total(history.counts_on(root, year_end))
    assert table.total["members_full"] == counts.full
    assert table.total["members_probationary"] == counts.probationary
    assert table.total["branches"] == Organization.objects.filter(kind=OrgKind.BRANCH).count()
    assert (
        table.total["meetings_general_meeting"]
        == Meeting.objects.filter(
            status=MeetingStatus.HELD, held_on__year=year, kind="general_meeting"
        ).count()
    )


def test_a_past_years_members_are_those_of_its_last_day(demo):
    """Members who moved or left after the year still count where they were; the current
    year counts today's roster (members who left no longer count)."""
    a, b = demo.branch, demo.sibling_branch
    figures = ["members_full", "members_probationary"]
    year_end = dt.date(clock.today().year - 1, 12, 31)

    def members(year: int, today: dt.date) -> dict[str, tuple]:
        table = queries.statistics(demo.organ_committee, "children", figures, year, today)
        return {r.code: tuple(table.values[r.pk].get(f, 0) for f in figures) for r in table.rows}

    then = members(year_end.year, year_end)
    assert sum(then[a.code]) == history.members_on(a, year_end).count()
    organ = Actor(user=demo.users["organ"])
    leaving = Member.objects.current().filter(organization=a, admitted_on__lt=year_end)
    member_services.move_member(organ, leaving[0], b, on=dt.date(year_end.year + 1, 1, 5))
    end_membership(organ, leaving[0], dt.date(year_end.year + 1, 1, 5), LeaveReason.DIED)
    assert members(year_end.year, clock.today()) == then
    now = members(year_end.year + 1, clock.today())
    for branch in (a, b):
        assert sum(now[branch.code]) == Member.objects.current().filter(organization=branch).count()


def test_statistics_default_to_the_usual_figures(demo):
    table = queries.statistics(demo.organ_committee, "children", ["bogus"], 2026, clock.today())
    assert table.figures == queries.DEFAULT_FIGURES


def test_statistics_take_the_same_queries_for_the_city_as_for_one_department(demo, year_of_work):
    def queries_for(org: Organization, level: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            queries.statistics(org, level, ALL_FIGURES, year_of_work, clock.today())
        return len(ctx.captured_queries)

    root = Organization.objects.get(code="GW")
    department = demo.org["FGW-DZ"]
    assert Organization.objects.filter(path__startswith=root.path).count() > 3 * (
        Organization.objects.filter(path__startswith=department.path).count()
    )
    for level in ("children", "branches"):
        city, one = queries_for(root, level), queries_for(department, level)
        assert city == one
        assert city <= 5  # rows, branches, members, meetings, work items


# ---- duty lists ----------------------------------------------------------------------------


def test_duty_list_shows_holders_duties_meeting_counts_and_items(demo):
    today, year = clock.today(), 2025
    secretary_post = Post.objects.get(
        organization=demo.branch, kind="secretary", ended_on__isnull=True
    )

    sections = queries.duty_list(demo.branch, year, today)

    assert [s.post_kind for s in sections] == [
        "secretary",
        "deputy_secretary",
        "organization_officer",
        "publicity_officer",
        "discipline_officer",
    ]
    secretary = sections[0]
    assert secretary.post_label == "书记"
    assert [p.pk for p in secretary.holders] == [secretary_post.pk]
    held = Meeting.objects.filter(
        organization=demo.branch, status=MeetingStatus.HELD, held_on__year=year
    )
    by_key = {d.key: n for d, n in secretary.duties}
    assert list(by_key) == [
        "br_secretary_meetings",
        "br_secretary_org_life",
        "br_secretary_talks",
        "br_secretary_report",
    ]
    assert (
        by_key["br_secretary_meetings"]
        == held.filter(kind__in=["general_meeting", "committee_meeting"]).count()
    )
    assert (
        by_key["br_secretary_org_life"]
        == held.filter(kind__in=["org_life_meeting", "member_appraisal"]).count()
    )
    assert by_key["br_secretary_meetings"] > 0
    assert by_key["br_secretary_report"] == 0  # no meeting shows it
    duty = secretary.duties[0][0]
    assert (duty.responsibility_label, duty.meeting_labels) == (
        "直接责任",
        ["支部党员大会", "支部委员会会议"],
    )


def test_duty_list_counts_the_posts_work_items_by_state(demo):
    today = clock.today()
    year = today.year
    send_one(demo, "FGW-B01", plan_year=year, responsible_post="secretary")
    overdue(send_one(demo, "FGW-B01", plan_year=year, responsible_post="secretary"))
    send_one(demo, "FGW-B01", plan_year=year, responsible_post="publicity_officer")

    sections = {s.post_kind: s for s in queries.duty_list(demo.branch, year, today)}

    assert sections["secretary"].items == Counter(open=1, overdue=1)
    assert sections["publicity_officer"].items == Counter(open=1)
    assert sections["deputy_secretary"].items == Counter()


def test_duty_list_takes_four_queries(demo, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        queries.duty_list(demo.branch, 2026, clock.today())


def test_a_duty_edited_by_a_department_applies_only_inside_its_subtree(demo):
    organ = demo.users["organ"]
    default = next(d for d in queries.default_duties() if d.key == "br_secretary_talks")
    seq = last_seq()

    duty = services.save_duty(
        as_(organ), demo.organ_committee, {"title": "每季度与每名支部委员谈心谈话"}, key=default.key
    )

    assert (duty.owner, duty.key, duty.org_kind, duty.post_kind) == (
        demo.organ_committee,
        "br_secretary_talks",
        "branch",
        "secretary",
    )
    assert duty.meeting_kinds == ["heart_to_heart_talk"]  # unchanged fields carried over

    def title_at(code: str) -> str:
        org = demo.org[code] if code in demo.org else Organization.objects.get(code=code)
        return next(d.title for d in queries.effective_duties(org) if d.key == default.key)

    for code in ("FGW-B01", "FGW-B03", "FGW-B04-G1", "FGW-JGDW"):
        assert title_at(code) == "每季度与每名支部委员谈心谈话"
    for code in ("CZJ-B01", "CZJ-B04", "FGW-DZ", "GW"):
        assert title_at(code) == default.title
    at_branch = next(d for d in queries.effective_duties(demo.branch) if d.key == default.key)
    assert (at_branch.owner_id, at_branch.owner_name) == (
        demo.organ_committee.pk,
        "市发展和改革委员会机关党委",
    )
    assert_audited(
        seq,
        AuditAction.CREATE,
        object_type="duties.dutyitem",
        actor="organ",
        changes={"title": [None, "每季度与每名支部委员谈心谈话"]},
    )

    # A second edit updates the same row; retiring removes the duty from the subtree only.
    seq = last_seq()
    services.save_duty(as_(organ), demo.organ_committee, {"active": "0"}, key=default.key)
    assert DutyItem.objects.filter(key=default.key).count() == 1
    (event,) = events_since(seq)
    assert event.action == AuditAction.UPDATE
    assert event.changes["active"] == [True, False]
    assert default.key not in {d.key for d in queries.effective_duties(demo.branch)}
    assert default.key in {
        d.key for d in queries.effective_duties(demo.branch, include_retired=True)
    }
    assert default.key in {d.key for d in queries.effective_duties(demo.other_branch)}


def test_the_deepest_edit_wins(demo):
    root = Organization.objects.get(code="GW")
    make_writer("gw-organ", "GW", Role.ORGAN_COMMITTEE)
    city = User.objects.get(username="gw-organ")
    services.save_duty(as_(city), root, {"title": "全市统一"}, key="br_secretary_report")
    services.save_duty(
        as_(demo.users["organ"]), demo.organ_committee, {"title": "本委"}, key="br_secretary_report"
    )

    def title(org):
        return next(
            d.title for d in queries.effective_duties(org) if d.key == "br_secretary_report"
        )

    assert title(demo.branch) == "本委"
    assert title(demo.other_branch) == "全市统一"


def test_a_new_duty_is_added_for_the_subtree(demo):
    duty = services.save_duty(
        as_(demo.users["organ"]),
        demo.organ_committee,
        {
            "org_kind": "党支部",
            "post_kind": "组织委员",
            "responsibility": "具体责任",
            "title": "每月通报党费收缴情况",
            "meeting_kinds": "支部委员会会议，committee_meeting",
        },
    )

    assert duty.key.startswith("local-")
    assert duty.meeting_kinds == ["committee_meeting"]
    sections = {s.post_kind: s for s in queries.duty_list(demo.branch, 2026, clock.today())}
    assert "每月通报党费收缴情况" in {d.title for d, _ in sections["organization_officer"].duties}
    assert "每月通报党费收缴情况" not in {
        d.title for d in queries.effective_duties(demo.other_branch)
    }


@pytest.mark.parametrize("who", ["secretary", "inspector", "member"])
def test_only_the_organ_committee_edits_duty_lists(demo, who):
    before, seq = DutyItem.objects.count(), last_seq()

    with pytest.raises(PermissionDenied):
        services.save_duty(
            as_(demo.users[who]), demo.organ_committee, {"title": "改"}, key="br_secretary_report"
        )

    assert (DutyItem.objects.count(), last_seq()) == (before, seq)


def test_duty_lists_are_kept_by_organ_committees_within_their_reach(demo):
    before, seq = DutyItem.objects.count(), last_seq()

    with pytest.raises(PermissionDenied) as exc:
        services.save_duty(
            as_(demo.users["organ"]), demo.branch, {"title": "改"}, key="br_secretary_report"
        )
    assert str(exc.value) == "责任清单由机关党委（或机关工委）制定"
    with pytest.raises(PermissionDenied):
        services.save_duty(
            as_(demo.users["organ"]), demo.org["FGW-DZ"], {"title": "改"}, key="br_secretary_report"
        )
    with pytest.raises(PermissionDenied):
        services.save_duty(
            as_(demo.users["organ"]),
            Organization.objects.get(code="CZJ-JGDW"),
            {"title": "改"},
            key="br_secretary_report",
        )

    assert (DutyItem.objects.count(), last_seq()) == (before, seq)


@pytest.mark.parametrize(
    ("data", "key", "field", "message"),
    [
        ({"title": "x"}, "no_such_duty", "key", "该职责不存在"),
        ({"title": "x", "post_kind": "secretary"}, "", "org_kind", "请选择适用组织"),
        ({"title": "x", "org_kind": "branch"}, "", "post_kind", "请选择职务"),
        ({"org_kind": "branch", "post_kind": "secretary"}, "", "title", "请填写职责"),
        (
            {"org_kind": "处室", "post_kind": "secretary", "title": "x"},
            "",
            "org_kind",
            "适用组织不正确",
        ),
        (
            {
                "org_kind": "branch",
                "post_kind": "secretary",
                "title": "x",
                "meeting_kinds": "座谈会",
            },
            "",
            "meeting_kinds",
            "关联会议类型不正确",
        ),
    ],
)
def test_a_bad_duty_is_refused_with_a_chinese_message(demo, data, key, field, message):
    before, seq = DutyItem.objects.count(), last_seq()

    with pytest.raises(ServiceValidationError) as exc:
        services.save_duty(as_(demo.users["organ"]), demo.organ_committee, data, key=key)

    assert exc.value.errors[field].startswith(message)
    assert (DutyItem.objects.count(), last_seq()) == (before, seq)


def test_the_shipped_defaults_load_and_name_real_kinds():
    duties = queries.default_duties()
    assert len({d.key for d in duties}) == len(duties) > 10
    assert {d.org_kind for d in duties} <= set(OrgKind.values)
    assert all(d.title and d.source for d in duties)
    assert [d.order for d in duties] == list(range(1, len(duties) + 1))


def test_who_acts_is_the_nearest_bound_level_whatever_the_nesting(demo):
    from dangjian.accounts.services import assign_role

    organ = demo.users["organ"]
    items = {code: send_one(demo, code) for code in ("FGW-B01", "FGW-B02", "FGW-B03")}

    def mine():
        return set(queries.todo_items(organ).values_list("organization__code", flat=True))

    # FGW-B01 has its own secretary; FGW-B02 and FGW-B03 (under the 党总支) have nobody.
    assert mine() == {"FGW-B02", "FGW-B03"}
    # Someone takes FGW-ZZ (the 党总支): its branches are theirs now.
    zz = User.objects.create(username="zz-secretary")
    assign_role(Actor.system("test"), zz, Role.ORGAN_COMMITTEE, demo.org["FGW-ZZ"])
    assert mine() == {"FGW-B02"}
    assert set(queries.todo_items(zz).values_list("organization__code", flat=True)) == {"FGW-B03"}
    # The organ officer also bound to FGW-B01 acts there too (a deeper binding adds back).
    assign_role(Actor.system("test"), organ, Role.BRANCH_COMMITTEE, demo.branch)
    organ = User.objects.get(pk=organ.pk)
    assert mine() == {"FGW-B01", "FGW-B02"}
    assert {i.organization.code for i in items.values()} == {"FGW-B01", "FGW-B02", "FGW-B03"}
