"""Refused requests after login are audited, aggregated per user, route and minute."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from dangjian.audit.models import AuditAction, AuditEvent, DenialWindow
from dangjian.core.jobs import tick
from dangjian.regulations.periods import TZ
from tests.helpers import events_since, last_seq

MINUTE = dt.datetime(2026, 11, 25, 10, 7, 5, tzinfo=TZ)


def denials_since(seq: int) -> list[AuditEvent]:
    return [e for e in events_since(seq, denials=True) if e.action == AuditAction.DENIED]


def test_a_forbidden_page_leaves_one_event_naming_user_route_method_and_status(demo, client_for):
    before = last_seq()

    assert client_for(demo.users["member"]).get(reverse("audit:list")).status_code == 403

    [event] = denials_since(before)
    assert event.actor_username == "member"
    assert event.object_type == "request"
    assert event.object_repr == "/audit/"
    assert event.message == "拒绝访问：GET /audit/（403）"


def test_a_missing_object_names_the_route_pattern_not_the_path(demo, client_for):
    before = last_seq()

    response = client_for(demo.users["secretary"]).get("/members/110101199003071234/")

    assert response.status_code == 404
    [event] = denials_since(before)
    assert "110101199003071234" not in event.message + event.object_repr
    assert event.object_repr == "/members/<int:pk>/"


def test_an_unknown_address_is_one_route_for_all_unknown_addresses(demo, client_for):
    before = last_seq()
    client = client_for(demo.users["secretary"])
    with time_machine.travel(MINUTE, tick=False):
        for path in ("/wp-admin/", "/.env", "/members/abc/"):
            assert client.get(path).status_code == 404

    [event] = denials_since(before)
    assert event.object_repr == "（不存在的地址）"


def test_a_refused_write_on_an_object_is_audited(demo, client_for):
    member = demo.member_in_other_dept
    before = last_seq()

    response = client_for(demo.users["secretary"]).post(
        reverse("members:edit", args=[member.pk]), {"name": "改名"}
    )

    assert response.status_code in (403, 404)
    [event] = denials_since(before)
    assert event.object_repr == "/members/<int:pk>/edit/"
    assert event.message.startswith("拒绝访问：POST /members/<int:pk>/edit/")


def test_anonymous_requests_and_static_assets_are_not_denials(demo, client_for):
    before = last_seq()

    client_for(None).get("/members/999999/")
    client_for(demo.users["member"]).get("/static/nothing-here.css")

    assert denials_since(before) == []


def test_a_flood_gives_two_events_per_route_and_minute_with_the_count(demo, client_for):
    client = client_for(demo.users["member"])
    before = last_seq()
    with time_machine.travel(MINUTE, tick=False):
        for _ in range(60):
            assert client.get(reverse("audit:list")).status_code == 403
        for pk in range(900000, 900040):
            assert client.get(f"/members/{pk}/edit/").status_code in (403, 404)

    assert len(denials_since(before)) == 2  # one per route, at once
    assert tick(now=MINUTE + dt.timedelta(minutes=1))["denial_summaries"] == 2

    events = denials_since(before)
    assert len(events) == 4
    summaries = sorted(e.message for e in events[2:])
    assert summaries == [
        "member 在 2026-11-25 10:07 这一分钟内共被拒绝访问 /audit/ 60 次（首次已单独记录）",
        "member 在 2026-11-25 10:07 这一分钟内共被拒绝访问 /members/<int:pk>/edit/ 40 次"
        "（首次已单独记录）",
    ]
    assert {e.actor_username for e in events} == {"member"}
    assert not DenialWindow.objects.exists()
    assert tick(now=MINUTE + dt.timedelta(minutes=2))["denial_summaries"] == 0


@pytest.mark.parametrize("minutes", [3])
def test_a_flood_over_minutes_stays_bounded_by_the_minutes(demo, client_for, minutes):
    client = client_for(demo.users["inspector"])
    before = last_seq()
    for minute in range(minutes):
        with time_machine.travel(MINUTE + dt.timedelta(minutes=minute), tick=False):
            for _ in range(25):
                client.get(reverse("audit:list"))
    tick(now=MINUTE + dt.timedelta(minutes=minutes))

    # Each new minute's first refusal also closes the user's previous minute.
    assert len(denials_since(before)) == 2 * minutes


def test_a_lone_refusal_needs_no_summary(demo, client_for):
    before = last_seq()
    with time_machine.travel(MINUTE, tick=False):
        client_for(demo.users["member"]).get(reverse("audit:list"))

    assert tick(now=MINUTE + dt.timedelta(minutes=5))["denial_summaries"] == 0
    assert len(denials_since(before)) == 1
