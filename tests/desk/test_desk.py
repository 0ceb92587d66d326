"""The work desk at `/`: every role lands on its own desk, to-dos first, counted as the inbox
counts them, each linking to the page that resolves it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from dangjian.accounts.services import create_user
from dangjian.audit.services import Actor
from dangjian.core import clock
from dangjian.desk.queries import desk_for
from dangjian.meetings import services as meeting_services
from dangjian.meetings.queries import upcoming_for_member
from dangjian.notices.queries import action_counts
from tests.conftest import PASSWORD

PERSONAS = ("member", "secretary", "inspector", "organ")
ADMINS = ("sysadmin", "secadmin", "auditor")


def _count(html: str) -> int:
    match = re.search(r'id="desk-todo-count">(\d+)<', html)
    assert match, "the desk shows its to-do count"
    return int(match.group(1))


@pytest.mark.parametrize("username", PERSONAS + ADMINS)
def test_every_role_lands_on_its_work_desk(demo, client_for, username):
    user = demo.users[username]
    response = client_for(user).get(reverse("home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<h1 class="h4 mb-0">工作台</h1>' in html
    assert _count(html) == action_counts(user).actions


def test_a_user_without_a_role_is_told_so(demo, client_for):
    user = create_user(Actor.system("test"), "norole", PASSWORD, display_name="无角色")
    response = client_for(user).get(reverse("home"))
    assert response.status_code == 200
    assert "工作台" not in response.content.decode()


def leave_requested(demo):
    """The member asks for leave from their next meeting: a to-do for their secretary."""
    member = demo.own_member
    meeting = upcoming_for_member(member, clock.today()).first()
    actor = Actor(user=demo.users["member"])
    return meeting_services.request_leave(actor, meeting, member, "出差")


def test_the_secretary_sees_the_inbox_to_dos_with_their_links(demo, client_for):
    user = demo.users["secretary"]
    before = _count(client_for(user).get(reverse("home")).content.decode())
    leave = leave_requested(demo)
    desk = desk_for(user)
    html = client_for(user).get(reverse("home")).content.decode()
    assert _count(html) == before + 1
    assert [g.key for g in desk.todo] == ["leave"]
    assert leave.meeting.topic in html
    for group in desk.todo:
        assert group.count == action_counts(user).todo[group.key]
        for row in group.rows:
            assert f'href="{row.link}"' in html


def test_a_member_sees_their_next_meetings_with_leave_and_their_study_hours(demo, client_for):
    user = demo.users["member"]
    desk = desk_for(user)
    html = client_for(user).get(reverse("home")).content.decode()
    assert 'id="desk-study"' in html
    assert desk.study is not None
    for meeting in desk.upcoming:
        assert reverse("meetings:leave_request", args=[meeting.pk]) in html
    assert 'id="desk-findings"' not in html  # a member reads no organization's findings
    assert reverse("desk:dashboard") not in html.split("<main", 1)[1]


def test_the_organ_committee_sees_the_findings_of_its_subtree(demo, client_for):
    user = demo.users["organ"]
    desk = desk_for(user)
    html = client_for(user).get(reverse("home")).content.decode()
    assert 'id="desk-findings"' in html
    assert [f.org.code for f in desk.findings] == ["FGW-JGDW"]
    assert reverse("desk:dashboard") in html


def test_administrators_see_their_own_work(demo, client_for):
    html = client_for(demo.users["secadmin"]).get(reverse("home")).content.decode()
    assert reverse("accounts:lockouts") in html
    html = client_for(demo.users["auditor"]).get(reverse("home")).content.decode()
    assert reverse("audit:verify") in html
    assert 'id="desk-findings"' not in html


def test_the_inbox_link_and_its_badge_sit_outside_the_collapsed_menu(demo, client_for):
    html = client_for(demo.users["secretary"]).get(reverse("home")).content.decode()
    nav = html.split('<div class="collapse navbar-collapse" id="nav">', 1)
    assert 'id="inbox-link"' in nav[0]
    assert 'id="inbox-link"' not in nav[1]


def test_the_secretary_is_asked_to_record_a_meeting_whose_time_has_passed(demo, client_for):
    from dangjian.regulations.periods import TZ

    user = demo.users["secretary"]
    before = desk_for(user).to_record_count
    day = clock.today() - dt.timedelta(days=2)
    meeting = meeting_services.plan_meeting(
        Actor(user=user),
        demo.branch,
        {
            "kind": "committee_meeting",
            "starts_at": dt.datetime.combine(day, dt.time(9, 0), tzinfo=TZ),
            "topic": "待记录的支委会",
        },
    )
    assert desk_for(user).to_record_count == before + 1
    html = client_for(user).get(reverse("home")).content.decode()
    assert 'id="desk-to-record"' in html

    meeting_services.record_meeting(Actor(user=user), meeting, attendance={})

    assert desk_for(user).to_record_count == before
    # The 机关党委 is not asked to record its branches' meetings.
    assert meeting.pk not in [m.pk for m in desk_for(demo.users["organ"]).to_record]


def test_the_level_above_sees_branches_without_a_secretary(demo, client_for):
    from dangjian.orgs import services as org_services
    from dangjian.orgs.models import Post, PostKind

    organ = demo.users["organ"]
    desk = desk_for(organ)
    before, shown = desk.branch_gaps_count, {org[0] for org, _ in desk.branch_gaps}
    post = (
        Post.objects.filter(
            organization__path__startswith=demo.organ_committee.path,
            organization__kind="branch",
            kind=PostKind.SECRETARY,
            ended_on__isnull=True,
        )
        .exclude(organization_id__in=shown)
        .exclude(organization__term_ends_on__lt=clock.today())
        .select_related("organization")
        .first()
    )
    assert post is not None, "the demo has a branch with a secretary in office"
    org_services.end_post(Actor(user=organ), post, clock.today() - dt.timedelta(days=1))
    assert desk_for(organ).branch_gaps_count == before + 1
    html = client_for(organ).get(reverse("home")).content.decode()
    assert 'id="desk-branch-gaps"' in html
    # A branch secretary is not shown their own branch's gaps.
    assert all(org[0] != demo.branch.pk for org, _ in desk_for(demo.users["secretary"]).branch_gaps)


def test_a_member_asks_for_leave_from_the_desk_and_comes_back_to_it(demo, client_for):
    user = demo.users["member"]
    client = client_for(user)
    meeting = desk_for(user).upcoming[0]
    response = client.post(
        reverse("meetings:leave_request", args=[meeting.pk]), {"reason": "出差", "next": "/"}
    )
    assert response.status_code == 302 and response["Location"] == "/"
    html = client.get(reverse("home")).content.decode()
    assert "请假：出差" in html


def test_the_members_study_hours_link_is_a_button_to_tap(demo, client_for):
    """On a phone the bare small 明细 beside the hours was 16 px tall (ux30)."""
    html = client_for(demo.users["member"]).get(reverse("home")).content.decode()
    study = html.split('id="desk-study"', 1)[1].split("</p>", 1)[0]
    link = (
        f'class="btn btn-sm btn-outline-secondary ms-2" href="{reverse("study_hours:hours_mine")}"'
    )
    assert f"{link}>学时明细</a>" in study


def test_the_dossier_list_stacks_on_a_phone_and_says_how_to_start(demo, client_for):
    """The list is a .table-stack (cards below 768 px, tests/e2e/test_phone_week_360.py); with
    no dossier yet it says what to press rather than only that there is none (ux30)."""
    html = client_for(demo.users["secretary"]).get(reverse("desk:dossiers")).content.decode()
    assert 'class="table table-sm align-middle table-stack" id="dossiers"' in html
    assert "还没有生成过台账。选择组织和年度，点“一键生成台账”。" in html
