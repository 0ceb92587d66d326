"""The work-items and inbox API (/api/v1/work-items, /api/v1/inbox): sending down, the
receiver's progress, evidence and submission, the sender's review, the inbox; the pages' access
rules (404 outside the scope, 403 for a write the user may not make) and 422 Chinese errors."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from dangjian.accounts.services import create_token
from dangjian.audit.models import AuditAction, AuditEvent
from dangjian.audit.services import Actor
from dangjian.core import clock
from dangjian.duties import services
from dangjian.duties.models import Evidence, WorkEvent, WorkItem, WorkStatus
from dangjian.meetings import services as meeting_services
from dangjian.notices.models import Notice
from dangjian.regulations import workdays
from dangjian.regulations.periods import TZ
from tests.duties import workday
from tests.helpers import last_seq

ITEMS = "/api/v1/work-items"
INBOX = "/api/v1/inbox"
NOT_FOUND = {"detail": "对象不存在或不在您的权限范围内"}
FGW_BRANCHES = {"FGW-B01", "FGW-B02", "FGW-B03", "FGW-B04"}


class TokenClient:
    """Authenticates with `Authorization: Bearer <token>` only, as an API client does."""

    def __init__(self, user):
        token = create_token(Actor.system("test"), user, name="pytest") if user else None
        self.client = Client()
        self.auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}

    def get(self, path, data=None):
        return self.client.get(path, data, **self.auth)

    def post(self, path, data=None):
        return self.client.post(path, data or {}, content_type="application/json", **self.auth)


@pytest.fixture
def api(demo):
    return lambda persona: TokenClient(demo.users[persona] if persona else None)


def messages(response) -> dict[str, str]:
    return {item["field"]: item["message"] for item in response.json()["detail"]}


def holiday(after: int = 10) -> dt.date:
    day = clock.today() + dt.timedelta(days=after)
    while workdays.is_workday(day):
        day += dt.timedelta(days=1)
    return day


def send(api, **extra) -> dict:
    """The 机关党委 sends an item to every branch of FGW through the API; the response body."""
    body = {
        "organization": "FGW-JGDW",
        "title": extra.pop("title", "学习贯彻全会精神"),
        "deadline": workday(15).isoformat(),
        "all_branches": True,
        **extra,
    }
    response = api("organ").post(ITEMS, body)
    assert response.status_code == 201, response.content
    return response.json()


def child_of(plan_id: int, code: str) -> WorkItem:
    return WorkItem.objects.get(parent_id=plan_id, organization__code=code)


def held_meeting(org, kind: str = "general_meeting"):
    """A meeting of `org` held yesterday, everyone present."""
    actor = Actor.system("test")
    day = clock.today() - dt.timedelta(days=1)
    meeting = meeting_services.plan_meeting(
        actor,
        org,
        {
            "kind": kind,
            "starts_at": dt.datetime.combine(day, dt.time(14, 30), tzinfo=TZ),
            "topic": "学习全会精神专题会",
        },
    )
    meeting_services.record_meeting(actor, meeting, attendance={})
    return meeting


def submitted(api, code: str = "FGW-B01") -> WorkItem:
    """An item sent to every FGW branch, submitted by the organization `code`."""
    plan = send(api)
    item = child_of(plan["item"]["id"], code)
    services.submit(Actor.system("test"), item, "已完成")
    item.refresh_from_db()
    assert item.status == WorkStatus.SUBMITTED
    return item


# ---- the whole cycle -----------------------------------------------------------------------


def test_send_down_progress_evidence_submit_and_accept(demo, api):
    seq = last_seq()
    plan = send(
        api,
        title="召开专题组织生活会",
        description="围绕全会精神召开支部党员大会",
        evidence_kind="meeting",
        evidence_meeting_kind="general_meeting",
    )
    plan_id = plan["item"]["id"]
    assert plan["item"]["organization_code"] == "FGW-JGDW"
    assert plan["item"]["parent_id"] is None and plan["item"]["root_id"] == plan_id
    assert plan["warnings"] == []
    children = WorkItem.objects.filter(pk__in=plan["children"]).select_related("organization")
    assert {c.organization.code for c in children} == FGW_BRANCHES
    assert {c.parent_id for c in children} == {plan_id}
    created = AuditEvent.objects.filter(seq__gt=seq, action=AuditAction.CREATE)
    assert created.filter(object_type="duties.workitem").count() == 1 + len(FGW_BRANCHES)

    own = child_of(plan_id, "FGW-B01")
    sibling = child_of(plan_id, "FGW-B02")
    secretary = api("secretary")

    # The secretary lists and reads only the branch's own item.
    listed = secretary.get(ITEMS).json()
    assert own.pk in [i["id"] for i in listed["items"]]
    assert {i["organization_code"] for i in listed["items"]} <= {
        "FGW-B01",
        "FGW-B01-G1",
        "FGW-B01-G2",
    }
    response = secretary.get(f"{ITEMS}/{sibling.pk}")
    assert response.status_code == 404
    assert response.json() == NOT_FOUND
    assert secretary.get(f"{ITEMS}/{plan_id}").status_code == 404

    detail = secretary.get(f"{ITEMS}/{own.pk}").json()
    assert (detail["sender_code"], detail["state"], detail["can_work"]) == (
        "FGW-JGDW",
        "open",
        True,
    )
    assert [a["organization_code"] for a in detail["ancestors"]] == ["FGW-JGDW"]
    assert detail["subtree"] == []
    assert detail["events"][0]["kind"] == "sent"
    assert "党员大会" in detail["missing"]

    # Submitting before the meeting is linked is refused.
    response = secretary.post(f"{ITEMS}/{own.pk}/submit", {"note": "完成"})
    assert response.status_code == 422
    assert "请先关联" in messages(response)["evidence"]

    response = secretary.post(f"{ITEMS}/{own.pk}/progress", {"progress": 40, "note": "已部署"})
    assert response.status_code == 200
    assert response.json()["progress"] == 40
    last = response.json()["events"][-1]
    assert (last["kind"], last["note"], last["progress"]) == ("progress", "已部署", 40)
    assert last["actor"] == demo.users["secretary"].display_name

    meeting = held_meeting(demo.branch)
    response = secretary.post(f"{ITEMS}/{own.pk}/evidence", {"meeting": meeting.pk, "note": "记录"})
    assert response.status_code == 201
    (evidence,) = response.json()["evidence"]
    assert (evidence["kind"], evidence["meeting_id"]) == ("meeting", meeting.pk)
    assert response.json()["missing"] == ""

    response = secretary.post(f"{ITEMS}/{own.pk}/submit", {"note": "已召开"})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["can_work"]) == ("submitted", False)

    # Only the sending organization accepts: not the branch itself.
    response = secretary.post(f"{ITEMS}/{own.pk}/accept", {})
    assert response.status_code == 403
    own.refresh_from_db()
    assert own.status == WorkStatus.SUBMITTED

    organ = api("organ")
    waiting = organ.get(ITEMS, {"state": "review"}).json()
    assert [i["id"] for i in waiting["items"]] == [own.pk]
    assert organ.get(f"{ITEMS}/{own.pk}").json()["can_review"] is True
    response = organ.post(f"{ITEMS}/{own.pk}/accept", {"note": "很好"})
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["progress"], body["state"]) == ("accepted", 100, "done")
    assert body["completed_on"] == clock.today().isoformat()

    kinds = set(Notice.objects.about(own).values_list("kind", flat=True))
    assert {"received", "submitted", "accepted"} <= kinds

    # The plan's tree as the 机关党委 sees it: all four branches.
    tree = organ.get(f"{ITEMS}/{plan_id}").json()["subtree"]
    assert {r["organization_code"] for r in tree} == FGW_BRANCHES
    assert {r["organization_code"]: r["state"] for r in tree}["FGW-B01"] == "done"


def test_a_figure_is_evidence_and_one_kind_at_a_time(demo, api):
    plan = send(api, evidence_kind="figure")
    item = child_of(plan["item"]["id"], "FGW-B01")
    client = api("secretary")
    url = f"{ITEMS}/{item.pk}/evidence"

    for body, field in (
        ({"note": "参训人数"}, "meeting"),
        ({"meeting": 1, "figure": 3, "note": "x"}, "__all__"),
        ({"figure": "三十", "note": "参训人数"}, "figure"),
        ({"figure": 30}, "note"),
    ):
        response = client.post(url, body)
        assert response.status_code == 422, body
        assert field in messages(response), body
    assert not Evidence.objects.filter(item=item).exists()

    response = client.post(url, {"figure": "1,250.5", "note": "参训人数"})
    assert response.status_code == 201
    (evidence,) = response.json()["evidence"]
    assert (evidence["kind"], evidence["figure"], evidence["note"]) == (
        "figure",
        "1250.50",
        "参训人数",
    )


def test_the_receiver_splits_its_item_down_to_its_groups(demo, api):
    plan = send(api)
    item = child_of(plan["item"]["id"], "FGW-B01")
    client = api("secretary")
    url = f"{ITEMS}/{item.pk}/split"

    late = client.post(
        url,
        {"targets": ["FGW-B01-G1"], "deadline": (item.deadline + dt.timedelta(1)).isoformat()},
    )
    assert late.status_code == 422
    assert "不能晚于上级任务的截止日期" in messages(late)["deadline"]
    outside = client.post(url, {"targets": ["FGW-B02-G1"]})
    assert outside.status_code == 422
    assert "FGW-B02-G1" in messages(outside)["targets"]

    response = client.post(url, {"targets": ["FGW-B01-G1", "fgw-b01-g2"], "title": "小组学习"})
    assert response.status_code == 201
    body = response.json()
    assert body["item"]["id"] == item.pk
    groups = WorkItem.objects.filter(pk__in=body["children"]).select_related("organization")
    assert {(g.organization.code, g.title, g.deadline) for g in groups} == {
        ("FGW-B01-G1", "小组学习", item.deadline),
        ("FGW-B01-G2", "小组学习", item.deadline),
    }
    tree = client.get(f"{ITEMS}/{item.pk}").json()["subtree"]
    assert [(r["organization_code"], r["depth"]) for r in tree] == [
        ("FGW-B01-G1", 1),
        ("FGW-B01-G2", 1),
    ]
    # The branch submits only when its groups' items are accepted.
    response = client.post(f"{ITEMS}/{item.pk}/submit", {})
    assert response.status_code == 422
    assert "分解的任务尚未全部完成（0/2）" in messages(response)["evidence"]


# ---- review --------------------------------------------------------------------------------


def test_returning_needs_a_reason(demo, api):
    item = submitted(api)
    organ = api("organ")
    url = f"{ITEMS}/{item.pk}/return"

    for body in ({}, {"reason": "   "}):
        response = organ.post(url, body)
        assert response.status_code == 422
        assert response.json()["detail"] == [{"field": "reason", "message": "请填写退回原因"}]
    item.refresh_from_db()
    assert item.status == WorkStatus.SUBMITTED

    response = organ.post(url, {"reason": "缺少会议记录"})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["events"][-1]["note"]) == (
        "returned",
        "缺少会议记录",
    )
    assert response.json()["can_review"] is False
    # Returned items are the receiver's again, and cannot be accepted.
    assert organ.post(f"{ITEMS}/{item.pk}/accept", {}).status_code == 422
    detail = api("secretary").get(f"{ITEMS}/{item.pk}").json()
    assert detail["can_work"] is True


# ---- validation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"deadline": "2026/12/31"}, "deadline", "截止日期格式不正确，应为 YYYY-MM-DD"),
        ({"deadline": "YESTERDAY"}, "deadline", "截止日期不能早于今天"),
        ({"deadline": None}, "deadline", "请填写截止日期"),
        ({"deadline": None, "working_days": 0}, "working_days", "工作日数应为1到250之间的整数"),
        ({"working_days": "十天", "deadline": None}, "working_days", "格式不正确"),
        ({"title": ""}, "title", "请填写事项"),
        ({"evidence_kind": "photo"}, "evidence_kind", "完成佐证不正确"),
        ({"all_branches": False}, "targets", "请选择接收任务的组织"),
        ({"all_branches": False, "targets": ["CZJ-B01"]}, "targets", "CZJ-B01"),
        ({"within": "CZJ-JGDW"}, "within", "不在"),
        ({"organization": "FGW-B01"}, "organization", "党支部、党小组不能下发任务"),
    ],
)
def test_a_bad_item_is_422_in_chinese_and_sends_nothing(demo, api, change, field, message):
    body = {
        "organization": "FGW-JGDW",
        "title": "学习",
        "deadline": workday(10).isoformat(),
        "all_branches": True,
        **change,
    }
    if body["deadline"] == "YESTERDAY":
        body["deadline"] = (clock.today() - dt.timedelta(days=1)).isoformat()
    organ = api("organ")  # (making its token is audited)
    before = (WorkItem.objects.count(), Notice.objects.count(), last_seq())

    response = organ.post(ITEMS, body)

    assert response.status_code == 422
    assert set(response.json()) >= {"detail"}
    assert message in messages(response)[field]
    assert (WorkItem.objects.count(), Notice.objects.count(), last_seq()) == before


def test_working_days_and_a_holiday_deadline(demo, api):
    by_days = send(api, deadline=None, working_days=5)
    assert by_days["item"]["deadline"] == workday(5).isoformat()
    assert by_days["warnings"] == []

    day = holiday()
    on_holiday = send(api, deadline=day.isoformat())
    assert on_holiday["item"]["deadline"] == day.isoformat()
    (warning,) = on_holiday["warnings"]
    assert workdays.holiday_name(day) in warning and "提醒将在此前的工作日发出" in warning


# ---- the list ------------------------------------------------------------------------------


def test_the_list_filters_by_organization_state_and_year(demo, api):
    plan = send(api, plan_year=2031)
    item = child_of(plan["item"]["id"], "FGW-B02")
    services.submit(Actor.system("test"), item, "")
    organ = api("organ")

    in_year = organ.get(ITEMS, {"year": 2031}).json()
    assert in_year["count"] == 1 + len(FGW_BRANCHES)
    assert organ.get(ITEMS, {"year": 2031, "state": "open"}).json()["count"] == 4
    submitted_ = organ.get(ITEMS, {"year": 2031, "state": "submitted"}).json()
    assert [i["id"] for i in submitted_["items"]] == [item.pk]
    assert submitted_["items"][0]["state_label"] == "待验收"
    b02 = organ.get(ITEMS, {"year": 2031, "org": "fgw-b02"}).json()
    assert [i["id"] for i in b02["items"]] == [item.pk]
    assert organ.get(ITEMS, {"year": 2031, "state": "done"}).json()["count"] == 0
    assert organ.get(ITEMS, {"year": 2030, "org": "FGW-B02"}).json()["count"] == 0

    # The inspector reads the department's items too, but reviews nothing.
    inspector = api("inspector")
    assert inspector.get(ITEMS, {"year": 2031}).json()["count"] == 1 + len(FGW_BRANCHES)
    assert inspector.get(ITEMS, {"state": "review"}).json()["count"] == 0
    assert api("secretary").get(ITEMS, {"org": "FGW-B02"}).status_code == 404


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"state": "late"}, "state", "状态不正确"),
        ({"year": 1900}, "year", "年度应在2000至2100之间"),
        ({"year": "今年"}, "year", "格式不正确"),
    ],
)
def test_bad_list_filters_are_422_in_chinese(demo, api, query, field, message):
    response = api("organ").get(ITEMS, query)
    assert response.status_code == 422
    assert message in messages(response)[field]


# ---- refusals ------------------------------------------------------------------------------


def test_the_member_and_the_inspector_cannot_write(demo, api):
    item = child_of(send(api)["item"]["id"], "FGW-B01")
    member, inspector, secretary = api("member"), api("inspector"), api("secretary")
    before = (WorkItem.objects.count(), WorkEvent.objects.count(), last_seq())

    assert member.get(ITEMS).status_code == 403
    assert member.get(f"{ITEMS}/{item.pk}").json() == NOT_FOUND
    assert inspector.get(f"{ITEMS}/{item.pk}").status_code == 200
    writes = [
        ("split", {"targets": ["FGW-B01-G1"]}),
        ("progress", {"progress": 50, "note": "越权"}),
        ("evidence", {"figure": 1, "note": "越权"}),
        ("submit", {}),
    ]
    for action, body in writes:
        assert member.post(f"{ITEMS}/{item.pk}/{action}", body).status_code == 404, action
        assert inspector.post(f"{ITEMS}/{item.pk}/{action}", body).status_code == 403, action
    create = {"organization": "FGW-JGDW", "title": "越权", "deadline": workday(5).isoformat()}
    assert member.post(ITEMS, {**create, "all_branches": True}).status_code == 404
    assert inspector.post(ITEMS, {**create, "all_branches": True}).status_code == 403
    assert secretary.post(ITEMS, {**create, "all_branches": True}).status_code == 404
    assert (WorkItem.objects.count(), WorkEvent.objects.count(), last_seq()) == before

    services.submit(Actor.system("test"), item, "")
    before = (WorkItem.objects.count(), WorkEvent.objects.count(), last_seq())
    for action, body in (("accept", {}), ("return", {"reason": "越权"})):
        assert member.post(f"{ITEMS}/{item.pk}/{action}", body).status_code == 404, action
        assert inspector.post(f"{ITEMS}/{item.pk}/{action}", body).status_code == 403, action
    item.refresh_from_db()
    assert item.status == WorkStatus.SUBMITTED
    assert (WorkItem.objects.count(), WorkEvent.objects.count(), last_seq()) == before


def test_another_departments_item_is_not_found(demo, api):
    plan = services.send_down(
        Actor.system("test"),
        demo.org["CZJ-JGDW"],
        {"title": "财政局任务", "deadline": workday(10)},
        targets=["CZJ-B01"],
    )
    item = plan.children[0]
    for persona in ("organ", "inspector", "secretary", "member", "sysadmin"):
        assert api(persona).get(f"{ITEMS}/{item.pk}").status_code == 404, persona
        assert api(persona).post(f"{ITEMS}/{item.pk}/progress", {"progress": 9}).status_code == 404
    listed = api("organ").get(ITEMS).json()
    assert item.pk not in [i["id"] for i in listed["items"]]


def test_anonymous_callers_are_401(demo, api):
    anonymous = api(None)
    assert anonymous.get(ITEMS).status_code == 401
    assert anonymous.post(ITEMS, {"organization": "FGW-JGDW"}).status_code == 401
    assert anonymous.get(INBOX).status_code == 401
    assert anonymous.post(f"{INBOX}/read-all").status_code == 401


# ---- the inbox -----------------------------------------------------------------------------


def test_reading_notices_brings_the_unread_count_down(demo, api):
    for n in range(3):
        send(api, title=f"任务{n}")
    secretary = api("secretary")

    inbox = secretary.get(INBOX).json()
    unread = Notice.objects.filter(recipient=demo.users["secretary"], read_at__isnull=True).count()
    assert unread >= 3
    assert inbox["counts"]["unread"] == unread == inbox["count"]
    assert inbox["counts"]["items"] >= 3
    assert inbox["counts"]["badge"] == inbox["counts"]["actions"] + unread
    assert [n["title"] for n in inbox["items"][:3]] == [
        f"收到任务：任务{n}（{demo.branch.name}）" for n in (2, 1, 0)
    ]
    first = inbox["items"][0]
    assert (first["kind"], first["kind_label"], first["read"]) == ("received", "收到任务", False)

    response = secretary.post(f"{INBOX}/{first['id']}/read")
    assert response.json() == {"marked": 1, "unread": unread - 1}
    again = secretary.post(f"{INBOX}/{first['id']}/read")
    assert again.json() == {"marked": 0, "unread": unread - 1}
    after = secretary.get(INBOX).json()
    assert after["counts"]["unread"] == unread - 1
    # Unread first: the notice just read moves to the end.
    assert after["items"][-1]["id"] == first["id"] and after["items"][-1]["read"] is True
    only_unread = secretary.get(INBOX, {"unread": "true"}).json()
    assert first["id"] not in [n["id"] for n in only_unread["items"]]
    assert only_unread["count"] == unread - 1

    # Somebody else's notice is not found, and stays unread.
    organ_notice = Notice.objects.create(
        recipient=demo.users["organ"], key="test:1", kind="reminder", title="别人的消息"
    )
    assert secretary.post(f"{INBOX}/{organ_notice.pk}/read").json() == NOT_FOUND
    organ_notice.refresh_from_db()
    assert organ_notice.read_at is None

    response = secretary.post(f"{INBOX}/read-all")
    assert response.json() == {"marked": unread - 1, "unread": 0}
    assert secretary.get(INBOX, {"unread": True}).json()["count"] == 0
    assert Notice.objects.filter(pk=organ_notice.pk, read_at__isnull=True).exists()


def test_the_counts_follow_the_records(demo, api):
    item = submitted(api)
    counts = api("organ").get(INBOX).json()["counts"]
    assert counts["review"] == 1
    mine = api("member").get(INBOX).json()
    assert mine["counts"] == {
        "items": 0,
        "review": 0,
        "leave": 0,
        "grants": 0,
        "recruitment": 0,
        "transfers": 0,
        "appeals": 0,
        "sittings": 0,
        "unread": mine["count"],
        "actions": 0,
        "badge": mine["count"],
    }
    api("organ").post(f"{ITEMS}/{item.pk}/accept", {})
    assert api("organ").get(INBOX).json()["counts"]["review"] == 0
