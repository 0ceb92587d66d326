"""Meeting pages: the calendar, planning, the one-page record, leave, attachments, the member's
own page; 404 outside the scope, 403 for read-only users, nothing about other members."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangjian.audit.services import Actor
from dangjian.meetings import services
from dangjian.meetings.models import (
    Attachment,
    Attendance,
    LeaveRequest,
    Meeting,
    MeetingSeries,
    MeetingStatus,
    Vote,
)
from dangjian.members.models import Member, MemberStatus
from dangjian.regulations.periods import TZ
from tests.helpers import events_since, last_seq
from tests.meetings import days_from_today, local, plan

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def secretary(demo, client_for):
    return client_for(demo.users["secretary"])


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def url(name: str, **kwargs) -> str:
    return reverse(f"meetings:{name}", kwargs=kwargs or None)


def html(response) -> str:
    return response.content.decode()


def record_form(meeting: Meeting, marks: dict | None = None) -> dict:
    """What the record page posts when the secretary leaves every row at 出席 except `marks`
    (member pk → (status, reason))."""
    start = meeting.starts_at.astimezone(TZ)
    data = {
        "date": start.date().isoformat(),
        "time": start.strftime("%H:%M"),
        "host": "",
        "recorder": "",
        "agenda": meeting.topic,
        "content": "",
        "decisions": "",
    }
    members = Member.objects.filter(organization=meeting.organization)
    for member in members:
        status, reason = (marks or {}).get(member.pk, ("present", ""))
        data[f"att-{member.pk}"] = status
        data[f"reason-{member.pk}"] = reason
    return data


def branch_members(demo) -> list[Member]:
    return list(Member.objects.filter(organization=demo.branch).order_by("pk"))


# ---- the secretary's pages -----------------------------------------------------------------


def test_the_secretarys_pages_render(demo, secretary):
    meeting = plan(demo.users["secretary"], demo.branch, topic="学习党章党规")
    month = days_from_today(-1).strftime("%Y-%m")
    pages = [
        (url("calendar"), "组织生活 · 办公室党支部"),
        (f"{url('calendar')}?org=FGW-B01&month={month}", "学习党章党规"),
        (url("detail", pk=meeting.pk), "学习党章党规"),
        (url("record", pk=meeting.pk), "保存会议记录"),
        (f"{url('create')}?org=FGW-B01", "安排会议 · 办公室党支部"),
        (f"{url('series_create')}?org=FGW-B01", "固定计划"),
        (url("mine"), "我的会议"),
    ]
    for address, text in pages:
        response = secretary.get(address)
        assert response.status_code == 200, address
        assert text in html(response), address


def test_the_calendar_lists_planned_held_and_cancelled_meetings_as_a_list_on_phones(
    demo, secretary
):
    day = dt.date(2030, 3, 12)
    actor = Actor(user=demo.users["secretary"])
    start = dt.datetime.combine(day, dt.time(9, 0), tzinfo=TZ)
    planned = services.plan_meeting(
        actor, demo.branch, {"kind": "theme_day", "starts_at": start, "topic": "计划的会"}
    )
    cancelled = services.plan_meeting(
        actor, demo.branch, {"kind": "party_lecture", "starts_at": start, "topic": "取消的会"}
    )
    services.cancel_meeting(actor, cancelled)
    held = plan(demo.users["secretary"], demo.branch, topic="开过的会")
    services.record_meeting(actor, held, attendance={})

    page = html(secretary.get(f"{url('calendar')}?org=FGW-B01&month=2030-03"))
    assert "2030年3月" in page
    phone_list = page.split('id="calendar-list"', 1)[1]
    assert "计划的会" in phone_list and "取消的会" in phone_list
    assert "已取消" in phone_list and "计划" in phone_list
    assert "3月12日" in phone_list
    assert planned.topic in page

    held_month = held.starts_at.astimezone(TZ).strftime("%Y-%m")
    page = html(secretary.get(f"{url('calendar')}?org=FGW-B01&month={held_month}"))
    assert "开过的会" in page and "已召开" in page


def test_a_planned_meeting_left_unrecorded_is_shown_as_overdue(demo, secretary):
    meeting = plan(demo.users["secretary"], demo.branch, days=-2, topic="忘了记录的会")
    month = meeting.starts_at.astimezone(TZ).strftime("%Y-%m")
    page = html(secretary.get(f"{url('calendar')}?org=FGW-B01&month={month}"))
    item = page.split("忘了记录的会", 1)[0].rsplit("<a", 1)[1]
    assert "逾期未记录" in item


def test_the_calendar_query_count_does_not_grow_with_the_number_of_meetings(demo, secretary):
    address = f"{url('calendar')}?org=FGW-B01&month=2031-05"
    secretary.get(address)
    with CaptureQueriesContext(connection) as empty:
        secretary.get(address)
    actor = Actor(user=demo.users["secretary"])
    for day in range(1, 21):
        services.plan_meeting(
            actor,
            demo.org["FGW-B01-G1" if day % 2 else "FGW-B01"],
            {
                "kind": "group_meeting" if day % 2 else "theme_day",
                "starts_at": dt.datetime(2031, 5, day, 9, 0, tzinfo=TZ),
                "topic": f"第{day}次",
                "host": demo.users["secretary"].member_id,
            },
        )
    with CaptureQueriesContext(connection) as full:
        response = secretary.get(address)
    assert "第20次" in html(response)
    assert len(full) == len(empty)


def test_the_record_page_query_count_does_not_grow_with_the_number_of_attendees(demo, secretary):
    small = plan(demo.users["secretary"], demo.org["FGW-B01-G1"], "group_meeting")
    large = plan(demo.users["secretary"], demo.branch)
    secretary.get(url("record", pk=small.pk))
    counts = []
    for meeting in (small, large):
        with CaptureQueriesContext(connection) as queries:
            assert secretary.get(url("record", pk=meeting.pk)).status_code == 200
        counts.append(len(queries))
    # A 党员大会 also reads who may vote on its day from the membership history (one query).
    assert counts[0] + 1 == counts[1]


# ---- recording on the page -----------------------------------------------------------------


def test_the_record_page_lists_everyone_present_by_default(demo, secretary):
    meeting = plan(demo.users["secretary"], demo.branch)
    page = html(secretary.get(url("record", pk=meeting.pk)))
    members = branch_members(demo)
    checked = re.findall(
        r'name="att-(\d+)" id="[^"]+" value="(\w+)" autocomplete="off" checked', page
    )
    assert sorted(int(pk) for pk, _ in checked) == sorted(m.pk for m in members)
    assert {value for _, value in checked} == {"present"}
    voting = sum(1 for m in members if m.status == MemberStatus.FULL)
    assert f"有表决权的党员（正式党员）应到 <strong>{voting}</strong> 人" in page
    assert "须过半数有表决权党员到会" in page
    assert f'应到 <strong id="count-expected">{len(members)}</strong> 人' in page


def test_the_date_and_time_inputs_hold_iso_values_a_browser_accepts(demo, secretary):
    meeting = plan(demo.users["secretary"], demo.branch)
    day = meeting.starts_at.astimezone(TZ).date()
    page = html(secretary.get(url("record", pk=meeting.pk)))
    assert re.search(rf'type="date" name="date" value="{day.isoformat()}"', page)
    assert re.search(r'type="time" name="time" value="14:30"', page)
    plan_page = html(secretary.get(f"{url('create')}?org=FGW-B01"))
    assert re.search(r'type="date" name="date" value="\d{4}-\d{2}-\d{2}"', plan_page)


def test_saving_the_record_page_records_the_meeting(demo, secretary):
    meeting = plan(demo.users["secretary"], demo.branch)
    members = branch_members(demo)
    away, missing = members[3], members[4]
    seq = last_seq()

    response = secretary.post(
        url("record", pk=meeting.pk),
        record_form(meeting, {away.pk: ("on_leave", "出差"), missing.pk: ("absent", "")}),
        follow=True,
    )

    assert response.redirect_chain[-1][0] == url("detail", pk=meeting.pk)
    page = html(response)
    n = len(members)
    assert f"已保存会议记录：应到{n}人，实到{n - 2}人，请假1人，缺席1人" in page
    assert f"应到 {n} 人，实到 {n - 2} 人" in page
    assert f"{away.name}（请假：出差）" in page
    assert f"{missing.name}（缺席）" in page
    meeting.refresh_from_db()
    assert (meeting.status, meeting.expected_count, meeting.present_count) == ("held", n, n - 2)
    assert last_seq() == seq + 1


def test_saving_the_record_page_twice_unchanged_writes_one_event(demo, secretary):
    meeting = plan(demo.users["secretary"], demo.branch)
    form = record_form(meeting, {branch_members(demo)[1].pk: ("absent", "")})
    seq = last_seq()
    for _ in range(2):
        assert secretary.post(url("record", pk=meeting.pk), form).status_code == 302
    assert len(events_since(seq)) == 1

    form["decisions"] = "会议决定"
    secretary.post(url("record", pk=meeting.pk), form)
    (_, correction) = events_since(seq)
    assert list(correction.changes) == ["decisions"]


def test_a_refused_record_shows_the_message_and_keeps_the_marks(demo, secretary):
    meeting = plan(demo.users["secretary"], demo.branch)
    member = branch_members(demo)[2]

    response = secretary.post(
        url("record", pk=meeting.pk), record_form(meeting, {member.pk: ("on_leave", "")})
    )

    assert response.status_code == 200
    page = html(response)
    assert f"{member.name}请假，请填写请假事由" in page
    assert re.search(
        rf'name="att-{member.pk}" id="[^"]+" value="on_leave" autocomplete="off" checked', page
    )
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.PLANNED
    assert not Attendance.objects.filter(meeting=meeting).exists()


def test_a_vote_without_quorum_is_refused_on_the_page_in_chinese(demo, secretary):
    meeting = plan(demo.users["secretary"], demo.branch)
    members = branch_members(demo)
    full = [m for m in members if m.status == MemberStatus.FULL]
    marks = {m.pk: ("absent", "") for m in full[: len(full) - len(full) // 2]}
    data = record_form(meeting, marks)
    data.update(
        {"vote-1-subject": "接收预备党员", "vote-1-yes": "3", "vote-1-no": "", "vote-1-abstain": ""}
    )

    response = secretary.post(url("record", pk=meeting.pk), data)

    assert response.status_code == 200
    assert f"实到{len(full) // 2}人，未超过半数，不能进行表决" in html(response)
    assert "接收预备党员" in html(response)  # the vote line is kept
    assert not Vote.objects.filter(meeting=meeting).exists()
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.PLANNED


def test_a_vote_recorded_on_the_page_shows_whether_it_passed(demo, secretary):
    meeting = plan(demo.users["secretary"], demo.branch)
    full = [m for m in branch_members(demo) if m.status == MemberStatus.FULL]
    data = record_form(meeting)
    data.update(
        {
            "vote-1-subject": "接收预备党员",
            "vote-1-yes": str(len(full)),
            "vote-2-subject": "给予表扬",
            "vote-2-yes": str(len(full) // 2),
        }
    )
    response = secretary.post(url("record", pk=meeting.pk), data, follow=True)
    votes = html(response).split('id="votes"', 1)[1]
    assert votes.index("接收预备党员") < votes.index("通过") < votes.index("给予表扬")
    assert "未通过" in votes.split("给予表扬", 1)[1]


def test_planning_on_the_page_keeps_the_local_time(demo, secretary):
    day = days_from_today(5)
    response = secretary.post(
        f"{url('create')}?org=FGW-B01",
        {
            "org": "FGW-B01",
            "kind": "theme_day",
            "date": day.isoformat(),
            "time": "23:59",
            "topic": "夜间学习",
            "place": "",
            "host": str(demo.users["secretary"].member_id),
            "invited": "上级联系人",
        },
    )
    meeting = Meeting.objects.get(topic="夜间学习")
    assert response.status_code == 302
    assert response["Location"] == url("detail", pk=meeting.pk)
    assert meeting.starts_at == dt.datetime.combine(day, dt.time(23, 59), tzinfo=TZ)
    assert (meeting.organization, meeting.host_id, meeting.invited) == (
        demo.branch,
        demo.users["secretary"].member_id,
        "上级联系人",
    )


def test_a_plan_with_errors_is_shown_again_with_the_message(demo, secretary):
    before = Meeting.objects.count()
    response = secretary.post(
        f"{url('create')}?org=FGW-B01",
        {"kind": "theme_day", "date": days_from_today(5).isoformat(), "time": "09:00", "topic": ""},
    )
    assert response.status_code == 200
    assert "请填写会议主题" in html(response)
    assert Meeting.objects.count() == before


def test_a_series_planned_on_the_page_fills_the_calendar(demo, secretary):
    MeetingSeries.objects.filter(organization=demo.branch).update(active=False)
    response = secretary.post(
        f"{url('series_create')}?org=FGW-B01",
        {
            "kind": "theme_day",
            "day_of_month": "15",
            "start_time": "14:30",
            "topic": "",
            "place": "",
        },
        follow=True,
    )
    assert "已建立固定计划（每月15日），安排会议 12 次" in html(response)
    series = MeetingSeries.objects.get(organization=demo.branch, active=True)
    assert series.meetings.count() == 12

    again = secretary.post(url("series_extend", pk=series.pk), follow=True)
    assert "未来12个月已安排" in html(again)
    assert series.meetings.count() == 12


def test_cancelling_on_the_page(demo, secretary):
    meeting = plan(demo.users["secretary"], demo.branch, days=4)
    response = secretary.post(url("cancel", pk=meeting.pk), {"reason": "改期"}, follow=True)
    assert "会议已取消" in html(response)
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.CANCELLED
    assert secretary.get(url("record", pk=meeting.pk)).status_code == 302


# ---- scope: 404 outside, 403 read-only -----------------------------------------------------


def test_a_sibling_branchs_meeting_is_not_found_for_the_secretary(demo, secretary):
    meeting = plan(None, demo.sibling_branch)
    for name in ("detail", "record", "checkin_screen"):
        assert secretary.get(url(name, pk=meeting.pk)).status_code == 404, name
    for name in ("record", "cancel", "attachment_upload", "leave_request"):
        assert secretary.post(url(name, pk=meeting.pk), {}).status_code == 404, name
    assert secretary.get(f"{url('calendar')}?org=FGW-B02").status_code == 404
    assert secretary.get(f"{url('create')}?org=FGW-B02").status_code == 404
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.PLANNED


def test_the_sibling_branch_does_not_appear_in_the_secretarys_calendar(demo, secretary):
    plan(None, demo.sibling_branch, topic="兄弟支部的会")
    month = days_from_today(-1).strftime("%Y-%m")
    assert "兄弟支部的会" not in html(secretary.get(f"{url('calendar')}?month={month}"))


def test_the_inspector_reads_but_every_write_is_forbidden(demo, client_for, media):
    meeting = plan(demo.users["secretary"], demo.branch, days=2)
    leave = services.request_leave(
        Actor(user=demo.users["member"]), meeting, demo.users["member"].member, "出差"
    )
    inspector = client_for(demo.users["inspector"])
    seq = last_seq()

    assert inspector.get(url("detail", pk=meeting.pk)).status_code == 200
    assert inspector.get(f"{url('calendar')}?org=FGW-B01").status_code == 200
    assert inspector.get(url("record", pk=meeting.pk)).status_code == 403
    assert inspector.post(url("record", pk=meeting.pk), record_form(meeting)).status_code == 403
    assert inspector.post(url("cancel", pk=meeting.pk)).status_code == 403
    assert (
        inspector.post(url("leave_decide", pk=leave.pk), {"decision": "approve"}).status_code == 403
    )
    upload = SimpleUploadedFile("记录.pdf", PDF)
    assert (
        inspector.post(url("attachment_upload", pk=meeting.pk), {"files": upload}).status_code
        == 403
    )
    assert inspector.get(f"{url('create')}?org=FGW-B01").status_code == 403
    assert inspector.post(f"{url('series_create')}?org=FGW-B01", {}).status_code == 403

    meeting.refresh_from_db()
    leave.refresh_from_db()
    assert (meeting.status, leave.status) == ("planned", "pending")
    assert not Attachment.objects.filter(meeting=meeting).exists()
    assert last_seq() == seq


def test_the_administrators_see_no_meetings(demo, client_for):
    meeting = plan(demo.users["secretary"], demo.branch)
    for persona in ("sysadmin", "secadmin", "auditor"):
        client = client_for(demo.users[persona])
        assert client.get(url("calendar")).status_code == 403
        assert client.get(url("detail", pk=meeting.pk)).status_code == 404
        assert client.get(url("mine")).status_code == 403


def test_the_navigation_links_follow_the_roles(demo, client_for):
    secretary_page = html(client_for(demo.users["secretary"]).get(url("mine")))
    assert ">组织生活</a>" in secretary_page and ">我的会议</a>" in secretary_page
    member_page = html(client_for(demo.users["member"]).get(url("mine")))
    assert ">组织生活</a>" not in member_page and ">我的会议</a>" in member_page


# ---- the member ----------------------------------------------------------------------------


@pytest.fixture
def member(demo, client_for):
    return client_for(demo.users["member"])


def test_a_member_without_a_role_is_sent_from_the_calendar_to_their_own_page(demo, member):
    response = member.get(url("calendar"))
    assert (response.status_code, response["Location"]) == (302, url("mine"))
    assert member.get(f"{url('calendar')}?org=FGW-B01").status_code == 404


def test_the_members_own_page_shows_only_their_own_meetings_leave_and_attendance(demo, member):
    secretary = Actor(user=demo.users["secretary"])
    me = demo.users["member"].member
    others = [m for m in branch_members(demo) if m.pk != me.pk]
    upcoming = plan(secretary.user, demo.branch, days=3, topic="下周的支部大会")
    services.request_leave(Actor(user=demo.users["member"]), upcoming, me, "外出培训")
    held = plan(secretary.user, demo.branch, days=-1, topic="昨天的支部大会")
    services.record_meeting(
        secretary,
        held,
        attendance={
            me.pk: ("absent", "本人原因"),
            others[0].pk: ("on_leave", "别人的隐私事由"),
            others[1].pk: ("absent", "别人的缺席原因"),
        },
    )
    sibling = plan(None, demo.sibling_branch, days=3, topic="兄弟支部的会")

    page = html(member.get(url("mine")))

    upcoming_part = page.split('id="upcoming"', 1)[1].split("我的请假", 1)[0]
    assert "下周的支部大会" in upcoming_part
    assert "外出培训" in upcoming_part and "待审批" in upcoming_part
    assert sibling.topic not in page
    history = page.split('id="my-history"', 1)[1]
    assert "昨天的支部大会" in history and "缺席（本人原因）" in history
    assert "别人的隐私事由" not in page and "别人的缺席原因" not in page
    for other in others:
        assert other.name not in page, other.name
    for forbidden in ("排名", "积分", "在线时长"):
        assert forbidden not in page


def test_a_member_reads_their_meeting_without_the_others_attendance(demo, member, media):
    secretary = Actor(user=demo.users["secretary"])
    me = demo.users["member"].member
    other = next(m for m in branch_members(demo) if m.pk != me.pk)
    meeting = plan(secretary.user, demo.branch, topic="支部大会")
    services.record_meeting(
        secretary,
        meeting,
        attendance={other.pk: ("on_leave", "别人的事由")},
        files=[SimpleUploadedFile("签到表.pdf", PDF)],
    )

    response = member.get(url("detail", pk=meeting.pk))

    assert response.status_code == 200
    page = html(response)
    assert "支部大会" in page and "我的出勤" in page and "出席" in page
    assert other.name not in page and "别人的事由" not in page
    assert "签到表.pdf" not in page
    attachment = Attachment.objects.get(meeting=meeting)
    assert member.get(url("attachment", pk=attachment.pk)).status_code == 404
    assert member.get(url("record", pk=meeting.pk)).status_code == 403


def test_a_member_does_not_see_meetings_they_are_not_expected_at(demo, member):
    other_group = demo.org["FGW-B01-G2"]
    assert demo.users["member"].member.party_group_id != other_group.pk
    group_meeting = plan(demo.users["secretary"], other_group, "group_meeting", days=2)
    committee = plan(demo.users["secretary"], demo.branch, "committee_meeting", days=2)
    for meeting in (group_meeting, committee):
        assert member.get(url("detail", pk=meeting.pk)).status_code == 404
    own_group = plan(
        demo.users["secretary"], demo.users["member"].member.party_group, "group_meeting", days=2
    )
    assert member.get(url("detail", pk=own_group.pk)).status_code == 200


def test_leave_asked_on_the_members_page_is_approved_on_the_meeting_page_and_prefilled(
    demo, member, secretary
):
    # Today at 08:00: leave may still be asked today, and the meeting has started.
    meeting = plan(demo.users["secretary"], demo.branch, starts_at=local(days_from_today(0), 8, 0))
    me = demo.users["member"].member

    response = member.post(
        url("leave_request", pk=meeting.pk), {"reason": "出差", "next": url("mine")}, follow=True
    )
    assert response.redirect_chain[-1][0] == url("mine")
    assert "已提交请假申请" in html(response)
    leave = LeaveRequest.objects.get(meeting=meeting, member=me)

    detail = html(secretary.get(url("detail", pk=meeting.pk)))
    assert f"{me.name}：出差" in detail and "批准" in detail
    secretary.post(url("leave_decide", pk=leave.pk), {"decision": "approve"})
    leave.refresh_from_db()
    assert leave.status == "approved"

    page = html(secretary.get(url("record", pk=meeting.pk)))
    assert re.search(
        rf'name="att-{me.pk}" id="[^"]+" value="on_leave" autocomplete="off" checked', page
    )
    assert f'name="reason-{me.pk}" value="出差"' in page


def test_a_leave_request_redirect_never_leaves_the_site(demo, member):
    meeting = plan(demo.users["secretary"], demo.branch, days=2)
    response = member.post(
        url("leave_request", pk=meeting.pk), {"reason": "出差", "next": "https://example.com/"}
    )
    assert response["Location"] == url("detail", pk=meeting.pk)


# ---- attachments ---------------------------------------------------------------------------


def test_attachments_are_served_only_through_the_checked_view(demo, secretary, client_for, media):
    meeting = plan(demo.users["secretary"], demo.branch)
    secretary.post(
        url("attachment_upload", pk=meeting.pk),
        {"files": [SimpleUploadedFile("会议记录.pdf", PDF)]},
    )
    attachment = Attachment.objects.get(meeting=meeting)

    response = secretary.get(url("attachment", pk=attachment.pk))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    inspector = client_for(demo.users["inspector"])
    assert inspector.get(url("attachment", pk=attachment.pk)).status_code == 200
    # No public URL serves the stored file.
    assert secretary.get(f"/media/{attachment.file.name}").status_code == 404


def test_a_word_attachment_downloads_as_a_file(demo, secretary, media):
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<xml/>")
        archive.writestr("word/document.xml", "<xml/>")
    meeting = plan(demo.users["secretary"], demo.branch)
    services.add_attachments(
        Actor(user=demo.users["secretary"]),
        meeting,
        [SimpleUploadedFile("决议.docx", buffer.getvalue())],
    )
    attachment = Attachment.objects.get(meeting=meeting)
    response = secretary.get(url("attachment", pk=attachment.pk))
    assert response["Content-Disposition"].startswith("attachment;")


def test_a_bad_upload_on_the_page_is_refused_with_a_message(demo, secretary, media):
    meeting = plan(demo.users["secretary"], demo.branch)
    response = secretary.post(
        url("attachment_upload", pk=meeting.pk),
        {"files": [SimpleUploadedFile("会议记录.pdf", b"MZ\x90\x00not a pdf")]},
        follow=True,
    )
    assert "会议记录.pdf：不支持的文件类型" in html(response)
    assert not Attachment.objects.filter(meeting=meeting).exists()


def test_an_attachment_is_deleted_on_the_page(demo, secretary, media):
    meeting = plan(demo.users["secretary"], demo.branch)
    services.add_attachments(
        Actor(user=demo.users["secretary"]), meeting, [SimpleUploadedFile("记录.pdf", PDF)]
    )
    attachment = Attachment.objects.get(meeting=meeting)
    response = secretary.post(url("attachment_delete", pk=attachment.pk), follow=True)
    assert "已删除附件 记录.pdf" in html(response)
    assert not Attachment.objects.filter(pk=attachment.pk).exists()
