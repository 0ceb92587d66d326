"""The meetings API (/api/v1/meetings): list with filters, detail, plan, record attendance,
record minutes with votes; the pages' access rules and 422 Chinese validation errors."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from dangjian.accounts.services import create_token
from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor
from dangjian.meetings import services
from dangjian.meetings.models import Attendance, Meeting, MeetingStatus, Vote
from dangjian.members.models import Member, MemberStatus
from dangjian.regulations.periods import TZ
from tests.helpers import assert_audited, events_since, last_seq
from tests.meetings import days_from_today, local, plan

MEETINGS = "/api/v1/meetings"


class TokenClient:
    """Authenticates with `Authorization: Bearer <token>` only, as an API client does."""

    def __init__(self, user):
        token = create_token(Actor.system("test"), user, name="pytest") if user else None
        self.client = Client()
        self.auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}

    def get(self, path, data=None):
        return self.client.get(path, data, **self.auth)

    def post(self, path, data):
        return self.client.post(path, data, content_type="application/json", **self.auth)


@pytest.fixture
def api(demo):
    return lambda persona: TokenClient(demo.users[persona] if persona else None)


def messages(response) -> dict[str, str]:
    return {item["field"]: item["message"] for item in response.json()["detail"]}


def branch_members(demo) -> list[Member]:
    return list(Member.objects.filter(organization=demo.branch).order_by("pk"))


# ---- reading -------------------------------------------------------------------------------


def test_the_list_filters_by_organization_kind_year_and_status(demo, api):
    year = 2031
    actor = Actor(user=demo.users["secretary"])
    for kind, month in (("theme_day", 3), ("party_lecture", 5), ("theme_day", 6)):
        services.plan_meeting(
            actor,
            demo.branch,
            {"kind": kind, "starts_at": local(dt.date(year, month, 10)), "topic": f"{kind}{month}"},
        )
    group = demo.org["FGW-B01-G1"]
    services.plan_meeting(
        actor,
        group,
        {"kind": "group_meeting", "starts_at": f"{year}-04-01T09:00", "topic": "组会"},
    )
    client = api("secretary")

    response = client.get(MEETINGS, {"org": "FGW-B01", "year": year})
    assert response.status_code == 200
    topics = [m["topic"] for m in response.json()["items"]]
    assert topics == ["theme_day3", "组会", "party_lecture5", "theme_day6"]
    assert response.json()["count"] == 4

    themed = client.get(MEETINGS, {"org": "fgw-b01", "year": year, "kind": "主题党日"}).json()
    assert [m["topic"] for m in themed["items"]] == ["theme_day3", "theme_day6"]
    grouped = client.get(MEETINGS, {"org": "FGW-B01-G1", "year": year}).json()
    assert [m["topic"] for m in grouped["items"]] == ["组会"]
    assert grouped["items"][0]["starts_at"] == f"{year}-04-01T09:00:00+08:00"
    assert grouped["items"][0]["kind_label"] == "党小组会"
    planned = client.get(MEETINGS, {"org": "FGW-B01", "year": year, "status": "held"}).json()
    assert planned["count"] == 0


def test_the_list_stays_inside_the_users_scope(demo, api):
    plan(None, demo.sibling_branch, topic="兄弟支部的会")
    response = api("secretary").get(MEETINGS)
    assert response.status_code == 200
    orgs = {m["organization_code"] for m in response.json()["items"]}
    assert orgs <= {"FGW-B01", "FGW-B01-G1", "FGW-B01-G2"}
    assert api("secretary").get(MEETINGS, {"org": "FGW-B02"}).status_code == 404
    sibling = api("inspector").get(MEETINGS, {"org": "FGW-B02", "year": days_from_today(-1).year})
    assert "兄弟支部的会" in [m["topic"] for m in sibling.json()["items"]]


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"kind": "座谈会"}, "kind", "会议类型不正确"),
        ({"status": "done"}, "status", "会议状态不正确"),
        ({"year": 1900}, "year", "年份应在2000至2100之间"),
        ({"year": "今年"}, "year", "格式不正确"),
    ],
)
def test_bad_list_filters_are_422_in_chinese(demo, api, query, field, message):
    response = api("secretary").get(MEETINGS, query)
    assert response.status_code == 422
    assert message in messages(response)[field]


def test_administrators_and_anonymous_callers_get_no_meetings(demo, api):
    for persona in ("sysadmin", "secadmin", "auditor"):
        assert api(persona).get(MEETINGS).status_code == 403
    assert api(None).get(MEETINGS).status_code == 401


def test_a_member_lists_and_reads_only_their_own_meetings_and_rows(demo, api):
    secretary = Actor(user=demo.users["secretary"])
    me = demo.users["member"].member
    other = next(m for m in branch_members(demo) if m.pk != me.pk)
    meeting = plan(secretary.user, demo.branch, topic="本支部大会")
    services.record_meeting(secretary, meeting, attendance={other.pk: ("on_leave", "别人的事由")})
    committee = plan(secretary.user, demo.branch, "committee_meeting", days=3, topic="支委会")
    client = api("member")

    year = days_from_today(-1).year
    general = client.get(MEETINGS, {"year": year, "kind": "general_meeting"}).json()
    assert "本支部大会" in [m["topic"] for m in general["items"]]
    # The member is not on the committee: no 支委会 at all, neither ours nor the demo's.
    assert client.get(MEETINGS, {"kind": "committee_meeting"}).json()["count"] == 0

    detail = client.get(f"{MEETINGS}/{meeting.pk}").json()
    assert [row["member_id"] for row in detail["attendance"]] == [me.pk]
    assert client.get(f"{MEETINGS}/{committee.pk}").status_code == 404

    full = api("secretary").get(f"{MEETINGS}/{meeting.pk}").json()
    assert len(full["attendance"]) == len(branch_members(demo))


def test_a_meeting_of_another_department_is_not_found(demo, api):
    meeting = plan(None, demo.other_branch)
    for persona in ("secretary", "inspector", "organ", "member"):
        assert api(persona).get(f"{MEETINGS}/{meeting.pk}").status_code == 404


# ---- planning ------------------------------------------------------------------------------


def test_planning_through_the_api(demo, api):
    client = api("secretary")
    seq = last_seq()
    day = days_from_today(6)
    response = client.post(
        MEETINGS,
        {
            "organization": "FGW-B01",
            "kind": "party_lecture",
            "topic": "书记讲党课",
            "starts_at": f"{day.isoformat()}T15:00",
            "place": "党员活动室",
            "host_id": demo.users["secretary"].member_id,
        },
    )
    assert response.status_code == 201
    body = response.json()
    meeting = Meeting.objects.get(pk=body["id"])
    assert meeting.starts_at.astimezone(TZ).isoformat() == f"{day.isoformat()}T15:00:00+08:00"
    assert (body["status"], body["host_id"], body["attendance"]) == (
        "planned",
        demo.users["secretary"].member_id,
        [],
    )
    assert_audited(seq, AuditAction.CREATE, meeting)


def test_planning_out_of_scope_or_read_only_is_refused(demo, api):
    payload = {"kind": "theme_day", "topic": "t", "starts_at": "2031-01-10T09:00"}
    before = Meeting.objects.count()
    assert (
        api("secretary").post(MEETINGS, {**payload, "organization": "FGW-B02"}).status_code == 404
    )
    assert (
        api("inspector").post(MEETINGS, {**payload, "organization": "FGW-B01"}).status_code == 403
    )
    assert api("member").post(MEETINGS, {**payload, "organization": "FGW-B01"}).status_code == 404
    assert Meeting.objects.count() == before


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"kind": "group_meeting"}, "kind", "党支部不能组织“党小组会”"),
        ({"topic": ""}, "topic", "请填写会议主题"),
        ({"starts_at": "明天下午"}, "starts_at", "会议时间格式不正确"),
        ({"starts_at": None}, "starts_at", "请填写会议时间"),
    ],
)
def test_a_bad_plan_is_422_in_chinese(demo, api, payload, field, message):
    body = {
        "organization": "FGW-B01",
        "kind": "theme_day",
        "topic": "t",
        "starts_at": "2031-01-10T09:00",
    }
    body.update(payload)
    response = api("secretary").post(MEETINGS, body)
    assert response.status_code == 422
    assert message in messages(response)[field]


# ---- recording -----------------------------------------------------------------------------


def test_recording_attendance_lists_only_the_exceptions(demo, api):
    meeting = plan(demo.users["secretary"], demo.branch)
    members = branch_members(demo)
    client = api("secretary")
    seq = last_seq()

    response = client.post(
        f"{MEETINGS}/{meeting.pk}/attendance",
        {
            "exceptions": [
                {"member_id": members[0].pk, "status": "on_leave", "reason": "出差"},
                {"member_id": members[1].pk, "status": "absent"},
            ]
        },
    )

    assert response.status_code == 200
    body = response.json()
    n = len(members)
    assert (body["status"], body["expected_count"], body["present_count"]) == ("held", n, n - 2)
    statuses = {row["member_id"]: row["status"] for row in body["attendance"]}
    assert statuses[members[0].pk] == "on_leave" and statuses[members[1].pk] == "absent"
    assert sum(1 for s in statuses.values() if s == "present") == n - 2
    assert len(events_since(seq)) == 1


@pytest.mark.parametrize(
    ("exceptions", "message"),
    [
        ([{"member_id": 0, "status": "absent"}], "不在本次会议的应到人员中"),
        ([{"member_id": "FIRST", "status": "on_leave"}], "请假，请填写请假事由"),
        ([{"member_id": "FIRST", "status": "late"}], "出勤状态不正确"),
        (
            [
                {"member_id": "FIRST", "status": "absent"},
                {"member_id": "FIRST", "status": "absent"},
            ],
            "重复出现",
        ),
    ],
)
def test_bad_attendance_is_422_in_chinese_and_writes_nothing(demo, api, exceptions, message):
    meeting = plan(demo.users["secretary"], demo.branch)
    first = branch_members(demo)[0].pk
    for item in exceptions:
        if item["member_id"] == "FIRST":
            item["member_id"] = first
    response = api("secretary").post(
        f"{MEETINGS}/{meeting.pk}/attendance", {"exceptions": exceptions}
    )
    assert response.status_code == 422
    assert any(message in text for text in messages(response).values())
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.PLANNED
    assert not Attendance.objects.filter(meeting=meeting).exists()


def test_minutes_need_the_attendance_first(demo, api):
    meeting = plan(demo.users["secretary"], demo.branch)
    response = api("secretary").post(f"{MEETINGS}/{meeting.pk}/minutes", {"content": "内容"})
    assert response.status_code == 422
    assert "请先记录出勤情况" in messages(response)["attendance"]


def test_minutes_with_votes_show_quorum_and_passing(demo, api):
    meeting = plan(demo.users["secretary"], demo.branch)
    client = api("secretary")
    client.post(f"{MEETINGS}/{meeting.pk}/attendance", {"exceptions": []})
    voting = Member.objects.filter(organization=demo.branch, status=MemberStatus.FULL).count()

    response = client.post(
        f"{MEETINGS}/{meeting.pk}/minutes",
        {
            "host_id": demo.users["secretary"].member_id,
            "decisions": "同意接收",
            "votes": [
                {"subject": "接收预备党员", "yes": voting // 2 + 1},
                {"subject": "表扬", "yes": voting // 2},
            ],
        },
    )

    assert response.status_code == 200
    body = response.json()
    assert body["decisions"] == "同意接收"
    assert [(v["subject"], v["quorate"], v["passed"]) for v in body["votes"]] == [
        ("接收预备党员", True, True),
        ("表扬", True, False),
    ]
    assert body["votes"][0]["voting_members"] == voting


def test_minutes_keep_what_is_not_sent(demo, api):
    meeting = plan(demo.users["secretary"], demo.branch)
    client = api("secretary")
    client.post(f"{MEETINGS}/{meeting.pk}/attendance", {"exceptions": []})
    client.post(f"{MEETINGS}/{meeting.pk}/minutes", {"agenda": "议题", "content": "内容"})
    body = client.post(f"{MEETINGS}/{meeting.pk}/minutes", {"decisions": "决议"}).json()
    assert (body["agenda"], body["content"], body["decisions"]) == ("议题", "内容", "决议")


def test_a_vote_without_quorum_is_422_with_the_rule(demo, api):
    meeting = plan(demo.users["secretary"], demo.branch)
    full = list(Member.objects.filter(organization=demo.branch, status=MemberStatus.FULL))
    client = api("secretary")
    client.post(
        f"{MEETINGS}/{meeting.pk}/attendance",
        {
            "exceptions": [
                {"member_id": m.pk, "status": "absent"} for m in full[: len(full) // 2 + 1]
            ]
        },
    )
    response = client.post(
        f"{MEETINGS}/{meeting.pk}/minutes", {"votes": [{"subject": "接收预备党员", "yes": 1}]}
    )
    assert response.status_code == 422
    assert "未超过半数，不能进行表决" in messages(response)["votes"]
    assert not Vote.objects.filter(meeting=meeting).exists()


def test_recording_is_refused_to_the_inspector_and_outside_the_scope(demo, api):
    meeting = plan(demo.users["secretary"], demo.branch)
    sibling = plan(None, demo.sibling_branch)
    body = {"exceptions": []}
    assert api("inspector").post(f"{MEETINGS}/{meeting.pk}/attendance", body).status_code == 403
    assert api("member").post(f"{MEETINGS}/{meeting.pk}/attendance", body).status_code == 403
    assert api("secretary").post(f"{MEETINGS}/{sibling.pk}/attendance", body).status_code == 404
    assert api("inspector").post(f"{MEETINGS}/{meeting.pk}/minutes", {}).status_code == 403
    for m in (meeting, sibling):
        m.refresh_from_db()
        assert m.status == MeetingStatus.PLANNED
