"""Leave from the member's side (issue 18): one request at a time, withdrawn before it is
decided, never silently replaced; 我的会议 fits a phone (the next few, the rest one tap away,
the history paged)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from dangjian.audit.models import AuditAction
from dangjian.meetings import leave_views
from dangjian.meetings.models import LeaveRequest
from tests.helpers import events_since, last_seq
from tests.meetings import plan


def url(name: str, **kwargs) -> str:
    return reverse(f"meetings:{name}", kwargs=kwargs or None)


@pytest.fixture
def member(demo, client_for):
    return client_for(demo.users["member"])


def test_a_pending_request_shows_withdraw_not_a_second_form(demo, member):
    meeting = plan(demo.users["secretary"], demo.branch, days=2)
    member.post(url("leave_request", pk=meeting.pk), {"reason": "出差"})
    leave = LeaveRequest.objects.get(meeting=meeting, member=demo.users["member"].member)

    page = member.get(url("detail", pk=meeting.pk)).content.decode()

    assert "请假：出差" in page and "待审批" in page
    assert url("leave_withdraw", pk=leave.pk) in page
    assert url("leave_request", pk=meeting.pk) not in page  # no form to overwrite the reason


def test_the_member_withdraws_and_may_ask_again(demo, member):
    meeting = plan(demo.users["secretary"], demo.branch, days=2)
    me = demo.users["member"].member
    member.post(url("leave_request", pk=meeting.pk), {"reason": "出差"})
    leave = LeaveRequest.objects.get(meeting=meeting, member=me)
    seq = last_seq()

    response = member.post(url("leave_withdraw", pk=leave.pk), {"next": url("mine")}, follow=True)

    assert response.redirect_chain[-1][0] == url("mine")
    assert "已撤回请假申请" in response.content.decode()
    assert not LeaveRequest.objects.filter(pk=leave.pk).exists()
    [event] = events_since(seq)
    assert (event.action, event.object_type) == (AuditAction.DELETE, "meetings.leaverequest")
    assert (
        url("leave_request", pk=meeting.pk)
        in member.get(url("detail", pk=meeting.pk)).content.decode()
    )


def test_a_decided_request_cannot_be_withdrawn(demo, member, client_for):
    meeting = plan(demo.users["secretary"], demo.branch, days=2)
    member.post(url("leave_request", pk=meeting.pk), {"reason": "出差"})
    leave = LeaveRequest.objects.get(meeting=meeting, member=demo.users["member"].member)
    client_for(demo.users["secretary"]).post(
        url("leave_decide", pk=leave.pk), {"decision": "approve"}
    )
    seq = last_seq()

    response = member.post(url("leave_withdraw", pk=leave.pk), follow=True)

    assert "已审批，不能撤回" in response.content.decode()
    assert LeaveRequest.objects.filter(pk=leave.pk, status="approved").exists()
    assert events_since(seq) == []


def test_another_member_cannot_withdraw_my_request(demo, client_for):
    meeting = plan(demo.users["secretary"], demo.branch, days=2)
    client_for(demo.users["member"]).post(url("leave_request", pk=meeting.pk), {"reason": "出差"})
    leave = LeaveRequest.objects.get(meeting=meeting)
    other = client_for(demo.users["inspector"])
    assert other.post(url("leave_withdraw", pk=leave.pk)).status_code in (403, 404)
    assert LeaveRequest.objects.filter(pk=leave.pk).exists()


def test_my_meetings_shows_the_next_few_and_pages_the_history(demo, member, settings):
    for days in range(1, leave_views.UPCOMING_SHOWN + 3):
        plan(demo.users["secretary"], demo.branch, days=days)

    page = member.get(url("mine"))

    assert len(page.context["upcoming"]) == leave_views.UPCOMING_SHOWN
    assert len(page.context["later"]) >= 2
    body = page.content.decode()
    assert f"还有 {len(page.context['later'])} 场" in body
    # The leave form is one tap away, folded behind 请假.
    assert '<summary class="btn btn-outline-secondary btn-sm">请假</summary>' in body
    history = page.context["history"]
    assert len(history.object_list) <= settings.PAGE_SIZE
    assert history.paginator.count > settings.PAGE_SIZE  # the demo member's years of meetings
    assert 'id="history-pages"' in body
    second = member.get(url("mine"), {"page": 2}).context["history"]
    assert second.number == 2 and second.object_list[0] != history.object_list[0]


def test_a_meetings_page_leads_a_member_back_to_my_meetings(demo, member, client_for):
    """A member reaches a meeting from 我的会议 and the phone's menu is folded away: the page
    links back. A secretary, who reaches it from the calendar, gets the organization's link."""
    meeting = plan(demo.users["secretary"], demo.branch, days=2)

    page = member.get(url("detail", pk=meeting.pk)).content.decode()
    assert f'href="{url("mine")}" id="back-to-mine"' in page

    secretary = client_for(demo.users["secretary"]).get(url("detail", pk=meeting.pk))
    assert 'id="back-to-mine"' not in secretary.content.decode()
