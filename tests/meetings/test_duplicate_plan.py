"""Issue 12: a second meeting of the same kind for the same organization on the same day (China
time) is planned only when the planner confirms it, in the service, on the page and in the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from dangjian.accounts.services import create_token
from dangjian.audit.services import Actor
from dangjian.core.errors import ServiceValidationError
from dangjian.meetings import services
from dangjian.meetings.models import Meeting
from dangjian.regulations.periods import TZ
from tests.meetings import days_from_today, local, plan


def _plan(demo, starts_at, kind="general_meeting", org=None, **extra):
    return services.plan_meeting(
        Actor(user=demo.users["secretary"]),
        org or demo.branch,
        {"kind": kind, "starts_at": starts_at, "topic": "第二次", **extra},
    )


def test_a_second_meeting_of_the_kind_that_day_needs_confirmation(demo):
    day = days_from_today(5)
    plan(demo.users["secretary"], demo.branch, days=5, topic="第一次")
    before = Meeting.objects.count()

    with pytest.raises(ServiceValidationError) as exc:
        _plan(demo, local(day, 19, 0))
    message = exc.value.errors["confirm_duplicate"]
    assert "已安排了支部党员大会（14:30，第一次）" in message
    assert "确认" in message
    assert Meeting.objects.count() == before

    second = _plan(demo, local(day, 19, 0), confirm_duplicate=True)
    assert second.topic == "第二次"


@pytest.mark.parametrize(
    "change",
    [
        {"kind": "theme_day"},  # another kind
        {"starts_at_days": 6},  # another day
    ],
)
def test_another_kind_or_day_needs_no_confirmation(demo, change):
    plan(demo.users["secretary"], demo.branch, days=5)
    day = days_from_today(change.get("starts_at_days", 5))
    meeting = _plan(demo, local(day, 9, 0), kind=change.get("kind", "general_meeting"))
    assert meeting.pk


def test_another_organization_or_a_cancelled_meeting_needs_no_confirmation(demo):
    first = plan(demo.users["secretary"], demo.branch, days=5)
    plan(None, demo.sibling_branch, days=5)
    services.cancel_meeting(Actor(user=demo.users["secretary"]), first)
    assert _plan(demo, local(days_from_today(5), 9, 0)).pk


def test_the_day_is_the_day_in_china(demo):
    day = days_from_today(5)
    plan(demo.users["secretary"], demo.branch, days=5)  # 14:30 China time
    # 23:59 the day before and 00:00 the day after (China time) are other days.
    assert _plan(demo, local(day - dt.timedelta(days=1), 23, 59)).pk
    assert _plan(demo, local(day + dt.timedelta(days=1), 0, 0)).pk
    # 16:00 UTC the day before is 00:00 China time on the day: the same day.
    utc = dt.datetime.combine(day - dt.timedelta(days=1), dt.time(16, 0), tzinfo=dt.UTC)
    assert utc.astimezone(TZ).date() == day
    with pytest.raises(ServiceValidationError):
        _plan(demo, utc)


def test_the_page_asks_and_plans_once_confirmed(demo, client_for):
    plan(demo.users["secretary"], demo.branch, days=5, topic="第一次")
    page = client_for(demo.users["secretary"])
    data = {
        "kind": "general_meeting",
        "date": days_from_today(5).isoformat(),
        "time": "19:00",
        "topic": "第二次",
    }
    url = f"{reverse('meetings:create')}?org=FGW-B01"

    response = page.post(url, data)
    body = response.content.decode()
    assert response.status_code == 200
    assert "已安排了支部党员大会" in body
    assert 'type="checkbox" name="confirm_duplicate"' in body
    assert not Meeting.objects.filter(topic="第二次").exists()

    response = page.post(url, {**data, "confirm_duplicate": "on"})
    assert response.status_code == 302
    assert Meeting.objects.filter(topic="第二次").count() == 1


def test_the_api_refuses_with_a_chinese_message_unless_confirmed(demo):
    plan(demo.users["secretary"], demo.branch, days=5, topic="第一次")
    token = create_token(Actor.system("test"), demo.users["secretary"], name="pytest")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    payload = {
        "organization": "FGW-B01",
        "kind": "general_meeting",
        "topic": "第二次",
        "starts_at": f"{days_from_today(5).isoformat()}T19:00",
    }

    response = client.post("/api/v1/meetings", payload, content_type="application/json")
    assert response.status_code == 422
    detail = {item["field"]: item["message"] for item in response.json()["detail"]}
    assert "已安排了支部党员大会" in detail["confirm_duplicate"]

    response = client.post(
        "/api/v1/meetings", {**payload, "confirm_duplicate": True}, content_type="application/json"
    )
    assert response.status_code == 201
