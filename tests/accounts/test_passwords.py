"""Self-service passwords: the user's own change, the forced change of an initial or reset
password, no reuse of the last N, and expiry for the administrators (off for members)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from dangjian.accounts import services
from dangjian.accounts.models import User
from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor
from dangjian.core.errors import ServiceValidationError
from tests.conftest import PASSWORD
from tests.helpers import assert_audited, last_seq

ACTOR = Actor.system("test")
FIRST = "Hongqi#2026x"


def _login(username: str, password: str = PASSWORD) -> Client:
    client = Client()
    response = client.post(reverse("login"), {"username": username, "password": password})
    assert response.status_code == 302
    return client


def _change(client: Client, old: str, new: str, **extra):
    return client.post(
        reverse("password_change"),
        {"old_password": old, "password": new, "password2": new},
        **extra,
    )


def test_a_user_changes_their_own_password_and_stays_logged_in(demo):
    client = _login("secretary")
    other = _login("secretary")
    start = last_seq()

    response = _change(client, PASSWORD, "Xinmima#2027")

    assert response.status_code == 302
    user = User.objects.get(username="secretary")
    assert user.check_password("Xinmima#2027")
    assert_audited(start, AuditAction.UPDATE, user, actor="secretary", message="修改本人密码")
    assert client.get(reverse("members:list")).status_code == 200
    assert other.get(reverse("members:list")).status_code == 302  # the other session ended


@pytest.mark.parametrize(
    ("old", "new", "again", "field", "message"),
    [
        ("Wrong#2026x", "Xinmima#2027", "Xinmima#2027", "old_password", "当前密码不正确"),
        (PASSWORD, "Xinmima#2027", "Xinmima#2028", "password2", "两次输入的新密码不一致"),
        (PASSWORD, "abcdefgh", "abcdefgh", "password", "至少3类"),
    ],
)
def test_a_wrong_change_says_why_and_changes_nothing(demo, old, new, again, field, message):
    client = _login("secretary")
    start = last_seq()
    response = client.post(
        reverse("password_change"), {"old_password": old, "password": new, "password2": again}
    )
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert User.objects.get(username="secretary").check_password(PASSWORD)
    assert last_seq() == start


def test_the_last_five_passwords_cannot_be_used_again(demo, settings):
    settings.PASSWORD_HISTORY = 5
    user = demo.users["secretary"]
    used = [PASSWORD] + [f"Mima#{n}2026x" for n in range(1, 5)]
    for password in used[1:]:
        services.set_password(ACTOR, user, password)
    for password in used:
        with pytest.raises(ServiceValidationError) as excinfo:
            services.set_password(ACTOR, user, password)
        assert excinfo.value.errors == {"password": "不能使用最近 5 次用过的密码"}
    services.set_password(ACTOR, user, "Mima#52026x")
    services.set_password(ACTOR, user, PASSWORD)  # the sixth back is allowed again


def test_an_initial_password_opens_only_the_password_page_until_changed(demo):
    services.create_user(ACTOR, "zhaoliu", FIRST, must_change_password=True)
    client = _login("zhaoliu", FIRST)

    for path in (reverse("home"), reverse("notices:inbox")):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("password_change"))
    assert client.get("/api/v1/orgs/tree").json() == {"detail": "请先在网页上修改密码"}
    page = client.get(reverse("password_change"))
    assert "初始密码" in page.content.decode()

    assert _change(client, FIRST, "Xinmima#2027").status_code == 302
    assert not User.objects.get(username="zhaoliu").must_change_password
    assert client.get(reverse("home")).status_code == 200  # no role: the page that says so


def test_an_administrator_password_expires_after_the_set_days(demo, settings):
    settings.ADMIN_PASSWORD_DAYS = 90
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=91), tick=False):
        admin = _login("secadmin")
        member = _login("member")
        response = admin.get(reverse("accounts:lockouts"))
        assert response["Location"].startswith(reverse("password_change"))
        assert "已过期" in admin.get(reverse("password_change")).content.decode()
        assert member.get(reverse("home")).status_code == 200  # the work desk, not expired
        assert _change(admin, PASSWORD, "Xinmima#2027").status_code == 302
        assert admin.get(reverse("accounts:lockouts")).status_code == 200


def test_member_passwords_expire_only_when_the_setting_says_so(demo, settings):
    settings.MEMBER_PASSWORD_DAYS = 30
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=31), tick=False):
        member = _login("member")
        assert member.get(reverse("home"))["Location"].startswith(reverse("password_change"))


def test_a_fragment_asked_for_while_held_on_the_password_page_is_empty(demo):
    """The inbox badge (htmx) would otherwise swap the whole password page into the top bar."""
    services.create_user(ACTOR, "zhaoliu", FIRST, must_change_password=True)
    client = _login("zhaoliu", FIRST)
    response = client.get(reverse("notices:inbox_badge"), headers={"HX-Request": "true"})
    assert response.status_code == 204 and response.content == b""
