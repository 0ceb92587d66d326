"""The idle timeout by role (等保: shorter for the administrators) and the page's warning before it:
the 继续使用 button is one request that starts the idle clock again."""

from __future__ import annotations

import time

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from dangjian.accounts.middleware import SESSION_KEY as LAST_SEEN
from dangjian.accounts.models import User
from tests.conftest import PASSWORD


def _login(client: Client, username: str) -> None:
    response = client.post(reverse("login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302


def _age_session(client: Client, minutes: int) -> None:
    session = client.session
    session[LAST_SEEN] = int(time.time()) - minutes * 60
    session.save()


def _logged_in(client: Client) -> bool:
    return client.session.get(SESSION_KEY) is not None


@pytest.mark.parametrize("username", ["sysadmin", "secadmin", "auditor"])
def test_an_administrator_idle_for_sixteen_minutes_is_logged_out(demo, client, username):
    _login(client, username)
    _age_session(client, 16)

    response = client.get(reverse("home"))

    assert response.status_code == 302 and "timeout=1" in response["Location"]
    assert not _logged_in(client)


def test_a_secretary_idle_for_sixteen_minutes_stays_logged_in(demo, client):
    _login(client, "secretary")
    _age_session(client, 16)

    assert client.get(reverse("home")).status_code == 200
    assert _logged_in(client)


def test_the_page_carries_the_users_own_limit_for_its_warning(demo, client):
    _login(client, "secretary")
    page = client.get(reverse("home")).content.decode()
    assert 'data-idle-seconds="1800"' in page

    client.post(reverse("logout"))
    _login(client, "auditor")
    page = client.get(reverse("home"), follow=True).content.decode()
    assert 'data-idle-seconds="900"' in page


def test_still_here_starts_the_idle_clock_again_and_writes_nothing_else(demo, client):
    _login(client, "secretary")
    _age_session(client, 25)
    before = client.session[LAST_SEEN]

    response = client.post(reverse("still_here"))

    assert response.status_code == 204
    assert client.session[LAST_SEEN] > before + 20 * 60
    # 25 + 10 minutes after the last page, but 10 after 继续使用: still logged in.
    _age_session(client, 10)
    assert client.get(reverse("home")).status_code == 200


def test_still_here_after_the_timeout_is_the_login_redirect_not_a_new_lease(demo, client):
    _login(client, "secretary")
    _age_session(client, 31)

    response = client.post(reverse("still_here"))

    assert response.status_code == 302 and "timeout=1" in response["Location"]
    assert not _logged_in(client)


def test_still_here_is_a_post(demo, client):
    _login(client, "secretary")
    assert client.get(reverse("still_here")).status_code == 405
    assert User.objects.filter(username="secretary").exists()
