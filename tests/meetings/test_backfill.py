"""记录会议 opens at the meeting's start; a meeting recorded more than `backfill_after_days` (7 in
the national pack) after its day is a 补录: it needs a reason, is marked wherever the meeting is
shown, and its audit event says so (issue 12)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor
from dangjian.core.errors import ServiceValidationError
from dangjian.meetings import backfill, services
from dangjian.meetings.dossier import meeting_tables
from dangjian.meetings.models import Meeting, MeetingStatus
from dangjian.meetings.packs import rules_in_force
from dangjian.regulations.periods import TZ, cn_date
from tests.helpers import assert_audited, last_seq
from tests.meetings import days_from_today, local, plan, starting_now
from tests.meetings.test_api import TokenClient

AFTER = 7  # the national pack's backfill_after_days
REASON = "会议当天系统维护，纸质记录整理后补录"


@pytest.fixture
def secretary(demo):
    return Actor(user=demo.users["secretary"])


@pytest.fixture
def page(demo, client_for):
    return client_for(demo.users["secretary"])


@pytest.fixture
def api(demo):
    return TokenClient(demo.users["secretary"])


def url(name: str, pk: int) -> str:
    return reverse(f"meetings:{name}", kwargs={"pk": pk})


def test_the_national_pack_sets_the_backfill_threshold():
    assert rules_in_force().params["backfill_after_days"] == AFTER
    assert backfill.after_days() == AFTER


# ---- 记录会议 from the meeting's start ------------------------------------------------------


def test_before_its_start_a_meeting_is_not_offered_for_recording_and_a_post_is_refused(
    demo, secretary, page, api
):
    later = starting_now() + dt.timedelta(hours=2)
    meeting = plan(secretary.user, demo.branch, starts_at=later)
    opens = f"{cn_date(later.date())}{later:%H:%M}"
    message = f"会议尚未开始，不能记录：本次会议自{opens}起可以记录"

    detail = page.get(url("detail", meeting.pk)).content.decode()
    assert url("record", meeting.pk) not in detail
    assert message in detail
    response = page.get(url("record", meeting.pk), follow=True)
    assert response.redirect_chain[-1][0] == url("detail", meeting.pk)
    assert message in response.content.decode()
    posted = page.post(
        url("record", meeting.pk), {"date": later.date().isoformat(), "time": "08:00"}
    )
    assert posted.status_code == 302 and posted["Location"] == url("detail", meeting.pk)

    assert api.get(f"/api/v1/meetings/{meeting.pk}").json()["recordable"] is False
    refused = api.post(f"/api/v1/meetings/{meeting.pk}/attendance", {"exceptions": []})
    assert refused.status_code == 422
    assert {i["field"]: i["message"] for i in refused.json()["detail"]} == {"status": message}
    with pytest.raises(ServiceValidationError) as exc:
        services.record_meeting(secretary, meeting, attendance={})
    assert exc.value.errors == {"status": message}
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.PLANNED


def test_from_its_start_a_meeting_may_be_recorded(demo, secretary, page, api):
    meeting = plan(secretary.user, demo.branch, starts_at=starting_now())
    assert url("record", meeting.pk) in page.get(url("detail", meeting.pk)).content.decode()
    assert page.get(url("record", meeting.pk)).status_code == 200
    assert api.get(f"/api/v1/meetings/{meeting.pk}").json()["recordable"] is True
    done = api.post(f"/api/v1/meetings/{meeting.pk}/attendance", {"exceptions": []})
    assert done.status_code == 200 and done.json()["status"] == "held"
    assert done.json()["backfilled"] is False


def test_a_cancelled_meeting_is_never_recordable(demo, secretary, api):
    meeting = plan(secretary.user, demo.branch, days=-1)
    services.cancel_meeting(secretary, meeting, "改期")
    assert api.get(f"/api/v1/meetings/{meeting.pk}").json()["recordable"] is False


# ---- 补录 ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days_ago", "is_backfill"),
    [(0, False), (1, False), (AFTER - 1, False), (AFTER, False), (AFTER + 1, True), (400, True)],
)
def test_a_record_more_than_the_threshold_after_the_meeting_is_a_backfill(
    demo, secretary, days_ago, is_backfill
):
    meeting = plan(secretary.user, demo.branch, starts_at=local(days_from_today(-days_ago), 8))
    if is_backfill:
        with pytest.raises(ServiceValidationError) as exc:
            services.record_meeting(secretary, meeting, attendance={})
        held = cn_date(days_from_today(-days_ago))
        assert exc.value.errors == {
            "backfill_reason": f"会议于{held}召开，{cn_date(days_from_today(0))}记录，"
            f"晚于会后{AFTER}天，属于补录：请填写补录原因"
        }
        meeting.refresh_from_db()
        assert meeting.status == MeetingStatus.PLANNED
    seq = last_seq()
    services.record_meeting(
        secretary, meeting, attendance={}, minutes={"backfill_reason": f"  {REASON} "}
    )
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.HELD
    assert meeting.recorded_on == days_from_today(0)
    assert meeting.backfilled is is_backfill
    # A reason given for a record on time is not kept: there is nothing to explain.
    assert meeting.backfill_reason == (REASON if is_backfill else "")
    event = assert_audited(seq, AuditAction.UPDATE, meeting)
    if is_backfill:
        held = cn_date(days_from_today(-days_ago))
        assert event.message.startswith(f"补录会议（{held}召开，会后第{days_ago}天记录）：应到")
        assert event.changes["backfilled"] == [False, True]
        assert event.changes["backfill_reason"] == ["", REASON]
    else:
        assert event.message.startswith("记录会议：应到")


def test_a_backfill_stays_one_when_its_record_is_corrected_and_keeps_a_reason(demo, secretary):
    meeting = plan(secretary.user, demo.branch, days=-30)
    services.record_meeting(secretary, meeting, attendance={}, minutes={"backfill_reason": REASON})
    services.record_meeting(secretary, meeting, minutes={"content": "补充发言要点"})
    meeting.refresh_from_db()
    assert (meeting.backfilled, meeting.backfill_reason) == (True, REASON)
    with pytest.raises(ServiceValidationError) as exc:
        services.record_meeting(secretary, meeting, minutes={"backfill_reason": "  "})
    assert "属于补录：请填写补录原因" in exc.value.errors["backfill_reason"]
    with pytest.raises(ServiceValidationError) as exc:
        services.record_meeting(secretary, meeting, minutes={"backfill_reason": "长" * 501})
    assert exc.value.errors["backfill_reason"] == "补录原因不能超过500个字"


def test_a_meeting_recorded_on_time_is_not_a_backfill_when_corrected_later(demo, secretary):
    meeting = plan(secretary.user, demo.branch, days=-2)
    services.record_meeting(secretary, meeting, attendance={})
    Meeting.objects.filter(pk=meeting.pk).update(recorded_on=days_from_today(-2))
    services.record_meeting(secretary, meeting, minutes={"content": "一个月后补充"})
    meeting.refresh_from_db()
    assert meeting.backfilled is False


def test_a_backfill_is_marked_on_its_page_lists_api_and_dossier(demo, secretary, page, api):
    day = days_from_today(-20)
    meeting = plan(secretary.user, demo.branch, days=-20, topic="补录的党员大会")
    services.record_meeting(secretary, meeting, attendance={}, minutes={"backfill_reason": REASON})

    detail = page.get(url("detail", meeting.pk)).content.decode()
    assert "backfill-badge" in detail and REASON in detail
    month = f"{day:%Y-%m}"
    calendar = page.get(
        reverse("meetings:calendar"), {"org": demo.branch.code, "month": month}
    ).content.decode()
    assert "backfill-badge" in calendar

    one = api.get(f"/api/v1/meetings/{meeting.pk}").json()
    assert (one["backfilled"], one["backfill_reason"]) == (True, REASON)
    assert one["recorded_on"] == days_from_today(0).isoformat()

    table = meeting_tables(demo.branch, day, day)[0]
    assert table.columns[-1] == "补录"
    row = next(r for r in table.rows if r[3] == "补录的党员大会")
    assert row[-1] == f"补录：{REASON}"


def test_the_record_page_asks_for_the_reason_only_when_it_is_due(demo, secretary, page):
    late = plan(secretary.user, demo.branch, days=-(AFTER + 1))
    on_time = plan(secretary.user, demo.branch, days=-AFTER)
    assert 'name="backfill_reason"' in page.get(url("record", late.pk)).content.decode()
    assert 'name="backfill_reason"' not in page.get(url("record", on_time.pk)).content.decode()

    start = late.starts_at.astimezone(TZ)
    form = {"date": start.date().isoformat(), "time": start.strftime("%H:%M")}
    refused = page.post(url("record", late.pk), form).content.decode()
    assert "属于补录：请填写补录原因" in refused
    page.post(url("record", late.pk), {**form, "backfill_reason": REASON})
    late.refresh_from_db()
    assert (late.status, late.backfilled, late.backfill_reason) == ("held", True, REASON)
