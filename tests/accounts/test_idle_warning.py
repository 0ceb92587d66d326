"""The idle timeout by role (等保: shorter for the administrators) and the page's warning before it:
the 继续使用 button is one request that starts the idle clock again."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

import dangjian
from dangjian.accounts.middleware import POLL_HEADER
from dangjian.accounts.middleware import SESSION_KEY as LAST_SEEN
from dangjian.accounts.models import User
from tests.conftest import PASSWORD
from tests.meetings import plan, starting_now


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


# ---- background polling (the check-in screen's code, an import's or a dossier's status) -----

POLL = {"HX-Request": "true", POLL_HEADER: "1"}


def _checkin_qr_url(demo) -> str:
    meeting = plan(demo.users["secretary"], demo.branch, starts_at=starting_now())
    return reverse("meetings:checkin_qr", kwargs={"pk": meeting.pk})


def test_a_background_poll_does_not_start_the_idle_clock_again(demo, client):
    """A phone left on the check-in screen polls its code every 10 s: without a person, so
    the session still ends 30 minutes after the last page the person asked for."""
    url = _checkin_qr_url(demo)
    _login(client, "secretary")
    _age_session(client, 25)
    before = client.session[LAST_SEEN]

    assert client.get(url, headers=POLL).status_code == 200
    assert client.session[LAST_SEEN] == before

    _age_session(client, 31)
    response = client.get(url, headers=POLL)
    assert response.status_code == 200 and "/login/?timeout=1" in response["HX-Redirect"]
    assert not _logged_in(client)


def test_the_same_fragment_asked_for_by_a_person_starts_the_clock_again(demo, client):
    url = _checkin_qr_url(demo)
    _login(client, "secretary")
    _age_session(client, 25)
    before = client.session[LAST_SEEN]

    assert client.get(url, headers={"HX-Request": "true"}).status_code == 200
    assert client.session[LAST_SEEN] > before + 20 * 60


def test_a_poll_of_a_fresh_session_still_gets_its_first_stamp(demo, client):
    """The mark is a request not to be counted: it can shorten a session, never lengthen one
    (a stamp ahead of the clock is replaced, as for any request)."""
    url = _checkin_qr_url(demo)
    _login(client, "secretary")
    session = client.session
    session[LAST_SEEN] = int(time.time()) + 3600
    session.save()

    client.get(url, headers=POLL)
    assert client.session[LAST_SEEN] <= int(time.time())


TEMPLATES = Path(dangjian.__file__).parent / "templates"
POLLING = re.compile(r"<[^>]*hx-trigger=\"[^\"]*\bevery\b[^>]*>")


def test_every_polling_fragment_marks_its_requests_as_background():
    """Every element that polls (hx-trigger "every …") sends the mark, which the idle clock and
    the page's own warning (site.js) both leave out of the count."""
    found = {}
    for template in TEMPLATES.rglob("*.html"):
        for tag in POLLING.findall(template.read_text(encoding="utf-8")):
            found[template.relative_to(TEMPLATES).as_posix()] = tag
    assert {
        "meetings/checkin_screen.html",
        "members/_import_status.html",
        "desk/_dossier_row.html",
    } <= set(found)
    for name, tag in found.items():
        assert f'hx-headers=\'{{"{POLL_HEADER}": "1"}}\'' in tag, name


def test_the_check_in_screen_polls_with_the_mark(demo, client):
    meeting = plan(demo.users["secretary"], demo.branch, starts_at=starting_now())
    _login(client, "secretary")
    page = client.get(reverse("meetings:checkin_screen", kwargs={"pk": meeting.pk}))
    assert f'hx-headers=\'{{"{POLL_HEADER}": "1"}}\'' in page.content.decode()


def test_still_here_needs_the_pages_csrf_token_and_a_session(demo):
    """Another site's page cannot press 继续使用 for the user (the browser sends the session
    cookie, SameSite=Lax, only to same-site requests anyway), and a script without a session
    gets the login redirect, not a session."""
    client = Client(enforce_csrf_checks=True)
    client.get(reverse("login"))
    anonymous = {"X-CSRFToken": client.cookies["csrftoken"].value}
    response = client.post(reverse("still_here"), headers=anonymous)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert not _logged_in(client)

    client.post(
        reverse("login"),
        {
            "username": "secretary",
            "password": PASSWORD,
            "csrfmiddlewaretoken": client.cookies["csrftoken"].value,
        },
    )
    assert _logged_in(client)
    client.get(reverse("home"))  # the page, with the token rotated at login
    assert client.post(reverse("still_here")).status_code == 403
    token = client.cookies["csrftoken"].value
    assert client.post(reverse("still_here"), headers={"X-CSRFToken": token}).status_code == 204


def test_a_request_another_site_made_does_not_start_the_idle_clock_again(demo, client):
    """An <img> or a form on another intranet application sends this site's cookie (same-site
    under SameSite=Lax): the browser marks it, and it is not the person at work here."""
    _login(client, "secretary")
    _age_session(client, 25)
    before = client.session[LAST_SEEN]

    for site in ("same-site", "cross-site"):
        client.get("/", headers={"Sec-Fetch-Site": site})
        assert client.session[LAST_SEEN] == before

    client.get("/", headers={"Sec-Fetch-Site": "same-origin"})
    assert client.session[LAST_SEEN] > before + 20 * 60
