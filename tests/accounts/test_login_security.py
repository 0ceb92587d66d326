"""Login security of 等保 level 3: lockout, password policy, session rotation, idle timeout.

Every login goes through the real login page (`Client.post` to /login/), so django-axes, the
audit signals and the middleware all run as in production.
"""

from __future__ import annotations

import datetime as dt
import time

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from dangjian.accounts import services
from dangjian.accounts.middleware import SESSION_KEY as LAST_SEEN
from dangjian.accounts.models import User
from dangjian.audit.models import AuditAction, AuditEvent
from dangjian.audit.services import Actor, verify_chain
from dangjian.core.errors import ServiceValidationError
from tests.conftest import PASSWORD
from tests.helpers import last_seq

WRONG = "Wrong@2026"
LOCKED_TEXT = "账号已锁定"


def _login(client: Client, username: str, password: str):
    return client.post(reverse("login"), {"username": username, "password": password})


def _logged_in_as(client: Client) -> str | None:
    user_id = client.session.get(SESSION_KEY)
    return User.objects.get(pk=user_id).username if user_id else None


def _fail(client: Client, username: str, times: int):
    response = None
    for _ in range(times):
        response = _login(client, username, WRONG)
    return response


# ---- lockout ---------------------------------------------------------------------------------


def test_four_failures_do_not_lock_the_account(demo, client):
    response = _fail(client, "secretary", 4)

    assert response.status_code == 200
    assert LOCKED_TEXT not in response.content.decode()
    assert _login(client, "secretary", PASSWORD).status_code == 302
    assert _logged_in_as(client) == "secretary"


def test_the_fifth_failure_locks_the_account(demo, client):
    _fail(client, "secretary", 4)

    fifth = _login(client, "secretary", WRONG)

    assert fifth.status_code == 429
    assert LOCKED_TEXT in fifth.content.decode()


def test_the_correct_password_is_refused_while_the_account_is_locked(demo, client):
    _fail(client, "secretary", 5)

    response = _login(client, "secretary", PASSWORD)

    assert response.status_code == 429
    assert LOCKED_TEXT in response.content.decode()
    assert _logged_in_as(client) is None
    # Another browser does not get around the lock: it is bound to the username.
    other = Client(REMOTE_ADDR="10.1.2.3")
    assert _login(other, "secretary", PASSWORD).status_code == 429
    assert _logged_in_as(other) is None


def test_a_locked_username_does_not_lock_another_username(demo, client):
    _fail(client, "secretary", 5)

    response = _login(client, "member", PASSWORD)

    assert response.status_code == 302
    assert _logged_in_as(client) == "member"


def test_the_lock_holds_before_the_cooloff_and_lifts_after_thirty_minutes(demo, client):
    _fail(client, "secretary", 5)
    attempts = AccessAttempt.objects.filter(username="secretary")
    assert attempts.exists()

    attempts.update(attempt_time=timezone.now() - dt.timedelta(minutes=29))
    assert _login(client, "secretary", PASSWORD).status_code == 429

    attempts.update(attempt_time=timezone.now() - dt.timedelta(minutes=31))
    response = _login(client, "secretary", PASSWORD)
    assert response.status_code == 302
    assert _logged_in_as(client) == "secretary"


def test_lockout_and_each_failure_are_audited(demo, client):
    start = last_seq()

    _fail(client, "secretary", 5)

    events = list(AuditEvent.objects.filter(seq__gt=start).order_by("seq"))
    failed = [e for e in events if e.action == AuditAction.LOGIN_FAILED]
    locked = [e for e in events if e.action == AuditAction.LOCKOUT]
    assert len(failed) == 5
    assert {e.object_repr for e in failed} == {"secretary"}
    assert len(locked) == 1
    assert locked[0].object_repr == "secretary"
    assert locked[0].ip == "127.0.0.1"
    assert "已锁定" in locked[0].message
    assert verify_chain().ok


def test_the_security_administrator_sees_and_unlocks_a_locked_account(demo, client, client_for):
    _fail(client, "secretary", 5)
    secadmin = client_for(demo.users["secadmin"])

    page = secadmin.get(reverse("accounts:lockouts"))
    assert page.status_code == 200
    assert [a.username for a in page.context["attempts"]] == ["secretary"]

    start = last_seq()
    response = secadmin.post(reverse("accounts:unlock"), {"username": "secretary"})

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:lockouts")
    assert not AccessAttempt.objects.filter(username="secretary").exists()
    unlock = AuditEvent.objects.get(seq__gt=start, action=AuditAction.UNLOCK)
    assert unlock.actor_username == "secadmin"
    assert unlock.object_repr == "secretary"
    assert unlock.message == "解除 secretary 的登录锁定"
    assert _login(client, "secretary", PASSWORD).status_code == 302
    assert _logged_in_as(client) == "secretary"


@pytest.mark.parametrize("username", ["sysadmin", "auditor", "organ", "secretary"])
def test_only_the_security_administrator_can_unlock(demo, client, client_for, username):
    _fail(client, "member", 5)

    response = client_for(demo.users[username]).post(
        reverse("accounts:unlock"), {"username": "member"}
    )

    assert response.status_code == 403
    assert AccessAttempt.objects.filter(username="member").exists()
    assert not AuditEvent.objects.filter(action=AuditAction.UNLOCK).exists()


# ---- password policy -------------------------------------------------------------------------


def _rejection(username: str, password: str) -> str:
    with pytest.raises(ServiceValidationError) as excinfo:
        services.create_user(Actor.system("test"), username, password)
    assert not User.objects.filter(username=username).exists()
    return excinfo.value.errors["password"]


def test_a_password_of_two_character_classes_is_rejected(demo):
    message = _rejection("zhaoliu", "abcdefgh12")

    assert message == "密码须包含大写字母、小写字母、数字、特殊字符中的至少3类"


def test_a_password_containing_the_username_is_rejected(demo):
    message = _rejection("zhaoliu", "Zhaoliu@2026")

    assert "密码不能包含用户名" in message


def test_a_common_password_is_rejected(demo):
    # Three character classes and long enough, but on the list of common passwords.
    message = _rejection("zhaoliu", "Password1")

    assert message == "这个密码太常见了。"


def test_a_numeric_password_is_rejected_for_every_reason(demo):
    message = _rejection("zhaoliu", "12345678")

    assert "密码只包含数字。" in message
    assert "密码须包含大写字母、小写字母、数字、特殊字符中的至少3类" in message


def test_a_short_password_is_rejected_with_a_chinese_message(demo):
    # Four character classes, so length is the only rule broken.
    message = _rejection("zhaoliu", "Ab1!xy")

    assert message == "密码太短，至少需要 8 个字符"


@pytest.mark.parametrize("password", ["Dangjian@2026", "Hongqi#2026x", "qizhi2026ZZ", "RED-flag-9"])
def test_a_password_meeting_the_policy_is_accepted(demo, password):
    user = services.create_user(Actor.system("test"), "zhaoliu", password)

    assert user.check_password(password)
    assert AuditEvent.objects.filter(
        action=AuditAction.CREATE, object_type="accounts.user", object_id=str(user.pk)
    ).exists()


def test_set_password_applies_the_same_policy(demo):
    user = demo.users["member"]

    with pytest.raises(ServiceValidationError) as excinfo:
        services.set_password(Actor.system("test"), user, "member2026")

    assert "password" in excinfo.value.errors
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


# ---- sessions --------------------------------------------------------------------------------


def test_the_session_key_changes_at_login(demo, client):
    anonymous = client.session
    anonymous["before_login"] = "x"
    anonymous.save()
    old_key = client.cookies["sessionid"].value

    assert _login(client, "secretary", PASSWORD).status_code == 302

    new_key = client.cookies["sessionid"].value
    assert new_key != old_key
    assert not Session.objects.filter(session_key=old_key).exists()
    assert _logged_in_as(client) == "secretary"


def _age_session(client: Client, minutes: int) -> None:
    session = client.session
    session[LAST_SEEN] = int(time.time()) - minutes * 60
    session.save()


def test_a_session_idle_for_more_than_thirty_minutes_is_logged_out(demo, client):
    _login(client, "secretary", PASSWORD)
    assert client.get(reverse("orgs:tree")).status_code == 200
    start = last_seq()

    _age_session(client, 31)
    response = client.get(reverse("orgs:tree"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?")
    assert "timeout=1" in response["Location"]
    assert _logged_in_as(client) is None
    logout = AuditEvent.objects.get(seq__gt=start)
    assert (logout.action, logout.actor_username) == (AuditAction.LOGOUT, "secretary")
    login_page = client.get(response["Location"])
    assert "长时间未操作，已自动退出，请重新登录" in login_page.content.decode()


def test_a_session_idle_for_less_than_thirty_minutes_stays_logged_in(demo, client):
    _login(client, "secretary", PASSWORD)
    client.get(reverse("orgs:tree"))

    _age_session(client, 29)
    response = client.get(reverse("orgs:tree"))

    assert response.status_code == 200
    assert _logged_in_as(client) == "secretary"
    # The request counts as activity: the idle clock starts again.
    assert client.session[LAST_SEEN] >= int(time.time()) - 60


def _session_writes(client: Client, path: str) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return [
        q["sql"]
        for q in queries.captured_queries
        if "django_session" in q["sql"] and not q["sql"].lstrip().upper().startswith("SELECT")
    ]


def test_requests_within_a_minute_do_not_write_the_session(demo, client):
    """The last request's time is kept to the minute: a page read is not a database write."""
    _login(client, "secretary", PASSWORD)
    client.get(reverse("orgs:tree"))
    seen = client.session[LAST_SEEN]

    assert _session_writes(client, reverse("orgs:tree")) == []
    assert client.session[LAST_SEEN] == seen

    _age_session(client, 1)  # the stamp is a minute old: the next request writes it again
    assert len(_session_writes(client, reverse("orgs:tree"))) == 1
    assert client.session[LAST_SEEN] >= int(time.time()) - 5


def test_a_last_seen_time_ahead_of_the_clock_is_replaced_by_the_request_time(demo, client):
    """A stamp from a clock ahead of this one (another server, or the clock set back since)
    would hold the session up to that much longer than the timeout after its last request."""
    _login(client, "secretary", PASSWORD)
    _age_session(client, -60)  # stamped an hour ahead of this server's clock

    assert client.get(reverse("orgs:tree")).status_code == 200
    assert int(time.time()) - 5 <= client.session[LAST_SEEN] <= int(time.time())

    _age_session(client, 31)
    assert client.get(reverse("orgs:tree")).status_code == 302
    assert _logged_in_as(client) is None


def test_the_idle_clock_starts_at_login_so_the_first_page_writes_no_session(demo, client):
    before = int(time.time())
    _login(client, "secretary", PASSWORD)
    assert client.session[LAST_SEEN] >= before

    assert _session_writes(client, reverse("orgs:tree")) == []


def test_an_idle_session_sends_an_htmx_request_to_the_login_page_as_a_whole_page(demo, client):
    """A fragment asked after the timeout (the members search as one types) would otherwise
    get the login page through the redirect and put it in the fragment's place."""
    _login(client, "secretary", PASSWORD)
    _age_session(client, 31)

    response = client.get(
        reverse("members:list"),
        {"q": "张"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL="http://testserver/members/?status=full",
    )

    assert response.status_code == 200 and response.content == b""
    assert response["HX-Redirect"] == (
        reverse("login") + "?" + urlencode({"timeout": 1, "next": "/members/?status=full"})
    )
    assert _logged_in_as(client) is None


def test_a_logged_out_htmx_request_goes_to_the_login_page_as_a_whole_page(demo, client):
    """Logged out in another tab: the members search's fragment would otherwise get
    login_required's redirect followed inside htmx and the login form under the search box."""
    response = client.get(
        reverse("members:list"),
        {"q": "张"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL="http://testserver/members/?status=full",
    )

    assert response.status_code == 200 and response.content == b""
    assert response["HX-Redirect"] == (
        reverse("login") + "?" + urlencode({"next": "/members/?status=full"})
    )
    # Without htmx the usual redirect, to the page asked for.
    plain = client.get(reverse("members:list"), {"q": "张"})
    assert plain.status_code == 302
    assert plain["Location"].startswith(reverse("login") + "?next=/members/%3Fq%3D")


def test_an_idle_api_session_is_refused(demo, client):
    _login(client, "secretary", PASSWORD)
    client.get(reverse("orgs:tree"))

    _age_session(client, 31)
    response = client.get("/api/v1/members")

    assert response.status_code == 401
    assert _logged_in_as(client) is None


def test_logout_flushes_the_session(demo, client):
    _login(client, "secretary", PASSWORD)
    session = client.session
    session["draft"] = "未保存的内容"
    session.save()
    key = client.cookies["sessionid"].value

    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert not Session.objects.filter(session_key=key).exists()
    assert "draft" not in client.session
    assert client.get(reverse("orgs:tree")).status_code == 302


def test_pages_for_a_logged_in_user_are_never_cached(demo, client):
    _login(client, "secretary", PASSWORD)

    for url in (reverse("orgs:tree"), reverse("members:list"), "/api/v1/members"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"], url


def test_api_answers_to_a_bearer_token_are_never_cached(demo):
    token = services.create_token(Actor.system("test"), demo.users["secretary"])

    response = Client().get("/api/v1/members", HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 200
    assert "no-store" in response.get("Cache-Control", "")


# ---- administrators: lockout by (username, client address); unlock from the shell ------------


def test_a_stranger_cannot_lock_an_administrator_out_from_elsewhere(demo):
    stranger = Client(REMOTE_ADDR="10.9.9.9")
    start = last_seq()
    response = _fail(stranger, "secadmin", 6)

    assert LOCKED_TEXT in response.content.decode()  # the stranger's address is locked
    assert _login(stranger, "secadmin", PASSWORD).status_code != 302
    events = AuditEvent.objects.filter(seq__gt=start)
    assert events.filter(action=AuditAction.LOGIN_FAILED).count() >= 5  # still audited
    assert events.filter(action=AuditAction.LOCKOUT).exists()
    at_desk = Client(REMOTE_ADDR="10.0.0.1")
    assert _login(at_desk, "secadmin", PASSWORD).status_code == 302
    assert _logged_in_as(at_desk) == "secadmin"


def test_an_ordinary_account_is_still_locked_from_every_address(demo):
    _fail(Client(REMOTE_ADDR="10.9.9.9"), "secretary", 5)
    response = _login(Client(REMOTE_ADDR="10.0.0.1"), "secretary", PASSWORD)
    assert response.status_code != 302 and LOCKED_TEXT in response.content.decode()


def test_dangjian_unlock_lifts_a_lockout_from_the_shell_and_is_audited(demo, capsys):
    from django.core.management import call_command

    _fail(Client(), "secretary", 5)
    start = last_seq()

    call_command("unlock", "secretary")

    assert "已解除 secretary 的登录锁定" in capsys.readouterr().out
    event = AuditEvent.objects.get(seq__gt=start)
    assert (event.action, event.object_repr, event.actor_username) == (
        AuditAction.UNLOCK,
        "secretary",
        "",
    )
    assert _login(Client(), "secretary", PASSWORD).status_code == 302
