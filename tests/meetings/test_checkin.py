"""QR self check-in: the signed, rotating, meeting-bound, expiring token (pure functions), the
check-in service, and the pages (the secretary's screen and the member's phone)."""

from __future__ import annotations

import re
import time
from urllib.parse import urlparse

import pytest
from django.core import signing
from django.urls import reverse

from dangjian.accounts.services import create_user
from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor
from dangjian.core.errors import ServiceValidationError
from dangjian.meetings import checkin, services
from dangjian.meetings.checkin import CheckinError, issue_token, read_token
from dangjian.meetings.models import Attendance, AttendanceStatus
from dangjian.meetings.queries import attendance_sheet
from tests.conftest import PASSWORD
from tests.helpers import events_since, last_seq
from tests.meetings import plan, starting_now

T0 = 1_800_000_000  # a multiple of 30: the start of a rotation window


# ---- the token -----------------------------------------------------------------------------


def test_a_token_names_the_meeting_it_was_issued_for():
    assert read_token(issue_token(42, now=T0), now=T0 + 5) == 42
    assert read_token(issue_token(42, now=T0), meeting_id=42, now=T0 + 5) == 42


@pytest.mark.parametrize(("age", "valid"), [(0, True), (59, True), (60, True), (61, False)])
def test_a_token_is_valid_for_sixty_seconds(age, valid):
    token = issue_token(7, now=T0)
    if valid:
        assert read_token(token, now=T0 + age) == 7
    else:
        with pytest.raises(CheckinError) as exc:
            read_token(token, now=T0 + age)
        assert exc.value.message == "签到码已过期，请重新扫描会场屏幕上的最新二维码"


def test_the_code_on_screen_changes_every_thirty_seconds():
    assert issue_token(7, now=T0) == issue_token(7, now=T0 + 29.9)
    assert issue_token(7, now=T0 + 30) != issue_token(7, now=T0 + 29)
    # The validity runs from the start of the window the code was shown in.
    with pytest.raises(CheckinError):
        read_token(issue_token(7, now=T0 + 29), now=T0 + 61)
    assert checkin.seconds_to_rotation(now=T0 + 0.5) == 29
    assert checkin.seconds_to_rotation(now=T0 + 29.5) == 1


def test_a_token_replayed_for_another_meeting_is_refused():
    token = issue_token(7, now=T0)
    with pytest.raises(CheckinError) as exc:
        read_token(token, meeting_id=8, now=T0 + 1)
    assert exc.value.message == "该签到码属于另一次会议，不能用于本次会议签到"


def _tampered_payload(token: str, meeting_id: int) -> str:
    """The same signature over a payload rewritten to name another meeting."""
    body, stamp, signature = token.split(":")
    forged_body = signing.b64_encode(
        signing.JSONSerializer().dumps({"p": "checkin", "m": meeting_id})
    ).decode()
    assert forged_body != body
    return f"{forged_body}:{stamp}:{signature}"


def _forgeries(token: str) -> list[str]:
    body, stamp, signature = token.split(":")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    return [
        f"{body}:{stamp}:{flipped}",  # a changed signature
        _tampered_payload(token, 8),  # another meeting, signature kept
        f"{body}:{signing.b62_encode(T0 + 3600)}:{signature}",  # a later timestamp
        signing.TimestampSigner(salt="another.salt").sign_object({"p": "checkin", "m": 7}),
        signing.TimestampSigner(salt=checkin.SALT).sign_object({"p": "login", "m": 7}),
        signing.TimestampSigner(salt=checkin.SALT).sign_object({"p": "checkin", "m": "7"}),
        "not-a-token",
        "",
    ]


def test_forged_tokens_are_refused():
    token = issue_token(7, now=T0)
    for forged in _forgeries(token):
        with pytest.raises(CheckinError) as exc:
            read_token(forged, now=T0 + 1)
        assert exc.value.message == "签到码无效（可能被篡改），请扫描会场屏幕上的二维码", forged


def test_a_token_from_the_future_is_refused_as_forged():
    token = issue_token(7, now=T0 + 3600)
    with pytest.raises(CheckinError) as exc:
        read_token(token, now=T0)
    assert exc.value.message.startswith("签到码无效")


def test_only_meeting_ids_make_tokens():
    for bad in (0, -1, True, "7", None):
        with pytest.raises(ValueError):
            issue_token(bad)  # type: ignore[arg-type]


# ---- the service ---------------------------------------------------------------------------


@pytest.fixture
def meeting(demo):
    return plan(demo.users["secretary"], demo.branch, starts_at=starting_now())


def test_an_expected_member_checks_in_once(demo, meeting):
    member_user = demo.users["member"]
    seq = last_seq()

    row = services.check_in(Actor(user=member_user), issue_token(meeting.pk))

    assert (row.meeting_id, row.member_id, row.status) == (
        meeting.pk,
        member_user.member_id,
        AttendanceStatus.CHECKED_IN,
    )
    (event,) = events_since(seq)
    assert (event.action, event.actor_username) == (AuditAction.CREATE, "member")
    assert event.changes["status"] == [None, "checked_in"]

    again = services.check_in(Actor(user=member_user), issue_token(meeting.pk))
    assert again.pk == row.pk
    assert len(events_since(seq)) == 1


def test_an_expired_token_is_refused_by_the_service(demo, meeting):
    token = issue_token(meeting.pk, now=time.time() - 120)
    with pytest.raises(ServiceValidationError) as exc:
        services.check_in(Actor(user=demo.users["member"]), token)
    assert exc.value.errors["token"] == checkin.EXPIRED
    assert not Attendance.objects.filter(meeting=meeting).exists()


def test_a_token_checked_against_another_meeting_is_refused_by_the_service(demo, meeting):
    other = plan(demo.users["secretary"], demo.branch, "theme_day", starts_at=starting_now())
    with pytest.raises(ServiceValidationError) as exc:
        services.check_in(
            Actor(user=demo.users["member"]), issue_token(meeting.pk), meeting_id=other.pk
        )
    assert exc.value.errors["token"] == checkin.OTHER_MEETING
    assert not Attendance.objects.filter(meeting__in=[meeting, other]).exists()


def test_a_member_who_is_not_expected_is_refused(demo):
    sibling_meeting = plan(None, demo.sibling_branch, starts_at=starting_now())
    with pytest.raises(ServiceValidationError) as exc:
        services.check_in(Actor(user=demo.users["member"]), issue_token(sibling_meeting.pk))
    assert exc.value.errors["member"] == "您不在本次会议的应到人员名单中，不能签到"
    assert not Attendance.objects.filter(meeting=sibling_meeting).exists()


def test_an_account_without_a_member_record_cannot_check_in(demo, meeting):
    with pytest.raises(ServiceValidationError) as exc:
        services.check_in(Actor(user=demo.users["sysadmin"]), issue_token(meeting.pk))
    assert exc.value.errors["member"] == "您的账号未关联党员信息，不能签到"


def test_a_token_for_a_meeting_that_does_not_exist_or_was_cancelled_is_refused(demo, meeting):
    with pytest.raises(ServiceValidationError) as exc:
        services.check_in(Actor(user=demo.users["member"]), issue_token(10**9))
    assert exc.value.errors["token"] == checkin.FORGED

    services.cancel_meeting(Actor(user=demo.users["secretary"]), meeting)
    with pytest.raises(ServiceValidationError) as exc:
        services.check_in(Actor(user=demo.users["member"]), issue_token(meeting.pk))
    assert exc.value.errors["meeting"] == "会议已取消，无需签到"


def test_a_checked_in_member_counts_as_present_when_the_meeting_is_recorded(demo, meeting):
    member_user = demo.users["member"]
    services.check_in(Actor(user=member_user), issue_token(meeting.pk))
    row = next(r for r in attendance_sheet(meeting) if r.member.pk == member_user.member_id)
    assert row.checked_in and row.choice == AttendanceStatus.PRESENT

    secretary = Actor(user=demo.users["secretary"])
    result = services.record_meeting(
        secretary, meeting, attendance={member_user.member_id: ("present", "")}
    )

    assert result.present == result.expected
    assert Attendance.objects.get(meeting=meeting, member_id=member_user.member_id).status == (
        AttendanceStatus.CHECKED_IN
    )


def test_a_late_check_in_after_the_record_updates_the_count(demo, meeting):
    member_user = demo.users["member"]
    secretary = Actor(user=demo.users["secretary"])
    services.record_meeting(secretary, meeting, attendance={member_user.member_id: ("absent", "")})
    meeting.refresh_from_db()
    before = meeting.present_count

    services.check_in(Actor(user=member_user), issue_token(meeting.pk))

    meeting.refresh_from_db()
    assert meeting.present_count == before + 1
    assert Attendance.objects.get(meeting=meeting, member_id=member_user.member_id).status == (
        AttendanceStatus.CHECKED_IN
    )


# ---- the pages -----------------------------------------------------------------------------


def _checkin_url(token: str) -> str:
    return reverse("meetings:checkin", kwargs={"token": token})


def test_the_members_phone_checks_in_by_opening_the_code(demo, meeting, client_for):
    response = client_for(demo.users["member"]).get(_checkin_url(issue_token(meeting.pk)))

    assert response.status_code == 200
    assert "签到成功" in response.content.decode()
    assert Attendance.objects.get(meeting=meeting, member=demo.users["member"].member).status == (
        "checked_in"
    )


@pytest.mark.parametrize(
    ("make_token", "status", "message"),
    [
        (lambda m: issue_token(m.pk, now=time.time() - 90), 400, "签到码已过期"),
        (lambda m: _tampered_payload(issue_token(m.pk), m.pk + 1), 400, "签到码无效"),
        (lambda m: issue_token(m.pk)[:-2] + "xx", 400, "签到码无效"),
    ],
)
def test_the_phone_shows_why_a_code_is_refused(
    demo, meeting, client_for, make_token, status, message
):
    response = client_for(demo.users["member"]).get(_checkin_url(make_token(meeting)))
    assert response.status_code == status
    assert "签到未成功" in response.content.decode()
    assert message in response.content.decode()
    assert not Attendance.objects.filter(meeting=meeting).exists()


def test_a_member_of_another_branch_is_told_they_are_not_expected(demo, client_for):
    sibling_meeting = plan(None, demo.sibling_branch, starts_at=starting_now())
    outsider = create_user(
        Actor.system("test"), "sibling-member", PASSWORD, member=demo.member_in_sibling
    )
    response = client_for(demo.users["member"]).get(_checkin_url(issue_token(sibling_meeting.pk)))
    assert response.status_code == 403
    assert "不在本次会议的应到人员名单中" in response.content.decode()

    own = client_for(outsider).get(_checkin_url(issue_token(sibling_meeting.pk)))
    assert own.status_code == 200


def test_checking_in_needs_a_login(demo, meeting, client_for):
    response = client_for(None).get(_checkin_url(issue_token(meeting.pk)))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert not Attendance.objects.filter(meeting=meeting).exists()


def test_the_secretarys_screen_shows_a_qr_code_of_a_valid_check_in_url(demo, meeting, client_for):
    client = client_for(demo.users["secretary"])
    for name in ("meetings:checkin_screen", "meetings:checkin_qr"):
        response = client.get(reverse(name, kwargs={"pk": meeting.pk}))
        assert response.status_code == 200
        html = response.content.decode()
        assert "<svg" in html and "<script" not in html.split("<svg", 1)[1].split("</svg>")[0]
        url = re.search(r'data-url="([^"]+)"', html).group(1)
        token = urlparse(url).path.rsplit("/", 2)[-2]
        assert read_token(token, meeting_id=meeting.pk) == meeting.pk
    assert (
        'hx-trigger="every 10s"'
        in client.get(
            reverse("meetings:checkin_screen", kwargs={"pk": meeting.pk})
        ).content.decode()
    )


@pytest.mark.parametrize("persona", ["inspector", "member"])
def test_only_a_writer_opens_the_check_in_screen(demo, meeting, client_for, persona):
    client = client_for(demo.users[persona])
    for name in ("meetings:checkin_screen", "meetings:checkin_qr"):
        assert client.get(reverse(name, kwargs={"pk": meeting.pk})).status_code == 403


def test_the_check_in_screen_of_a_sibling_branch_meeting_is_not_found(demo, client_for):
    sibling_meeting = plan(None, demo.sibling_branch, starts_at=starting_now())
    response = client_for(demo.users["secretary"]).get(
        reverse("meetings:checkin_screen", kwargs={"pk": sibling_meeting.pk})
    )
    assert response.status_code == 404
